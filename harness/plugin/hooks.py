"""The pytest plugin: thin hooks that hand off to :class:`~harness.plugin.session.HarnessSession`.

The plugin loads in every pytest run of its environment, so this module imports only pytest and
:mod:`harness.plugin.state`; the session (the ``openai`` SDK, pydantic, syrupy) is imported on
first need. Settings are exposed as overridable fixtures (``harness_settings``,
``harness_runner``); their precedence is documented in :mod:`harness.spec.settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.plugin.app_tests import MARKER
from harness.plugin.state import PluginState
from harness.spec.settings import SCENARIO_DIRS

if TYPE_CHECKING:
    from harness.engine.matrix import Case
    from harness.engine.runner import Runner
    from harness.plugin.app_tests import AppTests
    from harness.spec.settings import Settings

_KEY = pytest.StashKey[PluginState]()
_APP = pytest.StashKey["AppTests"]()


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
        default=list(SCENARIO_DIRS),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = PluginState(config)
    # Plain pytest tests of an application (the llm fixture): see harness.plugin.app_tests.
    config.addinivalue_line("markers", MARKER)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    state = config.stash.get(_KEY, None)
    return None if state is None else state.ignore_collect(collection_path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash[_KEY]
    if not state.is_scenario_file(file_path, parent):
        return None
    return state.session.collect_file(file_path, parent)


# No session yet in the hooks below: no scenario was collected, there is nothing to do.


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "llm" in metafunc.fixturenames:  # a test of an application: harness is needed now
        _app(metafunc.config).parametrize(metafunc)
    session = metafunc.config.stash[_KEY].started
    if session is not None:
        session.collection.parametrize(metafunc)


def pytest_sessionstart(session: pytest.Session) -> None:
    started = session.config.stash[_KEY].started
    if started is not None:
        started.collection.precheck()


@pytest.hookimpl(trylast=True)  # after syrupy has seen every collected item
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session = config.stash[_KEY].started
    if session is not None:
        session.collection.deselect_narrowed(items)


def pytest_deselected(items: list[pytest.Item]) -> None:
    session = items[0].config.stash[_KEY].started if items else None
    if session is not None:
        session.collection.deselected(items)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # before syrupy decides what to delete
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    started = session.config.stash[_KEY].started
    if started is not None:
        started.finish(session)
    return (yield)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = config.stash[_KEY].started
    if session is not None:
        session.summary(terminalreporter)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge a worker's usage of recordings; note a worker that died."""
    node.config.stash[_KEY].session.used.merge_worker(node, error)


@pytest.fixture(scope="session")
def harness_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved harness settings; override this fixture to change them in code (the
    record mode: what collection used must come from an option, the environment or the ini;
    see :mod:`harness.spec.settings`)."""
    return pytestconfig.stash[_KEY].settings


@pytest.fixture(scope="session")
def harness_runner(harness_settings: Settings, pytestconfig: pytest.Config) -> Iterator[Runner]:
    """The runner that owns the SDK clients for this session (or this xdist worker)."""
    from harness.engine.runner import Runner
    from harness.spec.settings import Settings as _Settings  # lazily: plugin load stays cheap

    if not isinstance(harness_settings, _Settings):  # an override's mistake, not a traceback
        pytest.fail(
            f"harness_settings returned {type(harness_settings).__name__}, not a "
            "harness.spec.settings.Settings; return dataclasses.replace(harness_settings, ...)",
            pytrace=False,
        )
    runner = Runner(settings=harness_settings, scanner=pytestconfig.stash[_KEY].session.secrets)
    yield runner
    runner.close()


@pytest.fixture
def harness_run(harness_runner: Runner, request: pytest.FixtureRequest) -> Callable[[Case], Any]:
    """Runs a case and turns harness failures into clean pytest failures (the session adopts
    the runner first: its settings are the run's)."""
    return request.config.stash[_KEY].session.runner_for(harness_runner, request)


@pytest.fixture
def llm(harness_case: Case, harness_runner: Runner, request: pytest.FixtureRequest) -> Any:
    """One matrix column's SDK clients for the application under test, and its inner calls
    (see :class:`harness.engine.llm.LLM`)."""
    return _app(request.config).llm_for(harness_case, harness_runner, request)


def _app(config: pytest.Config) -> AppTests:
    """The Python API's plugin object, created (with the session) on first need."""
    app = config.stash.get(_APP, None)
    if app is None:
        from harness.plugin.app_tests import AppTests

        app = config.stash[_APP] = AppTests(config.stash[_KEY].session)
        config.pluginmanager.register(app, "harness-app-tests")
    return app
