"""Hypothesis profiles and strategies for fuzzing what harness reads from outside.

Profiles: ``ci`` (the default: few examples, deterministic, no example database written) and
``long`` (thousands of examples, random): ``HARNESS_FUZZ=long pytest -k fuzz``. The property
every fuzz test checks: the only exceptions that escape are ``HarnessError``s naming where the
bad input came from, within a time bound (the deadline) and a memory bound (:func:`bounded`).
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from harness.errors import HarnessError, LocatedError

# The deadline bounds hangs, not speed: the machine is shared, and a wall-clock limit tight
# enough to measure speed would fail at random.
HANG_BOUND = timedelta(seconds=30)
settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=HANG_BOUND,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=3000,
    deadline=HANG_BOUND,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HARNESS_FUZZ", "ci"))

MEMORY_BOUND = 64 * 1024 * 1024  # peak bytes one example may allocate

# Field names of chat and Responses replies, so generated objects hit the fields code reads.
FIELDS = [
    "id", "object", "created", "model", "choices", "index", "delta", "message", "role",
    "content", "refusal", "tool_calls", "function", "name", "arguments", "type",
    "finish_reason", "logprobs", "usage", "audio", "function_call", "data", "transcript",
    "expires_at", "output", "output_index", "content_index", "item_id", "item", "response",
    "sequence_number", "status", "text", "call_id", "error", "message", "code", "__data__",
    "__type__", "request", "body", "endpoint", "method", "url", "is_streaming", "status_code",
    "truncated", "occurrence", "scope", "headers", "test_id",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["\u2028", "\ud800", "chat.completion.chunk", "response.completed"])
)
keys = st.sampled_from(FIELDS) | st.text(max_size=6)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=24,
)


@st.composite
def mutated(draw: st.DrawFn, document: Any, *, max_changes: int = 3) -> Any:
    """``document`` (a JSON value) with 1..max_changes values replaced, deleted or wrapped."""
    import copy

    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        document = _mutate_once(draw, document)
    return document


def _mutate_once(draw: st.DrawFn, node: Any) -> Any:
    children = (
        list(node.keys())
        if isinstance(node, dict)
        else range(len(node))
        if isinstance(node, list)
        else []
    )
    if children and draw(st.integers(min_value=0, max_value=3)) > 0:
        key = draw(st.sampled_from(list(children)))
        if isinstance(node, dict) and draw(st.integers(min_value=0, max_value=5)) == 0:
            del node[key]
        else:
            node[key] = _mutate_once(draw, node[key])
        return node
    choice = draw(st.integers(min_value=0, max_value=3))
    if choice == 0:
        return [node]  # a list where an object belongs
    if choice == 1 and isinstance(node, (str, int, float)) and not isinstance(node, bool):
        return str(node) if not isinstance(node, str) else node + draw(st.text(max_size=3))
    return draw(json_values)


@contextmanager
def bounded(limit: int = MEMORY_BOUND) -> Iterator[None]:
    """Fail when the block's peak Python allocation exceeds ``limit`` bytes."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        if started:
            tracemalloc.stop()
    assert peak <= limit, f"peak allocation {peak} bytes over the {limit}-byte bound"


T = TypeVar("T")
LOADER_MEMORY_BOUND = 256 * 1024 * 1024  # a document may expand to MAX_NODES (250,000) nodes


def only_harness_errors(call: Callable[[], T], *, located: bool) -> T | HarnessError:
    """``call()``'s result, or the :class:`HarnessError` it raised (anything else propagates),
    within :data:`LOADER_MEMORY_BOUND`. With ``located``, the error must be a
    :class:`~harness.errors.LocatedError` with a line, in one line."""
    with bounded(LOADER_MEMORY_BOUND):
        try:
            return call()
        except HarnessError as exc:
            if located:
                assert isinstance(exc, LocatedError), repr(exc)
                assert exc.line >= 1, str(exc)
                assert "\n" not in str(exc), str(exc)
            return exc
