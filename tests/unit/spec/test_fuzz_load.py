"""Property-based fuzzing of the scenario loader and validator (``harness validate``).

Property: for any bytes in a scenario file, loading and cross-checking it either succeeds or
fails with located :class:`~harness.errors.HarnessError`s, within a time and memory bound; never
another exception, a hang or a blow-up. Profiles: see :mod:`support.fuzz`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from harness.engine.crosscheck import cross_check
from harness.engine.matrix import columns
from harness.errors import LocatedError
from harness.spec.load import load_scenarios, read_scenarios
from harness.spec.providers import Provider
from support.fuzz import only_harness_errors
from support.project import REPO

SEEDS = [p.read_bytes() for p in sorted((REPO / "scenarios").glob("*.yaml"))]
MATRIX = columns(
    [
        Provider.model_validate(
            {"id": "p", "base_url": "https://p.test/v1", "capabilities": ["tools"], "models": ["m"]}
        )
    ]
)
KEYS = [
    "scenarios", "id", "steps", "user", "input", "expect", "regex", "contains", "tools",
    "tool_results", "requires", "models", "xfail", "stream", "params", "messages", "api",
    "conversation", "image", "save_as", "max_tool_rounds", "tags", "snapshot", "<<",
]  # fmt: skip
# Fragments that have broken the loader before: anchors and aliases, nesting, odd line breaks,
# bytes that are not UTF-8, regex syntax.
TOKENS = [
    b"&a ", b"*a", b"<<: *a", b"[", b"]", b"{", b"}", b"\n", b"\r", b"\xe2\x80\xa8", b"\xc2\x85",
    b"\xff", b"\x00", b"- ", b": ", b"'((' ", b"!!python/object ", b"\t", b"---\n", b"? ",
]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)
values = st.recursive(
    scalars | st.sampled_from(KEYS),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
scenario_like = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "pytestmark", "bad id"]), "steps": values},
    optional={key: values for key in KEYS if key not in ("id", "steps")},
)
documents = st.one_of(
    values,
    st.fixed_dictionaries({"scenarios": st.lists(scenario_like, max_size=3)}),
)


def check_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)

        def run() -> None:
            scenarios, problems = read_scenarios(path)
            for problem in problems:
                assert isinstance(problem, LocatedError)
                assert problem.line >= 1, str(problem)
                assert "\n" not in problem.cause, problem.cause
            for problem in cross_check(scenarios, MATRIX):
                assert isinstance(problem, LocatedError)
            load_scenarios(path)

        only_harness_errors(run, located=True)


@given(documents)
def test_fuzz_generated_documents(document: Any) -> None:
    check_file(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))


@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(
            st.floats(0, 1), st.integers(0, 3), st.sampled_from(TOKENS) | st.binary(max_size=4)
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_fuzz_mutated_scenario_files(seed: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    data = bytearray(seed)
    for where, cut, insert in edits:
        at = int(where * len(data))
        data[at : at + cut] = insert
    check_file(bytes(data))


@given(st.integers(1, 12), st.integers(2, 12))
def test_fuzz_alias_fanout(levels: int, fanout: int) -> None:
    lines = ["scenarios:", "  - id: a", "    steps: [{user: hi}]", "    messages:"]
    lines.append("      - &l0 {role: user, content: x}")
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * fanout)
        lines.append(f"      - &l{level} {{role: user, content: x, extra: [{refs}]}}")
    check_file(("\n".join(lines) + "\n").encode())
