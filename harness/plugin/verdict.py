"""A case's pytest outcome: its transcript's failure, a known departure, or its snapshot."""

from __future__ import annotations

import re

import pytest

from harness.engine.matrix import Case
from harness.engine.transcript import Transcript
from harness.outputs.snapshot import snapshot_steps
from harness.plugin.reporting import SNAPSHOT_DIFF, TRANSCRIPT
from harness.plugin.snapshot_ext import TranscriptSnapshot, TranscriptSnapshotExtension
from harness.replay.secrets import SecretScanner

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DepartureFailure(pytest.fail.Exception):  # type: ignore[misc, name-defined]
    """A failed ``expect`` entry: the only failure a column's known departure (strict xfail,
    ``raises=DepartureFailure``) absorbs. Misses, provider errors the step did not expect,
    broken streams and harness errors fail the item even on such a column."""


def marks(case: Case) -> list[pytest.MarkDecorator]:
    """The pytest marks of a case: its skip, and its known departure (a strict xfail)."""
    found = []
    if case.skip_reason:
        found.append(pytest.mark.skip(reason=case.skip_reason))
    if case.xfail_reason:
        found.append(
            pytest.mark.xfail(strict=True, reason=case.xfail_reason, raises=DepartureFailure)
        )
    return found


def judge(
    transcript: Transcript, request: pytest.FixtureRequest, *, scanner: SecretScanner
) -> None:
    """Keep the transcript for the reports; fail the item as it says, else compare its
    snapshot (when the scenario asks for one)."""
    request.node.stash[TRANSCRIPT] = transcript
    if transcript.failure is not None:
        if transcript.departure:
            raise DepartureFailure(transcript.failure, pytrace=False)
        pytest.fail(transcript.failure, pytrace=False)
    steps = snapshot_steps(transcript)
    if not steps:
        return
    snapshot = request.getfixturevalue("snapshot").use_extension(TranscriptSnapshotExtension)
    if snapshot != TranscriptSnapshot(transcript=transcript, steps=steps, scanner=scanner):
        diff = "\n".join(snapshot.get_assert_diff())
        plain = _ANSI.sub("", diff)
        request.node.stash[SNAPSHOT_DIFF] = plain  # the reports' fact, not parsed from text
        shown = diff if request.config.get_terminal_writer().hasmarkup else plain
        pytest.fail(
            f"transcript snapshot differs (--snapshot-update accepts it):\n{shown}",
            pytrace=False,
        )
