"""``harness report merge``: JSON run reports merged into one, in any report format."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.outputs.report import (
    FORMATS,
    load_report,
    merge_records,
    write_report,
)
from harness.replay.secrets import SecretScanner


def add_report_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report merge A.json B.json ... -o OUT`` to an argparse subparsers object."""
    report = subparsers.add_parser("report", help="merge and render run reports")
    actions = report.add_subparsers(dest="action", required=True)
    merge = actions.add_parser(
        "merge",
        help="merge the JSON reports of shards (e.g. xdist workers or CI jobs) into one report",
        description="Merge JSON run reports into one, in the format of OUT's extension. A node id "
        "in several reports keeps the later report's result, unless that one is a skip.",
    )
    merge.add_argument("reports", nargs="+", metavar="REPORT.json", help="JSON run reports")
    merge.add_argument(
        "-o", "--output", required=True, metavar="OUT", help=f"output: {', '.join(FORMATS)}"
    )
    merge.set_defaults(handler=_cmd_merge)


def _cmd_merge(args: argparse.Namespace) -> int:
    merged = merge_records(*(load_report(Path(path)) for path in args.reports))
    # Reports are redacted when written; a report from elsewhere gets the key shapes at least.
    out = write_report(Path(args.output), SecretScanner().redact_document(merged))
    count = len(args.reports)
    print(f"merged {len(merged)} records from {count} report{'s' * (count != 1)} -> {out}")
    return 0
