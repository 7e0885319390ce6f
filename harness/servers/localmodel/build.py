"""Build the tiny chat model that the local provider tier serves.

The model is made here, on the CPU, in a few seconds, instead of being downloaded or
committed: a byte-level BPE tokenizer trained on the dialogues below, and a two-layer
Qwen2 network over-fitted on them. The same inputs give byte-identical files, so every
machine (and every CI run) builds the same model.

The model only knows the dialogues in :data:`TRAINED_DIALOGUES`. Sent exactly one of
their prompts (messages, and tools where the dialogue has them), it answers with that
dialogue's :attr:`TrainedDialogue.reply` under greedy decoding; anything else gets an
arbitrary, but repeatable, reply.

torch, transformers and tokenizers are imported lazily, inside the functions that need
them, so ``import harness.servers.localmodel`` works without them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.errors import ConfigError, HarnessError

# --------------------------------------------------------------------------------------
# The training dialogues: the whole of what the tiny model knows.
# --------------------------------------------------------------------------------------

MODEL_ID = "local/tiny-chat"
"""The id the server lists under ``/v1/models`` and that requests name as ``model``."""

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class DialogueToolCall:
    """A tool call in a training dialogue: the function name and its JSON arguments."""

    name: str
    arguments: str
    """The arguments as JSON text, exactly as the model emits them (``json.dumps`` style)."""
    id: str = "call_0"
    """The call id used when the call is part of a prompt (the template does not render it)."""

    def to_openai(self) -> dict[str, Any]:
        """This call as an OpenAI chat ``tool_calls`` entry."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class DialogueMessage:
    """One chat message of a training dialogue."""

    role: Role
    content: str = ""
    tool_calls: tuple[DialogueToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_openai(self) -> dict[str, Any]:
        """This message as an OpenAI chat-completions message dict (a fresh one each call)."""
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


@dataclass(frozen=True)
class TrainedDialogue:
    """A prompt the tiny model was trained on, and the reply it was trained to give."""

    name: str
    messages: tuple[DialogueMessage, ...]
    """The request's messages, in order."""
    reply: DialogueMessage
    """The assistant reply: ``content`` text, or ``tool_calls`` with empty content."""
    tools: tuple[str, ...] = ()
    """Tool definitions sent with the request, each as OpenAI chat ``tools`` JSON text."""

    def openai_messages(self) -> list[dict[str, Any]]:
        """The request's ``messages`` for the OpenAI SDK (fresh dicts each call)."""
        return [message.to_openai() for message in self.messages]

    def openai_tools(self) -> list[dict[str, Any]]:
        """The request's ``tools`` for the OpenAI SDK (an empty list when it has none)."""
        return [json.loads(tool) for tool in self.tools]


WEATHER_TOOL = json.dumps(
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city name."}},
                "required": ["city"],
            },
        },
    }
)
"""The ``get_weather`` tool definition (OpenAI chat ``tools`` entry) as JSON text."""

WEATHER_TOOL_CALL = DialogueToolCall(name="get_weather", arguments='{"city": "Paris"}')
"""The tool call the model makes for "What is the weather in Paris?"."""

WEATHER_TOOL_RESULT = '{"city": "Paris", "condition": "sunny", "temperature_c": 22}'
"""The tool result content the follow-up dialogue was trained with."""

GREETING = TrainedDialogue(
    name="greeting",
    messages=(DialogueMessage(role="user", content="Hello!"),),
    reply=DialogueMessage(role="assistant", content="Hello! How can I help you today?"),
)
"""A one-turn greeting."""

ARITHMETIC = TrainedDialogue(
    name="arithmetic",
    messages=(DialogueMessage(role="user", content="What is 2 + 2?"),),
    reply=DialogueMessage(role="assistant", content="2 + 2 = 4."),
)
"""A one-turn arithmetic question."""

IDENTITY = TrainedDialogue(
    name="identity",
    messages=(
        DialogueMessage(role="system", content="You are a helpful assistant."),
        DialogueMessage(role="user", content="Who are you?"),
    ),
    reply=DialogueMessage(role="assistant", content="I am a tiny test model."),
)
"""An identity question under a system prompt."""

MULTI_TURN = TrainedDialogue(
    name="multi_turn",
    messages=(
        *GREETING.messages,
        GREETING.reply,
        *ARITHMETIC.messages,
    ),
    reply=ARITHMETIC.reply,
)
"""The arithmetic question as the second turn, after the greeting and its reply."""

WEATHER_CALL = TrainedDialogue(
    name="weather_call",
    messages=(DialogueMessage(role="user", content="What is the weather in Paris?"),),
    reply=DialogueMessage(role="assistant", tool_calls=(WEATHER_TOOL_CALL,)),
    tools=(WEATHER_TOOL,),
)
"""With the ``get_weather`` tool offered, the weather question gets a tool call."""

WEATHER_ANSWER = TrainedDialogue(
    name="weather_answer",
    messages=(
        *WEATHER_CALL.messages,
        WEATHER_CALL.reply,
        DialogueMessage(
            role="tool", content=WEATHER_TOOL_RESULT, tool_call_id=WEATHER_TOOL_CALL.id
        ),
    ),
    reply=DialogueMessage(role="assistant", content="It is sunny and 22 °C in Paris."),
    tools=(WEATHER_TOOL,),
)
"""After the tool result, the model answers with a sentence that uses it."""

TRAINED_DIALOGUES: tuple[TrainedDialogue, ...] = (
    GREETING,
    ARITHMETIC,
    IDENTITY,
    MULTI_TURN,
    WEATHER_CALL,
    WEATHER_ANSWER,
)
"""Every dialogue the model is trained on; build inputs, so changing one rebuilds the model."""

# --------------------------------------------------------------------------------------
# Tokenizer, network and training recipe. All of it goes into the cache key.
# --------------------------------------------------------------------------------------

RECIPE_VERSION = 1
"""Bump to force a rebuild when something outside the hashed inputs changes."""

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
PLAIN_ADDED_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>")
EOS_TOKEN = "<|im_end|>"
PAD_TOKEN = "<|endoftext|>"
VOCAB_SIZE = 600

# Qwen2's pre-tokenizer split, so the tokenizer behaves the same whichever class loads it.
PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# ChatML, as Qwen2.5 renders it. Tools are rendered field by field (parameters with sorted
# keys) so chat-completions tools and normalized Responses-API tools render alike; tool-call
# ids are not rendered, since servers and clients change them on every request.
CHAT_TEMPLATE = (
    "{%- set ns = namespace(first=0) -%}"
    "{%- if messages and messages[0].role == 'system' -%}"
    "{%- set ns.first = 1 -%}"
    "{{- '<|im_start|>system\\n' + messages[0].content -}}"
    "{%- if tools %}{{- '\\n\\n' -}}{%- endif -%}"
    "{%- elif tools -%}"
    "{{- '<|im_start|>system\\n' -}}"
    "{%- endif -%}"
    "{%- if tools -%}"
    "{{- '# Tools\\n<tools>' -}}"
    "{%- for tool in tools -%}"
    "{%- set fn = tool.function if tool.function is defined else tool -%}"
    "{{- '\\n{\"name\": ' + (fn.name | tojson)"
    " + ', \"description\": ' + (fn.description | default('') | tojson)"
    " + ', \"parameters\": ' + (fn.parameters | default({}) | tojson(sort_keys=True)) + '}' -}}"
    "{%- endfor -%}"
    "{{- '\\n</tools>' -}}"
    "{%- endif -%}"
    "{%- if ns.first == 1 or tools -%}{{- '<|im_end|>\\n' -}}{%- endif -%}"
    "{%- for message in messages[ns.first:] -%}"
    "{%- if message.role == 'tool' -%}"
    "{{- '<|im_start|>user\\n<tool_response>\\n' + message.content"
    " + '\\n</tool_response><|im_end|>\\n' -}}"
    "{%- elif message.role == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if message.content -%}{{- message.content -}}{%- endif -%}"
    "{%- if message.tool_calls -%}"
    "{%- for call in message.tool_calls -%}"
    "{%- set fn = call.function if call.function is defined else call -%}"
    "{%- if message.content or not loop.first -%}{{- '\\n' -}}{%- endif -%}"
    "{%- set args = fn.arguments if fn.arguments is string else (fn.arguments | tojson) -%}"
    "{{- '<tool_call>\\n{\"name\": ' + (fn.name | tojson) + ', \"arguments\": ' + args"
    " + '}\\n</tool_call>' -}}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

MODEL_CONFIG: Mapping[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 512,
    "tie_word_embeddings": True,
    "rope_theta": 10000.0,
}
"""Qwen2Config fields; the vocabulary and special token ids come from the tokenizer."""

TRAIN_STEPS = 200
LEARNING_RATE = 3e-3

BLOB_MTIME = 1_704_067_200
"""Fixed mtime of the blobs (2024-01-01 UTC): ``/v1/models`` reports it as ``created``."""

_REPO_DIRNAME = "models--" + MODEL_ID.replace("/", "--")
_LIBRARIES = ("torch", "transformers", "tokenizers")
_TIER_MODULES = ("torch", "transformers", "tokenizers", "fastapi", "uvicorn")

INSTALL_HINT = "pip install 'pytest-llm-harness[local]' (in a checkout: .ci/install-local-tier.sh)"
"""How to install the local model tier (the ``[local]`` extra) into the current Python."""


def missing_requirements() -> tuple[str, ...]:
    """The modules the local model tier needs that cannot be imported here (empty if none)."""
    return tuple(name for name in _TIER_MODULES if importlib.util.find_spec(name) is None)


def _require_tier() -> None:
    if missing_requirements():
        raise ConfigError(f"the local model tier needs torch and transformers: {INSTALL_HINT}")


# --------------------------------------------------------------------------------------
# Cache key and hub-cache layout.
# --------------------------------------------------------------------------------------


def build_key(*, seed: int = 0) -> str:
    """The 40-hex content hash of every build input; it names the snapshot revision.

    It covers the dialogues, the chat template, the tokenizer, network and training
    settings, the seed, the versions of torch, transformers and tokenizers, and the source
    of this module. Library versions are read from package metadata, without importing.
    """
    _require_tier()
    source = Path(__file__).read_bytes()
    inputs = {
        "recipe": RECIPE_VERSION,
        "model_id": MODEL_ID,
        "dialogues": [dataclasses.asdict(dialogue) for dialogue in TRAINED_DIALOGUES],
        "chat_template": CHAT_TEMPLATE,
        "tokenizer": {
            "special": SPECIAL_TOKENS,
            "added": PLAIN_ADDED_TOKENS,
            "eos": EOS_TOKEN,
            "pad": PAD_TOKEN,
            "vocab_size": VOCAB_SIZE,
            "pretokenize": PRETOKENIZE_REGEX,
        },
        "model_config": dict(MODEL_CONFIG),
        "train": {"steps": TRAIN_STEPS, "lr": LEARNING_RATE},
        "seed": seed,
        "versions": {name: importlib.metadata.version(name) for name in _LIBRARIES},
        "source_sha256": hashlib.sha256(source).hexdigest(),
    }
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()[:40]


def repo_dir(*, hf_home: Path) -> Path:
    """The hub-cache repository folder of the model under ``hf_home``."""
    return Path(hf_home) / "hub" / _REPO_DIRNAME


def snapshot_dir(*, hf_home: Path) -> Path:
    """The folder of the built snapshot that ``refs/main`` points to.

    Raises:
        ConfigError: the model has not been built under ``hf_home``.
    """
    repo = repo_dir(hf_home=hf_home)
    ref = repo / "refs" / "main"
    if not ref.is_file():
        raise ConfigError(
            f"local model not built under {hf_home}: run python -m harness.servers.localmodel build"
        )
    return repo / "snapshots" / ref.read_text().strip()


def _is_built(repo: Path, revision: str) -> bool:
    ref = repo / "refs" / "main"
    try:
        if ref.read_text() != revision:
            return False
    except OSError:
        return False
    snapshot = repo / "snapshots" / revision
    if not (snapshot / "config.json").exists() or not (snapshot / "model.safetensors").exists():
        return False
    # Every file in the snapshot must resolve to an existing blob.
    return all(path.exists() for path in snapshot.rglob("*"))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _install_snapshot(*, built: Path, work: Path, repo: Path, revision: str) -> None:
    """Move the files in ``built`` into ``repo`` as hub-cache blobs plus a snapshot of links.

    The snapshot is staged in ``work`` and renamed into place, then ``refs/main`` is
    replaced: a reader sees the old complete snapshot or the new complete one.
    """
    blobs = repo / "blobs"
    snapshots = repo / "snapshots"
    blobs.mkdir(parents=True, exist_ok=True)
    snapshots.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)

    staging = work / "snapshot"
    keep: set[str] = set()
    for path in sorted(p for p in built.rglob("*") if p.is_file()):
        relative = path.relative_to(built)
        digest = _sha256_file(path)
        keep.add(digest)
        blob = blobs / digest
        if not blob.exists():
            os.replace(path, blob)
        os.chmod(blob, 0o644)
        os.utime(blob, (BLOB_MTIME, BLOB_MTIME))
        link = staging / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        up = "../" * (len(relative.parts) + 1)
        link.symlink_to(f"{up}blobs/{digest}")

    target = snapshots / revision
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)

    ref_tmp = work / "ref"
    ref_tmp.write_text(revision)
    os.replace(ref_tmp, repo / "refs" / "main")

    # Drop older builds: other snapshots and the blobs only they used.
    for other in snapshots.iterdir():
        if other.name != revision:
            shutil.rmtree(other, ignore_errors=True)
    for blob in blobs.iterdir():
        if blob.name not in keep:
            blob.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------
# Building.
# --------------------------------------------------------------------------------------


def build_tiny_model(*, hf_home: Path, seed: int = 0) -> str:
    """Build the tiny chat model under ``hf_home`` as a hub-cache snapshot; return its id.

    The model lands in ``hf_home/hub/models--local--tiny-chat`` (``refs/main``,
    ``blobs/``, ``snapshots/<revision>/``), where ``transformers serve`` finds and lists it
    with ``HF_HOME=hf_home HF_HUB_OFFLINE=1``. The revision is :func:`build_key`: when
    ``refs/main`` already names it and its files are present, nothing is built. A file
    lock (``hf_home/localmodel.lock``) keeps concurrent callers, such as pytest-xdist
    workers, from building at once; the later ones find the finished build.

    Raises:
        ConfigError: torch, transformers or their serving extras are not installed.
        HarnessError: training did not reproduce every trained reply.
    """
    hf_home = Path(hf_home)
    revision = build_key(seed=seed)
    repo = repo_dir(hf_home=hf_home)
    if _is_built(repo, revision):
        return MODEL_ID
    with _locked(hf_home / "localmodel.lock"):
        if _is_built(repo, revision):
            return MODEL_ID
        work = Path(tempfile.mkdtemp(prefix="localmodel-build-", dir=hf_home))
        try:
            built = work / "model"
            _build_files(built, seed=seed)
            _install_snapshot(built=built, work=work, repo=repo, revision=revision)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return MODEL_ID


def _bpe_corpus() -> list[str]:
    texts: list[str] = ["system\n", "user\n", "assistant\n", "# Tools\n<tools>\n</tools>"]
    for dialogue in TRAINED_DIALOGUES:
        for message in (*dialogue.messages, dialogue.reply):
            texts.append(message.content)
            texts.extend(
                json.dumps({"name": c.name, "arguments": c.arguments}) for c in message.tool_calls
            )
        texts.extend(dialogue.tools)
    return texts


def _train_tokenizer() -> Any:
    tokenizers = importlib.import_module("tokenizers")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.normalizer = tokenizers.normalizers.NFC()
    pre = tokenizers.pre_tokenizers
    tok.pre_tokenizer = pre.Sequence(
        [
            pre.Split(tokenizers.Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_bpe_corpus(), trainer=trainer)
    tok.add_tokens(
        [tokenizers.AddedToken(t, special=False, normalized=False) for t in PLAIN_ADDED_TOKENS]
    )
    return tok


def _reply_text(reply: DialogueMessage) -> str:
    """The assistant turn as the model must generate it (without the end-of-turn token)."""
    calls = "\n".join(
        f'<tool_call>\n{{"name": {json.dumps(c.name)}, "arguments": {c.arguments}}}\n</tool_call>'
        for c in reply.tool_calls
    )
    if reply.content and calls:
        return f"{reply.content}\n{calls}"
    return reply.content or calls


def _server_messages(dialogue: TrainedDialogue) -> list[dict[str, Any]]:
    """The messages as ``transformers serve`` hands them to the chat template.

    Tool-call arguments become dicts and assistant content next to tool calls is dropped,
    as the server does before rendering.
    """
    messages = dialogue.openai_messages()
    for message in messages:
        if "tool_calls" in message:
            message["content"] = ""
            for call in message["tool_calls"]:
                call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return messages


def _build_files(out: Path, *, seed: int) -> None:
    """Train the tokenizer and the network and save both, Hugging Face style, in ``out``."""
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")

    out.mkdir(parents=True)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(),
        bos_token=None,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        unk_token=None,
        model_max_length=MODEL_CONFIG["max_position_embeddings"],
        chat_template=CHAT_TEMPLATE,
    )
    fast.save_pretrained(str(out))
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(out))
    eos_id = tokenizer.convert_tokens_to_ids(EOS_TOKEN)
    pad_id = tokenizer.convert_tokens_to_ids(PAD_TOKEN)

    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer),
        bos_token_id=None,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        **MODEL_CONFIG,
    )
    examples: list[tuple[list[int], list[int]]] = []
    for dialogue in TRAINED_DIALOGUES:
        prompt = tokenizer.apply_chat_template(
            _server_messages(dialogue),
            tools=dialogue.openai_tools() or None,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=False,
        )
        target = tokenizer.encode(_reply_text(dialogue.reply) + EOS_TOKEN, add_special_tokens=False)
        examples.append((list(prompt), list(target)))

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        model = _train(torch, transformers, config, examples, pad_id=pad_id, seed=seed)
        _check_replies(torch, model, tokenizer, examples, eos_id=eos_id, pad_id=pad_id)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)

    model.generation_config = transformers.GenerationConfig(
        do_sample=False,
        temperature=None,
        top_p=None,
        top_k=None,
        eos_token_id=[eos_id, pad_id],
        pad_token_id=pad_id,
        max_new_tokens=64,
    )
    hf_logging = transformers.utils.logging
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(str(out))
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _train(
    torch: Any,
    transformers: Any,
    config: Any,
    examples: list[tuple[list[int], list[int]]],
    *,
    pad_id: int,
    seed: int,
) -> Any:
    torch.manual_seed(seed)
    model = transformers.Qwen2ForCausalLM(config)
    length = max(len(prompt) + len(target) for prompt, target in examples)
    rows, labels, masks = [], [], []
    for prompt, target in examples:
        ids = prompt + target
        pad = length - len(ids)
        rows.append(ids + [pad_id] * pad)
        labels.append([-100] * len(prompt) + target + [-100] * pad)
        masks.append([1] * len(ids) + [0] * pad)
    input_ids = torch.tensor(rows)
    label_ids = torch.tensor(labels)
    attention = torch.tensor(masks)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    model.train()
    for _ in range(TRAIN_STEPS):
        loss = model(input_ids=input_ids, attention_mask=attention, labels=label_ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    return model


def _check_replies(
    torch: Any,
    model: Any,
    tokenizer: Any,
    examples: list[tuple[list[int], list[int]]],
    *,
    eos_id: int,
    pad_id: int,
) -> None:
    """Greedy-decode every prompt; fail the build unless each gives its trained reply."""
    with torch.no_grad():
        for dialogue, (prompt, target) in zip(TRAINED_DIALOGUES, examples, strict=True):
            output = model.generate(
                torch.tensor([prompt]),
                attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                do_sample=False,
                max_new_tokens=len(target) + 8,
                eos_token_id=eos_id,
                pad_token_id=pad_id,
            )
            got = output[0, len(prompt) :].tolist()
            if got != target:
                raise HarnessError(
                    f"tiny model build: dialogue {dialogue.name!r} was not learned: "
                    f"wanted {tokenizer.decode(target)!r}, got {tokenizer.decode(got)!r}"
                )
