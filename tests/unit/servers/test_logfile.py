"""ServerLog: one file per server, each start's output after its command line."""

from __future__ import annotations

from pathlib import Path

from harness.servers.logfile import ServerLog


def test_tail_of_no_file_is_empty() -> None:
    log = ServerLog(None, slug="x")
    assert log.path is None
    assert log.tail() == ""
    assert log.since_start() == ""


def test_a_temp_file_is_made_at_the_first_start() -> None:
    log = ServerLog(None, slug="unit-slug")
    with log.for_start(["run", "it"]) as handle:
        handle.write(b"hello\n")
    assert log.path is not None
    try:
        assert log.path.name.startswith("harness-unit-slug-")
        assert log.tail() == "$ run it\nhello"
    finally:
        log.path.unlink()


def test_since_start_is_only_the_last_starts_output(tmp_path: Path) -> None:
    log = ServerLog(tmp_path / "sub" / "server.log", slug="x")
    with log.for_start(["first"]) as handle:
        handle.write(b"Address already in use\n")
    with log.for_start(["second", "Address already in use"]) as handle:
        handle.write(b"other trouble\n")
    assert log.since_start() == "other trouble\n"
    assert log.tail(2) == "$ second Address already in use\nother trouble"


def test_tail_strips_padding_splits_carriage_returns_and_drops_probes(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    probe = 'INFO: 127.0.0.1:5 - "GET /v1/models HTTP/1.1" 200 OK'
    path.write_text(f"a   \nprogress 1\rprogress 2\n{probe}\nb\n")
    log = ServerLog(path, slug="x")
    assert log.tail() == f"a\nprogress 1\nprogress 2\n{probe}\nb"
    assert log.tail(2, without_probes=True) == "progress 2\nb"
    path.unlink()
    assert log.tail() == ""
