"""``harness recordings show|verify|import`` on hostile input: one line naming the file and a
non-zero exit, never a Python traceback; nothing written or deleted that should not be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli.main import main as harness_main
from harness.replay.recording import Recording, wrap
from support.project import Project

BODY = {"model": "m1", "messages": [{"role": "user", "content": "hello"}]}


def reply(**changes: Any) -> dict[str, Any]:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": "echo: hello"},
        "finish_reason": "stop",
    }
    choice.update(changes.pop("choice", {}))
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m1",
        "choices": [choice],
        **changes,
    }


def chunk(**choice: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m1",
        "choices": [{"index": 0, "delta": {"content": "echo"}, **choice}],
    }


def save(project: Project, data: Any, *, stream: bool = False, text: str | None = None) -> Path:
    body = {**BODY, "stream": True} if stream else BODY
    recording = Recording(
        test_id="scenarios/s.yaml::hello[txt=fake/m1]",
        method="POST",
        url="http://127.0.0.1:9/v1/chat/completions",
        endpoint="/v1/chat/completions",
        request_body=body,
        response_body=[wrap(d) for d in data] if stream else wrap(data),
        is_streaming=stream,
    )
    path = project.path / "recordings" / "fake" / recording.key("fake").filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else recording.to_json(), encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = harness_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- show ------------------------------------------------------------------------------------

# Replies the SDK's models refuse to validate, though they replay (the SDK does not validate).
UNVALIDATED: dict[str, tuple[bool, Any]] = {
    "finish-reason-exploded": (False, reply(choice={"finish_reason": "exploded"})),
    "created-infinite": (False, reply(created=float("inf"))),
    "created-nan": (False, reply(created=float("nan"))),
    "content-an-object": (False, reply(choice={"message": {"role": "assistant", "content": {}}})),
    "choices-null": (False, reply(choices=None)),
    "chunk-finish-reason-exploded": (True, [chunk(finish_reason="exploded")]),
    "chunk-choices-a-string": (True, [{**chunk(), "choices": "zzz"}]),
    "chunk-delta-a-list": (True, [chunk(delta=["x"])]),
}


@pytest.mark.parametrize("name", list(UNVALIDATED))
def test_show_falls_back_to_the_raw_json_for_replies_the_sdk_cannot_read(
    project: Project, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    stream, data = UNVALIDATED[name]
    path = save(project, data, stream=stream)
    code, out, err = cli(capsys, "recordings", "show", path.name)
    assert code == 0, err
    assert f"# recordings/fake/{path.name}" in out or path.name in out.splitlines()[0], out
    assert "  user: hello" in out
    assert '"model": "m1"' in out or '"model":"m1"' in out, out  # the raw reply


def test_show_of_a_deeply_nested_recording_is_one_error_line(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save(project, reply())
    text = path.read_text().replace('"model": "m1"', '"x": ' + "[" * 3000 + "]" * 3000, 1)
    path.write_text(text)
    code, _out, err = cli(capsys, "recordings", "show", str(path))
    assert code == 2 and path.name in err and "nests deeper than" in err, err


# --- verify ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["missing", "file"])
def test_verify_of_a_folder_that_is_not_there_is_an_error(
    project: Project, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    path = save(project, reply())
    where = str(project.path / "nonexistent") if target == "missing" else str(path)
    code, out, err = cli(capsys, "recordings", "verify", "--recordings", where)
    assert code == 2, out
    assert where in err and "checked 0" not in out, err


def test_verify_deletes_only_temp_files_harness_names(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save(project, reply())
    folder = path.parent
    # A dead writer's leftover: `.<file>.<pid>.<8 random>.tmp`, as write_atomic names them.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    leftover = folder / f".{path.name}.{dead}.abcd_123.tmp"
    leftover.write_text("{")
    live = folder / f".{path.name}.{os.getpid()}.zzzz9999.tmp"  # a write in progress
    live.write_text("{")
    mine = [folder / ".notes.tmp", folder / ".x.json.12.tmp", folder / ".a.b.c.d.tmp"]
    for user_file in mine:
        user_file.write_text("my own file")
    code, out, _ = cli(capsys, "recordings", "verify")
    assert code == 0, out
    assert not leftover.exists() and f"{leftover.name}: removed" in out
    assert live.exists()
    for user_file in mine:
        assert user_file.read_text() == "my own file", user_file


# --- import ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["../../../x", "..", "a/b", "", ".hidden", "x\x00y"])
def test_import_refuses_a_provider_id_that_is_not_an_id(
    project: Project, capsys: pytest.CaptureFixture[str], provider: str
) -> None:
    incoming = project.path / "incoming.json"
    incoming.write_text(json.dumps(json.loads(save(project, reply()).read_text())))
    before = sorted(str(p) for p in project.path.rglob("*"))
    code, _, err = cli(capsys, "recordings", "import", str(incoming), "--provider", provider)
    assert code == 2 and "provider" in err, err
    assert sorted(str(p) for p in project.path.rglob("*")) == before


def test_import_of_a_fifo_says_what_it_is(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = project.path / "pipe.json"
    os.mkfifo(fifo)
    code, _, err = cli(capsys, "recordings", "import", str(fifo), "--provider", "fake")
    assert code == 2 and "not a regular file" in err and "no such file" not in err, err


def test_import_of_a_deeply_nested_file_is_one_error_line(project: Project) -> None:
    incoming = project.path / "deep.json"
    incoming.write_text('{"request": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "recordings",
            "import",
            str(incoming),
            "--provider",
            "fake",
        ],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "deep.json" in done.stderr, done.stderr
    assert not (project.path / "recordings").exists()
