"""ChildServer's lifecycle with a real tiny child process: ready, failures, Ctrl-C, no orphan."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.servers.base import ServerError
from support.tiny_server import TinyServer, TinyServerError, group_gone, wait_for

TESTS = Path(__file__).resolve().parents[2]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_start_waits_until_ready_and_stop_leaves_nothing(tmp_path: Path) -> None:
    with TinyServer(mode="serve", workdir=tmp_path) as server:
        pid, port = server.pid, server.port
        assert pid is not None and server.running
        assert os.getpgid(pid) == pid  # its own process group
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as reply:
            assert b"tiny/model" in reply.read()
        assert server.ready_seconds is not None
    assert server.pid is None and not server.running
    assert group_gone(pid)
    assert not _port_open(port)
    assert server.cleaned == 1
    server.stop()  # a second stop is harmless
    assert server.cleaned == 2
    log = server.log_tail(100)
    assert log.startswith(f"$ {sys.executable} -c")  # the command line heads the log
    assert "tiny server serve on" in log


def test_exit_at_start_is_a_clear_error_with_the_log_tail(tmp_path: Path) -> None:
    server = TinyServer(mode="exit", workdir=tmp_path)
    with pytest.raises(TinyServerError) as caught:
        server.start()
    message = str(caught.value)
    assert message.startswith("tiny server exited with code 3 before it was ready (mode exit); ")
    assert f"log {tmp_path / 'tiny.log'}:" in message
    assert message.endswith("boom: bad config")
    assert isinstance(caught.value, ServerError) and isinstance(caught.value, HarnessError)
    assert server.pid is None
    assert all(group_gone(pid) for pid in server.pids())


def test_never_ready_times_out_and_kills_the_whole_group(tmp_path: Path) -> None:
    server = TinyServer(mode="never", workdir=tmp_path, startup_timeout=1.5)
    started = time.monotonic()
    with pytest.raises(TinyServerError, match=r"^tiny server not ready after 1\.5s \(mode never\)"):
        server.start()
    assert time.monotonic() - started < 10
    (pid,) = server.pids()
    assert group_gone(pid)  # the leader and the grandchild it started
    assert server.pid is None
    assert "tiny server never on" in server.log_tail()


def test_up_but_without_the_model_fails_at_once(tmp_path: Path) -> None:
    server = TinyServer(mode="wrong-model", workdir=tmp_path)
    with pytest.raises(TinyServerError) as caught:
        server.start()
    assert "is up but /v1/models lists ['other/model'], not 'tiny/model' (a test hint)" in str(
        caught.value
    )
    assert group_gone(server.pids()[0])


def test_a_port_taken_at_start_is_retried_on_another(tmp_path: Path) -> None:
    with TinyServer(mode="busy-once", workdir=tmp_path) as server:
        first, second = server.pids()
        assert server.pid == second
        assert group_gone(first)
    assert "Address already in use" in server.log_tail(100)


def test_a_fixed_port_in_use_is_not_retried(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        server = TinyServer(mode="serve", workdir=tmp_path, port=port)
        with pytest.raises(TinyServerError, match="exited with code 1"):
            server.start()
    assert len(server.pids()) == 1
    assert "Address already in use" in server.log_tail()


def test_a_command_that_cannot_run_is_a_server_error(tmp_path: Path) -> None:
    class Missing(TinyServer):
        def launch(self, *, port: int):  # type: ignore[no-untyped-def]
            launch = super().launch(port=port)
            return type(launch)(command=[str(tmp_path / "no-such-binary")], env=launch.env)

    server = Missing(mode="serve", workdir=tmp_path)
    with pytest.raises(TinyServerError, match=r"^cannot run .*no-such-binary"):
        server.start()
    assert server.pid is None


def test_port_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TinyServerError, match="tiny server not started"):
        _ = TinyServer(mode="serve", workdir=tmp_path).base_url


DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from support.tiny_server import TinyServer
    server = TinyServer(mode="never", workdir=Path(sys.argv[1]), startup_timeout=120)
    try:
        with server:
            print("started", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted {server.pids()[0]}", flush=True)
    # Stay alive: a dead parent would have its child killed anyway (PR_SET_PDEATHSIG).
    time.sleep(60)
    """
)


def test_ctrl_c_while_starting_leaves_no_orphan(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        (pid,) = map(int, wait_for(tmp_path / "pids").split())
        time.sleep(0.3)  # the server is waiting on readiness now
        driver.send_signal(signal.SIGINT)
        assert driver.stdout is not None
        assert driver.stdout.readline().split() == ["interrupted", str(pid)]
        assert driver.poll() is None  # the driver lives on: only the start was stopped
        assert group_gone(pid), f"processes left in group {pid} after Ctrl-C while starting"
    finally:
        driver.kill()
        driver.wait()
