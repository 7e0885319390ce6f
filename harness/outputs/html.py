"""The report as one self-contained HTML page: the grid, filters, and each item's transcript.

Everything is inline (CSS and script; no network resource of any kind). All record text is
escaped on the way in, and the script never builds markup from data: every item's detail is
rendered here, hidden, and a click on a cell only shows it. Cells carry ``data-nodeid``; the
detail panel is ``#detail``; the filters are ``#filter-provider`` and ``#filter-tag``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from harness.outputs.grid import LEGEND, MARKS, Grid, grid, sorted_records, summarize
from harness.outputs.html_detail import render_item

_CSS = """
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(360px,45%);gap:16px;padding:0 20px}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:8px;border-radius:6px}
.msg{border-left:3px solid #0969da;margin:6px 0;padding:2px 8px;word-break:break-word}dd{margin:0}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:center;white-space:nowrap}
.controls{padding:8px 20px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
.badge{font-size:12px;padding:1px 8px;border-radius:10px;vertical-align:middle}.bad{color:#a40e26}
.grid-wrap,#detail{background:#fff;border:1px solid #d0d7de;border-radius:6px}tfoot{font-size:12px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:13px}.filtered{display:none}
.grid-wrap,#detail{max-height:85vh;overflow:auto;align-self:start}h2{font-size:16px;margin:0 0 6px}
thead th{position:sticky;top:0;z-index:1;vertical-align:bottom}ul.checks{list-style:none;padding:0}
th.col span{writing-mode:vertical-rl;transform:rotate(180deg)}h3{font-size:14px;margin:14px 0 6px}
.role{font-size:11px;text-transform:uppercase;font-weight:700}.earlier,.finish{font-size:12px}
.tool-call{font-family:monospace;font-size:12px;color:#8250df}#grid{border-collapse:collapse}
.msg.provider-error{border-color:#cf222e;background:#fff1f0}th,tfoot td{background:#f6f8fa}
header.top{padding:12px 20px;background:#24292f;color:#fff}td.cell:focus{outline:2px solid #0969da}
@media (max-width:900px){main{grid-template-columns:1fr}}.missing{background:#fff0b8;color:#7a4d00}
pre.failure{background:#fff1f0;border:1px solid #ffcecb}.skipped{background:#eaeef2;color:#57606a}
td.cell{min-width:24px;cursor:pointer;font-weight:700}.grid-wrap{justify-self:start;max-width:100%}
.msg.reply{border-color:#1a7f37;background:#f6fff8}td.selected{box-shadow:inset 0 0 0 3px #0969da}
#detail{padding:12px 16px;position:sticky;top:8px}th.row{text-align:left;position:sticky;left:0}
.passed{background:#d2f4dc;color:#116329}.xfailed{background:#fff1c2;color:#7a5200}.failed{background:#ffd8d3;color:#a40e26}
.error,.crashed{background:#ead6ff;color:#5a1ea8}dt,.earlier,.finish,.role{color:#57606a}.add{color:#116329}
.msg.tool{border-color:#8250df}.content{white-space:pre-wrap}tfoot td{white-space:normal}
h1{font-size:18px;margin:0}.absent{color:#afb8c1}.del{color:#a40e26}.ok{color:#116329}
"""

_JS = """
(function () {
  var table = document.getElementById("grid"), detail = document.getElementById("detail");
  function each(root, selector, fn) { root.querySelectorAll(selector).forEach(fn); }
  function select(cell) {
    each(table, "td.cell", function (c) { c.classList.toggle("selected", c === cell); });
    each(detail, "article", function (a) { a.hidden = a.dataset.nodeid !== cell.dataset.nodeid; });
    if (window.innerWidth <= 900) { detail.scrollIntoView(); }
  }
  function on(e) {
    var cell = e.target.closest("td[data-nodeid]"), key = e.type === "keydown";
    if (cell && (!key || e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(cell); }
  }
  ["click", "keydown"].forEach(function (type) { table.addEventListener(type, on); });
  function filter() {
    var provider = document.getElementById("filter-provider").value;
    var tag = document.getElementById("filter-tag").value, passed = [], counted = [];
    each(table, "[data-provider]", function (el) {
      el.classList.toggle("filtered", provider !== "" && el.dataset.provider !== provider);
    });
    each(table, "tbody tr", function (tr) {
      var hide = tag !== "" && JSON.parse(tr.dataset.tags).indexOf(tag) < 0;
      tr.classList.toggle("filtered", hide);
      if (!hide) { each(tr, "td.cell", function (td, i) {
        passed[i] = (passed[i] || 0) + (td.classList.contains("passed") ? 1 : 0);
        counted[i] = (counted[i] || 0) + (/absent|skipped/.test(td.className) ? 0 : 1);
      }); }
    });
    each(table, "tfoot td.rate", function (td, i) {
      var n = counted[i] || 0, p = passed[i] || 0;
      td.textContent = n ? p + "/" + n + " " + Math.floor(100 * p / n) + "%" : "\\u2013";
    });
  }
  each(document, "select", function (s) { s.addEventListener("change", filter); });
})();
"""


def render_html(records: Iterable[Mapping[str, Any]]) -> str:
    """The whole page for ``records``: one file, nothing fetched, every record text escaped."""
    items = sorted_records(records)
    table = grid(items)
    providers = sorted({c.partition("/")[0] for c in table.columns})
    tags = sorted({tag for row in table.rows for tag in row.tags})
    legend = " ".join(
        f'<span class="{o}">&nbsp;{k[0]}&nbsp;</span>&nbsp;{k[2:].replace(" ", "&nbsp;")}'
        for o, k in zip([*MARKS, "absent"], LEGEND.split("  "), strict=True)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>harness report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><header class="top"><h1>harness matrix</h1><div>{_s(summarize(items))}</div></header>
<div class="controls">{_select("provider", providers)} {_select("tag", tags)}
<span>{legend}</span></div>
<main><div class="grid-wrap">{_grid(table)}</div>
<section id="detail" aria-live="polite">
<article data-nodeid="">Click a cell to see its conversation.</article>
{"".join(render_item(record) for record in items)}</section></main>
<script>{_JS}</script></body></html>
"""


def _s(value: Any) -> str:
    return escape(str(value))


def _select(name: str, values: Iterable[str]) -> str:
    options = "".join(f'<option value="{_s(v)}">{_s(v) or "all"}</option>' for v in ["", *values])
    return f'<label>{name} <select id="filter-{name}">{options}</select></label>'


def _grid(table: Grid) -> str:
    def attrs(column: str) -> str:
        return f'data-column="{_s(column)}" data-provider="{_s(column.partition("/")[0])}"'

    head = "".join(f'<th class="col" {attrs(c)}><span>{_s(c)}</span></th>' for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for column in table.columns:
            record = table.cells.get((row, column))
            if record is None:
                cells.append(f'<td class="cell absent" {attrs(column)} title="not run">·</td>')
                continue
            outcome, nodeid = _s(record.get("outcome")), _s(record["nodeid"])
            cells.append(
                f'<td class="cell {outcome}" {attrs(column)} data-nodeid="{nodeid}" tabindex="0" '
                f'title="{outcome}: {nodeid}">{MARKS.get(record.get("outcome") or "", "?")}</td>'
            )
        body.append(
            f'<tr data-tags="{_s(json.dumps(list(row.tags)))}"><th class="row" '
            f'title="{_s(row.file)}:{row.line}">{_s(row.label)}</th>{"".join(cells)}</tr>'
        )
    rates = "".join(f'<td class="rate" {attrs(c)}>{table.pass_rate(c)}</td>' for c in table.columns)
    return (
        f'<table id="grid"><thead><tr><th>scenario</th>{head}</tr></thead><tbody>{"".join(body)}'
        f"</tbody><tfoot><tr><th>pass rate</th>{rates}</tr></tfoot></table>"
    )
