"""The ``harness`` command line."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import HarnessError, RecordingCorruptError
from .recording import Recording
from .store import RecordingStore

_PROVIDER_IN_TEST_ID = re.compile(r"txt=([A-Za-z0-9][A-Za-z0-9_.\-]*)/")


def import_recordings(
    paths: Sequence[Path], *, store: RecordingStore, provider: str | None
) -> list[tuple[Path, Path]]:
    """Copy seed-format recordings into ``store`` under harness naming; returns (source, dest)."""
    sources: list[Path] = []
    for path in paths:
        if path.is_dir():
            sources.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            sources.append(path)
        else:
            raise HarnessError(f"{path}: no such file or folder")
    copied: list[tuple[Path, Path]] = []
    for source in sources:
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise RecordingCorruptError(f"{source}: not a JSON recording ({exc})") from None
        recording = Recording.from_dict(data, source=str(source))
        owner = provider or _provider_from(recording.test_id)
        if owner is None:
            raise HarnessError(
                f"{source}: cannot tell the provider (no 'txt=<provider>/<model>' in test_id); "
                "pass --provider ID"
            )
        copied.append((source, store.save(recording, provider=owner)))
    return copied


def _provider_from(test_id: str) -> str | None:
    match = _PROVIDER_IN_TEST_ID.search(test_id)
    return match.group(1) if match else None


def _cmd_import(args: argparse.Namespace) -> int:
    store = RecordingStore(root=Path(args.recordings))
    copied = import_recordings([Path(p) for p in args.paths], store=store, provider=args.provider)
    for source, dest in copied:
        print(f"{source} -> {dest}")
    print(f"imported {len(copied)} recording{'s' if len(copied) != 1 else ''}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``harness`` command."""
    parser = argparse.ArgumentParser(prog="harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    recordings = commands.add_parser("recordings", help="maintain recordings")
    actions = recordings.add_subparsers(dest="action", required=True)
    imp = actions.add_parser(
        "import", help="copy llama-stack/OGX-format recordings into the recordings folder"
    )
    imp.add_argument("paths", nargs="+", metavar="PATH", help="recording files or folders")
    imp.add_argument("--provider", help="provider id (default: from txt=<provider>/... in test_id)")
    imp.add_argument("--recordings", default="recordings", help="recordings folder")
    imp.set_defaults(handler=_cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``harness`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
