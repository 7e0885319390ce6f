"""The one secret policy for everything harness writes or renders.

The secrets: the values of the configured ``api_key_env`` variables (raw, base64 at any
alignment, URL-encoded), the credentials of configured base URLs (userinfo, query values), and
key-shaped strings (:data:`KEY_SHAPES`), minus the key-shaped strings of the allowlist
(``allowed_secrets`` in the providers file).

Recordings must replay byte-faithfully, so a secret bound for one refuses the write
(:meth:`SecretScanner.check`, naming the field). Everything else (failure messages, reports,
snapshots, the usage file) is redacted in place (:meth:`SecretScanner.redact`).
"""

from __future__ import annotations

import base64
import os
import re
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

from harness.errors import SecretLeakError
from harness.replay.secret_fields import joined_streams, strings

# Shapes of credentials that must never be written, whoever's they are: kind -> pattern.
_SHAPES = {  # each after a word boundary
    "anthropic-key": r"sk-ant-[A-Za-z0-9_\-]{16,}",
    "openai-key": r"sk-[A-Za-z0-9_\-]{16,}",  # sk-..., sk-proj-...
    "google-api-key": r"AIza[0-9A-Za-z_\-]{35}",
    "aws-access-key": r"(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "github-token": r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    "jwt": r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    "bearer-token": r"Bearer\s+[A-Za-z0-9._~+/\-]{16,}=*",
}
KEY_SHAPES = re.compile(
    r"\b(?:"
    + "|".join(f"(?P<{kind.replace('-', '_')}>{pattern})" for kind, pattern in _SHAPES.items())
    + ")"
)
# What every shape starts with: one cheap search spares most text the full pattern.
_CANDIDATE = re.compile(r"sk-|AIza|AKIA|ASIA|gh[pousr]_|github_pat_|eyJ|Bearer")
_B64 = frozenset(string.ascii_letters + string.digits + "+/_-")  # both base64 alphabets
_MIN_SECRET_LENGTH = 8  # shorter values ("none", "x") are not secrets worth scanning for


def key_kind(text: str) -> str | None:
    """The kind of key ``text`` is, whole (``openai-key``, ...), or None."""
    match = KEY_SHAPES.fullmatch(text)
    return match.lastgroup.replace("_", "-") if match and match.lastgroup else None


def strip_userinfo(url: str) -> str:
    """``url`` without ``user:password@``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class SecretScanner:
    """Finds secrets in documents and text (to refuse a write) or redacts them in place."""

    def __init__(
        self,
        *,
        env_names: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        allowed: Iterable[str] = (),
    ):
        self._env = os.environ if env is None else env
        self._names: set[str] = set(env_names)
        self._url_secrets: set[str] = set()
        self.allowed: set[str] = set(allowed)
        self._built: tuple[Any, re.Pattern[str] | None, dict[str, tuple[str, str]]] | None = None

    def watch(self, env_name: str | None) -> None:
        """Also treat the value of the environment variable ``env_name`` as a secret."""
        if env_name:
            self._names.add(env_name)

    def watch_url(self, url: str) -> None:
        """Also treat the credentials of a configured base URL (userinfo, query values) as
        secrets."""
        parts = urlsplit(url)
        found = [parts.username or "", parts.password or ""]
        found += [value for _name, value in parse_qsl(parts.query, keep_blank_values=True)]
        self._url_secrets.update(v for v in found if len(v) >= _MIN_SECRET_LENGTH)

    def allow(self, entries: Iterable[str]) -> None:
        """Exempt these exact key-shaped strings (the reviewed allowlist)."""
        self.allowed.update(entries)

    # --- the needles: every form of every configured value -----------------------------

    def _needles(self) -> tuple[re.Pattern[str] | None, dict[str, tuple[str, str]]]:
        """A regex of every secret value's forms, and needle -> (label, form)."""
        values = [(f"${name}", self._env.get(name, "")) for name in sorted(self._names)]
        values += [("base_url credential", value) for value in sorted(self._url_secrets)]
        values = [(label, v) for label, v in values if len(v) >= _MIN_SECRET_LENGTH]
        if self._built is not None and self._built[0] == values:
            return self._built[1], self._built[2]
        forms: dict[str, tuple[str, str]] = {}
        for label, value in values:
            for needle, form in _forms(value):
                forms.setdefault(needle, (label, form))
        ordered = sorted(forms, key=len, reverse=True)  # the longest form wins
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._built = (values, pattern, forms)
        return pattern, forms

    def _value_spans(self, text: str) -> list[tuple[int, int, str, str]]:
        """``(start, end, label, form)`` of every configured value's form in ``text``.

        A base64 form's span takes in the partial groups around it (up to 4 characters each
        side, and padding): they encode a byte or two of the value too.
        """
        pattern, forms = self._needles()
        spans: list[tuple[int, int, str, str]] = []
        if pattern is None:
            return spans
        for match in pattern.finditer(text):
            label, form = forms[match.group()]
            start, end = match.span()
            if form == "base64":
                floor = spans[-1][1] if spans else 0
                while start > max(floor, match.start() - 4) and text[start - 1] in _B64:
                    start -= 1
                while end < min(len(text), match.end() + 4) and text[end] in _B64:
                    end += 1
                while end < min(len(text), match.end() + 6) and text[end] == "=":
                    end += 1
            spans.append((start, end, label, form))
        return spans

    def _shapes(self, text: str) -> Iterable[re.Match[str]]:
        if not _CANDIDATE.search(text):
            return
        for match in KEY_SHAPES.finditer(text):
            token = match.group()
            bare = re.sub(r"^Bearer\s+", "", token)
            if token not in self.allowed and bare not in self.allowed:
                yield match

    def _hits(self, text: str) -> list[str]:
        """What secrets ``text`` holds (``the value of $X (base64)``, ``a key-shaped ...``)."""
        whats: list[str] = []
        spans = self._value_spans(text)
        for _start, _end, label, form in spans:
            what = f"the value of {label}" if label.startswith("$") else f"a {label}"
            whats.append(what + (f" ({form})" if form else ""))
        text = _replace(text, spans, lambda label: "[redacted]")
        for match in self._shapes(text):
            whats.append(f"a key-shaped string ({_kind(match)})")
        return list(dict.fromkeys(whats))

    # --- refusing (recordings) ---------------------------------------------------------

    def findings(self, document: Any) -> list[str]:
        """``field.path: what`` for every secret in ``document`` (strings, lists, dicts).

        Streamed bodies are also scanned per field path joined up (the assembled text of
        every field); a joined hit one chunk already showed whole is not repeated. Paths are
        redacted: a secret may be a mapping key.
        """
        found: list[str] = []
        for path, text in strings(document):
            found += [f"{self.redact(path) or '(document)'}: {what}" for what in self._hits(text)]
        for path, text, pieces in joined_streams(document):
            hits = self._hits(text)
            if hits:  # rare: only then ask which pieces already showed it whole
                seen = {what for piece in pieces for what in self._hits(piece)}
                found += [f"{path}: {w}" for w in hits if w not in seen]
        return list(dict.fromkeys(found))

    def check(self, document: Any, *, target: str) -> None:
        """Raise :class:`SecretLeakError` (and write nothing) if ``document`` holds a secret."""
        found = self.findings(document)
        if found:
            raise SecretLeakError(
                f"refusing to write {self.redact(target)}: it would contain a secret at "
                f"{found[0]}" + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
            )

    # --- redacting (everything else) ---------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with each secret replaced where it stood: ``[redacted: $OPENAI_API_KEY]``,
        ``[redacted: openai-key]``; the rest is kept."""
        text = _replace(text, self._value_spans(text), lambda label: f"[redacted: {label}]")
        if not _CANDIDATE.search(text):
            return text
        if not self.allowed:
            return KEY_SHAPES.sub(lambda m: f"[redacted: {_kind(m)}]", text)
        kept = {m.span() for m in self._shapes(text)}
        return KEY_SHAPES.sub(
            lambda m: f"[redacted: {_kind(m)}]" if m.span() in kept else m.group(), text
        )

    def redact_document(self, document: Any) -> Any:
        """A copy of ``document`` with every string (and mapping key) redacted."""
        if isinstance(document, str):
            return self.redact(document)
        if isinstance(document, dict):
            return {self.redact(str(k)): self.redact_document(v) for k, v in document.items()}
        if isinstance(document, list | tuple):
            return [self.redact_document(item) for item in document]
        return document


def _replace(
    text: str, spans: list[tuple[int, int, str, str]], marker: Callable[[str], str]
) -> str:
    if not spans:
        return text
    out, done = [], 0
    for start, end, label, _form in spans:
        out += [text[done:start], marker(label)]
        done = end
    return "".join([*out, text[done:]])


def _kind(match: re.Match[str]) -> str:
    return (match.lastgroup or "key").replace("_", "-")


def _forms(value: str) -> list[tuple[str, str]]:
    """``(needle, form)`` for ``value``: itself, URL-encoded, and base64 at each alignment.

    Base64 of a value inside a longer encoded text (``user:key`` in a Basic header) depends on
    where the value starts modulo 3: for each start, the characters that encode only the value's
    own bytes are the same whatever surrounds it.
    """
    forms = [(value, "")]
    forms += [(e, "URL-encoded") for e in {quote(value, safe=""), quote_plus(value)} if e != value]
    raw = value.encode()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode().rstrip("=")
        start = 4 if shift else 0
        whole = (shift + len(raw)) // 3 * 4  # characters of complete 3-byte groups
        stable = encoded[start:whole] if (shift + len(raw)) % 3 else encoded[start:]
        if len(stable) >= _MIN_SECRET_LENGTH:
            forms.append((stable, "base64"))
            urlsafe = stable.replace("+", "-").replace("/", "_")
            if urlsafe != stable:
                forms.append((urlsafe, "base64"))
    return forms
