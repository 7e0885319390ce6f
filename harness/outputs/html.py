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
from itertools import takewhile
from typing import Any

from harness.outputs.grid import LEGEND, MARKS, Grid, grid, sorted_records, summarize
from harness.spec.images import image_url_of, short_image_url

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
_DIFF = {"+": "add", "-": "del"}

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
{"".join(_item(record) for record in items)}</section></main>
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


def _item(record: Mapping[str, Any]) -> str:
    """One item's detail: facts, failing expectations, failure text, diff and transcript."""
    outcome, steps, u = _s(record.get("outcome")), record.get("steps"), record.get("usage")
    facts = {
        "about": record.get("description"),
        "column": record.get("column"),
        "file": f"{record.get('file')}:{record.get('line')}",
        "mode": record.get("mode"),
        "tags": ", ".join(record.get("tags") or []),
        "duration": _seconds(record.get("duration")),
        "latency": _seconds(record.get("latency")),
        "tokens": u and f"{u.get('prompt_tokens')} in, {u.get('completion_tokens')} out",
        "skipped": record.get("skip_reason"),
    }
    out = [
        f'<article data-nodeid="{_s(record["nodeid"])}" hidden><h2>{_s(record.get("scenario"))} '
        f'<span class="badge {outcome}">{outcome}</span></h2><code>{_s(record["nodeid"])}</code>',
        "<dl>" + "".join(f"<dt>{k}</dt><dd>{_s(v)}</dd>" for k, v in facts.items() if v) + "</dl>",
    ]
    failing = [
        f"<li>step {_s(step.get('index'))}: {_check(check)}</li>"
        for step in steps or []
        for check in step.get("expectations") or []
        if not check.get("ok")
    ]
    if failing:
        out.append(f'<h3>Failing expectation</h3><ul class="checks">{"".join(failing)}</ul>')
    if record.get("failure"):
        out.append(f'<h3>Failure</h3><pre class="failure">{_s(record["failure"])}</pre>')
    if record.get("snapshot_diff"):
        lines = str(record["snapshot_diff"]).splitlines()
        diff = "\n".join(f'<span class="{_DIFF.get(t[:1], "")}">{_s(t)}</span>' for t in lines)
        out.append(f'<h3>Snapshot diff</h3><pre class="diff">{diff}</pre>')
    if steps:
        out.append("<h3>Transcript</h3>")
        out += [_step(step, steps[i - 1] if i else None) for i, step in enumerate(steps)]
    if record.get("calls"):
        out.append("<h3>Inner calls</h3>")
        out += [_call(number, call) for number, call in enumerate(record["calls"], 1)]
    return "".join(out) + "</article>\n"


def _call(number: int, call: Mapping[str, Any]) -> str:
    """One request the application sent, its messages and the reply."""
    request = call.get("request")
    request = request if isinstance(request, dict) else {}
    sent = request.get("messages") or request.get("input") or []
    messages = [_message(m) for m in sent] if isinstance(sent, list) else [_s(sent)]
    calls = [(c.get("name"), c.get("arguments")) for c in call.get("tool_calls") or []]
    head = f"call {number}: {call.get('method')} {call.get('endpoint')} -> {call.get('status')}"
    reply = _box("reply", "assistant", call.get("reply"), calls, "")
    return f'<section class="call"><h4>{_s(head)}</h4>{"".join(messages)}{reply}</section>'



def _seconds(value: Any) -> str | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return f"{value:.2f} s" if number else None


def _check(check: Mapping[str, Any]) -> str:
    ok, reason = bool(check.get("ok")), f" — {_s(check['reason'])}" if check.get("reason") else ""
    text = f"{MARKS['passed' if ok else 'failed']} <code>{_s(check.get('expectation'))}</code>"
    return f'<span class="{"ok" if ok else "bad"}">{text}{reason}</span>'


def _step(step: Mapping[str, Any], previous: Mapping[str, Any] | None) -> str:
    """A step: messages new since the previous step, reply, tool calls, error, expectations."""
    sent, shared = list(step.get("sent") or []), 0
    if previous is not None:
        reply = {"role": "assistant", "content": previous.get("reply")}
        known = zip(sent, [*(previous.get("sent") or []), reply], strict=False)
        shared = len(list(takewhile(lambda pair: _key(pair[0]) == _key(pair[1]), known)))
    out = [f"<h4>Step {_s(step.get('index'))}</h4>"]
    if shared:
        out.append(f'<div class="earlier">… {shared} earlier message(s)</div>')
    out += [_message(message) for message in sent[shared:]]
    calls = [(c.get("name"), json.dumps(c.get("arguments"))) for c in step.get("tool_calls") or []]
    if step.get("reply") is not None or calls:
        finish = step.get("finish_reason")
        extra = f'<div class="finish">finish: {_s(finish)}</div>' if finish else ""
        out.append(_box("reply", "assistant reply", step.get("reply"), calls, extra))
    error = step.get("error")
    if error:
        status = f"HTTP {error['status']}: " if error.get("status") is not None else ""
        out.append(_box("provider-error", "error", f"{status}{error.get('message')}", [], ""))
    checks = "".join(f"<li>{_check(check)}</li>" for check in step.get("expectations") or [])
    return "".join(out) + (f'<ul class="checks">{checks}</ul>' if checks else "")


def _key(message: Any) -> Any:
    assistant = isinstance(message, dict) and message.get("role") == "assistant"
    return ("assistant", message.get("content")) if assistant else message


def _box(kind: str, role: str, content: Any, calls: list[tuple[Any, Any]], extra: str) -> str:
    calls_html = "".join(f'<div class="tool-call">→ {_s(n)}({_s(a)})</div>' for n, a in calls)
    text = _s("" if content is None else content)
    head = f'<div class="msg {_s(kind)}"><div class="role">{_s(role)}</div>'
    return f'{head}<div class="content">{text}</div>{calls_html}{extra}</div>'


def _message(message: Any) -> str:
    message = message if isinstance(message, dict) else {"role": "?", "content": message}
    content = message.get("content")
    if isinstance(content, list):
        content = "\n".join(_part(part) for part in content)
    functions = [c.get("function") or {} for c in message.get("tool_calls") or []]
    calls = [(f.get("name"), f.get("arguments")) for f in functions]
    return _box(str(message.get("role")), str(message.get("role")), content, calls, "")


def _part(part: Any) -> str:
    if isinstance(part, dict) and part.get("type") == "text":
        return str(part.get("text"))
    url = image_url_of(part)
    if url is not None:
        return f"[image: {short_image_url(url)}]"
    return json.dumps(part, ensure_ascii=False)
