"""Maintaining a recordings folder: verify, prune, show (the core of ``harness recordings``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from harness.engine.assemble.chat import assemble_chat
from harness.engine.transcript import Exchange
from harness.errors import SHAPE_ERRORS, HarnessError, RecordingCorruptError
from harness.replay.recording import Recording
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore, read_json
from harness.replay.used import Usage


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file."""

    path: Path
    kind: str  # corrupt | misplaced | duplicate | secret | partial-write
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


def verify(store: RecordingStore, *, scanner: SecretScanner) -> tuple[int, list[Problem]]:
    """Check every recording: readable, under its own key, unique, secret-free."""
    problems: list[Problem] = []
    owners: dict[str, Path] = {}
    checked = 0
    for path in store.files():
        checked += 1
        try:
            recording = store.read(path)
        except RecordingCorruptError as exc:
            problems.append(Problem(path, "corrupt", str(exc).split(": ", 1)[-1]))
            continue
        assert recording is not None
        provider = path.parent.name
        key = recording.key(provider)
        expected = store.path_for(key)
        if expected.name != path.name:
            problems.append(Problem(path, "misplaced", f"its request's key says {expected.name}"))
        if key.digest in owners:
            problems.append(Problem(path, "duplicate", f"same request as {owners[key.digest]}"))
        owners.setdefault(key.digest, path)
        for finding in scanner.findings(recording.to_dict()):
            problems.append(Problem(path, "secret", finding))
    return checked, problems


def prune(store: RecordingStore, *, usage: Usage, dry_run: bool) -> list[Path]:
    """Delete (or list, with ``dry_run``) the recordings a complete run did not use."""
    if not usage.complete:
        raise HarnessError(
            "refusing to prune after a partial run (nothing was deleted; run the whole suite "
            "first): " + "; ".join(usage.partial_reasons)
        )
    if Path(usage.recordings_dir).resolve() != store.root.resolve():
        raise HarnessError(
            f"the last run used {usage.recordings_dir}, not {store.root}; run the suite again"
        )
    unused = [p for p in store.files() if str(p.relative_to(store.root)) not in usage.used]
    _refuse_uncollected_tests(unused, usage)
    if not dry_run:
        for path in unused:
            path.unlink()
    return unused


def _refuse_uncollected_tests(unused: list[Path], usage: Usage) -> None:
    """A recording made by a Python test (the ``llm`` fixture) in a file the run did not
    collect is not known to be unused: pruning it would lose it."""
    for path in unused:
        test_file = _test_id(path).split("::")[0]
        uncollected = test_file.endswith(".py") and test_file not in usage.test_files
        if uncollected and Path(test_file).is_file():
            raise HarnessError(
                f"refusing to prune (nothing was deleted): {path} was recorded by "
                f"{test_file}, which the last run did not collect; run it too"
            )


def find(store: RecordingStore, ref: str) -> list[Path]:
    """Recordings matching a key (digest, file name or path) or a scenario id."""
    direct = Path(ref)
    if direct.is_file():
        return [direct]
    matches = [p for p in store.files() if ref in (p.name, p.stem) or p.stem.endswith(f"-{ref}")]
    if matches:
        return matches
    needle = f"::{ref}["
    return [p for p in store.files() if needle in _test_id(p)]


def _test_id(path: Path) -> str:
    try:
        return str(read_json(path).get("test_id", ""))
    except (OSError, AttributeError, RecordingCorruptError):
        return ""


def show(recording: Recording, *, path: Path) -> Iterator[str]:
    """A readable transcript of one recording.

    A request or reply the transcript cannot be made of (one the SDK's models refuse, say
    ``finish_reason: "exploded"``, though it replays) is shown as its raw JSON instead.
    """
    yield f"# {path}"
    yield f"test: {recording.test_id}"
    yield f"{recording.method} {recording.url}"
    try:
        sent = list(_sent(recording.request_body))
    except SHAPE_ERRORS:
        sent = [f"  body: {_raw(recording.request_body)}"]
    yield from sent
    status = f"HTTP {recording.status_code}" + (" (truncated)" if recording.truncated else "")
    yield f"-> {status}, {'streamed' if recording.is_streaming else 'not streamed'}"
    try:
        reply = _reply(recording)
    except (*SHAPE_ERRORS, HarnessError):  # pydantic's ValidationError is a ValueError
        items = recording.response_body
        data = [i["__data__"] for i in items] if recording.is_streaming else items["__data__"]
        reply = f"(not readable as a reply; raw) {_raw(data)}"
    yield f"  {reply}"


def _sent(body: object) -> Iterator[str]:
    if not isinstance(body, dict):
        return
    for message in body.get("messages", []):
        yield f"  {message.get('role', '?')}: {_text(message.get('content'))}"
    if "input" in body:
        yield f"  input: {_text(body['input'])}"


def _raw(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)[:400]


def _reply(recording: Recording) -> str:
    if recording.is_streaming:
        items = [item["__data__"] for item in recording.response_body]
        if items and all(
            isinstance(i, dict) and i.get("object") == "chat.completion.chunk" for i in items
        ):
            chunks = [ChatCompletionChunk.model_validate(i) for i in items]
            return _describe(assemble_chat(chunks, check=False))
        return f"{len(items)} events: " + ", ".join(
            str(i.get("type", "?")) for i in items[:12] if isinstance(i, dict)
        )
    data = recording.response_body.get("__data__")
    if isinstance(data, dict) and data.get("object") == "chat.completion":
        return _describe(ChatCompletion.model_validate(data))
    return _raw(data)


def _describe(reply: ChatCompletion) -> str:
    calls = [
        f"{c.name}({c.arguments})" for c in Exchange(sent=(), streamed=None, reply=reply).tool_calls
    ]
    content = reply.choices[0].message.content if reply.choices else None
    return f"assistant: {_text(content)}" + (f" [tool calls: {', '.join(calls)}]" if calls else "")


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            p.get("text", f"<{p.get('type')}>") if isinstance(p, dict) else str(p) for p in content
        ]
        return " ".join(str(p) for p in parts)
    return json.dumps(content, ensure_ascii=False)
