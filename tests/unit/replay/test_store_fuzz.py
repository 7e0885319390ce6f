"""Fuzz: the recording reader, ``verify`` and ``show`` on generated and mutated documents.

Property: reading raises nothing but a ``RecordingCorruptError`` naming the file; a recording
that reads also keys, serves and shows; ``verify`` reports instead of raising. Within the
deadline and memory bound of ``support.fuzz``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harness.cli.maintenance import show, verify
from harness.errors import RecordingCorruptError
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore
from support.fuzz import bounded, json_values, mutated

REPO = Path(__file__).resolve().parents[3]
SEEDS = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in [
        REPO / "tests" / "data" / "seeds" / "earth-multi-turn.json",  # streamed chat
        REPO / "recordings" / "local" / "chat-completions-29606450eb3ea478.json",
        REPO / "recordings" / "local" / "responses-1c29b1143d644e96.json",
        REPO / "recordings" / "local" / "responses-765e5022d4401828.json",  # streamed events
    ]
]

documents = st.one_of(json_values, *(mutated(seed) for seed in SEEDS))


@st.composite
def texts(draw: st.DrawFn) -> str:
    """A recording's text cut, spliced with bytes, or nested deep."""
    text = json.dumps(draw(st.sampled_from(SEEDS)), indent=1)
    at = draw(st.integers(min_value=0, max_value=len(text)))
    kind = draw(st.sampled_from(["cut", "splice", "nest"]))
    if kind == "cut":
        return text[:at]
    if kind == "splice":
        return text[:at] + draw(st.text(max_size=8)) + text[at:]
    depth = draw(st.integers(min_value=50, max_value=20_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return text.replace('"body": ', '"body": ' + opener * depth + "1" + closer * depth, 1)


def check(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = RecordingStore(root=Path(folder))
        path = Path(folder) / "prov" / "chat-completions-0000000000000000.json"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with bounded():
            try:
                recording = store.read(path)
            except RecordingCorruptError as exc:
                assert str(path) in str(exc), exc
                recording = None
            if recording is not None:
                assert recording.key("prov").filename
                recording.response_content()
                recording.to_json().encode("utf-8")
                assert next(iter(show(recording, path=path))) == f"# {path}"
            checked, problems = verify(store, scanner=SecretScanner(env={}))
            assert checked == 1
            assert (recording is None) == any(p.kind == "corrupt" for p in problems)


@given(document=documents)
def test_fuzz_generated_and_mutated_recordings(document: Any) -> None:
    check(json.dumps(document))


@given(text=texts())
def test_fuzz_cut_spliced_and_nested_recording_texts(text: str) -> None:
    check(text)
