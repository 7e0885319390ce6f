"""Turning pydantic validation errors into one-line, located errors for user files."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import LocatedError
from harness.util.yamlsrc import locate, value_pos

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


def first_problem(problems: list[LocatedError]) -> LocatedError:
    """The first of ``problems`` (of its own type), saying how many more there are: where one
    error is raised (collection), the rest are not lost silently."""
    first, rest = problems[0], len(problems) - 1
    more = f" (and {rest} more problem{'s' if rest > 1 else ''})" if rest else ""
    return type(first)(first.cause + more, path=first.path, line=first.line, col=first.col)


def located_errors(
    exc: ValidationError,
    data: Any,
    *,
    shown: str,
    error: type[LocatedError],
    models: Mapping[str, type[BaseModel]],
    root: type[BaseModel],
    internal: frozenset[str] = frozenset(),
) -> list[LocatedError]:
    """Every problem of ``exc``, one located error each, most telling first.

    Errors at one place (union members failing one by one) are one problem; a missing key that
    an unknown key of the same mapping is a typo of (``stpes``/``steps``) is not reported twice.
    """
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    groups: dict[tuple[int | str, ...], list[Any]] = {}
    for item in errors:
        groups.setdefault(_data_path(data, item["loc"]), []).append(item)
    typos = {
        (loc[:-1], guess)
        for loc, group in groups.items()
        if group[0]["type"] == "extra_forbidden" and loc
        for guess in difflib.get_close_matches(str(loc[-1]), _known(loc, models, root), n=1)
    }
    out: list[LocatedError] = []
    for loc, group in groups.items():
        first = group[0]
        if first["type"] == "missing" and loc and (loc[:-1], loc[-1]) in typos:
            continue
        line, col = (value_pos if first["type"] != "extra_forbidden" else locate)(data, loc)
        same = [e for e in group if e["type"] != "missing"]
        if len(same) > 1:
            options = " or ".join(dict.fromkeys(_expected(e) for e in same))
            cause = f"{_dotted(loc)}: expected {options}"
        else:
            cause = _cause(first, loc, _owner(loc, models, root), internal)
        out.append(error(cause, path=shown, line=line, col=col))
    return out


def _known(
    loc: tuple[int | str, ...], models: Mapping[str, type[BaseModel]], root: type[BaseModel]
) -> list[str]:
    owner = _owner(loc, models, root)
    return [f.alias or name for name, f in owner.model_fields.items()]


def unknown_key(key: object, model: type[BaseModel], internal: frozenset[str]) -> str:
    """``unknown key 'x' (did you mean 'y'?)``."""
    known = [f.alias or name for name, f in model.model_fields.items() if name not in internal]
    guess = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {guess[0]!r}?)" if guess else f" (expected one of: {', '.join(known)})"
    return f"unknown key {key!r}{hint}"


def _expected(error: Any) -> str:
    text = str(error["msg"]).removeprefix("Input should be ")
    return re.sub(r" or instance of \w+$", "", text)


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The part of a pydantic location that names data: union-member tags are dropped."""
    out: list[int | str] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and _is_field_name(part):
            node = None  # a missing or unknown key: keep it for the message, stop there
        else:
            continue  # e.g. 'str', 'list[dict[str,any]]', "literal['both']", 'ModelSpec'
        out.append(part)
    return tuple(out)


def _is_field_name(part: str) -> bool:
    return re.fullmatch(r"[a-z_][a-z_.]*", part) is not None and part not in _TYPE_TAGS


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not re.fullmatch(r"[\w.\-]+", str(part)):  # e.g. a key with a line break: quoted
            text += f"[{str(part)!r}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _owner(
    loc: tuple[int | str, ...], models: Mapping[str, type[BaseModel]], root: type[BaseModel]
) -> type[BaseModel]:
    """The model that holds the last key of ``loc``."""
    for part in reversed(loc[:-1]):
        if isinstance(part, str):
            return models.get(part, root)
    return root


def _cause(
    error: Any, loc: tuple[int | str, ...], owner: type[BaseModel], internal: frozenset[str]
) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return unknown_key(loc[-1] if loc else "?", owner, internal)
    if kind == "missing":
        where = f" in {_dotted(loc[:-1])}" if len(loc) > 1 else ""
        return f"missing required key {loc[-1] if loc else '?'!r}{where}"
    message = str(error["msg"]).removeprefix("Value error, ").replace("\n", " ")
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == ID_PATTERN:
        message = (
            "use letters, digits, '.', '_' or '-' (no spaces), starting with a letter or digit"
        )
    where = _dotted(loc)
    return f"{where}: {message}" if where else message
