"""Snapshots of conversation transcripts: normalized, human-readable YAML, one file per item.

A snapshot holds, per step, what was newly sent, the assembled reply, tool calls and tool
results, and the finish reason — never ids, timestamps, fingerprints or token counts, which
change on every run. Each item (scenario x column x stream variant) gets its own file, so
parallel runs never write the same file.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from typing import Any

import yaml

from harness.engine.transcript import StepResult, Transcript
from harness.spec.images import image_url_of, short_image_url


def snapshot_steps(transcript: Transcript) -> list[int]:
    """Indexes of the steps a snapshot covers (all when the scenario says ``snapshot: true``)."""
    scenario = transcript.case.scenario
    return [
        result.index
        for result in transcript.steps
        if scenario.snapshot or scenario.steps[result.index].snapshot
    ]


def render_transcript(transcript: Transcript, *, steps: list[int]) -> str:
    """The normalized transcript of ``steps`` as YAML text."""
    case = transcript.case
    document: dict[str, Any] = {"scenario": case.scenario.id, "column": case.column.id}
    if case.variant:
        document["variant"] = case.variant
    document["steps"] = [_step(r) for r in transcript.steps if r.index in steps]
    return render_document(document)


def render_document(document: dict[str, Any]) -> str:
    """``document`` as snapshot YAML: literal blocks for multi-line text, keys in order."""
    if _CDumper is None or _python_only(document):
        slow: str = yaml.dump(document, Dumper=_Dumper, **_DUMP)
        return slow
    text: str = yaml.dump(document, Dumper=_CDumper, **_DUMP)
    # libyaml closes a document that ends "open" (a `|+` block) with "...": PyYAML does not.
    return text[:-4] if text.endswith("\n...\n") else text


def _step(result: StepResult) -> dict[str, Any]:
    out: dict[str, Any] = {"step": result.index + 1}
    exchanges = result.exchanges
    if exchanges[0].sent:
        out["sent"] = [_message(m) for m in exchanges[0].sent]
    rounds = [
        {
            "tool_calls": [_call(c) for c in exchange.tool_calls],
            "tool_results": [_message(m) for m in following.sent],
        }
        for exchange, following in itertools.pairwise(exchanges)
    ]
    if rounds:
        out["tool_rounds"] = rounds
    if result.error is not None:
        out["error"] = {"status": result.error.status, "message": result.error.message}
        return out
    if result.final.tool_calls:
        out["tool_calls"] = [_call(c) for c in result.final.tool_calls]
    if result.payload is not None:
        out["result"] = _stable(result.payload)
        return out
    refusal = _refusal(result.reply)
    if result.text or not result.final.tool_calls:
        out["reply"] = result.text
    if refusal:
        out["refusal"] = refusal
    out["finish_reason"] = result.finish_reason
    return out


def _refusal(reply: Any) -> str | None:
    choices = getattr(reply, "choices", None)
    return choices[0].message.refusal if choices else None


# Fields that differ on every run of a stateful server: ids, timestamps.
_VOLATILE = re.compile(r"(^|_)(id|ids|created|created_at)$")


def _stable(node: Any) -> Any:
    """An operation's result without server ids and timestamps."""
    if isinstance(node, dict):
        return {k: _stable(v) for k, v in node.items() if not _VOLATILE.search(str(k))}
    if isinstance(node, list):
        return [_stable(v) for v in node]
    return node


def _message(message: dict[str, Any]) -> dict[str, Any]:
    if image_url_of(message) is not None:  # a Responses input item that is one image part
        return dict(_part(message))
    out = {k: v for k, v in message.items() if k not in ("tool_call_id", "call_id")}
    content = out.get("content")
    if isinstance(content, list):
        out["content"] = [_part(p) for p in content]
    return out


def _part(part: Any) -> Any:
    url = image_url_of(part)
    if url is None or not url.startswith("data:"):
        return part
    if part["type"] == "image_url":  # the chat shape, flattened to one line
        return {"type": "image_url", "image_url": short_image_url(url)}
    return {**part, "image_url": short_image_url(url)}


def _call(call: Any) -> dict[str, Any]:
    arguments: Any = call.arguments
    with contextlib.suppress(TypeError, ValueError):
        arguments = json.loads(arguments)
    return {"name": call.name, "arguments": arguments}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks: replies read as text in diffs."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


# libyaml's emitter writes the same text as PyYAML's Python emitter, 4-5x faster, except for a
# final "..." (removed above) and for characters outside the Basic Multilingual Plane (emoji)
# and NEL/LS/PS, which it escapes
# ("\U0001F600") where the Python emitter keeps them: documents holding those stay on the
# Python emitter, so snapshot files never change with the emitter that wrote them.
_DUMP: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 1 << 30}
_PYTHON_ONLY = re.compile("[\U00010000-\U0010ffff\x85\u2028\u2029]")
_CDumper: Any = None
if hasattr(yaml, "CSafeDumper"):

    class _FastDumper(yaml.CSafeDumper):  # type: ignore[misc, name-defined]
        """The same representers on libyaml's emitter."""

    _FastDumper.add_representer(str, _str)  # type: ignore[arg-type]
    _CDumper = _FastDumper


def _python_only(node: Any) -> bool:
    """Whether any string in ``node`` (keys included) needs the Python emitter."""
    if isinstance(node, str):
        return _PYTHON_ONLY.search(node) is not None
    if isinstance(node, dict):
        return any(_python_only(k) or _python_only(v) for k, v in node.items())
    if isinstance(node, list | tuple):
        return any(_python_only(v) for v in node)
    return False
