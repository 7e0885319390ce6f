"""`harness report merge` validates the reports it loads and names the bad field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

RECORD: dict[str, Any] = {
    "nodeid": "scenarios/a.yaml::greet[txt=p/m]",
    "file": "scenarios/a.yaml",
    "line": 2,
    "scenario": "greet",
    "description": None,
    "tags": ["smoke"],
    "column": "p/m",
    "provider": "p",
    "model": "m",
    "variant": None,
    "outcome": "failed",
    "skip_reason": None,
    "failure": "it broke",
    "duration": 0.1,
    "mode": "replayed",
    "latency": None,
    "usage": {"prompt_tokens": 3, "completion_tokens": 4},
    "steps": [
        {
            "index": 1,
            "sent": [{"role": "user", "content": "hi"}],
            "reply": "hello",
            "tool_calls": [],
            "finish_reason": "stop",
            "error": None,
            "expectations": [{"expectation": "contains: 'x'", "ok": False, "reason": "no"}],
        }
    ],
    "snapshot_diff": None,
}


def merge(tmp_path: Path, record: dict[str, Any], out: str) -> subprocess.CompletedProcess[str]:
    report = tmp_path / "in.json"
    report.write_text(json.dumps({"harness_report": 1, "records": [record]}), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "report", "merge", str(report), "-o", out],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("out", ["out.html", "out.md", "out.json"])
def test_the_valid_record_merges(tmp_path: Path, out: str) -> None:
    done = merge(tmp_path, RECORD, out)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / out).exists()


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("line", "<script>", "records[0].line"),
        ("tags", 5, "records[0].tags"),
        ("outcome", ["failed"], "records[0].outcome"),
        ("steps", "abc", "records[0].steps"),
        ("usage", "abc", "records[0].usage"),
        ("steps", [{"sent": "x"}], "records[0].steps[0].sent"),
        ("steps", [{"expectations": [{"ok": "yes"}]}], "records[0].steps[0].expectations[0].ok"),
    ],
)
@pytest.mark.parametrize("out", ["out.html", "out.md"])
def test_a_bad_field_is_named_in_one_line(
    tmp_path: Path, field: str, value: object, where: str, out: str
) -> None:
    done = merge(tmp_path, {**RECORD, field: value}, out)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert f"in.json: not a valid harness report: {where}: " in line
    assert not (tmp_path / out).exists()


def test_deeply_nested_report_is_one_line(tmp_path: Path) -> None:
    report = tmp_path / "in.json"
    report.write_text('{"harness_report": 1, "records": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "report", "merge", str(report), "-o", "o.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
