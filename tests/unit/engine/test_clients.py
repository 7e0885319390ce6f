"""Tests for harness.engine.clients: the one place a record mode becomes transports."""

from __future__ import annotations

from pathlib import Path

from harness.engine.attempt import Attempt, Plan
from harness.engine.clients import ClientFactory
from harness.replay.store import RecordingStore
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode, Settings

BASE_URL = "https://api.example.test/v1"


def test_the_factory_composes_each_plan(tmp_path: Path) -> None:
    """The plan decides the composition; the record mode only decides the default plan."""
    settings = Settings(record_mode=RecordMode.RECORD_MISSING, recordings_dir=tmp_path)
    factory = ClientFactory(settings=settings, store=RecordingStore(root=tmp_path), env={})
    provider = Provider(id="p", base_url=BASE_URL, models=["m1"])

    def shape(plan: Plan | None) -> list[str]:
        transport = factory.transport(provider, Attempt(plan=plan))
        names = [type(transport).__name__]
        inner = getattr(transport, "inner", None)
        while inner is not None:
            names.append(type(inner).__name__)
            parts = [getattr(inner, "replay", None), getattr(inner, "record", None)]
            names += [type(p).__name__ for p in parts if p is not None]
            inner = getattr(inner, "inner", None)
        return names

    assert shape(None) == shape(Plan.REPLAY_OR_RECORD)
    assert shape(Plan.REPLAY_OR_RECORD) == [
        "Keying", "ReplayOrRecord", "ReplayTransport", "RecordTransport",
    ]  # fmt: skip
    assert shape(Plan.REPLAY) == ["Keying", "ReplayTransport"]
    assert shape(Plan.RECORD) == ["Keying", "RecordTransport", "_Borrowed", "HTTPTransport"]
    assert shape(Plan.LIVE) == ["LiveTransport", "_Borrowed", "HTTPTransport"]
    factory.close()
