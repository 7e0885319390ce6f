"""The pytest plugin: thin hooks that hand off to :class:`~harness.session.HarnessSession`.

Settings are exposed as overridable fixtures (``harness_settings``, ``harness_runner``); their
precedence is documented in :mod:`harness.config`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from .config import Settings
from .matrix import Case
from .runner import Runner
from .session import HarnessSession

_KEY = pytest.StashKey[HarnessSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "harness: LLM conversation scenarios")
    group.addoption(
        "--harness-record-mode",
        choices=["replay", "record-missing", "rewrite", "live"],
        help="replay (default): only from recordings; record-missing: record what is missing; "
        "rewrite: record everything again; live: call providers, record nothing",
    )
    group.addoption("--harness-providers", metavar="PATH", help="providers file")
    group.addoption("--harness-recordings", metavar="DIR", help="recordings folder")
    group.addoption(
        "--harness-models",
        metavar="PATTERNS",
        help="comma-separated provider/model globs narrowing the matrix (openai/gpt-4o,local/*)",
    )
    group.addoption(
        "--harness-report",
        action="append",
        metavar="PATH",
        help="write a run report; format from the extension: .json, .md, .html (repeatable)",
    )
    group.addoption(
        "--harness-allow-record-in-ci",
        action="store_true",
        help="allow record modes when the CI environment variable is set",
    )
    for name, help_text in [
        ("harness_record_mode", "default record mode"),
        ("harness_providers", "providers file (relative to rootdir)"),
        ("harness_recordings", "recordings folder (relative to rootdir)"),
        ("harness_models", "comma-separated provider/model globs narrowing the matrix"),
    ]:
        parser.addini(name, help_text, default="")
    parser.addini(
        "harness_allow_images_outside_rootdir",
        "let steps embed images from outside the rootdir (absolute paths, '..', symlinks)",
        type="bool",
        default=False,
    )
    parser.addini(
        "harness_scenario_dirs",
        "folders (relative to rootdir) whose *.yaml/*.yml files are scenario files",
        type="linelist",
        default=["scenarios"],
    )


def pytest_configure(config: pytest.Config) -> None:
    session = config.stash[_KEY] = HarnessSession(config)
    # These objects receive the hooks that carry no config (pytest_runtest_logreport, ...).
    config.pluginmanager.register(session, "harness-session")
    config.pluginmanager.register(session.reporter, "harness-reporter")
    config.pluginmanager.register(session.ledger, "harness-ledger")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    session = config.stash.get(_KEY, None)
    return None if session is None else session.ignore_collect(collection_path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return parent.config.stash[_KEY].collect_file(file_path, parent)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    metafunc.config.stash[_KEY].parametrize(metafunc)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_KEY].precheck()


@pytest.hookimpl(trylast=True)  # after syrupy has seen every collected item
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_KEY].deselect_narrowed(items)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash[_KEY].deselected(items)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # before syrupy decides what to delete
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    session.config.stash[_KEY].finish(session)
    return (yield)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    config.stash[_KEY].summary(terminalreporter)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge a worker's usage of recordings; note a worker that died."""
    node.config.stash[_KEY].merge_worker(node, error)


@pytest.fixture(scope="session")
def harness_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved harness settings; override this fixture to change them in code."""
    return pytestconfig.stash[_KEY].settings


@pytest.fixture(scope="session")
def harness_runner(harness_settings: Settings, pytestconfig: pytest.Config) -> Iterator[Runner]:
    """The runner that owns the SDK clients for this session (or this xdist worker)."""
    runner = Runner(settings=harness_settings, scanner=pytestconfig.stash[_KEY].secrets)
    yield runner
    runner.close()


@pytest.fixture
def harness_run(harness_runner: Runner, request: pytest.FixtureRequest) -> Callable[[Case], Any]:
    """Runs a case and turns harness failures into clean pytest failures."""
    return request.config.stash[_KEY].runner_for(harness_runner, request)
