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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.outputs.grid import Record, grid, sorted_records, summarize
from harness.util.fs import MAX_REPORT_BYTES, UnreadableFileError, read_bounded, write_atomic

REPORT_VERSION = 1
PROBLEMS = ("failed", "error", "missing", "crashed")
TIMINGS = ("duration", "latency")
FORMATS = (".json", ".md", ".html")
_EMOJI = {
    "passed": "✅",
    "failed": "❌",
    "skipped": "\u2796",
    "xfailed": "\U0001f6a7",  # construction sign: a known departure
    "missing": "❓",
    "error": "💥",
    "crashed": "\U0001f480",  # skull: its xdist worker died
}
_MD_LEGEND = (
    "✅ pass · ❌ fail · \u2796 skip · \U0001f6a7 known failure · ❓ missing recording · "
    "💥 error · \U0001f480 crashed · blank: not run"
)
_MAX_MD_TEXT = 4000  # a failure text longer than this is cut in markdown (PR comments are small)


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
    """The records of a JSON report written by :func:`write_report` (sorted by node id).

    Read bounded (:mod:`harness.util.fs`) and validated field by field
    (:mod:`.report_model`): a bad report is one :class:`HarnessError` naming its field.
    """
    from harness.outputs.report_model import (
        check_report,  # pydantic models: only `merge` needs them
    )

    path = Path(path)
    try:
        data = json.loads(read_bounded(path, limit=MAX_REPORT_BYTES, what="report"))
    except FileNotFoundError as exc:
        raise HarnessError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except UnreadableFileError as exc:
        raise HarnessError(str(exc)) from None
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        reason = exc if isinstance(exc, ValueError) else "nested too deeply"
        raise HarnessError(f"{path}: not a harness report (not JSON: {reason})") from None
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
    check_report(data, source=str(path))
    return sorted_records(records)


def write_report(
    path: str | os.PathLike[str],
    records: Iterable[Mapping[str, Any]],
    *,
    incomplete: str | None = None,
) -> Path:
    """Write ``records`` atomically in the format of the extension: .json, .md or .html;
    ``incomplete`` says why the records lack items the run selected (a crashed worker)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise HarnessError(
            f"{path}: unknown report format {path.suffix or '(no extension)'!r}; "
            f"supported: {', '.join(FORMATS)}"
        )
    from harness.outputs.html import render_html  # imported when a report is written: start-up

    render = {".json": render_json, ".md": render_markdown, ".html": render_html}[suffix]
    text = render(sorted_records(records))
    if incomplete:
        text = _note_incomplete(suffix, text, incomplete)
    write_atomic(path, text)
    return path


def _note_incomplete(suffix: str, text: str, why: str) -> str:
    if suffix == ".json":
        document = json.loads(text)
        document["incomplete"] = why
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if suffix == ".md":
        head, _, rest = text.partition("\n\n")
        return f"{head}\n\n**incomplete:** {_md(why)}\n\n{rest}"
    return text.replace("</header>", f"<p><b>incomplete:</b> {html.escape(why)}</p></header>", 1)


def render_json(records: Iterable[Mapping[str, Any]]) -> str:
    """The report document: stable key order, records sorted, no timestamps."""
    document = {"harness_report": REPORT_VERSION, "records": sorted_records(records)}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


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
        out += ["| **pass rate** | " + " | ".join(rates) + " |", "", _MD_LEGEND, ""]
    problems = [r for r in items if r.get("outcome") in PROBLEMS]
    out += [f"### Failures ({len(problems)})", ""] if problems else []
    for record in problems:
        summary = f"<code>{html.escape(record['nodeid'])}</code>: {html.escape(record['outcome'])}"
        out += [f"<details><summary>{summary}</summary>", ""]
        out += _fence(str(record.get("failure") or "(no failure text)"), "text")
        if record.get("snapshot_diff"):
            out += ["", *_fence(str(record["snapshot_diff"]), "diff")]
        out += ["", "</details>", ""]
    out += _md_calls(items)
    return "\n".join(out).rstrip("\n") + "\n"


def _md_calls(items: list[Record]) -> list[str]:
    """The inner requests of each test of an application (or target), one table per test."""
    tested = [r for r in items if r.get("calls")]
    if not tested:
        return []
    out = [f"### Inner calls ({len(tested)} test{'s' * (len(tested) != 1)})", ""]
    for record in tested:
        count = len(record["calls"])
        summary = f"<code>{html.escape(record['nodeid'])}</code>: {count} call{'s' * (count != 1)}"
        out += [f"<details><summary>{summary}</summary>", ""]
        out += ["| # | method | path | status | streamed |", "|--:|---|---|--:|:-:|"]
        for number, call in enumerate(record["calls"], 1):
            cells = [call.get("method"), call.get("endpoint"), call.get("status")]
            shown = " | ".join(_md(str(c)) for c in cells)
            # "?": a report written before calls said whether they streamed
            streamed = {True: "yes", False: "no"}.get(call.get("streamed"), "?")
            out.append(f"| {number} | {shown} | {streamed} |")
        out += ["", "</details>", ""]
    return out
