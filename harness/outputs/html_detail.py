"""An item's detail in the HTML report: its facts, failure, snapshot diff, transcript steps and
inner calls, every record text escaped (see :mod:`.html` for the page around it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from itertools import takewhile
from typing import Any

from harness.outputs.grid import MARKS
from harness.spec.images import image_url_of, short_image_url

_DIFF = {"+": "add", "-": "del"}
# Text parts of either API: chat ``text``, Responses ``input_text`` (sent) and ``output_text``
# (an earlier reply sent back as input).
_TEXT_PARTS = ("text", "input_text", "output_text")


def _s(value: Any) -> str:
    return escape(str(value))


def render_item(record: Mapping[str, Any]) -> str:
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
    if isinstance(part, dict) and part.get("type") in _TEXT_PARTS:
        return str(part.get("text"))
    url = image_url_of(part)
    if url is not None:
        return f"[image: {short_image_url(url)}]"
    return json.dumps(part, ensure_ascii=False)
