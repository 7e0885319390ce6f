"""Server-sent events: the JSON payloads of a stream (used by the transports and by calls)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_LINE_END = re.compile(r"\r\n|\r|\n")


def is_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether a response with ``headers`` is a server-sent-event stream."""
    return headers.get("content-type", "").startswith("text/event-stream")


def parse_sse(text: str, *, complete: bool = True) -> list[Any]:
    """The JSON payloads of a server-sent-event stream, in order (``[DONE]`` dropped).

    An event is complete at its blank line. A stream that broke off (``complete=False``) keeps
    only its complete events: a half-sent event is not an event.
    """
    events: list[Any] = []
    data: list[str] = []
    # The SSE line ends only (str.splitlines() also splits on U+2028, U+2029, U+0085, which
    # JSON leaves unescaped). The last piece has no line end: in a broken-off stream it is
    # half a line; in a complete one, the blank line closing the last event.
    lines = _LINE_END.split(text)
    lines[-1:] = [lines[-1], ""] if complete else []
    for line in lines:
        if not line:
            if data:
                payload = "\n".join(data)
                data = []
                if payload.strip() != "[DONE]":
                    try:
                        events.append(json.loads(payload))
                    except ValueError:
                        events.append(payload)
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return events
