"""Train the tiny model's tokenizer and network on the dialogues, and check it learned them.

torch, transformers and tokenizers are imported here lazily, inside the functions.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.servers.localmodel.dialogues import TRAINED_DIALOGUES, DialogueMessage, TrainedDialogue
from harness.servers.localmodel.recipe import (
    CHAT_TEMPLATE,
    EOS_TOKEN,
    LEARNING_RATE,
    MODEL_CONFIG,
    PAD_TOKEN,
    PLAIN_ADDED_TOKENS,
    PRETOKENIZE_REGEX,
    SPECIAL_TOKENS,
    TRAIN_STEPS,
    VOCAB_SIZE,
)


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


def build_files(out: Path, *, seed: int) -> None:
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
