"""Replay is offline: the seed examples pass with every way of opening a socket blocked.

The block is a ``conftest.py`` in the temporary project that, when pytest imports it, replaces
``socket.socket.__init__``, ``socket.socket.connect``, ``socket.create_connection`` and
``socket.getaddrinfo`` with functions that raise. The same block makes a record run fail with
its marker message, which proves it is in force (and the provider is never reached).
"""

from __future__ import annotations

import pytest

from support.fake_openai import serve
from support.project import Project

MARKER = "network blocked by the offline test"
BLOCK_SOCKETS = f"""
import socket


def _blocked(*args, **kwargs):
    raise OSError({MARKER!r})


socket.socket.__init__ = _blocked
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
"""
ARGS = ("-p", "no:cacheprovider", "-p", "no:xdist")  # xdist's execnet would need no socket


def test_seed_examples_replay_with_sockets_blocked(project: Project) -> None:
    project.with_seed_example()
    project.write("conftest.py", BLOCK_SOCKETS)
    result = project.pytester.runpytest_subprocess(*ARGS)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    assert outcomes.get("passed", 0) >= 4 and "failed" not in outcomes and "error" not in outcomes
    assert MARKER not in result.stdout.str()


def test_the_same_block_makes_a_record_run_fail(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.with_seed_example()
    project.write("conftest.py", BLOCK_SOCKETS)
    monkeypatch.setenv("OPENAI_API_KEY", "dummy-key-for-the-offline-test")
    with serve() as server:
        # The seed provider, pointed at a loopback server that would answer if it were reached.
        text = (project.path / "providers.yaml").read_text()
        project.providers(text.replace("https://api.openai.com/v1", server.base_url))
        # record-missing needs a request without recording: the first turn, reworded.
        seeds = project.path / "scenarios" / "seeds.yaml"
        seeds.write_text(seeds.read_text().replace("What is the name", "Say the name"))
        result = project.pytester.runpytest_subprocess(
            *ARGS, "--harness-record-mode=record-missing", "-k", "earth"
        )
        assert server.requests == []
    result.assert_outcomes(failed=1)
    assert MARKER in result.stdout.str()
