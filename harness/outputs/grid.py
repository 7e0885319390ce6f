"""The grid every report format shares: rows are scenarios (one per variant), columns are
``provider/model`` column ids, cells are records. A column's pass rate counts passed items over
passed, failed, error and missing-recording ones: skipped items and cells not run do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

Record = dict[str, Any]
RowKey = tuple[str, str, "str | None"]  # file, scenario, variant
SKIP = "\u2013"  # en dash
MARKS = {
    "passed": "✓",
    "failed": "✗",
    "skipped": SKIP,
    "xfailed": "x",  # a column's known departure (strict xfail), failing as expected
    "missing": "?",
    "error": "E",
    "crashed": "C",  # its xdist worker died while running it
}
NOT_RUN = "·"
LEGEND = (
    f"✓ pass  ✗ fail  {SKIP} skip  x known failure  ? missing recording  E error  "
    "C crashed  · not run"
)


@dataclass(frozen=True)
class Row:
    """One scenario (one per variant) of the grid; ``label`` names it unambiguously."""

    file: str
    scenario: str
    variant: str | None
    label: str
    tags: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class PassRate:
    """Passed items over counted ones (skipped items and cells not run are not counted)."""

    passed: int
    counted: int

    def __str__(self) -> str:
        if not self.counted:
            return SKIP
        return f"{self.passed}/{self.counted} {100 * self.passed // self.counted}%"


@dataclass(frozen=True)
class Grid:
    """Scenarios by columns; ``cells`` maps (row, column) to a record, absent when not run."""

    rows: tuple[Row, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[Row, str], Record]

    def outcome(self, row: Row, column: str) -> str | None:
        """The cell's outcome (None when not run)."""
        record = self.cells.get((row, column))
        return None if record is None else str(record.get("outcome"))

    def pass_rate(self, column: str) -> PassRate:
        """The column's pass rate over all rows."""
        outcomes = [self.outcome(row, column) for row in self.rows]
        counted = [o for o in outcomes if o is not None and o != "skipped"]
        return PassRate(passed=counted.count("passed"), counted=len(counted))


def grid(records: Iterable[Mapping[str, Any]]) -> Grid:
    """The grid of ``records``: rows in scenario-file order, columns sorted by id (naturally)."""
    lines: dict[RowKey, int] = {}
    tags: dict[RowKey, set[str]] = {}
    cells: dict[tuple[RowKey, str], Record] = {}
    for record in sorted_records(records):
        key = (str(record.get("file") or ""), str(record.get("scenario")), record.get("variant"))
        lines.setdefault(key, int(record.get("line") or 0))
        tags.setdefault(key, set()).update(record.get("tags") or ())
        cells[key, str(record.get("column"))] = record
    files_of: dict[str, set[str]] = {}
    for file, scenario, _ in lines:
        files_of.setdefault(scenario, set()).add(file)
    rows: dict[RowKey, Row] = {}
    for key in sorted(lines, key=lambda k: (k[0], lines[k], k[1], k[2] or "")):
        file, scenario, variant = key
        label = f"{file}::{scenario}" if len(files_of[scenario]) > 1 else scenario
        label += f" [{variant}]" if variant else ""
        rows[key] = Row(file, scenario, variant, label, tuple(sorted(tags[key])), lines[key])
    return Grid(
        rows=tuple(rows.values()),
        columns=tuple(sorted({column for _, column in cells}, key=_natural)),
        cells={(rows[key], column): record for (key, column), record in cells.items()},
    )


def _natural(text: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", text)]


def sorted_records(records: Iterable[Mapping[str, Any]]) -> list[Record]:
    """Copies of ``records`` sorted by node id (a record without one is a HarnessError)."""
    return sorted((dict(record) for record in records), key=_nodeid)


def _nodeid(record: Mapping[str, Any]) -> str:
    nodeid = record.get("nodeid")
    if not isinstance(nodeid, str):
        raise HarnessError(f"report record without a 'nodeid': {str(dict(record))[:200]}")
    return nodeid


def summarize(records: Iterable[Mapping[str, Any]]) -> str:
    """``6 items: 3 passed, 1 failed, 1 skipped, 1 missing recording`` (zero counts left out)."""
    outcomes = [str(r.get("outcome")) for r in records]
    counts = [
        f"{outcomes.count(o)} {o}"
        for o in ("passed", "failed", "error", "crashed", "skipped", "xfailed")
    ]
    missing = outcomes.count("missing")
    counts.append(f"{missing} missing recording{'s' * (missing != 1)}")
    shown = [c for c in counts if not c.startswith("0 ")]
    noun = "item" if len(outcomes) == 1 else "items"
    return f"{len(outcomes)} {noun}" + (f": {', '.join(shown)}" if shown else "")
