"""The matrix at a glance: per-item records of a run, merged across shards and rendered.

A *record* is the JSON-serializable dict of one test item (scenario, column, outcome, failure
text, transcript). A report document is ``{"harness_report": 1, "records": [...]}`` with the
records sorted by node id and no timestamps, so merging the reports of xdist shards gives exactly
the report of a full run, durations aside (compare them with :func:`without_timings`).

:func:`grid` is the model every format shares: rows are scenarios (one per variant), columns are
``provider/model`` column ids, cells are records. A column's pass rate counts passed items over
passed, failed, error and missing-recording ones: skipped items and cells not run do not count.
"""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import HarnessError
from .store import write_atomic

Record = dict[str, Any]
REPORT_VERSION = 1
MARKS = {"passed": "✓", "failed": "✗", "skipped": "–", "missing": "?", "error": "E"}
NOT_RUN = "·"
LEGEND = "✓ pass  ✗ fail  – skip  ? missing recording  E error  · not run"
PROBLEMS = ("failed", "error", "missing")
TIMINGS = ("duration", "latency")
FORMATS = (".json", ".md", ".html")
_EMOJI = {"passed": "✅", "failed": "❌", "skipped": "➖", "missing": "❓", "error": "💥"}
_MAX_MD_TEXT = 4000  # a failure text longer than this is cut in markdown (PR comments are small)


@dataclass(frozen=True)
class Row:
    """One scenario (one per variant) of the grid; ``label`` names it unambiguously."""

    file: str
    scenario: str
    variant: str | None
    label: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PassRate:
    """Passed items over counted ones (skipped items and cells not run are not counted)."""

    passed: int
    counted: int

    def __str__(self) -> str:
        if not self.counted:
            return "–"
        return f"{self.passed}/{self.counted} {100 * self.passed // self.counted}%"


@dataclass(frozen=True)
class Grid:
    """Scenarios × columns; a cell is the record of that item, or absent when not run."""

    rows: tuple[Row, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[Row, str], Record]

    def cell(self, row: Row, column: str) -> Record | None:
        """The record of ``row`` in ``column`` (None when that combination was not run)."""
        return self.cells.get((row, column))

    def outcome(self, row: Row, column: str) -> str | None:
        """The cell's outcome (None when not run)."""
        record = self.cell(row, column)
        return None if record is None else str(record.get("outcome"))

    def pass_rate(self, column: str) -> PassRate:
        """The column's pass rate over all rows."""
        outcomes = [self.outcome(row, column) for row in self.rows]
        counted = [o for o in outcomes if o is not None and o != "skipped"]
        return PassRate(passed=counted.count("passed"), counted=len(counted))


def provider_of(column: str) -> str:
    """The provider id of a ``provider/model`` column id."""
    return column.partition("/")[0]


def grid(records: Iterable[Mapping[str, Any]]) -> Grid:
    """The grid of ``records``: rows in scenario-file order, columns sorted by id."""
    found: dict[tuple[str, str, str | None], tuple[int, set[str]]] = {}
    cells: dict[tuple[tuple[str, str, str | None], str], Record] = {}
    for record in sorted_records(records):
        key = (str(record.get("file") or ""), str(record.get("scenario")), record.get("variant"))
        found.setdefault(key, (int(record.get("line") or 0), set()))[1].update(
            record.get("tags") or ()
        )
        cells[key, str(record.get("column"))] = record
    files_of: dict[str, set[str]] = {}
    for file, scenario, _ in found:
        files_of.setdefault(scenario, set()).add(file)
    rows: dict[tuple[str, str, str | None], Row] = {}
    for key in sorted(found, key=lambda k: (k[0], found[k][0], k[1], k[2] or "")):
        file, scenario, variant = key
        label = f"{file}::{scenario}" if len(files_of[scenario]) > 1 else scenario
        label += f" [{variant}]" if variant else ""
        rows[key] = Row(file, scenario, variant, label, tuple(sorted(found[key][1])))
    columns = tuple(sorted({column for _, column in cells}))
    by_row = {(rows[key], column): record for (key, column), record in cells.items()}
    return Grid(rows=tuple(rows.values()), columns=columns, cells=by_row)


def sorted_records(records: Iterable[Mapping[str, Any]]) -> list[Record]:
    """Copies of ``records`` sorted by node id (a record without one is a HarnessError)."""
    return sorted((dict(record) for record in records), key=_nodeid)


def _nodeid(record: Mapping[str, Any]) -> str:
    nodeid = record.get("nodeid")
    if not isinstance(nodeid, str):
        raise HarnessError(f"report record without a 'nodeid': {str(dict(record))[:200]}")
    return nodeid


def merge_records(*record_lists: Iterable[Mapping[str, Any]]) -> list[Record]:
    """One record per node id, sorted; a later result wins unless it is a skip over a non-skip."""
    merged: dict[str, Record] = {}
    for records in record_lists:
        for record in sorted_records(records):
            old = merged.get(record["nodeid"])
            if old is None or old.get("outcome") == "skipped" or record.get("outcome") != "skipped":
                merged[record["nodeid"]] = record
    return [merged[nodeid] for nodeid in sorted(merged)]


def without_timings(records: Iterable[Mapping[str, Any]]) -> list[Record]:
    """``records`` sorted, without ``duration``/``latency``: equal for a sharded and a full run."""
    return [{k: v for k, v in r.items() if k not in TIMINGS} for r in sorted_records(records)]


def load_report(path: str | os.PathLike[str]) -> list[Record]:
    """The records of a JSON report written by :func:`write_report` (sorted by node id)."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise HarnessError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise HarnessError(f"{path}: not a harness report (not JSON: {exc})") from None
    if not isinstance(data, dict) or "harness_report" not in data:
        raise HarnessError(f"{path}: not a harness report (no 'harness_report' key)")
    if data["harness_report"] != REPORT_VERSION:
        raise HarnessError(
            f"{path}: harness report version {data['harness_report']!r} is not supported "
            f"(this harness reads version {REPORT_VERSION})"
        )
    records = data.get("records")
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and isinstance(r.get("nodeid"), str) for r in records
    ):
        raise HarnessError(f"{path}: not a harness report ('records' is not a list of records)")
    return sorted_records(records)


def write_report(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``records`` atomically in the format of the extension: .json, .md or .html."""
    path = Path(path)
    renderers: dict[str, Callable[[Sequence[Mapping[str, Any]]], str]] = {
        ".json": render_json,
        ".md": render_markdown,
    }
    if path.suffix.lower() == ".html":
        from .report_html import render_html  # report_html builds on this module

        renderers[".html"] = render_html
    render = renderers.get(path.suffix.lower())
    if render is None:
        raise HarnessError(
            f"{path}: unknown report format {path.suffix or '(no extension)'!r}; "
            f"supported: {', '.join(FORMATS)}"
        )
    write_atomic(path, render(sorted_records(records)))
    return path


def render_json(records: Iterable[Mapping[str, Any]]) -> str:
    """The report document: stable key order, records sorted, no timestamps."""
    document = {"harness_report": REPORT_VERSION, "records": sorted_records(records)}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def summarize(records: Iterable[Mapping[str, Any]]) -> str:
    """``6 items: 3 passed, 1 failed, 1 skipped, 1 missing recording`` (zero counts left out)."""
    outcomes = [str(r.get("outcome")) for r in records]
    counts = [f"{outcomes.count(o)} {o}" for o in ("passed", "failed", "error", "skipped")]
    counts.append(f"{outcomes.count('missing')} missing recording")
    shown = [c for c in counts if not c.startswith("0 ")]
    noun = "item" if len(outcomes) == 1 else "items"
    return f"{len(outcomes)} {noun}" + (f": {', '.join(shown)}" if shown else "")


def _md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#!~])", r"\\\1", text)


def _fence(text: str, info: str) -> list[str]:
    if len(text) > _MAX_MD_TEXT:
        text = text[:_MAX_MD_TEXT] + f"\n… ({len(text) - _MAX_MD_TEXT} more characters)"
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    return [f"{ticks}{info}", text.rstrip("\n"), ticks]


def render_markdown(records: Iterable[Mapping[str, Any]]) -> str:
    """For PR comments: the grid with pass rates per column, then each failure in a code block."""
    items = sorted_records(records)
    table = grid(items)
    out = ["## harness matrix", "", summarize(items), ""]
    if table.rows:
        out.append("| scenario | " + " | ".join(_md(c) for c in table.columns) + " |")
        out.append("|---|" + ":-:|" * len(table.columns))
        for row in table.rows:
            marks = [_EMOJI.get(table.outcome(row, c) or "", " ") for c in table.columns]
            out.append(f"| {_md(row.label)} | " + " | ".join(marks) + " |")
        rates = [str(table.pass_rate(c)) for c in table.columns]
        out += ["| **pass rate** | " + " | ".join(rates) + " |", ""]
        out += [
            "✅ pass · ❌ fail · ➖ skip · ❓ missing recording · 💥 error · blank: not run",
            "",
        ]
    problems = [r for r in items if r.get("outcome") in PROBLEMS]
    if problems:
        out += [f"### Failures ({len(problems)})", ""]
    for record in problems:
        summary = f"<code>{html.escape(record['nodeid'])}</code>: {html.escape(record['outcome'])}"
        out += [f"<details><summary>{summary}</summary>", ""]
        out += _fence(str(record.get("failure") or "(no failure text)"), "text")
        if record.get("snapshot_diff"):
            out += ["", *_fence(str(record["snapshot_diff"]), "diff")]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def terminal_summary(records: Iterable[Mapping[str, Any]], *, width: int) -> list[str]:
    """End-of-run lines, each at most ``width`` characters long.

    Scenarios are rows and columns are columns while that fits ``width``. A matrix too wide for
    that is transposed: one line per column (its pass rate, then one mark per numbered
    scenario, with a key of the numbers below); when the scenarios do not fit on one line
    either, the transposed grid is wrapped into blocks of scenarios, each under its own header.
    """
    items = sorted_records(records)
    table = grid(items)
    lines = textwrap.wrap(f"harness matrix: {summarize(items)}", width) or [""]
    if table.rows:
        lines += _rows_layout(table, width) or _columns_layout(table, width)
        lines += _pack(LEGEND.split("  "), width)
    return [_clip(line.rstrip(), width) for line in lines]


def _mark(table: Grid, row: Row, column: str) -> str:
    return MARKS.get(table.outcome(row, column) or "", NOT_RUN)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _rows_layout(table: Grid, width: int) -> list[str] | None:
    rates = [str(table.pass_rate(c)) for c in table.columns]
    label_width = max(len(label) for label in [*(r.label for r in table.rows), "pass rate"])
    widths = [max(len(c), len(rate)) for c, rate in zip(table.columns, rates)]
    if label_width + sum(w + 2 for w in widths) > width:
        return None
    pairs = list(zip(table.columns, widths))
    lines = [" " * label_width + "".join(f"  {c:^{w}}" for c, w in pairs)]
    for row in table.rows:
        marks = "".join(f"  {_mark(table, row, c):^{w}}" for c, w in pairs)
        lines.append(f"{row.label:<{label_width}}{marks}")
    totals = "".join(f"  {rate:^{w}}" for rate, w in zip(rates, widths))
    return [*lines, f"{'pass rate':<{label_width}}{totals}"]


def _columns_layout(table: Grid, width: int) -> list[str]:
    rates = {c: str(table.pass_rate(c)) for c in table.columns}
    key_width = len(str(len(table.rows)))
    label_width = min(max(len(c) for c in table.columns), max(8, width // 3))
    rate_width = max(len(r) for r in [*rates.values(), "pass rate"])
    lead = label_width + 2 + rate_width
    per_block = max(1, (width - lead) // (key_width + 1))
    lines: list[str] = []
    for start in range(0, len(table.rows), per_block):
        block = range(start, min(len(table.rows), start + per_block))
        numbers = "".join(f" {i + 1:>{key_width}}" for i in block)
        lines += [""] if start else []
        lines.append(f"{'':<{label_width}}  {'pass rate':>{rate_width}}{numbers}")
        for column in table.columns:
            marks = "".join(f" {_mark(table, table.rows[i], column):>{key_width}}" for i in block)
            label = _clip(column, label_width)
            lines.append(f"{label:<{label_width}}  {rates[column]:>{rate_width}}{marks}")
    key = [f"{i}={row.label}" for i, row in enumerate(table.rows, start=1)]
    return lines + _pack(["scenarios:", *key], width)


def _pack(words: Sequence[str], width: int) -> list[str]:
    """``words`` joined by two spaces into lines of at most ``width`` (never split inside one)."""
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 2 + len(word) <= width:
            lines[-1] += "  " + word
        else:
            lines.append(word)
    return lines
