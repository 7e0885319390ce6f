"""The report on the command line: ``harness report merge`` and the end-of-run terminal grid."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.outputs.report import (
    FORMATS,
    LEGEND,
    MARKS,
    NOT_RUN,
    Grid,
    Row,
    load_report,
    merge_records,
    write_report,
)
from harness.replay.secrets import SecretScanner


def add_report_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report merge A.json B.json ... -o OUT`` to an argparse subparsers object."""
    report = subparsers.add_parser("report", help="merge and render run reports")
    actions = report.add_subparsers(dest="action", required=True)
    merge = actions.add_parser(
        "merge",
        help="merge the JSON reports of shards (e.g. xdist workers or CI jobs) into one report",
        description="Merge JSON run reports into one, in the format of OUT's extension. A node id "
        "in several reports keeps the later report's result, unless that one is a skip.",
    )
    merge.add_argument("reports", nargs="+", metavar="REPORT.json", help="JSON run reports")
    merge.add_argument(
        "-o", "--output", required=True, metavar="OUT", help=f"output: {', '.join(FORMATS)}"
    )
    merge.set_defaults(handler=_cmd_merge)


def _cmd_merge(args: argparse.Namespace) -> int:
    merged = merge_records(*(load_report(Path(path)) for path in args.reports))
    # Reports are redacted when written; a report from elsewhere gets the key shapes at least.
    out = write_report(Path(args.output), SecretScanner().redact_document(merged))
    count = len(args.reports)
    print(f"merged {len(merged)} records from {count} report{'s' * (count != 1)} -> {out}")
    return 0


def terminal_lines(table: Grid, *, summary: str, width: int) -> list[str]:
    """The layout behind :func:`harness.outputs.report.terminal_summary` (which documents it)."""
    lines = _pack(f"harness matrix: {summary}".split(" "), width, sep=" ")
    if table.rows:
        lines += _rows_layout(table, width) or _columns_layout(table, width)
        lines += _pack(LEGEND.split("  "), width)
    return [_clip(line.rstrip(), width) for line in lines]


def _mark(table: Grid, row: Row, column: str) -> str:
    return MARKS.get(table.outcome(row, column) or "", NOT_RUN)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _pack(words: Sequence[str], width: int, *, sep: str = "  ") -> list[str]:
    """``words`` joined by ``sep`` into lines of at most ``width`` (a word is never split)."""
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + len(sep) + len(word) <= width:
            lines[-1] += sep + word
        else:
            lines.append(word)
    return lines


def _rows_layout(table: Grid, width: int) -> list[str] | None:
    """Scenarios down, columns across; None when that is wider than ``width``."""
    rates = [str(table.pass_rate(c)) for c in table.columns]
    label_width = max(len(label) for label in [*(r.label for r in table.rows), "pass rate"])
    widths = [max(len(c), len(rate)) for c, rate in zip(table.columns, rates, strict=True)]
    if label_width + sum(w + 2 for w in widths) > width:
        return None

    def line(label: str, texts: Iterable[str]) -> str:
        cells = "".join(f"  {text:^{w}}" for text, w in zip(texts, widths, strict=True))
        return f"{label:<{label_width}}{cells}"

    marks = [line(r.label, [_mark(table, r, c) for c in table.columns]) for r in table.rows]
    return [line("", table.columns), *marks, line("pass rate", rates)]


def _columns_layout(table: Grid, width: int) -> list[str]:
    """Columns down, numbered scenarios across, in blocks of as many scenarios as fit."""
    rates = {c: str(table.pass_rate(c)) for c in table.columns}
    key_width = len(str(len(table.rows)))
    label_width = min(max(len(c) for c in table.columns), max(8, width // 3))
    rate_width = max(len(r) for r in [*rates.values(), "pass rate"])
    per_block = max(1, (width - label_width - 2 - rate_width) // (key_width + 1))
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
