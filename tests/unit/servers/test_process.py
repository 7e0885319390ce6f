"""Process-group primitives with real child processes and real signals."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import ConfigError, HarnessError
from harness.servers.process import group_alive, spawn, stop_group
from support.tiny_server import group_gone, members, wait_for

# A leader that starts a helper in its group, reports both pids, and ignores SIGTERM if asked.
LEADER = (
    "import signal, subprocess, sys, time\n"
    "if sys.argv[2] == 'stubborn': signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "helper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
    "open(sys.argv[1], 'w').write(f'{helper.pid}')\n"
    "time.sleep(300)\n"
)


def _leader(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[bytes], int]:
    with (tmp_path / "log").open("ab") as log:
        process = spawn(
            [sys.executable, "-c", LEADER, str(tmp_path / "helper"), mode],
            env=dict(os.environ),
            log=log,
        )
    return process, int(wait_for(tmp_path / "helper"))


def test_spawn_makes_a_group_that_stop_group_ends_whole(tmp_path: Path) -> None:
    process, helper = _leader(tmp_path, "polite")
    assert os.getpgid(process.pid) == process.pid
    assert sorted(members(process.pid)) == sorted([process.pid, helper])
    stop_group(process, timeout=5)
    assert process.returncode == -signal.SIGTERM
    assert group_gone(process.pid)


def test_a_leader_ignoring_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    process, _helper = _leader(tmp_path, "stubborn")
    time.sleep(0.3)  # let it install its SIGTERM handler
    started = time.monotonic()
    stop_group(process, timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert process.returncode == -signal.SIGKILL
    assert group_gone(process.pid)


def test_stop_group_of_an_exited_process_reaps_it(tmp_path: Path) -> None:
    with (tmp_path / "log").open("ab") as log:
        process = spawn([sys.executable, "-c", "pass"], env=dict(os.environ), log=log)
    process.wait()
    stop_group(process, timeout=1)  # no error: nothing left to signal
    assert process.returncode == 0


def test_output_goes_to_the_log(tmp_path: Path) -> None:
    with (tmp_path / "log").open("ab") as log:
        process = spawn(
            [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"],
            env=dict(os.environ),
            log=log,
            cwd=tmp_path,
        )
    assert process.wait(timeout=20) == 0
    assert sorted((tmp_path / "log").read_text().split()) == ["err", "out"]


def test_a_command_that_cannot_run_raises_the_given_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^cannot run .*/nope: "):
        spawn([str(tmp_path / "nope")], env={}, log=io.BytesIO(), error=ConfigError)
    with pytest.raises(HarnessError, match="cannot run"):
        spawn([str(tmp_path)], env={}, log=io.BytesIO())  # a directory


def test_group_alive() -> None:
    assert group_alive(os.getpgid(0))
    process = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    process.wait()
    assert not group_alive(process.pid)
