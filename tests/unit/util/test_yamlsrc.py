"""Tests for harness.util.yamlsrc: safe YAML loading with 1-based positions of every node."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from harness.errors import LocatedError, ScenarioError
from harness.util import yamlsrc
from harness.util.yamlsrc import LocDict, LocList, load_yaml, locate, value_pos


def pos_of(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, col) of the ``nth`` occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def write(tmp_path: Path, text: str, name: str = "doc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> LocatedError:
    path = write(tmp_path, text)
    with pytest.raises(LocatedError) as info:
        load_yaml(path)
    return info.value


DOC = """\
top:
  name: value
  list:
    - first
    - {inner: 1, other: two}
flow: [alpha, beta]
"""


# --- positions -----------------------------------------------------------------------------


def test_mappings_and_sequences_load_as_loc_types_equal_to_plain_values(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, DOC))
    assert isinstance(data, LocDict)
    assert isinstance(data["top"], LocDict)
    assert isinstance(data["top"]["list"], LocList)
    assert isinstance(data["flow"], LocList)
    assert data == {
        "top": {"name": "value", "list": ["first", {"inner": 1, "other": "two"}]},
        "flow": ["alpha", "beta"],
    }


def test_key_and_value_positions_are_one_based(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, DOC))
    top = data["top"]
    assert data.key_pos["top"] == pos_of(DOC, "top:") == (1, 1)
    assert top.key_pos["name"] == pos_of(DOC, "name:") == (2, 3)
    assert top.value_pos["name"] == pos_of(DOC, "value") == (2, 9)
    assert top.key_pos["list"] == pos_of(DOC, "list:")
    assert data.key_pos["flow"] == pos_of(DOC, "flow:")
    assert data.value_pos["flow"] == pos_of(DOC, "[alpha")


def test_sequence_item_positions(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, DOC))
    items = data["top"]["list"]
    assert items.pos == pos_of(DOC, "- first")  # a block sequence starts at its first dash
    assert items.item_pos == [pos_of(DOC, "first"), pos_of(DOC, "{inner")]
    flow = data["flow"]
    assert flow.pos == pos_of(DOC, "[alpha")
    assert flow.item_pos == [pos_of(DOC, "alpha"), pos_of(DOC, "beta")]


def test_nested_mapping_in_a_list_knows_its_own_positions(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, DOC))
    inner = data["top"]["list"][1]
    assert isinstance(inner, LocDict)
    assert inner.pos == pos_of(DOC, "{inner")
    assert inner.key_pos == {"inner": pos_of(DOC, "inner"), "other": pos_of(DOC, "other")}
    assert inner.value_pos == {"inner": pos_of(DOC, "1,"), "other": pos_of(DOC, "two")}


def test_locate_follows_keys_and_indexes(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, DOC))
    assert locate(data, ()) == (1, 1)
    assert locate(data, ("top", "name")) == pos_of(DOC, "name:")
    assert locate(data, ("top", "list", 1)) == pos_of(DOC, "{inner")
    assert locate(data, ("top", "list", 1, "other")) == pos_of(DOC, "other")
    # A missing key stops at the deepest node that exists.
    assert locate(data, ("top", "missing", "deeper")) == pos_of(DOC, "top:")
    assert locate(data, ("top", "list", 7)) == pos_of(DOC, "list:")


def test_value_pos_points_at_values(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, DOC))
    assert value_pos(data, ("top", "name")) == pos_of(DOC, "value")
    assert value_pos(data, ("top", "list", 1, "other")) == pos_of(DOC, "two")
    # Not a present key: falls back to locate().
    assert value_pos(data, ("top", "nothing")) == pos_of(DOC, "top:")
    assert value_pos(data, ("top", "list", 9, "x")) == locate(data, ("top", "list", 9, "x"))
    assert value_pos(data, ()) == (1, 1)


def test_scalars_and_empty_documents(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "")) is None
    assert load_yaml(write(tmp_path, "42\n")) == 42
    assert load_yaml(write(tmp_path, "a: [1, 2.5, true, null, text]\n")) == {
        "a": [1, 2.5, True, None, "text"]
    }


def test_anchors_and_aliases_are_resolved(tmp_path: Path) -> None:
    text = "base: &b [1, 2]\ncopy: *b\n"
    data = load_yaml(write(tmp_path, text))
    assert data == {"base": [1, 2], "copy": [1, 2]}
    # An alias is the anchored node itself: its value position is where the anchor is.
    assert data.value_pos["copy"] == data.value_pos["base"] == pos_of(text, "&b")
    assert data.key_pos["copy"] == pos_of(text, "copy:")


def test_merge_keys_are_merged(tmp_path: Path) -> None:
    text = "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n"
    assert load_yaml(write(tmp_path, text)) == {"base": {"x": 1}, "d": {"x": 1, "y": 2}}


def test_merge_key_may_be_overridden_by_an_explicit_key(tmp_path: Path) -> None:
    # YAML merge keys: keys of the mapping itself override merged ones; that is no duplicate.
    text = "base: &b {x: 1}\nd:\n  <<: *b\n  x: 2\n"
    assert load_yaml(write(tmp_path, text)) == {"base": {"x": 1}, "d": {"x": 2}}


# --- errors --------------------------------------------------------------------------------


def test_duplicate_key_is_a_located_error_at_the_second_key(tmp_path: Path) -> None:
    text = "a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n"
    error = load_error(tmp_path, text)
    line, col = pos_of(text, "c:", nth=1)
    assert (error.line, error.col) == (line, col) == (5, 3)
    assert error.cause == "duplicate key 'c'"
    assert str(error) == f"{tmp_path / 'doc.yaml'}:{line}:{col}: duplicate key 'c'"


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    text = "name: a\nother: 1\nname: b\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "name:", nth=1)
    assert "duplicate key 'name'" in str(error)


def test_non_scalar_key_is_refused(tmp_path: Path) -> None:
    text = "x: 1\n? [1, 2]\n: value\n"
    error = load_error(tmp_path, text)
    assert error.cause == "mapping keys must be scalars"
    assert (error.line, error.col) == pos_of(text, "[1, 2]")


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object:os.system {}",
        "!!python/name:os.system",
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/object/new:os.system ['echo pwned']",
        "!!python/module:os",
    ],
)
def test_python_tags_are_refused_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tag: str
) -> None:
    calls: list[str] = []

    def fake_system(command: str) -> int:
        calls.append(command)
        return 0

    monkeypatch.setattr(os, "system", fake_system)
    text = f"ok: 1\nvalue: {tag}\n"
    error = load_error(tmp_path, text)
    assert calls == []
    assert error.cause.startswith("invalid YAML: ")
    assert "constructor" in error.cause
    assert (error.line, error.col) == pos_of(text, "!!python")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: b: c\n", "b: c"),  # problem mark at the second ':'
        ("a:\n  b: 1\n c: 2\n", "c: 2"),
        ("a: [1, 2\n", None),
        ("a:\n\tb: 1\n", "\tb"),
        ("a: 1\n---\nb: 2\n", "---"),
        ("a: *nope\n", "*nope"),
    ],
)
def test_malformed_yaml_is_located(tmp_path: Path, text: str, needle: str | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LocatedError) as info:
        load_yaml(path)
    message = str(info.value)
    assert re.fullmatch(rf"{re.escape(str(path))}:\d+:\d+: invalid YAML: \S.*", message), message
    assert "\n" not in message
    assert info.value.line >= 1
    assert info.value.col >= 1
    if needle == "b: c":
        line, col = pos_of(text, needle)
        assert (info.value.line, info.value.col) == (line, col + 1)
    elif needle is not None:
        assert info.value.line == pos_of(text, needle)[0]
    else:  # an unclosed flow sequence is noticed at the end of the input
        assert info.value.line == text.count("\n") + 1


def test_error_class_and_display_path_are_used(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\na: 2\n")
    with pytest.raises(ScenarioError) as info:
        load_yaml(path, error=ScenarioError, display="scenarios/shown.yaml")
    assert str(info.value) == "scenarios/shown.yaml:2:1: duplicate key 'a'"
    assert info.value.path == "scenarios/shown.yaml"


def test_non_utf8_byte_is_located_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nb: é\nc: 3\n".encode() + b"d: caf\xe9\n")
    with pytest.raises(LocatedError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}:4:7: not UTF-8: byte 0xe9 cannot be decoded"


def test_missing_file_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(LocatedError) as info:
        load_yaml(path, display="absent.yaml")
    assert str(info.value).startswith("absent.yaml:1:1: cannot read file: ")


# --- the loader ----------------------------------------------------------------------------


def test_the_c_loader_is_used_when_pyyaml_has_it() -> None:
    has_c = getattr(yaml, "__with_libyaml__", False) and hasattr(yaml, "CSafeLoader")
    expected = yaml.CSafeLoader if has_c else yaml.SafeLoader
    assert issubclass(yamlsrc._Loader, expected)
    # Whichever parser, it is a safe one: never the full/unsafe constructors.
    assert not issubclass(yamlsrc._Loader, (yaml.FullLoader, yaml.UnsafeLoader))


def _pure_python_copy(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A separate copy of harness.util.yamlsrc, imported while PyYAML lacks its C loader."""
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    spec = importlib.util.spec_from_file_location("harness._yamlsrc_pure", yamlsrc.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_the_c_loader_the_python_safe_loader_gives_the_same_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pure = _pure_python_copy(monkeypatch)
    assert issubclass(pure._Loader, yaml.SafeLoader)
    path = write(tmp_path, DOC)
    fast = load_yaml(path)
    slow = pure.load_yaml(path)
    assert slow == fast
    assert slow.key_pos == fast.key_pos
    assert slow.value_pos == fast.value_pos
    assert slow["top"]["list"].item_pos == fast["top"]["list"].item_pos
    assert slow["top"]["list"][1].value_pos == fast["top"]["list"][1].value_pos


# --- hostile input: bounded, located, never a hang or a traceback ---------------------------


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_in_strings_do_not_shift_lines(tmp_path: Path, char: str) -> None:
    text = f"a: \"x{char}y\"\nb: 'x{char}y'\nc: 1\nc: 2\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == (4, 1)
    data = load_yaml(write(tmp_path, text.replace("c: 2\n", "d: [1]\n")))
    assert data.key_pos["d"] == (4, 1)
    assert data["d"].pos == (4, 4)


def test_byte_order_mark_does_not_shift_columns(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, "\ufeffa: 1\nb: [x]\n"))
    assert data.key_pos == {"a": (1, 1), "b": (2, 1)}


def test_alias_bomb_is_refused_at_the_anchor_that_explodes(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):  # 10**9 nodes expanded: never finished before
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    error = load_error(tmp_path, "\n".join(lines) + "\n")
    assert f"more than {yamlsrc.MAX_NODES} nodes" in error.cause
    assert error.line == 6  # a5: 10**6 nodes is the first over the limit
    assert error.col == 5


def test_aliases_within_the_limit_load(tmp_path: Path) -> None:
    data = load_yaml(write(tmp_path, "a: &a {k: [1, 2]}\nb: [*a, *a]\nc: {<<: *a, z: 1}\n"))
    assert data["b"] == [{"k": [1, 2]}, {"k": [1, 2]}]
    assert data["c"] == {"k": [1, 2], "z": 1}


@pytest.mark.parametrize(("style", "depth"), [("flow", 250), ("flow", 999), ("block", 250)])
def test_deep_nesting_is_a_located_error(tmp_path: Path, depth: int, style: str) -> None:
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join(f"{' ' * i}k{i}:\n" for i in range(depth)) + " " * depth + "x: 1\n"
    error = load_error(tmp_path, text)
    assert error.cause == f"nested more than {yamlsrc.MAX_DEPTH} levels deep"
    if style == "flow":  # the top mapping is level 1, each `[` one more
        assert (error.line, error.col) == (1, 3 + yamlsrc.MAX_DEPTH)
    else:  # line n holds the key k(n-1) and starts the mapping of level n + 1
        assert error.line == yamlsrc.MAX_DEPTH + 1


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_beyond_the_parser_limit_is_a_located_error(tmp_path: Path, style: str) -> None:
    if style == "flow":
        text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    else:  # libyaml gives up at its own limit, before ours is checked
        text = "".join(f"{' ' * i}k{i}:\n" for i in range(999)) + " " * 999 + "x: 1\n"
    error = load_error(tmp_path, text)
    assert error.line >= 1
    assert "nesting depth" in error.cause or "nested more than" in error.cause


def test_nesting_at_the_limit_loads(tmp_path: Path) -> None:
    depth = yamlsrc.MAX_DEPTH - 1  # the top mapping is one level
    data = load_yaml(write(tmp_path, "a: " + "[" * depth + "]" * depth + "\n"))
    assert isinstance(data["a"], list)


def test_recursive_alias_is_a_located_error(tmp_path: Path) -> None:
    error = load_error(tmp_path, "a: &a [1, *a]\n")
    assert "recursive alias" in error.cause
    assert (error.line, error.col) == (1, 4)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    with pytest.raises(LocatedError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}:1:1: cannot read file: it is not a regular file"


def test_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zero.yaml"
    path.symlink_to("/dev/zero")
    with pytest.raises(LocatedError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}:1:1: cannot read file: it is not a regular file"


def test_oversized_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlsrc, "MAX_YAML_BYTES", 10)
    error = load_error(tmp_path, "a: 12345678901234567890\n")
    assert error.cause == "cannot read file: it is 24 bytes, over the 10-byte limit"
