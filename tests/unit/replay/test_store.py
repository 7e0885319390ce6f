"""Tests for harness.replay.store: the recordings folder, atomic writes, nearest lookup."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.errors import RecordingCorruptError, SecretLeakError
from harness.replay import store as store_module
from harness.replay.key import RequestKey
from harness.replay.recording import Recording, wrap
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore
from harness.util.fs import write_atomic

SEEDS = Path(__file__).resolve().parents[2] / "data" / "seeds"


def recording(
    body: Any, *, endpoint: str = "/v1/chat/completions", method: str = "POST"
) -> Recording:
    return Recording(
        test_id="t",
        method=method,
        url=f"https://api.example.test{endpoint}",
        endpoint=endpoint,
        request_body=body,
        # Nothing for save's normalization to change: saved == loaded.
        response_body=wrap({"object": "model", "id": "x"}),
        is_streaming=False,
    )


def chat_body(*contents: str, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": c} for c in contents]
    return {"model": "m", "messages": messages, **extra}


def key_for(
    body: Any, *, endpoint: str = "/v1/chat/completions", method: str = "POST"
) -> RequestKey:
    return RequestKey(provider="p", method=method, endpoint=endpoint, body=body)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and p.suffix != ".json")


# --- save / load / read --------------------------------------------------------------------


def test_save_writes_under_provider_and_filename(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path / "recordings")
    rec = recording(chat_body("hi"))
    path = store.save(rec, provider="p")
    assert path == tmp_path / "recordings" / "p" / rec.key("p").filename
    assert path == store.path_for(rec.key("p"))
    assert json.loads(path.read_text(encoding="utf-8")) == rec.to_dict()
    assert path.read_text(encoding="utf-8") == rec.to_json()


def test_save_is_the_one_write_path_headers_userinfo_volatile_fields(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    rec = Recording(
        **{
            **recording(chat_body("hi")).__dict__,
            "url": "https://alice:hunter2secretpw@api.example.test/v1/chat/completions",
            "request_headers": {"authorization": "Basic YWxpY2U6aHVudGVy", "x-api-key": "k"},
            "response_body": wrap({"object": "chat.completion", "id": "x", "created": 17}),
        }
    )
    data = json.loads(store.save(rec, provider="p").read_text(encoding="utf-8"))
    assert data["request"]["headers"] == {}
    assert data["request"]["url"] == "https://api.example.test/v1/chat/completions"
    assert data["response"]["body"]["__data__"] == {
        "object": "chat.completion",
        "id": f"rec-{rec.key('p').digest[:12]}",
        "created": 0,
    }


def test_save_leaves_no_temp_files_and_overwrites_whole(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    big = recording(chat_body("x" * 10_000))
    path = store.save(big, provider="p")
    small = Recording(**{**big.__dict__, "test_id": "second"})
    assert store.save(small, provider="p", replace=True) == path
    assert json.loads(path.read_text(encoding="utf-8"))["test_id"] == "second"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [path.name]


def test_write_atomic_cleans_up_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sub" / "file.json"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(target, "new\n")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old\n"  # readers still see the old file
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_write_atomic_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.json"
    write_atomic(target, '{"x": 1}\n')
    assert target.read_text(encoding="utf-8") == '{"x": 1}\n'


def test_load_finds_a_saved_recording_by_key(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    rec = recording(chat_body("hi"))
    store.save(rec, provider="p")
    assert store.load(rec.key("p")) == rec
    # Same request with body keys in another order: same recording.
    reordered = {"messages": [{"content": "hi", "role": "user"}], "model": "m"}
    assert store.load(key_for(reordered)) == rec


def test_load_misses_return_none(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    store.save(recording(chat_body("hi")), provider="p")
    assert store.load(key_for(chat_body("other"))) is None
    assert store.load(RequestKey("q", "POST", "/v1/chat/completions", chat_body("hi"))) is None
    assert RecordingStore(root=tmp_path / "nowhere").load(key_for(None)) is None


def test_read_absent_file_is_none(tmp_path: Path) -> None:
    assert RecordingStore(root=tmp_path).read(tmp_path / "absent.json") is None


@pytest.mark.parametrize(
    "content",
    [b'{"test_id": "t", "request": {', b"", b"\xff\xfe not utf-8", b"[1, 2"],
    ids=["truncated", "empty", "binary", "bad-json"],
)
def test_corrupt_file_names_the_file_and_suggests_verify(tmp_path: Path, content: bytes) -> None:
    store = RecordingStore(root=tmp_path)
    rec = recording(chat_body("hi"))
    path = store.path_for(rec.key("p"))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(RecordingCorruptError) as info:
        store.load(rec.key("p"))
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "harness recordings verify" in message


def test_valid_json_that_is_not_a_recording_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "p" / "chat-completions-0000000000000000.json"
    path.parent.mkdir()
    path.write_text('{"request": {}}', encoding="utf-8")
    with pytest.raises(RecordingCorruptError) as info:
        RecordingStore(root=tmp_path).read(path)
    assert str(info.value).startswith(f"{path}: not a valid recording")
    assert "harness recordings verify" in str(info.value)


def test_read_a_seed_file() -> None:
    path = SEEDS / "earth-multi-turn.json"
    rec = RecordingStore(root=SEEDS).read(path)
    assert rec is not None
    assert rec.is_streaming is True
    assert rec.request_body["messages"][-1]["content"].startswith("What is the name")


def test_save_refuses_a_key_shaped_secret_and_writes_nothing(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    leaky = recording(chat_body("my key is sk-abcdefghijklmnopqrstuvwxyz123456"))
    with pytest.raises(SecretLeakError) as info:
        store.save(leaky, provider="p")
    assert "messages[0].content" in str(info.value)
    assert "sk-abcdefghijklmnop" not in str(info.value)  # the message does not repeat it
    assert list(tmp_path.rglob("*")) == []


def test_save_refuses_the_value_of_a_watched_env_variable(tmp_path: Path) -> None:
    scanner = SecretScanner(
        env_names=("MY_PROVIDER_KEY",), env={"MY_PROVIDER_KEY": "hunter2hunter2"}
    )
    store = RecordingStore(root=tmp_path, scanner=scanner)
    with pytest.raises(SecretLeakError, match=r"\$MY_PROVIDER_KEY"):
        store.save(recording(chat_body("x hunter2hunter2 y")), provider="p")
    assert list(tmp_path.rglob("*.json")) == []
    assert store.save(recording(chat_body("harmless")), provider="p").is_file()


def test_oversized_recording_is_refused_on_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RecordingStore(root=tmp_path)
    rec = recording(chat_body("x" * 2000))
    path = store.save(rec, provider="p")
    assert store.read(path) == rec
    monkeypatch.setattr(store_module, "MAX_RECORDING_BYTES", 1000)
    with pytest.raises(RecordingCorruptError) as info:
        store.read(path)
    assert str(info.value).startswith(f"{path}: recording is ")
    assert "harness recordings verify" in str(info.value)


# --- files ---------------------------------------------------------------------------------


def test_files_lists_recordings_sorted(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    a = store.save(recording(chat_body("a")), provider="p")
    b = store.save(recording(chat_body("b")), provider="p")
    c = store.save(recording(chat_body("c")), provider="q")
    (tmp_path / "p" / "notes.txt").write_text("not a recording", encoding="utf-8")
    (tmp_path / "stray.json").write_text("{}", encoding="utf-8")  # not under a provider
    assert list(store.files()) == sorted([a, b, c])
    assert list(store.files("p")) == sorted([a, b])
    assert list(store.files("q")) == [c]
    assert list(store.files("nobody")) == []


def test_files_of_an_empty_or_missing_root(tmp_path: Path) -> None:
    assert list(RecordingStore(root=tmp_path / "missing").files()) == []


# --- nearest -------------------------------------------------------------------------------


def test_nearest_returns_the_closest_recording_and_its_diff(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    far = store.save(
        recording(
            chat_body("one", "two", "three"),
        ),
        provider="p",
    )
    close = store.save(recording(chat_body("Say hello", "Say goodbye")), provider="p")
    assert far != close
    found = store.nearest(key_for(chat_body("Say hello", "Say goodbye, please")))
    assert found is not None
    path, changes = found
    assert path == close
    assert changes == ["messages[1].content: 'Say goodbye' -> 'Say goodbye, please'"]


def test_nearest_reports_added_keys(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    saved = store.save(recording(chat_body("hi")), provider="p")
    found = store.nearest(key_for(chat_body("hi", temperature=0)))
    assert found == (saved, ["temperature: added 0"])


def test_nearest_only_looks_at_the_same_provider_route_and_method(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    body = chat_body("hi")
    store.save(recording(body), provider="other-provider")
    store.save(recording(body, endpoint="/v1/responses"), provider="p")
    store.save(recording(body, method="GET"), provider="p")
    assert store.nearest(key_for(body)) is None


def test_nearest_does_not_mix_routes_sharing_a_prefix(tmp_path: Path) -> None:
    # "conversations-items-*.json" also matches the glob "conversations-*.json".
    store = RecordingStore(root=tmp_path)
    body = {"items": [{"type": "message", "role": "user", "content": "hi"}]}
    items = store.save(recording(body, endpoint="/v1/conversations/conv_1/items"), provider="p")
    same_route = store.save(
        recording({**body, "metadata": {"a": "b"}}, endpoint="/v1/conversations"), provider="p"
    )
    found = store.nearest(key_for(body, endpoint="/v1/conversations"))
    assert found is not None
    assert found[0] != items
    assert found == (same_route, ["metadata: removed (was {'a': 'b'})"])


def test_nearest_skips_corrupt_files(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    good = store.save(recording(chat_body("a")), provider="p")
    (tmp_path / "p" / "chat-completions-ffffffffffffffff.json").write_text("{", encoding="utf-8")
    found = store.nearest(key_for(chat_body("b")))
    assert found is not None
    assert found[0] == good


def test_nearest_with_no_recordings(tmp_path: Path) -> None:
    assert RecordingStore(root=tmp_path).nearest(key_for(chat_body("a"))) is None
