"""Tests for harness.cli.main: ``harness recordings import``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli.importer import import_recordings
from harness.cli.main import build_parser, main
from harness.cli.settings import cli_settings
from harness.errors import HarnessError
from harness.replay.normalize import for_disk
from harness.replay.recording import Recording
from harness.replay.store import RecordingStore

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "tests" / "data" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.json"))
NAME = re.compile(r"chat-completions-[0-9a-f]{16}\.json")


def seed_data(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def imported(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def summary(*, read: int, written: int, merged: int = 0) -> str:
    return (
        f"read {read} recordings: {written} written, {merged} identical duplicates merged, "
        "0 conflicting requests kept per test, 0 skipped"
    )


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_import_seed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "recordings"
    code, out, err = run(
        ["recordings", "import", *map(str, SEED_FILES), "--recordings", str(root)], capsys
    )
    assert code == 0
    assert err == ""
    files = imported(root)
    assert len(files) == 4
    for path in files:
        assert path.parent == root / "openai"  # provider from txt=openai/... in test_id
        assert NAME.fullmatch(path.name), path.name
    lines = out.splitlines()
    assert lines[-1] == summary(read=4, written=4)
    for source in SEED_FILES:
        rec = Recording.from_dict(seed_data(source), source=str(source))
        dest = root / "openai" / rec.key("openai").filename
        assert f"{source} -> {dest}" in lines
        # What recording would write: headers dropped, volatile fields normalized.
        written = for_disk(rec, digest=rec.key("openai").digest)
        assert json.loads(dest.read_text(encoding="utf-8")) == written.to_dict()


def test_imported_names_match_the_committed_recordings(tmp_path: Path) -> None:
    store = RecordingStore(root=tmp_path)
    copied = import_recordings(SEED_FILES, store=store, provider=None).written
    names = sorted(dest.name for _source, dest in copied)
    committed = sorted(p.name for p in (REPO / "recordings" / "openai").glob("*.json"))
    assert set(names) <= set(committed)
    assert [source for source, _dest in copied] == SEED_FILES


def test_import_a_folder_recursively(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src" / "nested"
    src.mkdir(parents=True)
    for path in SEED_FILES[:2]:
        (src / path.name).write_bytes(path.read_bytes())
    (src / "README.txt").write_text("ignored", encoding="utf-8")
    root = tmp_path / "rec"
    code, out, _err = run(
        ["recordings", "import", str(tmp_path / "src"), "--recordings", str(root)], capsys
    )
    assert code == 0
    assert len(imported(root)) == 2
    assert out.splitlines()[-1] == summary(read=2, written=2)


def test_import_twice_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "rec"
    argv = ["recordings", "import", *map(str, SEED_FILES), "--recordings", str(root)]
    assert run(argv, capsys)[0] == 0
    first = {p: p.read_bytes() for p in imported(root)}
    code, out, _err = run(argv, capsys)
    assert code == 0
    assert {p: p.read_bytes() for p in imported(root)} == first
    assert out.splitlines()[-1] == summary(read=4, written=0, merged=4)


def test_provider_option_overrides_test_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "rec"
    code, out, _err = run(
        [
            "recordings",
            "import",
            str(SEED_FILES[0]),
            "--provider",
            "azure-eu",
            "--recordings",
            str(root),
        ],
        capsys,
    )
    assert code == 0
    (path,) = imported(root)
    assert path.parent == root / "azure-eu"
    rec = Recording.from_dict(seed_data(SEED_FILES[0]), source="s")
    assert path.name == rec.key("azure-eu").filename
    assert path.name != rec.key("openai").filename  # the provider is part of the key
    assert out.splitlines()[-1] == (
        "read 1 recording: 1 written, 0 identical duplicates merged, "
        "0 conflicting requests kept per test, 0 skipped"
    )


def without_txt(tmp_path: Path) -> Path:
    data = seed_data(SEED_FILES[0])
    data["test_id"] = "tests/test_something.py::test_it[gpt-4o]"
    path = tmp_path / "no-provider.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_no_provider_anywhere_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = without_txt(tmp_path)
    root = tmp_path / "rec"
    code, out, err = run(["recordings", "import", str(path), "--recordings", str(root)], capsys)
    assert code == 2
    assert out == ""
    assert err == (
        f"harness: error: {path}: cannot tell the provider "
        "(no 'txt=<provider>/<model>' in test_id); pass --provider ID\n"
    )
    assert imported(tmp_path / "rec") == []


def test_no_provider_in_test_id_is_fine_with_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = without_txt(tmp_path)
    root = tmp_path / "rec"
    argv = ["recordings", "import", str(path), "--provider", "p", "--recordings", str(root)]
    assert run(argv, capsys)[0] == 0
    assert [p.parent.name for p in imported(root)] == ["p"]


def test_provider_is_the_text_between_txt_and_slash(tmp_path: Path) -> None:
    data = seed_data(SEED_FILES[0])
    data["test_id"] = "scenarios/a.yaml::x[txt=local.llama_3-b/some/model-stream]"
    source = tmp_path / "one.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    ((_src, dest),) = import_recordings(
        [source], store=RecordingStore(root=tmp_path / "r"), provider=None
    ).written
    assert dest.parent.name == "local.llama_3-b"


def test_non_json_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{ this is not json", encoding="utf-8")
    code, _out, err = run(
        ["recordings", "import", str(bad), "--recordings", str(tmp_path / "rec")], capsys
    )
    assert code == 2
    assert err.startswith(f"harness: error: {bad}: corrupt or truncated recording (")
    assert err.count("\n") == 1


def test_json_that_is_not_a_recording_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "list.json"
    bad.write_text("[1, 2, 3]", encoding="utf-8")
    code, _out, err = run(
        ["recordings", "import", str(bad), "--recordings", str(tmp_path / "rec")], capsys
    )
    assert code == 2
    assert err.startswith(f"harness: error: {bad}: not a valid recording")


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    code, _out, err = run(
        ["recordings", "import", str(missing), "--recordings", str(tmp_path / "rec")], capsys
    )
    assert code == 2
    assert err == f"harness: error: {missing}: no such file or folder\n"


def test_import_recordings_raises_harness_errors(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no such file or folder"):
        import_recordings([tmp_path / "x"], store=RecordingStore(root=tmp_path), provider=None)


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["recordings"], ["recordings", "import"], ["frobnicate"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "usage: harness" in capsys.readouterr().err


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["recordings", "import", "a.json"])
    assert args.paths == ["a.json"]
    assert args.provider is None
    assert args.recordings is None  # left to cli_settings: option > env > ini > default
    assert cli_settings(args).recordings_dir == Path("recordings")
    assert (args.skip_invalid, args.allow_skipped) == (False, False)  # all or nothing by default


def test_default_recordings_folder_is_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["recordings", "import", str(SEED_FILES[0])], capsys)[0] == 0
    assert len(imported(tmp_path / "recordings" / "openai")) == 1


def test_console_module_runs_as_a_program(tmp_path: Path) -> None:
    root = tmp_path / "rec"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "recordings",
            "import",
            str(SEEDS),
            "--recordings",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == summary(read=4, written=4)
    assert len(imported(root / "openai")) == 4

    failed = subprocess.run(
        [sys.executable, "-m", "harness.cli", "recordings", "import", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 2
    assert "no such file or folder" in failed.stderr
    assert "Traceback" not in failed.stderr
