"""Property-based fuzzing of report loading (``harness report merge``).

Property: a report file with any content either loads — and then renders to every format — or
fails with one :class:`~harness.errors.HarnessError`, within a time and memory bound.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harness.outputs.html import render_html
from harness.outputs.report import load_report, render_json, render_markdown
from support.fuzz import only_harness_errors

RECORD: dict[str, Any] = {
    "nodeid": "scenarios/a.yaml::greet[txt=p/m]",
    "file": "scenarios/a.yaml",
    "line": 2,
    "scenario": "greet",
    "description": "says hi",
    "tags": ["smoke"],
    "column": "p/m",
    "provider": "p",
    "model": "m",
    "variant": "stream",
    "outcome": "failed",
    "skip_reason": None,
    "failure": "it broke",
    "duration": 0.1,
    "mode": "replayed",
    "latency": 0.5,
    "usage": {"prompt_tokens": 3, "completion_tokens": 4},
    "steps": [
        {
            "index": 1,
            "sent": [{"role": "user", "content": "hi"}],
            "reply": "hello",
            "tool_calls": [{"name": "f", "arguments": {"a": 1}}],
            "finish_reason": "stop",
            "error": {"status": 500, "message": "boom"},
            "expectations": [{"expectation": "contains: 'x'", "ok": False, "reason": "no"}],
        }
    ],
    "snapshot_diff": "- a\n+ b",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=15,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (dict keys and list indexes)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


PATHS = paths_of(RECORD)[1:]


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(copy[path[0]], path[1:], new)
    return copy


def check(text: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.json"
        path.write_bytes(text)

        def run() -> None:
            records = load_report(path)
            render_json(records)
            render_markdown(records)
            render_html(records)

        only_harness_errors(run, located=False)


@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=4))
def test_fuzz_records_with_fields_replaced(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    record: Any = RECORD
    for path, value in changes:
        try:
            record = replaced(record, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed that path
    check(json.dumps({"harness_report": 1, "records": [record, RECORD]}).encode())


@given(json_values)
def test_fuzz_arbitrary_documents(document: Any) -> None:
    check(json.dumps(document).encode())


@given(st.binary(max_size=64), st.integers(0, 2000))
def test_fuzz_mutated_bytes(noise: bytes, at: int) -> None:
    text = json.dumps({"harness_report": 1, "records": [RECORD]}).encode()
    check(text[:at] + noise + text[at + len(noise) :])
