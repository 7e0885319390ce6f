"""The local model tier, live: the tiny model built here, served by ``transformers serve``
on loopback, and talked to through the real ``openai`` SDK."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.plugin import localmodel_fixtures as fixtures_module
from harness.plugin import server_fixtures
from harness.plugin.localmodel_fixtures import require_local_model_tier
from harness.servers.localmodel import (
    GREETING,
    IDENTITY,
    MODEL_ID,
    TRAINED_DIALOGUES,
    WEATHER_ANSWER,
    WEATHER_CALL,
    WEATHER_TOOL_RESULT,
    LocalModelServer,
    LocalModelServerError,
    TrainedDialogue,
    build_tiny_model,
    cache,
    recipe,
    snapshot_dir,
)

openai = pytest.importorskip("openai")

TEXT_DIALOGUES = [d for d in TRAINED_DIALOGUES if not d.reply.tool_calls]


@pytest.fixture(scope="module")
def client(local_model_server: LocalModelServer) -> Any:
    return openai.OpenAI(base_url=local_model_server.base_url, api_key="none", max_retries=0)


def _request(dialogue: TrainedDialogue) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"model": MODEL_ID, "messages": dialogue.openai_messages()}
    if dialogue.tools:
        kwargs["tools"] = dialogue.openai_tools()
    return kwargs


def _stream(client: Any, dialogue: TrainedDialogue) -> tuple[str, dict[int, dict[str, str]], str]:
    """Joined content deltas, tool calls assembled by index, and the finish reason."""
    content: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    finish = ""
    for chunk in client.chat.completions.create(stream=True, **_request(dialogue)):
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                content.append(delta.content)
            for call in delta.tool_calls or []:
                slot = calls.setdefault(call.index, {"name": "", "arguments": ""})
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["arguments"] += call.function.arguments or ""
            if choice.finish_reason:
                finish = choice.finish_reason
    return "".join(content), calls, finish


# ----- the served model -----


def test_models_lists_the_tiny_model(client: Any) -> None:
    (model,) = [m for m in client.models.list() if m.id == MODEL_ID]
    assert model.owned_by == "local"
    assert model.created == cache.BLOB_MTIME  # fixed, so listings replay alike


@pytest.mark.parametrize("dialogue", TEXT_DIALOGUES, ids=lambda d: d.name)
def test_trained_reply(client: Any, dialogue: TrainedDialogue) -> None:
    reply = client.chat.completions.create(**_request(dialogue))
    choice = reply.choices[0]
    assert choice.message.content == dialogue.reply.content
    assert choice.finish_reason == "stop"
    assert not choice.message.tool_calls
    assert reply.model == f"{MODEL_ID}@main"


@pytest.mark.parametrize("dialogue", TEXT_DIALOGUES, ids=lambda d: d.name)
def test_trained_reply_streamed(client: Any, dialogue: TrainedDialogue) -> None:
    content, calls, finish = _stream(client, dialogue)
    assert content == dialogue.reply.content
    assert calls == {}
    assert finish == "stop"


def test_tool_call(client: Any) -> None:
    choice = client.chat.completions.create(**_request(WEATHER_CALL)).choices[0]
    assert choice.finish_reason == "tool_calls"
    assert not choice.message.content
    (call,) = choice.message.tool_calls
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_tool_call_streamed(client: Any) -> None:
    content, calls, finish = _stream(client, WEATHER_CALL)
    assert content == ""
    assert finish == "tool_calls"
    assert list(calls) == [0]
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris"}


def test_tool_round_trip_with_the_servers_call_id(client: Any) -> None:
    first = client.chat.completions.create(**_request(WEATHER_CALL)).choices[0].message
    (call,) = first.tool_calls
    messages = [
        *WEATHER_CALL.openai_messages(),
        first.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": WEATHER_TOOL_RESULT},
    ]
    follow = client.chat.completions.create(
        model=MODEL_ID, messages=messages, tools=WEATHER_CALL.openai_tools()
    )
    assert follow.choices[0].message.content == WEATHER_ANSWER.reply.content


def test_identical_requests_get_identical_replies(client: Any) -> None:
    for dialogue in (IDENTITY, WEATHER_CALL):
        first, second = (client.chat.completions.create(**_request(dialogue)) for _ in range(2))
        assert first.choices[0].message.content == second.choices[0].message.content
        calls = [
            [(c.function.name, c.function.arguments) for c in r.choices[0].message.tool_calls or []]
            for r in (first, second)
        ]
        assert calls[0] == calls[1]
        assert first.usage == second.usage


def test_responses_api(client: Any) -> None:
    plain = client.responses.create(model=MODEL_ID, input="Hello!", stream=False)
    assert plain.output_text == GREETING.reply.content
    events = client.responses.create(model=MODEL_ID, input="Hello!", stream=True)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == GREETING.reply.content
    system = IDENTITY.messages[0].content
    user = IDENTITY.messages[1].content
    identity = client.responses.create(
        model=MODEL_ID, instructions=system, input=user, stream=False
    )
    assert identity.output_text == IDENTITY.reply.content


# ----- the build -----


def _sha256_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_build_is_deterministic_and_cached(tmp_path: Path) -> None:
    require_local_model_tier()
    homes = [tmp_path / "a", tmp_path / "b"]
    code = (
        "import sys; from pathlib import Path; "
        "from harness.servers.localmodel import build_tiny_model; "
        "print(build_tiny_model(hf_home=Path(sys.argv[1])))"
    )
    # Two fresh processes at once: each trains on one thread.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(home)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home in homes
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.strip() == MODEL_ID
    snapshots = [snapshot_dir(hf_home=home) for home in homes]
    assert snapshots[0].name == snapshots[1].name == cache.build_key()
    trees = [_sha256_tree(s) for s in snapshots]
    assert "model.safetensors" in trees[0]
    assert trees[0] == trees[1]

    # Hub-cache layout: refs/main names the snapshot, whose files link into blobs/.
    repo = snapshots[0].parent.parent
    assert repo.name == "models--local--tiny-chat"
    assert (repo / "refs" / "main").read_text() == snapshots[0].name
    for link in snapshots[0].iterdir():
        assert link.is_symlink()
        assert link.resolve().parent == (repo / "blobs").resolve()

    # A second build with the same inputs touches nothing (a build replaces refs/main and
    # the snapshot folder, so their inodes would change).
    def state() -> list[int]:
        paths = [repo / "refs" / "main", snapshots[0], *sorted(repo.rglob("*"))]
        return [os.lstat(p).st_ino for p in paths] + [os.lstat(p).st_mtime_ns for p in paths]

    before = state()
    start = time.monotonic()
    assert build_tiny_model(hf_home=homes[0]) == MODEL_ID
    assert time.monotonic() - start < 1.0
    assert state() == before


def test_build_without_torch_names_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(recipe, "missing_requirements", lambda: ("torch",))
    with pytest.raises(ConfigError, match=r"pip install 'pytest-llm-harness\[local\]'"):
        build_tiny_model(hf_home=tmp_path)


# ----- the server process -----


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def built_hf_home(local_model_server: LocalModelServer) -> Iterator[Path]:
    # The session's build; the session server is left alone.
    yield snapshot_dir(hf_home=local_model_server.hf_home).parents[3]


def test_stop_leaves_no_process(built_hf_home: Path, tmp_path: Path) -> None:
    with LocalModelServer(hf_home=built_hf_home, log_path=tmp_path / "s.log") as server:
        pid, port = server.pid, server.port
        assert pid is not None and server.running
        assert _port_open(port)
    assert server.pid is None and not server.running
    assert _gone(pid)
    assert not _port_open(port)
    server.stop()  # a second stop is harmless
    assert "Uvicorn running" in server.log_tail(100)


def test_start_failure_reports_the_log(tmp_path: Path) -> None:
    require_local_model_tier()
    server = LocalModelServer(hf_home=tmp_path / "empty", log_path=tmp_path / "s.log")
    with pytest.raises(LocalModelServerError, match="exited with code") as info:
        server.start()
    message = str(info.value)
    assert "local/tiny-chat" in message
    assert "OSError" in message  # from the log tail: the model is not in that cache
    assert server.pid is None


# ----- the report hook -----


def _run_hook(item: Any, report: Any) -> Any:
    hook = fixtures_module.pytest_runtest_makereport(item, None)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(StopIteration) as done:
        hook.send(report)
    return done.value.value


def test_failed_test_report_carries_the_server_log(tmp_path: Path) -> None:
    log = tmp_path / "s.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    server = LocalModelServer(hf_home=tmp_path, log_path=log)
    config = SimpleNamespace(stash=pytest.Stash())
    config.stash[server_fixtures._LOGS] = {
        "local_model_server": [(fixtures_module.LOG_SECTION, server)]
    }
    item = SimpleNamespace(fixturenames=["local_model_server"], config=config)

    failed = SimpleNamespace(failed=True, sections=[])
    assert _run_hook(item, failed) is failed
    _run_hook(item, failed)  # registered twice: still one section
    ((title, tail),) = failed.sections
    assert title == fixtures_module.LOG_SECTION
    assert tail.splitlines() == [f"line {i}" for i in range(40, 100)]

    passed = SimpleNamespace(failed=False, sections=[])
    _run_hook(item, passed)
    assert passed.sections == []
    other = SimpleNamespace(fixturenames=["tmp_path"], config=item.config)
    _run_hook(other, failed := SimpleNamespace(failed=True, sections=[]))
    assert failed.sections == []
