"""Tests for harness.cli.importer: exact accounting, duplicates merged or kept per test, nothing
replaced, all-or-nothing unless skipping was asked for; exceptions become HTTP errors that the
real SDK raises as the recorded class."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from harness.cli.importer import import_recordings
from harness.engine.assemble.chat import assemble_chat
from harness.errors import HarnessError, RecordingConflictError, SecretLeakError
from harness.replay.key import RequestKey
from harness.replay.recording import Recording
from harness.replay.store import RecordingStore
from support.seed_corpus import PROVIDER, SeedCase, error_case, mixed_batch
from support.transports import replaying


def files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_all(cases: list[SeedCase], folder: Path) -> list[Path]:
    return [case.write(folder) for case in cases]


def moon(test: str, text: str) -> SeedCase:
    return SeedCase(name="moon", question="Describe the Moon.", stream=True, text=text, test=test)


def test_mixed_batch_counts_add_up_and_nothing_is_lost(tmp_path: Path) -> None:
    cases, counts = mixed_batch()
    sources = write_all(cases, tmp_path / "in")
    store = RecordingStore(root=tmp_path / "rec")
    result = import_recordings([tmp_path / "in"], store=store, provider=None)
    assert result.read == counts["read"] == len(sources)
    assert len(result.written) == counts["written"]
    assert len(result.merged) == counts["merged"]
    assert len(result.conflicts) == counts["conflicts"]
    assert result.skipped == []
    assert result.read == len(result.written) + len(result.merged) + len(result.skipped)
    assert {s for s, _ in result.written} | {s for s, _ in result.merged} == set(sources)
    assert len(files(tmp_path / "rec")) == counts["written"]
    assert "read 12 recordings: 10 written, 2 identical duplicates merged, " in result.summary()


def test_identical_replies_from_different_tests_are_merged_into_one_shared_file(
    tmp_path: Path,
) -> None:
    # The seed ids differ per test (rec-<hash of test id>): still the same reply.
    cases = [SeedCase(name="hi", question="Hi?", stream=True, text="Hello!", test=t) for t in "ab"]
    write_all(cases, tmp_path / "in")
    store = RecordingStore(root=tmp_path / "rec")
    result = import_recordings([tmp_path / "in"], store=store, provider=None)
    [(_, written)] = result.written
    [(_, merged)] = result.merged
    assert written == merged == store.path_for(store.read(written).key(PROVIDER))  # type: ignore[union-attr]
    assert result.conflicts == []


def test_conflicting_replies_are_each_kept_under_their_test_id(tmp_path: Path) -> None:
    cases = [moon("test_x", "Grey."), moon("test_y", "Dusty.")]
    write_all(cases, tmp_path / "in")
    store = RecordingStore(root=tmp_path / "rec")
    result = import_recordings([tmp_path / "in"], store=store, provider=None)
    [conflict] = result.conflicts
    assert conflict.request == f"POST /v1/chat/completions on provider {PROVIDER}"
    assert conflict.shared is None
    assert sorted(t for t, _ in conflict.scoped) == [c.test_id for c in cases]
    assert len(result.written) == 2 and not result.merged
    dests = dict(conflict.scoped)
    assert sorted(dests.values()) == sorted(dest for _, dest in result.written)
    for case in cases:
        recording = store.read(dests[case.test_id])
        assert recording is not None and recording.scope == case.test_id
        texts = [c["__data__"]["choices"][0]["delta"]["content"] for c in recording.response_body]
        assert "".join(t or "" for t in texts) == case.text
    unscoped = RequestKey(
        provider=PROVIDER,
        method="POST",
        endpoint="/v1/chat/completions",
        body=cases[0].request_body,
    )
    assert store.load(unscoped) is None  # nobody's reply is picked as "the" shared one
    assert sorted(store.scoped_variants(unscoped)) == sorted(c.test_id for c in cases)


def test_a_conflict_keeps_the_shared_file_already_there_untouched(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path / "rec")
    moon("test_x", "Grey.").write(tmp_path / "first")
    import_recordings([tmp_path / "first"], store=store, provider=None)
    before = files(tmp_path / "rec")
    moon("test_y", "Dusty.").write(tmp_path / "second")
    result = import_recordings([tmp_path / "second"], store=store, provider=None)
    after = files(tmp_path / "rec")
    assert {p: after[p] for p in before} == before  # not replaced
    [conflict] = result.conflicts
    assert conflict.shared == next(iter(before))
    [(_, scoped)] = result.written
    assert scoped not in before


def test_a_request_known_to_conflict_never_gets_a_shared_reply_later(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path / "rec")
    for test, text in (("test_x", "Grey."), ("test_y", "Dusty.")):
        moon(test, text).write(tmp_path / "both")
    import_recordings([tmp_path / "both"], store=store, provider=None)
    before = files(tmp_path / "rec")
    moon("test_z", "Grey.").write(tmp_path / "later")  # alone, it agrees with test_x
    result = import_recordings([tmp_path / "later"], store=store, provider=None)
    [conflict] = result.conflicts
    [(test_id, dest)] = conflict.scoped
    assert test_id.endswith("::test_z[txt=acme/gpt-4o-moon]")
    recording = store.read(dest)
    assert recording is not None and recording.scope == test_id
    assert set(files(tmp_path / "rec")) - set(before) == {dest}


def test_importing_the_same_batch_twice_merges_everything(tmp_path: Path) -> None:
    cases, counts = mixed_batch()
    write_all(cases, tmp_path / "in")
    store = RecordingStore(root=tmp_path / "rec")
    import_recordings([tmp_path / "in"], store=store, provider=None)
    before = files(tmp_path / "rec")
    again = import_recordings([tmp_path / "in"], store=store, provider=None)
    assert (len(again.written), len(again.merged)) == (0, counts["read"])
    assert files(tmp_path / "rec") == before


def test_one_test_with_two_replies_to_one_request_is_refused(tmp_path: Path) -> None:
    moon("test_x", "Grey.").write(tmp_path / "a")
    moon("test_x", "Dusty.").write(tmp_path / "b")
    moon("test_y", "Pale.").write(tmp_path / "c")
    store = RecordingStore(root=tmp_path / "rec")
    with pytest.raises(HarnessError, match="already has a different reply to this request"):
        import_recordings([tmp_path], store=store, provider=None)
    assert files(tmp_path / "rec") == {}
    result = import_recordings([tmp_path], store=store, provider=None, skip_invalid=True)
    assert [s.parent.name for s, _ in result.skipped] == ["b"]
    assert len(result.written) == 2


def invalid_files(folder: Path) -> dict[str, str]:
    """File name -> the reason it is skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.json").write_text("{ nope", encoding="utf-8")
    tool_runtime = {  # llama-stack records its tool runtime (web search) calls too
        "test_id": "t",
        "request": {"test_id": "t", "provider": "tavily", "tool_name": "web_search", "kwargs": {}},
        "response": {"body": {"content": "[]"}, "is_streaming": False},
    }
    (folder / "tool.json").write_text(json.dumps(tool_runtime), encoding="utf-8")
    crash = SeedCase(name="c", question="q", stream=False, text="-").document()
    crash["response"] = {
        "body": None,
        "is_exception": True,
        "exception_data": {"category": "unknown", "type": "TimeoutError", "message": "t"},
    }
    (folder / "crash.json").write_text(json.dumps(crash), encoding="utf-8")
    return {
        "broken.json": "corrupt or truncated recording (",
        "tool.json": "not an HTTP request recording (its request has no method and endpoint",
        "crash.json": "recorded TimeoutError has no HTTP error status (status_code None)",
    }


def test_an_invalid_file_fails_the_batch_before_anything_is_written(tmp_path: Path) -> None:
    cases, _counts = mixed_batch()
    write_all(cases, tmp_path / "in")
    invalid_files(tmp_path / "in" / "zz")
    with pytest.raises(HarnessError):
        import_recordings(
            [tmp_path / "in"], store=RecordingStore(root=tmp_path / "rec"), provider=None
        )
    assert files(tmp_path / "rec") == {}


def test_skip_invalid_imports_the_rest_and_says_why_each_was_skipped(tmp_path: Path) -> None:
    cases, counts = mixed_batch()
    write_all(cases, tmp_path / "in")
    reasons = invalid_files(tmp_path / "in" / "zz")
    store = RecordingStore(root=tmp_path / "rec")
    result = import_recordings([tmp_path / "in"], store=store, provider=None, skip_invalid=True)
    assert result.read == counts["read"] + 3
    assert len(result.written) == counts["written"]
    assert {s.name: why for s, why in result.skipped}.keys() == reasons.keys()
    for source, why in result.skipped:
        assert why.startswith(reasons[source.name]), why


def test_a_secret_in_one_file_writes_nothing(tmp_path: Path) -> None:
    write_all(mixed_batch()[0], tmp_path / "in")
    leaky = SeedCase(name="k", question="key?", stream=False, text="sk-abcdefghijklmnopqrstuvwx")
    leaky.write(tmp_path / "in")
    with pytest.raises(SecretLeakError):
        import_recordings(
            [tmp_path / "in"], store=RecordingStore(root=tmp_path / "rec"), provider=None
        )
    assert files(tmp_path / "rec") == {}


@pytest.mark.parametrize(
    ("status", "kind", "stream"),
    [
        (400, "BadRequestError", False),
        (404, "NotFoundError", True),
        (429, "RateLimitError", False),
        (503, "InternalServerError", True),
        (418, "APIStatusError", False),
    ],
)
def test_an_imported_exception_replays_as_the_same_sdk_exception(
    tmp_path: Path, status: int, kind: str, stream: bool
) -> None:
    case = error_case(f"e{status}", status=status, kind=kind, stream=stream)
    case.write(tmp_path / "in")
    store = RecordingStore(root=tmp_path / "rec")
    import_recordings([tmp_path / "in"], store=store, provider=None)
    transport = replaying(store, provider=PROVIDER, base_url="https://acme.test/v1")
    client = openai.OpenAI(
        base_url="https://acme.test/v1",
        api_key="x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**case.request_body)
    error = case.error
    assert error is not None
    assert type(info.value).__name__ == kind
    assert info.value.status_code == status
    assert info.value.body == error["body"]
    assert error["body"]["message"] in info.value.message


def test_store_refuses_to_replace_a_different_reply(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    moon("t", "Grey.").write(tmp_path / "in")
    [(_, path)] = import_recordings([tmp_path / "in"], store=store, provider=None).written
    original = store.read(path)
    assert original is not None
    other = SeedCase(name="moon", question="Describe the Moon.", stream=True, text="Dusty.")
    changed = json.loads(json.dumps(other.document()))
    different = Recording.from_dict(changed, source="x")
    before = path.read_bytes()
    with pytest.raises(RecordingConflictError, match="already holds a different reply"):
        store.save(different, provider=PROVIDER)
    assert path.read_bytes() == before
    assert store.save(original, provider=PROVIDER) == path  # the same reply: kept as it is
    assert store.save(different, provider=PROVIDER, replace=True) == path  # rewrite mode
    assert path.read_bytes() != before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_a_tool_call_streamed_in_pieces_assembles_as_the_non_streamed_one(
    tmp_path: Path,
) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Saint-Étienne", "days": [1, 2]}}
    cases = [
        SeedCase(name="w", question="Weather?", stream=s, tools=True, tool_call=call)
        for s in (False, True)
    ]
    write_all(cases, tmp_path / "in")
    store = RecordingStore(root=tmp_path / "rec")
    assert len(import_recordings([tmp_path / "in"], store=store, provider=None).written) == 2
    streamed_chunks = store.read(
        store.path_for(Recording.from_dict(cases[1].document(), source="s").key(PROVIDER))
    )
    assert streamed_chunks is not None and len(streamed_chunks.response_body) > 10
    transport = replaying(store, provider=PROVIDER, base_url="https://acme.test/v1")
    client = openai.OpenAI(
        base_url="https://acme.test/v1",
        api_key="x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )
    plain = client.chat.completions.create(**cases[0].request_body)
    streamed = assemble_chat(client.chat.completions.create(**cases[1].request_body))
    for reply in (plain, streamed):
        [tool_call] = reply.choices[0].message.tool_calls or []
        assert tool_call.id == "call_w"
        assert tool_call.function.name == "get_weather"  # type: ignore[union-attr]
        assert json.loads(tool_call.function.arguments) == call["arguments"]  # type: ignore[union-attr]
        assert reply.choices[0].finish_reason == "tool_calls"
    assert streamed.choices[0].message.tool_calls == plain.choices[0].message.tool_calls
