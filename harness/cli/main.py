"""The ``harness`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness import __version__
from harness.cli.inspect import add_inspect_commands
from harness.cli.record import add_record_command
from harness.cli.report import add_report_commands
from harness.cli.settings import cli_settings, help_for
from harness.errors import HarnessError
from harness.replay.store import RecordingStore, remove_stale_temp_files
from harness.replay.used import USAGE_FILE, Usage

# The parser is built from light modules only (`harness --help` answers in a blink); what
# loads the SDK or pydantic models is imported by the command that needs it.
if TYPE_CHECKING:
    from harness.replay.secrets import SecretScanner


RECORDINGS_HELP = help_for("recordings", "recordings folder")


def _cmd_import(args: argparse.Namespace) -> int:
    from harness.cli.importer import import_recordings

    # The same write path as recording: the same policy, with the providers' keys.
    store = RecordingStore(root=cli_settings(args).recordings_dir, scanner=_scanner(args))
    result = import_recordings(
        [Path(p) for p in args.paths],
        store=store,
        provider=args.provider,
        skip_invalid=args.skip_invalid or args.allow_skipped,
    )
    for source, dest in result.written:
        print(f"{source} -> {dest}")
    for source, dest in result.merged:
        print(f"{source} = {dest} (same reply: merged)")
    for conflict in result.conflicts:
        print(f"conflict: {conflict.request}: different replies, each kept under its test id")
        if conflict.shared is not None:
            print(f"  (shared, kept as it was) {conflict.shared}")
        for test_id, dest in conflict.scoped:
            print(f"  {test_id} -> {dest}")
    for source, why in result.skipped:
        print(f"skipped {source}: {why}")
    print(result.summary())
    return 1 if result.skipped and not args.allow_skipped else 0


def _store(args: argparse.Namespace) -> RecordingStore:
    return RecordingStore(root=cli_settings(args).recordings_dir)


def _scanner(args: argparse.Namespace) -> SecretScanner:
    """The secret policy of the providers file (its keys, base URLs and allowlist)."""
    from harness.replay.secrets import SecretScanner
    from harness.spec.providers import load_providers_file

    scanner = SecretScanner()
    providers = cli_settings(args).providers_path
    if providers.is_file():
        loaded = load_providers_file(providers)
        scanner.allow(loaded.allowed_secrets)
        for provider in loaded.providers:
            scanner.watch(provider.api_key_env)
            scanner.watch_url(provider.base_url_as_given(os.environ))
    return scanner


def _cmd_verify(args: argparse.Namespace) -> int:
    from harness.cli import maintenance

    store = _store(args)
    if not store.root.is_dir():  # "checked 0 recordings: 0 problems" would be a false green
        what = "not a folder" if store.root.exists() else "no such recordings folder"
        raise HarnessError(f"{store.root}: {what}")
    for path in remove_stale_temp_files(store):
        print(f"{path}: removed the temp file of an interrupted write")
    checked, problems = maintenance.verify(store, scanner=_scanner(args))
    for problem in problems:
        print(problem)
    print(f"checked {checked} recording{'s' if checked != 1 else ''}: {len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_prune(args: argparse.Namespace) -> int:
    from harness.cli import maintenance

    usage = Usage.read(Path(args.usage))
    removed = maintenance.prune(_store(args), usage=usage, dry_run=args.dry_run)
    for path in removed:
        print(f"{'would delete' if args.dry_run else 'deleted'} {path}")
    print(f"{len(removed)} unused recording{'s' if len(removed) != 1 else ''}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from harness.cli import maintenance

    store = _store(args)
    paths = maintenance.find(store, args.ref)
    if not paths:
        raise HarnessError(f"no recording matches {args.ref!r} in {store.root}")
    for path in paths:
        recording = store.read(path)
        assert recording is not None
        print("\n".join(maintenance.show(recording, path=path)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``harness`` command."""
    parser = argparse.ArgumentParser(prog="harness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    recordings = commands.add_parser("recordings", help="maintain recordings")
    actions = recordings.add_subparsers(dest="action", required=True)
    imp = actions.add_parser(
        "import", help="copy llama-stack/OGX-format recordings into the recordings folder"
    )
    imp.add_argument("paths", nargs="+", metavar="PATH", help="recording files or folders")
    imp.add_argument("--provider", help="provider id (default: from txt=<provider>/... in test_id)")
    imp.add_argument("--recordings", help=RECORDINGS_HELP)
    imp.add_argument("--providers", help=help_for("providers", "providers file (keys)"))
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid files, list the others and why; exit 1 if any was skipped",
    )
    imp.add_argument(
        "--allow-skipped",
        action="store_true",
        help="with --skip-invalid (implied): exit 0 even when files were skipped",
    )
    imp.set_defaults(handler=_cmd_import)
    verify = actions.add_parser("verify", help="check every recording; non-zero exit on problems")
    verify.add_argument("--recordings", help=RECORDINGS_HELP)
    verify.add_argument("--providers", help=help_for("providers", "providers file (keys)"))
    verify.set_defaults(handler=_cmd_verify)
    prune = actions.add_parser("prune", help="delete recordings the last full run did not use")
    prune.add_argument("--recordings", help=RECORDINGS_HELP)
    prune.add_argument("--usage", default=str(USAGE_FILE), help="usage record of the last run")
    prune.add_argument("--dry-run", action="store_true", help="list, do not delete")
    prune.set_defaults(handler=_cmd_prune)
    show = actions.add_parser("show", help="print what a recording (or a scenario's) holds")
    show.add_argument("ref", metavar="KEY|SCENARIO", help="digest, file name, path or scenario id")
    show.add_argument("--recordings", help=RECORDINGS_HELP)
    show.set_defaults(handler=_cmd_show)
    add_record_command(commands)
    add_inspect_commands(commands)
    add_report_commands(commands)
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
    except BrokenPipeError:  # e.g. `harness recordings show X | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
