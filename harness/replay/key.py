"""What identifies a recording: :class:`RequestKey` (provider, method, endpoint, query, body,
occurrence, scope), its digest and file name, and the canonical forms it is computed over."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

# Fixed path words of the API (`input_items` too); ids such as `resp_9f2c…` carry digits.
_ROUTE_WORD = re.compile(r"^[a-z]+(?:_[a-z]+)*$")


def canonical_json(value: Any) -> str:
    """Key-sorted, compact JSON: the form request bodies are compared and hashed in."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class RequestKey:
    """What identifies a recording: provider, method, endpoint (+ query) and canonical body."""

    provider: str
    method: str
    endpoint: str
    body: Any
    query: str = ""
    occurrence: int = 1  # the n-th identical request within one test (stateful APIs)
    # Stateful scenarios: server state is not shareable, so their requests are scoped to the
    # scenario (two scenarios that both create a conversation must not share the answer).
    scope: str = ""

    @cached_property
    def digest(self) -> str:
        """16 hex digits of SHA-256 over the canonical key."""
        parts = [self.provider, self.method, self.endpoint, self.query, self.body]
        if self.occurrence > 1:
            parts.append(self.occurrence)
        if self.scope:
            parts.append(self.scope)
        return hashlib.sha256(canonical_json(parts).encode()).hexdigest()[:16]

    def again(self, occurrence: int) -> RequestKey:
        """The key of the ``occurrence``-th identical request."""
        return replace(self, occurrence=occurrence)

    @cached_property
    def route(self) -> str:
        """The endpoint's fixed words (ids dropped), e.g. ``chat-completions``."""
        words = [w for w in self.endpoint.split("/") if _ROUTE_WORD.match(w) and w != "v1"]
        return "-".join(words) or "root"

    @cached_property
    def filename(self) -> str:
        """``<route>-<digest>.json``; the file lives under ``recordings/<provider>/``."""
        return f"{self.route}-{self.digest}.json"

    def describe(self) -> str:
        """``POST /v1/chat/completions`` (with its query)."""
        return f"{self.method} {self.endpoint}{'?' + self.query if self.query else ''}"


def canonical_query(url: str) -> str:
    """The URL's query string with parameters sorted."""
    return urlencode(sorted(parse_qsl(urlsplit(url).query, keep_blank_values=True)))


__all__ = ["RequestKey", "canonical_json", "canonical_query"]
