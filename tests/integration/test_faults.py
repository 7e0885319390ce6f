"""Faults: record runs killed with SIGKILL, corrupt recordings, and recordings that try to run code.

* ``kill -9`` at varying points of record runs never leaves a partial or corrupt recording.
* A corrupt, truncated, oversized or mis-shaped recording fails its test with a message naming
  the file and ``harness recordings verify``, without a Python traceback.
* ``__type__`` is informative: naming ``os.system`` or a module that writes a marker file when
  imported never imports anything; replay still serves ``__data__``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.cli import maintenance
from harness.cli.main import main as harness_main
from harness.replay.recording import Recording, wrap
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore
from support.fake_openai import FakeOpenAI, serve
from support.project import Project

BODY = {"model": "m1", "messages": [{"role": "user", "content": "hello"}]}
SCENARIO = """
scenarios:
  - id: hello
    steps:
      - user: hello
        expect: [{equals: "echo: hello"}]
"""
PROVIDERS = (
    "providers:\n  - id: fake\n    base_url: http://127.0.0.1:9/v1\n"
    "    api_key_env: FAKE_KEY\n    models: [m1]\n"
)


def completion(content: str, *, object_: str = "chat.completion") -> dict[str, Any]:
    return {
        "id": "rec-0",
        "object": object_,
        "created": 0,
        "model": "m1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
    }


def chunks(content: str) -> list[dict[str, Any]]:
    base = {"id": "rec-0", "object": "chat.completion.chunk", "created": 0, "model": "m1"}
    deltas = [({"role": "assistant", "content": content}, None), ({}, "stop")]
    return [
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        for delta, finish in deltas
    ]


def make_recording(
    body: dict[str, Any], content: str, *, stream: bool = False, scenario: str = "hello"
) -> Recording:
    response: Any = [wrap(c) for c in chunks(content)] if stream else wrap(completion(content))
    return Recording(
        test_id=f"scenarios/s.yaml::{scenario}[txt=fake/m1]",
        method="POST",
        url="http://127.0.0.1:9/v1/chat/completions",
        endpoint="/v1/chat/completions",
        request_body=body,
        response_body=response,
        is_streaming=stream,
    )


def install(project: Project, recording: Recording) -> Path:
    """Write the scenario, providers and ``recording`` (at its proper name); return its path."""
    project.providers(PROVIDERS)
    project.scenario("s.yaml", SCENARIO)
    path = project.path / "recordings" / "fake" / recording.key("fake").filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(recording.to_json(), encoding="utf-8")
    return path


# --- corrupt recordings ----------------------------------------------------------------------

VALID = make_recording(BODY, "echo: hello").to_dict()


def _doc(change: Callable[[dict[str, Any]], Any]) -> bytes:
    document = json.loads(json.dumps(VALID))
    result = change(document)
    return json.dumps(document if result is None else result).encode()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = document
        for name in parents:
            node = node[name]
        node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = document
        for name in parents:
            node = node[name]
        del node[last]

    return change


_TEXT = json.dumps(VALID, indent=2).encode()
CORRUPT: dict[str, bytes] = {
    "cut-json": _TEXT[: len(_TEXT) // 2],
    "cut-one-byte": _TEXT[:-2],
    "empty-file": b"",
    "whitespace-only": b"  \n\n",
    "not-json": b"this is not a recording\n",
    "json-null": b"null",
    "json-number": b"42",
    "json-string": b'"recording"',
    "list-instead-of-object": b"[]",
    "list-holding-the-recording": json.dumps([VALID]).encode(),
    "missing-request": _doc(_drop("request")),
    "missing-response": _doc(_drop("response")),
    "missing-endpoint": _doc(_drop("request.endpoint")),
    "request-is-a-string": _doc(_set("request", "POST /v1/chat/completions")),
    "missing-__data__": _doc(_set("response.body", {"__type__": "json"})),
    "body-is-a-list-of-numbers": _doc(_set("response.body", [1, 2, 3])),
    "streamed-body-not-a-list": _doc(_set("response.is_streaming", True)),
    "status-code-not-a-number": _doc(_set("response.status_code", "teapot")),
    "binary-garbage": bytes(range(256)) * 16,
    "utf-16": json.dumps(VALID).encode("utf-16"),
    "nul-bytes": b"\x00" * 4096,
    # Past Python's recursion limit: json.loads (and everything after it) must not recurse.
    "nested-1000-deep-request": json.dumps(VALID)
    .replace('"model": "m1"', '"deep": ' + "[" * 1000 + "]" * 1000 + ', "model": "m1"', 1)
    .encode(),
    "nested-5000-deep-text": b'{"request": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    # Valid JSON, but no UTF-8 text can carry it: replay would fail encoding the reply.
    "lone-surrogate-in-reply": _doc(
        lambda d: d["response"]["body"]["__data__"]["choices"][0]["message"].update(
            content="hello\ud800"
        )
    ),
    "lone-surrogate-in-request": _doc(_set("request.body.model", "m1\udfff")),
    # Found by the fuzz tests: urlsplit refuses it, so every lookup of the key would fail.
    "url-with-an-open-ipv6-bracket": _doc(_set("request.url", "http://[::1/v1/chat/completions")),
    "status-code-out-of-range": _doc(_set("response.status_code", 99999)),
    "status-code-below-100": _doc(_set("response.status_code", 99)),
    "occurrence-infinite": _TEXT.replace(b'"endpoint"', b'"occurrence": 1e999, "endpoint"', 1),
}


def test_intact_recording_replays(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """The control for the tests below: the file they break replays, and verifies, intact."""
    install(project, make_recording(BODY, "echo: hello"))
    project.pytester.runpytest().assert_outcomes(passed=1)
    capsys.readouterr()
    assert harness_main(["recordings", "verify"]) == 0


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_recording_fails_cleanly_naming_the_file(
    project: Project, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = install(project, make_recording(BODY, "echo: hello"))
    path.write_bytes(CORRUPT[kind])
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert path.name in output and "harness recordings verify" in output, output
    assert "Traceback" not in output and "harness/replay/store.py:" not in output, output
    capsys.readouterr()
    assert harness_main(["recordings", "verify"]) == 1
    assert f"{path.name}: corrupt:" in capsys.readouterr().out


def _with_message(message: Any) -> dict[str, Any]:
    reply = completion("x")
    reply["choices"][0]["message"] = message
    return reply


# Well-formed recordings whose payload is not a chat completion (a proxy's HTML page recorded
# with status 200 is stored as {"__type__": "text", "__data__": "<html>..."}).
PAYLOADS: dict[str, tuple[bool, Any]] = {
    "object-not-a-completion": (False, {"unexpected": True}),
    "text-page": (False, "<html>502 bad gateway</html>"),
    "a-list": (False, [1, 2]),
    "null": (False, None),
    "choices-not-a-list": (False, {"object": "chat.completion", "id": "x", "choices": "no"}),
    "stream-of-strings": (True, ["garbage", "more garbage"]),
    "stream-of-objects-not-chunks": (True, [{"unexpected": True}]),
    # Chunks and replies of the wrong shape: a malformed reply naming the recording.
    "chunk-choices-a-string": (True, [{**chunks("x")[0], "choices": "zzz"}]),
    "chunk-choices-null-item": (True, [{**chunks("x")[0], "choices": [None]}]),
    "chunk-choices-an-int": (True, [{**chunks("x")[0], "choices": 7}]),
    "chunk-delta-a-string": (
        True,
        [{**chunks("x")[0], "choices": [{"index": 0, "delta": "x", "finish_reason": "stop"}]}],
    ),
    "chunk-mixed-type-index": (
        True,
        [
            {**chunks("x")[0], "choices": [{"index": 0, "delta": {"content": "a"}}]},
            {**chunks("x")[1], "choices": [{"index": "1", "delta": {}, "finish_reason": "stop"}]},
        ],
    ),
    "chunk-content-an-object": (
        True,
        [{**chunks("x")[0], "choices": [{"index": 0, "delta": {"content": {"a": 1}}}]}],
    ),
    "message-tool-calls-a-float": (False, _with_message({"role": "assistant", "tool_calls": 1.5})),
    "message-a-list": (False, _with_message(["s"])),
    "message-content-an-object": (False, _with_message({"role": "assistant", "content": {"a": 1}})),
}


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_recording_whose_payload_is_not_a_reply_fails_cleanly(project: Project, kind: str) -> None:
    stream, payload = PAYLOADS[kind]
    body = {**BODY, "stream": True} if stream else BODY
    path = install(project, make_recording(body, "echo: hello", stream=stream))
    if stream:
        project.scenario(
            "s.yaml", SCENARIO.replace("user: hello", "user: hello\n        stream: true")
        )
    project.pytester.runpytest().assert_outcomes(passed=1)  # control: the intact file replays
    document = json.loads(path.read_text())
    response = [wrap(item) for item in payload] if stream else wrap(payload)
    document["response"]["body"] = response
    path.write_text(json.dumps(document))
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert not re.search(r"\.py:\d+: \w+Error", output), output  # no traceback
    assert "Traceback" not in output, output
    assert path.name in output, output


def test_recording_that_is_a_directory_fails_cleanly(project: Project) -> None:
    path = install(project, make_recording(BODY, "echo: hello"))
    path.unlink()
    path.mkdir()
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert path.name in result.stdout.str() and "Traceback" not in result.stdout.str()


def test_oversized_recording_is_refused_without_being_read(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = install(project, make_recording(BODY, "echo: hello"))
    with path.open("r+b") as handle:  # 70 MB: sparse, so cheap to make
        handle.truncate(70 * 1024 * 1024)
    opened: list[str] = []
    real_open = open

    def tracking_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.path.realpath(file) if isinstance(file, str | Path) else str(file))
        return real_open(file, *args, **kwargs)

    # Path.read_text/read_bytes/open all go through io.open, which is builtins.open.
    monkeypatch.setattr("builtins.open", tracking_open)
    monkeypatch.setattr("io.open", tracking_open)
    big = str(path.resolve())
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert path.name in output and "limit" in output and "harness recordings verify" in output
    assert "Traceback" not in output
    assert big not in opened, "replay read the oversized recording"
    capsys.readouterr()
    assert harness_main(["recordings", "verify"]) == 1
    assert f"{path.name}: corrupt:" in capsys.readouterr().out
    assert big not in opened, "`harness recordings verify` read the oversized recording"
    assert harness_main(["recordings", "show", "hello"]) in (0, 2)  # by scenario id: a scan
    assert big not in opened, "`harness recordings show SCENARIO` read the oversized recording"


def test_recording_linked_to_an_endless_device_is_refused(project: Project) -> None:
    """A symlink to /dev/zero (git stores symlinks) has size 0 but never ends."""
    path = install(project, make_recording(BODY, "echo: hello"))
    path.unlink()
    path.symlink_to("/dev/zero")
    limit = 512 * 1024 * 1024  # reading /dev/zero whole dies here instead of eating the host

    def cap_memory() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap_memory,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert path.name in result.stdout and "MemoryError" not in result.stdout, result.stdout


def test_recording_served_under_another_requests_name_is_refused(project: Project) -> None:
    """A file whose request is not the one its name stands for (renamed, or hand-edited) must
    not answer that request: replay would serve another conversation's reply."""
    other = {"model": "m1", "messages": [{"role": "user", "content": "goodbye"}]}
    path = install(project, make_recording(BODY, "echo: hello"))
    path.write_text(make_recording(other, "echo: hello").to_json())
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert path.name in result.stdout.str()


# --- recordings whose __type__ names code ------------------------------------------------------

MARKER_MODULE = "evil_recording_type"
EVIL_TYPES = [
    "os.system",
    "subprocess.Popen",
    "builtins.eval",
    "builtins.exec",
    "builtins.__import__",
    MARKER_MODULE,
    f"{MARKER_MODULE}.Payload",
    f"__import__('{MARKER_MODULE}')",
]


def test_type_field_is_never_imported(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    marker = project.path / "IMPORTED"
    project.write(
        f"{MARKER_MODULE}.py",
        f"""
        from pathlib import Path
        Path({str(marker)!r}).write_text("imported")
        class Payload:
            pass
        """,
    )
    # Control: the module really writes the marker when imported from the project folder.
    subprocess.run([sys.executable, "-c", f"import {MARKER_MODULE}"], cwd=project.path, check=True)
    assert marker.exists()
    marker.unlink()
    project.pytester.syspathinsert(project.path)

    scenarios = ["scenarios:"]
    written = 0
    for number, type_name in enumerate(EVIL_TYPES):
        for stream in (False, True):
            text = f"evil {number} {'streamed' if stream else 'plain'}"
            body = {"model": "m1", "messages": [{"role": "user", "content": text}]}
            if stream:  # a plain step does not set `stream`, so the wire has none
                body["stream"] = True
            scenario = f"evil-{number}-{'stream' if stream else 'plain'}"
            recording = make_recording(body, f"served {text}", stream=stream, scenario=scenario)
            document = recording.to_dict()
            items = document["response"]["body"]
            for item in items if stream else [items]:
                item["__type__"] = type_name
            path = project.path / "recordings" / "fake" / recording.key("fake").filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2))
            written += 1
            scenarios += [
                f"  - id: {scenario}",
                "    steps:",
                f"      - user: {text}",
                *(["        stream: true"] if stream else []),
                f"        expect: [{{equals: 'served {text}'}}]",
            ]
    project.providers(PROVIDERS)
    project.scenario("s.yaml", "\n".join(scenarios) + "\n")
    assert written == len(EVIL_TYPES) * 2

    result = project.pytester.runpytest()
    result.assert_outcomes(passed=written)
    capsys.readouterr()
    assert harness_main(["recordings", "verify"]) == 0
    for path in project.recordings():
        assert harness_main(["recordings", "show", path.name]) == 0
    assert harness_main(["recordings", "show", "evil-0-plain"]) == 0
    assert "served evil 0 plain" in capsys.readouterr().out
    assert not marker.exists()
    assert MARKER_MODULE not in sys.modules


# --- kill -9 during record runs --------------------------------------------------------------

KILLS_PER_LANE = 5  # two lanes (own project folder, own server) run side by side
LANES = 2
KILL_SCENARIOS = 24


def kill_scenarios(count: int = KILL_SCENARIOS) -> str:
    items = [
        f"  - id: k{n:02d}\n    steps:\n      - user: opening {n % 3}\n        stream: true\n"
        f"      - user: follow-up {n}\n        stream: {'true' if n % 2 else 'false'}\n"
        for n in range(count)
    ]
    return "scenarios:\n" + "".join(items)


def record_run(folder: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "FAKE_KEY": "k", **(env or {})},
    )


def temp_files(folder: Path) -> list[Path]:
    return sorted((folder / "recordings").glob("*/.*.tmp"))


def verify(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, list[str]]:
    """``harness recordings verify`` on ``folder``: exit code and problem lines."""
    capsys.readouterr()
    code = harness_main(
        ["recordings", "verify", "--recordings", str(folder / "recordings"), "--providers", "-"]
    )
    lines = capsys.readouterr().out.splitlines()
    return code, [line for line in lines if not line.startswith("checked ")]


def whole_recordings(folder: Path) -> int:
    """Every ``*.json`` parses and is a recording stored under its own request's name."""
    files = sorted((folder / "recordings").glob("*/*.json"))
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        recording = Recording.from_dict(data, source=str(path))
        assert recording.key("fake").filename == path.name, path
    return len(files)


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)


@dataclass
class Lane:
    """One project folder killed again and again, and what was found in it."""

    folder: Path
    server: FakeOpenAI
    seed: int
    mid_run: int = 0
    files_seen: int = 0
    temp_names: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def kill_lane(lane: Lane) -> None:
    rng = random.Random(lane.seed)
    for run in range(KILLS_PER_LANE):
        before = len(lane.server.requests)
        proc = record_run(lane.folder, "--harness-record-mode=rewrite")
        if run % 3 == 2:  # by time: anywhere from start-up to mid-run
            time.sleep(0.4 + rng.random() * 1.0)
        else:  # by progress: just after the k-th request reached the provider
            goal = before + rng.randint(1, KILL_SCENARIOS * 2 - 1)
            wait_for(lambda g=goal: len(lane.server.requests) >= g, proc, 30)  # type: ignore[misc]
            time.sleep(rng.random() * 0.03)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        lane.mid_run += not finished and len(lane.server.requests) > before
        lane.files_seen = whole_recordings(lane.folder)
        lane.temp_names.update(p.name for p in temp_files(lane.folder))
        store = RecordingStore(root=lane.folder / "recordings")
        _checked, problems = maintenance.verify(store, scanner=SecretScanner())
        lane.problems += [str(p) for p in problems if p.kind != "partial-write"]


def test_kill_9_during_record_runs_leaves_no_partial_recording(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    with contextlib.ExitStack() as stack:
        lanes = []
        for number in range(LANES):
            server = stack.enter_context(serve())
            server.chunk_delay = 0.002  # streams take a while: kills land mid-stream too
            folder = project.path / f"lane{number}"
            project.write(f"lane{number}/pytest.ini", "[pytest]\n")
            project.write(f"lane{number}/providers.yaml", server.providers_yaml())
            project.write(f"lane{number}/scenarios/k.yaml", kill_scenarios())
            lanes.append(Lane(folder=folder, server=server, seed=20240607 + number))
        with ThreadPoolExecutor(LANES) as pool:
            for future in [pool.submit(kill_lane, lane) for lane in lanes]:
                future.result()
    for lane in lanes:
        assert lane.problems == []
        assert lane.mid_run >= KILLS_PER_LANE // 2, "the kills did not land while recording"
        assert lane.files_seen > 0
        code, problems = verify(capsys, lane.folder)
        # A kill between the temp file and its rename leaves only the temp file, never a
        # partial recording; verify removes such dead writers' leftovers.
        removed = [
            p for p in problems if p.endswith(": removed the temp file of an interrupted write")
        ]
        assert [p for p in problems if p not in removed] == []
        assert code == 0
        assert temp_files(lane.folder) == []
    with capsys.disabled():  # the figures, for the record (visible with -s)
        print(
            f"\nkill -9 runs: {LANES * KILLS_PER_LANE}, mid-run: {sum(x.mid_run for x in lanes)}, "
            f"recordings: {sum(x.files_seen for x in lanes)}, corrupt: 0, "
            f"temp files left: {sum(len(x.temp_names) for x in lanes)}"
        )


SLOW_FSYNC_CONFTEST = """
import os
import time

if os.environ.get("SLOW_FSYNC"):
    _fsync = os.fsync

    def _slow_fsync(fd):
        time.sleep(float(os.environ["SLOW_FSYNC"]))
        return _fsync(fd)

    os.fsync = _slow_fsync
"""


def test_kill_9_between_temp_file_and_rename_is_cleaned_up_later(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kill inside the atomic write leaves its temp file; a later complete run (or verify)
    must not be left reporting it forever."""
    with serve() as server:
        project.providers(server.providers_yaml())
        project.scenario("k.yaml", kill_scenarios(3))
        project.write("conftest.py", SLOW_FSYNC_CONFTEST)
        folder = project.path
        proc = record_run(folder, "--harness-record-mode=rewrite", env={"SLOW_FSYNC": "30"})
        wait_for(lambda: bool(temp_files(folder)), proc, 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert temp_files(folder), "the kill did not land inside a write"
        assert whole_recordings(folder) == 0  # nothing half-written under a real name
        rerun = record_run(folder, "--harness-record-mode=record-missing")
        assert rerun.wait(timeout=120) == 0
    assert whole_recordings(folder) > 0
    code, problems = verify(capsys, folder)
    assert (code, problems) == (0, []), problems
    assert temp_files(folder) == []
