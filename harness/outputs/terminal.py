"""The end-of-run grid in the terminal: rows or transposed columns, fitted to a width."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.outputs.grid import LEGEND, MARKS, NOT_RUN, Grid, Row, grid, sorted_records, summarize


def terminal_summary(records: Iterable[Mapping[str, Any]], *, width: int) -> list[str]:
    """End-of-run lines for the terminal, each at most ``width`` characters long.

    Scenarios are rows and columns are columns while that fits ``width``. A matrix too wide for
    that is transposed: one line per column (its pass rate, then one mark per numbered
    scenario, with a key of the numbers below); when the scenarios do not fit on one line
    either, the transposed grid is wrapped into blocks of scenarios, each under its own header.
    """
    items = sorted_records(records)
    return terminal_lines(grid(items), summary=summarize(items), width=width)


def terminal_lines(table: Grid, *, summary: str, width: int) -> list[str]:
    """The layout behind :func:`terminal_summary` (which documents it)."""
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
