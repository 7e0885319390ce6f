"""Synthetic suites: scenarios, their recordings, and the same suite as vcrpy tests.

Everything is a deterministic function of the scenario index, so a 1k suite is the first 1k
scenarios of a 10k one and two runs of the benchmark build identical files.

* N scenarios x 3 turns x 2 columns (``openai/gpt-4o`` and ``local/llama-3.1-8b``); two turns
  in three stream, with 10-60 chunks per streamed reply (like ``tests/data/seeds``), and the
  non-streamed replies are of similar length.
* Recordings are :class:`harness.replay.recording.Recording` objects keyed by
  :class:`harness.replay.recording.RequestKey` over exactly the body the driver sends (``model``,
  ``messages``, ``stream`` only when the step sets it); their text is ``Recording.to_json()``,
  at ``RecordingStore.path_for(key)``. :func:`check_store_format` proves the bytes equal what
  ``RecordingStore.save`` writes (which also fsyncs each file: too slow for 60k files).
* The vcrpy suite is one test function per scenario, parametrized over the two columns, with
  one cassette per test in pytest-recording's layout, written by vcrpy's own serializer.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.replay.key import RequestKey
from harness.replay.recording import Recording, wrap
from harness.replay.store import RecordingStore

TURNS = 3
ENDPOINT = "/v1/chat/completions"


@dataclass(frozen=True)
class Column:
    provider: str
    model: str
    base_url: str
    served: str  # the model name in replies

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def slug(self) -> str:
        return f"{self.provider}-{self.model}"


COLUMNS = (
    Column("openai", "gpt-4o", "https://api.openai.com/v1", "gpt-4o-2024-08-06"),
    Column("local", "llama-3.1-8b", "http://127.0.0.1:8000/v1", "llama-3.1-8b-instruct"),
)

PROVIDERS_YAML = """\
providers:
  - id: openai
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    models: [gpt-4o]
  - id: local
    base_url: http://127.0.0.1:8000/v1
    models: [llama-3.1-8b]
"""

_WORDS = (  # noqa: SIM905 - a sentence reads better than 67 quoted words
    "planet orbit ring moon star comet light gravity mass season tide dust ice rock gas storm "
    "cloud wind river ocean mountain valley forest desert city bridge engine signal message "
    "answer question number letter history science music color shape pattern reason example "
    "detail summary result value table graph model token stream chunk reply request system "
    "user assistant tool weather paris london tokyo earth saturn jupiter mars venus mercury"
).split()


def scenario_id(i: int) -> str:
    return f"s{i:05d}"


def file_index(i: int, per_file: int) -> int:
    return i // per_file


def file_name(j: int) -> str:
    return f"f{j:04d}"


def streams(i: int, k: int) -> bool:
    """Two turns in three stream."""
    return (i + k) % 3 != 2


def system_message(i: int) -> dict[str, str]:
    return {"role": "system", "content": f"You are a concise assistant (bench scenario {i})."}


def user_text(i: int, k: int) -> str:
    rng = random.Random(f"user/{i}/{k}")
    topic = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12)))
    return f"Question {k + 1} of scenario {i}: tell me about {topic}."


def reply_tokens(i: int, c: int, k: int) -> list[str]:
    """The reply's pieces as a provider would stream them (10-60 chunks with role and finish)."""
    rng = random.Random(f"reply/{i}/{c}/{k}")
    chunks = rng.randint(10, 60)
    words = [" " + rng.choice(_WORDS) for _ in range(chunks - 2 - 3)]
    return ["Answer", f" {k + 1}:", *words, "."]


def _obfuscation(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGH0123456789") for _ in range(10))


def stream_body(tokens: list[str], *, rec_id: str, served: str, seed: str) -> list[dict[str, Any]]:
    """Recorded chunks: a role chunk, one per token, then the finish chunk (as OpenAI sends)."""
    rng = random.Random(seed)

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        base = {
            "content": None,
            "function_call": None,
            "refusal": None,
            "role": None,
            "tool_calls": None,
        }
        base.update(delta)
        return {
            "id": rec_id,
            "choices": [{"delta": base, "finish_reason": finish, "index": 0, "logprobs": None}],
            "created": 0,
            "model": served,
            "object": "chat.completion.chunk",
            "service_tier": "default",
            "system_fingerprint": "fp_normalized",
            "usage": None,
            "obfuscation": _obfuscation(rng),
        }

    out = [chunk({"role": "assistant", "content": ""}, None)]
    out.extend(chunk({"content": t}, None) for t in tokens)
    out.append(chunk({}, "stop"))
    return out


def completion_body(text: str, *, rec_id: str, served: str, prompt: int) -> dict[str, Any]:
    completion = max(1, len(text) // 4)
    return {
        "id": rec_id,
        "choices": [
            {
                "finish_reason": "stop",
                "index": 0,
                "logprobs": None,
                "message": {
                    "content": text,
                    "refusal": None,
                    "role": "assistant",
                    "annotations": [],
                    "audio": None,
                    "function_call": None,
                    "tool_calls": None,
                },
            }
        ],
        "created": 0,
        "model": served,
        "object": "chat.completion",
        "service_tier": "default",
        "system_fingerprint": "fp_normalized",
        "usage": {
            "completion_tokens": completion,
            "prompt_tokens": prompt,
            "total_tokens": completion + prompt,
            "completion_tokens_details": {
                "accepted_prediction_tokens": 0,
                "audio_tokens": 0,
                "reasoning_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
            "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        },
    }


@dataclass(frozen=True)
class Exchange:
    """One turn of one scenario on one column, as sent and as answered."""

    column: Column
    body: dict[str, Any]  # the request body (what the key hashes)
    key: RequestKey
    recording: Recording
    text: str  # the reply text


def conversation(i: int, c: int, *, test_id: str) -> list[Exchange]:
    """The three exchanges of scenario ``i`` on column ``c``, history carried like the driver."""
    column = COLUMNS[c]
    history: list[dict[str, Any]] = [system_message(i)]
    out: list[Exchange] = []
    for k in range(TURNS):
        history.append({"role": "user", "content": user_text(i, k)})
        body: dict[str, Any] = {"model": column.model, "messages": [dict(m) for m in history]}
        stream = streams(i, k)
        if stream:
            body["stream"] = True
        key = RequestKey(provider=column.provider, method="POST", endpoint=ENDPOINT, body=body)
        rec_id = f"rec-{key.digest[:12]}"
        tokens = reply_tokens(i, c, k)
        text = "".join(tokens)
        response: Any
        if stream:
            chunks = stream_body(tokens, rec_id=rec_id, served=column.served, seed=key.digest)
            response = [wrap(chunk) for chunk in chunks]
        else:
            prompt = sum(len(str(m["content"])) for m in history) // 4
            response = wrap(
                completion_body(text, rec_id=rec_id, served=column.served, prompt=prompt)
            )
        recording = Recording(
            test_id=test_id,
            method="POST",
            url=column.base_url + "/chat/completions",
            endpoint=ENDPOINT,
            request_body=body,
            response_body=response,
            is_streaming=stream,
        )
        out.append(Exchange(column=column, body=body, key=key, recording=recording, text=text))
        history.append({"role": "assistant", "content": text})
    return out


def harness_test_id(i: int, c: int, per_file: int) -> str:
    return (
        f"scenarios/{file_name(file_index(i, per_file))}.yaml::{scenario_id(i)}"
        f"[txt={COLUMNS[c].id}]"
    )


def all_exchanges(i: int, per_file: int) -> Iterator[Exchange]:
    for c in range(len(COLUMNS)):
        yield from conversation(i, c, test_id=harness_test_id(i, c, per_file))


# --- harness projects -------------------------------------------------------------------------

PYTEST_INI = """\
[pytest]
harness_scenario_dirs = scenarios
"""


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def scenario_yaml(i: int, *, snapshot: bool) -> str:
    lines = [
        f"  - id: {scenario_id(i)}",
        f"    description: synthetic bench scenario {i}",
        "    tags: [bench, multi-turn]",
    ]
    if snapshot:
        lines.append("    snapshot: true")
    system = system_message(i)
    lines += ["    messages:", f"      - {{role: system, content: {_q(system['content'])}}}"]
    lines.append("    steps:")
    for k in range(TURNS):
        lines.append(f"      - user: {_q(user_text(i, k))}")
        if streams(i, k):
            lines.append("        stream: true")
        lines += [
            "        expect:",
            f"          - contains: {_q(f'Answer {k + 1}:')}",
            "          - finish_reason: stop",
        ]
    return "\n".join(lines) + "\n"


def write_scenarios(root: Path, n: int, *, per_file: int, snapshot: bool) -> None:
    folder = root / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    for j in range(0, (n + per_file - 1) // per_file):
        body = "".join(
            scenario_yaml(i, snapshot=snapshot)
            for i in range(j * per_file, min(n, (j + 1) * per_file))
        )
        (folder / f"{file_name(j)}.yaml").write_text("scenarios:\n" + body, encoding="utf-8")


def write_harness_project(
    root: Path, n: int, *, per_file: int, snapshot: bool, recordings: Path | None
) -> Path:
    """A project: pytest.ini, providers.yaml, scenarios/; ``recordings`` symlinked in if given."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    (root / "providers.yaml").write_text(PROVIDERS_YAML, encoding="utf-8")
    write_scenarios(root, n, per_file=per_file, snapshot=snapshot)
    if recordings is not None:
        link = root / "recordings"
        if not link.exists():
            link.symlink_to(recordings, target_is_directory=True)
    return root


def write_recordings(root: Path, n: int, *, per_file: int, start: int = 0) -> int:
    """Recordings of scenarios ``start..n-1`` under ``root/<provider>/``; returns files written."""
    store = RecordingStore(root=root)
    made: set[Path] = set()
    for i in range(start, n):
        for exchange in all_exchanges(i, per_file):
            path = store.path_for(exchange.key)
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            if not path.exists():  # a reused --workdir keeps what it has
                path.write_text(exchange.recording.to_json(), encoding="utf-8")
    return (n - start) * len(COLUMNS) * TURNS


def check_store_format(scratch: Path, per_file: int) -> None:
    """The files written here are byte for byte what ``RecordingStore.save`` writes."""
    fast, slow = scratch / "fast", scratch / "slow"
    write_recordings(fast, 1, per_file=per_file)
    store = RecordingStore(root=slow)
    for exchange in all_exchanges(0, per_file):
        saved = store.save(exchange.recording, provider=exchange.column.provider)
        ours = fast / exchange.column.provider / saved.name
        assert ours.read_bytes() == saved.read_bytes(), f"format drift: {saved.name}"


def write_fake_recordings(folder: Path, count: int, *, templates: list[Path]) -> None:
    """``count`` extra recording files: hard links to real ones (in turn, as a file system
    allows some 65k links per file), under names no request hashes to."""
    folder.mkdir(parents=True, exist_ok=True)
    for j in range(count):
        digest = hashlib.sha256(f"fake/{j}".encode()).hexdigest()[:16]
        target = folder / f"chat-completions-{digest}.json"
        if not target.exists():
            os.link(templates[j % len(templates)], target)


# --- the same suite as pytest-recording / vcrpy tests -----------------------------------------

VCR_INI = """\
[pytest]
pythonpath = .
testpaths = tests
"""

VCR_HELPER = '''\
"""What each generated test does: the conversation through the SDK, history carried along."""

import openai

BASE_URLS = {"openai": "https://api.openai.com/v1", "local": "http://127.0.0.1:8000/v1"}
_clients = {}


def client(provider):
    if provider not in _clients:
        _clients[provider] = openai.OpenAI(
            base_url=BASE_URLS[provider], api_key="replay-no-key", max_retries=0
        )
    return _clients[provider]


def run_conversation(column, scenario):
    provider, model = column.split("/", 1)
    sdk = client(provider)
    history = [dict(m) for m in scenario["messages"]]
    for step in scenario["steps"]:
        history.append({"role": "user", "content": step["user"]})
        kwargs = {"model": model, "messages": list(history)}
        if step["stream"]:
            kwargs["stream"] = True
            parts, finish = [], None
            for chunk in sdk.chat.completions.create(**kwargs):
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                    if choice.finish_reason:
                        finish = choice.finish_reason
            text = "".join(parts)
        else:
            reply = sdk.chat.completions.create(**kwargs)
            text, finish = reply.choices[0].message.content, reply.choices[0].finish_reason
        assert step["contains"] in text
        assert finish == "stop"
        history.append({"role": "assistant", "content": text})
'''


def _vcr_module(indices: range) -> str:
    lines = [
        "import pytest",
        "",
        "from convo import run_conversation",
        "",
        f"COLUMNS = {[c.id for c in COLUMNS]!r}",
        f"IDS = {[c.slug for c in COLUMNS]!r}",
        "",
    ]
    for i in indices:
        scenario = {
            "messages": [system_message(i)],
            "steps": [
                {"user": user_text(i, k), "stream": streams(i, k), "contains": f"Answer {k + 1}:"}
                for k in range(TURNS)
            ],
        }
        lines += [
            "",
            "@pytest.mark.vcr",
            '@pytest.mark.parametrize("column", COLUMNS, ids=IDS)',
            f"def test_{scenario_id(i)}(column):",
            f"    run_conversation(column, {scenario!r})",
            "",
        ]
    return "\n".join(lines)


def write_vcr_project(root: Path, n: int, *, per_file: int) -> Path:
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.request import Request
    from vcr.serializers import yamlserializer

    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(VCR_INI, encoding="utf-8")
    (root / "convo.py").write_text(VCR_HELPER, encoding="utf-8")
    for j in range(0, (n + per_file - 1) // per_file):
        indices = range(j * per_file, min(n, (j + 1) * per_file))
        module = f"test_{file_name(j)}"
        (root / "tests" / f"{module}.py").write_text(_vcr_module(indices), encoding="utf-8")
        for i in indices:
            for c, column in enumerate(COLUMNS):
                requests, responses = [], []
                for exchange in conversation(i, c, test_id=""):
                    body = json.dumps(exchange.body, separators=(",", ":")).encode()
                    requests.append(
                        Request(
                            "POST",
                            column.base_url + "/chat/completions",
                            body,
                            {"content-type": "application/json"},
                        )
                    )
                    status, headers, content = exchange.recording.response_content()
                    responses.append(
                        {
                            "status": {"code": status, "message": "OK"},
                            "headers": {k: [v] for k, v in headers.items()},
                            "body": {"string": content},
                        }
                    )
                path = (
                    root
                    / "tests"
                    / "cassettes"
                    / module
                    / f"test_{scenario_id(i)}[{column.slug}].yaml"
                )
                FilesystemPersister.save_cassette(
                    path, {"requests": requests, "responses": responses}, yamlserializer
                )
    return root


# --- pytest's own cost: the same shape of suite, doing nothing --------------------------------

EMPTY_INI = """\
[pytest]
testpaths = tests
"""


def write_empty_project(root: Path, n: int, *, per_file: int) -> Path:
    """Same files, functions and parameters as the suite; each test does nothing.

    The modules import the SDK, so start-up includes it as it does for the other suites.
    """
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(EMPTY_INI, encoding="utf-8")
    for j in range(0, (n + per_file - 1) // per_file):
        lines = [
            "import openai  # noqa: F401",
            "import pytest",
            "",
            f"COLUMNS = {[c.id for c in COLUMNS]!r}",
            "",
        ]
        for i in range(j * per_file, min(n, (j + 1) * per_file)):
            lines += [
                "",
                '@pytest.mark.parametrize("column", COLUMNS)',
                f"def test_{scenario_id(i)}(column):",
                "    pass",
                "",
            ]
        (root / "tests" / f"test_{file_name(j)}.py").write_text("\n".join(lines), encoding="utf-8")
    return root
