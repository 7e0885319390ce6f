"""A case's marks: its skip, and its known departure as a strict xfail only a failed
expectation satisfies."""

from __future__ import annotations

from typing import Any

from harness.engine.matrix import Case, columns
from harness.plugin.verdict import DepartureFailure, marks
from harness.spec.providers import Provider
from harness.spec.scenario import Scenario, Step

COLUMN = columns([Provider(id="p", base_url="http://127.0.0.1:9/v1", models=["m"])])[0]


def case(**fields: Any) -> Case:
    return Case(scenario=Scenario(id="s", steps=[Step(user="hi")]), column=COLUMN, **fields)


def test_a_plain_case_has_no_marks() -> None:
    assert marks(case()) == []


def test_a_skipped_case_is_marked_skip_with_its_reason() -> None:
    (mark,) = marks(case(skip_reason="lacks capability vision"))
    assert mark.name == "skip" and mark.kwargs == {"reason": "lacks capability vision"}


def test_a_known_departure_is_a_strict_xfail_raised_only_by_departures() -> None:
    (mark,) = marks(case(xfail_reason="known: says Mars"))
    assert mark.name == "xfail"
    assert mark.kwargs == {"strict": True, "reason": "known: says Mars", "raises": DepartureFailure}
