"""Shared fixtures for harness's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# pytester's in-process runs drop the modules a run imported once it ends, and PyYAML's C
# extension breaks when imported again ("could not determine a constructor"). The plugin loads
# the session only when a scenario is collected, so import it here, once, for every inner run.
import harness.plugin.session  # noqa: F401
from support.fake_openai import FakeOpenAI, serve
from support.project import Project


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A loopback OpenAI-style server (for record tests and fault injection)."""
    with serve() as server:
        yield server


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty harness project in a temp folder; harness env variables cleared."""
    names = ["HARNESS_RECORD_MODE", "HARNESS_PROVIDERS", "HARNESS_RECORDINGS", "HARNESS_MODELS"]
    # CI changes record-mode rules; the xdist variables would make inner runs act as workers.
    names += ["CI", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"]
    for name in names:
        monkeypatch.delenv(name, raising=False)
    return Project(pytester)
