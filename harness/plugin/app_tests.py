"""Plain pytest tests of an application: ``@pytest.mark.harness`` and the ``llm`` fixture.

A test that uses ``llm`` is parametrized over the matrix like a scenario (ids end in
``[txt=<provider>/<model>]``; the marker narrows it with ``models=`` and ``requires=``). Its
items are harness items for everything else: ``--harness-models``, reports, the grid, usage.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.engine.llm import LLM
    from harness.engine.matrix import Case
    from harness.engine.runner import Runner
    from harness.plugin.session import HarnessSession

MARKER = (
    "harness(models=[...], requires=[...]): run this test (which uses the llm fixture) over "
    "the provider matrix, narrowed like a scenario's models: and requires:"
)
_NARROWING = ("models", "requires")


class AppTests:
    """The Python API's share of the run: parametrizing, and each item's inner calls."""

    def __init__(self, session: HarnessSession) -> None:
        self.session = session
        self.llm_key = pytest.StashKey["LLM"]()

    def parametrize(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize a test that uses ``llm`` with its cases (one per column)."""
        if "llm" not in metafunc.fixturenames:
            return
        from harness.engine.matrix import cases_for
        from harness.engine.narrowing import check_scenario
        from harness.errors import LocatedError
        from harness.plugin.verdict import marks
        from harness.spec.scenario import Scenario

        function = metafunc.function
        path = Path(metafunc.definition.path)
        shown = (
            str(path.relative_to(metafunc.config.rootpath))
            if path.is_relative_to(metafunc.config.rootpath)
            else str(path)
        )
        line = function.__code__.co_firstlineno
        narrowing = _narrowing(metafunc.definition.get_closest_marker("harness"), shown, line)
        scenario = Scenario.model_construct(
            id=metafunc.definition.originalname, path=shown, line=line, steps=[], **narrowing
        )
        try:
            check_scenario(scenario, self.session.collection.full_matrix)
            cases = cases_for(scenario, self.session.collection.full_matrix)
        except LocatedError as exc:
            raise pytest.Collector.CollectError(str(exc)) from None
        self.session.used.tracker.test_files.add(shown)  # see maintenance.prune
        params = [pytest.param(case, id=case.id, marks=marks(case)) for case in cases]
        metafunc.parametrize("harness_case", params)

    def llm_for(self, case: Case, runner: Runner, request: pytest.FixtureRequest) -> LLM:
        """The ``llm`` fixture's value for this item."""
        from harness.engine.llm import LLM

        self.session.attach(runner)  # its settings are the run's; its usage feeds `prune`
        llm = LLM(case=case, runner=runner, test_id=request.node.nodeid)
        request.addfinalizer(llm.close)  # at the fixture's teardown: other fixtures may use it
        request.node.stash[self.llm_key] = llm
        return llm

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        """After the test: its transcript for the reports; a miss fails it (even one the
        application caught) with the message naming the test and the call."""
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
        llm = item.stash.get(self.llm_key, None)
        if llm is not None:
            misses = llm.log.misses
            self._keep_transcript(item, llm)
            if misses:
                raise pytest.fail.Exception(misses[0], pytrace=False) from None
        if error is not None:
            raise error

    def _keep_transcript(self, item: pytest.Item, llm: LLM) -> None:
        from harness.engine.llm import calls_usage
        from harness.engine.transcript import Transcript
        from harness.plugin.reporting import TRANSCRIPT
        from harness.spec.settings import RecordMode

        log, mode = llm.log, llm.runner.settings.record_mode
        item.stash[TRANSCRIPT] = Transcript(
            case=llm.case,
            steps=(),
            failure=log.misses[0] if log.misses else None,
            missing=bool(log.misses),
            mode=log.mode(live=mode is RecordMode.LIVE),
            latency=log.latency if mode.reaches_network else None,
            usage=calls_usage(log.calls),
            calls=log.calls,
        )


def _narrowing(marker: pytest.Mark | None, path: str, line: int) -> dict[str, Any]:
    """The marker's ``models=``/``requires=`` as lists; anything else is a collection error."""
    if marker is None:
        return {}
    where = f"{path}:{line}: @pytest.mark.harness"
    if marker.args:
        raise pytest.Collector.CollectError(f"{where} takes keywords only (models=, requires=)")
    out: dict[str, Any] = {}
    for name, value in marker.kwargs.items():
        if name not in _NARROWING:
            raise pytest.Collector.CollectError(
                f"{where}: unknown keyword {name!r} (known: models, requires)"
            )
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise pytest.Collector.CollectError(f"{where}: {name}= takes a string or a list")
        out[name] = list(values)
    return out
