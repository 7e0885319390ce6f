"""Tests for harness.replay.transports.context: a frozen input and an append-only log."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from harness.replay.transports import CallLog, CallScope
from harness.util.httplib import httpx


def request(text: str) -> httpx.Request:
    return httpx.Request("POST", "https://x.test/v1/chat/completions", json={"q": text})


@pytest.mark.parametrize("field", ["test_id", "record_hint", "scope", "shared_fallback", "where"])
def test_what_the_runner_tells_the_transports_cannot_be_changed(field: str) -> None:
    """No flag can be set on a case's input once its transports hold it."""
    scope = CallScope(test_id="t", scope="s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(scope, field, "changed")
    assert (scope.test_id, scope.scope) == ("t", "s")


@pytest.mark.parametrize(
    "name", ["calls", "misses", "replayed", "recorded", "latency", "last_source"]
)
def test_what_the_transports_tell_the_runner_is_only_appended(name: str) -> None:
    log = CallLog()
    with pytest.raises(AttributeError):
        setattr(log, name, 1)


def test_the_log_counts_answers_and_keeps_the_last_source() -> None:
    log = CallLog()
    assert (log.calls, log.misses, log.last_source) == ((), (), None)
    assert log.mode(live=False) == "replayed"
    log.requested()
    log.answered(request("a"), status=200, content=b"{}", stream=False, how="replayed",
                 source=Path("a.json"))  # fmt: skip
    assert log.last_source == Path("a.json")
    log.requested()
    assert log.last_source is None  # the request on its way has no answer yet
    log.answered(request("b"), status=200, content=b"{}", stream=False, how="recorded",
                 source=Path("b.json"))  # fmt: skip
    log.waited(0.25)
    log.waited(0.5)
    log.missed("no recording for c")
    assert (log.replayed, log.recorded, log.latency) == (1, 1, 0.75)
    assert [c.request for c in log.calls] == [{"q": "a"}, {"q": "b"}]
    assert log.misses == ("no recording for c",)
    assert log.mode(live=False) == "recorded" and log.mode(live=True) == "live"


def test_one_case_may_append_from_several_threads() -> None:
    """An async application's network waits run in threads: nothing appended is lost."""
    log = CallLog()

    def append(n: int) -> None:
        for i in range(200):
            log.answered(request(f"{n}-{i}"), status=200, content=b"{}", stream=False,
                         how="recorded")  # fmt: skip
            log.waited(0.001)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.calls) == log.recorded == 800
    assert log.latency == pytest.approx(0.8)
