"""What the live tiers' session fixtures share: require the tier, serve, show the logs.

:mod:`harness.plugin.localmodel_fixtures` and :mod:`harness.plugin.llamastack_fixtures` are
thin users of this module. A tier missing from the environment *skips* the tests that need
it, unless the tier's ``HARNESS_REQUIRE_*`` variable is ``1`` (as in harness's own CI and
tests/live), where it *fails* them: a missing tier is never counted as a pass there.

Servers are per pytest process: under pytest-xdist each worker starts its own, on its own
port, so a worker never depends on another one staying alive.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import TypeVar

import pytest

from harness.servers.base import ChildServer

Server = TypeVar("Server", bound=ChildServer)

LOG_LINES = 60
"""How many lines of each server's log a failed test's report shows."""

_LOGS = pytest.StashKey[dict[str, list[tuple[str, ChildServer]]]]()
"""Fixture name -> the (report section title, server) pairs whose logs a failure shows."""


def require_tier(problem: str | None, *, tier: str, require_env: str) -> None:
    """Skip the calling test when ``problem`` says the tier is missing; fail it if required.

    Args:
        problem: why the tier cannot run here, ``None`` when it can.
        tier: the tier's name in the message.
        require_env: the variable that, set to ``1``, turns the skip into a failure.
    """
    if problem is None:
        return
    message = f"{tier}: {problem}"
    if os.environ.get(require_env) == "1":
        pytest.fail(f"{message} ({require_env}=1: the tier is required)", pytrace=False)
    pytest.skip(message)


def serve(
    config: pytest.Config,
    server: Server,
    *,
    fixture: str,
    logs: list[tuple[str, ChildServer]],
) -> Iterator[Server]:
    """Start ``server`` for a session fixture named ``fixture``, yield it, always stop it.

    ``logs`` are the (section title, server) pairs whose log tails a failed test that used
    ``fixture`` gets in its report (``server`` itself among them, as a rule). They are
    registered before the start, so a test failing on a server that did not come up still
    shows its log.
    """
    config.stash.setdefault(_LOGS, {})[fixture] = logs
    with server:
        yield server


def attach_logs(item: pytest.Item, report: pytest.TestReport) -> None:
    """Add the server log tails a failed ``report`` of ``item`` should carry, once each."""
    if not report.failed:
        return
    registered = item.config.stash.get(_LOGS, {})
    titles = {title for title, _ in report.sections}
    for fixture in getattr(item, "fixturenames", ()):
        for title, server in registered.get(fixture, ()):
            tail = server.log_tail(LOG_LINES)
            # The hook may be registered twice (a conftest and a plugin): one section each.
            if tail and title not in titles:
                report.sections.append((title, tail))
                titles.add(title)


def makereport_hook(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The body of a ``pytest_runtest_makereport`` wrapper that calls :func:`attach_logs`."""
    report = yield
    attach_logs(item, report)
    return report
