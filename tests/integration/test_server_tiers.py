"""A live tier's session fixture (harness.plugin.server_fixtures) in a real pytest run.

A missing tier skips, or fails when required (never a pass); a server that dies at start
errors every test that needs it, with its log; a failed test shows the server's log tail; the
server is stopped at session end, its process group gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.tiny_server import group_gone

TESTS_ROOT = Path(__file__).resolve().parents[1]

CONFTEST = """
import os
from pathlib import Path

import pytest

from harness.plugin.server_fixtures import makereport_hook, require_tier, serve
from support.tiny_server import TinyServer


@pytest.fixture(scope="session")
def tiny_server(request, tmp_path_factory):
    require_tier(os.environ.get("TINY_MISSING"), tier="tiny tier", require_env="TINY_REQUIRED")
    workdir = tmp_path_factory.mktemp("tiny")
    mode = os.environ.get("TINY_MODE", "serve")
    server = TinyServer(mode=mode, workdir=workdir, startup_timeout=120)
    Path(os.environ["TINY_PIDS"]).write_text(str(server.pidfile))
    yield from serve(request.config, server, fixture="tiny_server", logs=[("tiny log", server)])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    return (yield from makereport_hook(item))
"""

TESTS = """
def test_ok(tiny_server):
    assert tiny_server.running


def test_fails(tiny_server):
    assert tiny_server.port == -1


def test_no_server():
    assert True


def test_slow(tiny_server):
    import os, time
    open(os.environ["TINY_PIDS"] + ".running", "w").close()
    time.sleep(120)
"""


@pytest.fixture
def tier(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("TINY_MISSING", "TINY_REQUIRED", "TINY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TINY_PIDS", str(pytester.path / "pidfile-path"))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_tier=TESTS)
    return pytester


def _server_pids(pytester: pytest.Pytester) -> list[int]:
    pidfile = Path((pytester.path / "pidfile-path").read_text())
    return [int(pid) for pid in pidfile.read_text().split()]


def test_a_working_server_serves_the_session_then_stops(tier: pytest.Pytester) -> None:
    result = tier.runpytest("-p", "no:cacheprovider", "-rA", "-k", "not slow")
    result.assert_outcomes(passed=2, failed=1)
    (pid,) = _server_pids(tier)  # one server for the whole session
    assert group_gone(pid)
    text = result.stdout.str()
    # The failed test's report carries the log section; the passing ones do not.
    assert text.count("- tiny log -") == 1
    assert "tiny server serve on" in text


def test_a_missing_tier_skips(tier: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINY_MISSING", "no tiny binary (install it)")
    result = tier.runpytest("-p", "no:cacheprovider", "-rs", "-k", "not slow")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*tiny tier: no tiny binary (install it)*"])


def test_a_required_missing_tier_fails_never_skips(
    tier: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINY_MISSING", "no tiny binary (install it)")
    monkeypatch.setenv("TINY_REQUIRED", "1")
    result = tier.runpytest("-p", "no:cacheprovider", "-k", "not slow")
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*tiny tier: no tiny binary (install it) (TINY_REQUIRED=1: the tier is required)*"]
    )


def test_a_server_that_dies_at_start_errors_its_tests_with_its_log(
    tier: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINY_MODE", "exit")
    result = tier.runpytest("-p", "no:cacheprovider", "-k", "not slow")
    result.assert_outcomes(passed=1, errors=2)
    text = result.stdout.str()
    assert "TinyServerError: tiny server exited with code 3 before it was ready" in text
    assert "boom: bad config" in text
    assert "- tiny log -" in text
    assert all(group_gone(pid) for pid in _server_pids(tier))


def _interrupt(tier: pytest.Pytester, *args: str, when: Callable[[], bool]) -> int:
    """Run pytest in a real subprocess, SIGINT it once ``when()`` holds; its exit code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_ROOT), *sys.path])}
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tier.path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not when():
            assert time.monotonic() < deadline and run.poll() is None, "never got there"
            time.sleep(0.05)
        time.sleep(0.3)
        run.send_signal(signal.SIGINT)
        return run.wait(timeout=60)
    finally:
        run.kill()
        run.wait()


def _server_started(tier: pytest.Pytester) -> bool:
    try:
        return bool(_server_pids(tier))
    except OSError:  # the fixture has not named the pid file yet, or it is not written
        return False


def test_ctrl_c_of_pytest_while_the_server_starts_leaves_nothing(
    tier: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINY_MODE", "never")  # starts a grandchild, then never answers
    code = _interrupt(tier, "-k", "test_ok", when=lambda: _server_started(tier))
    assert code == pytest.ExitCode.INTERRUPTED
    (pid,) = _server_pids(tier)
    assert group_gone(pid)


def test_ctrl_c_of_pytest_while_a_test_runs_stops_the_server(tier: pytest.Pytester) -> None:
    running = tier.path / "pidfile-path.running"
    code = _interrupt(tier, "-k", "test_slow", when=running.exists)
    assert code == pytest.ExitCode.INTERRUPTED
    (pid,) = _server_pids(tier)
    assert group_gone(pid)
