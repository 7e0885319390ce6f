"""``harness record``: run pytest in a record mode together with ``--snapshot-update``.

With ``--local-server`` it first builds the tiny local model (cached) and serves it on a free
loopback port for the run, pointing ``HARNESS_LOCAL_BASE_URL`` at it, so the ``local``
column is re-recorded with no key and no network.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCAL_URL_ENV = "HARNESS_LOCAL_BASE_URL"


def add_record_command(subparsers: Any) -> None:
    """Add ``record`` to the ``harness`` command."""
    record = subparsers.add_parser(
        "record",
        help="run pytest in a record mode with --snapshot-update",
        description=__doc__,
    )
    record.add_argument(
        "--mode",
        choices=["record-missing", "rewrite"],
        default="record-missing",
        help="record-missing (default): only what has no recording; rewrite: everything",
    )
    record.add_argument(
        "--local-server",
        action="store_true",
        help=f"serve the tiny local model for the run and set {LOCAL_URL_ENV}",
    )
    record.add_argument(
        "--hf-home", default=".harness/hf", help="where the local model is built (cached)"
    )
    record.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    record.set_defaults(handler=_cmd_record)


def pytest_command(*, mode: str, pytest_args: list[str]) -> list[str]:
    """The pytest command line ``harness record`` runs."""
    args = [a for a in pytest_args if a != "--"] or ["scenarios"]
    return [
        sys.executable,
        "-m",
        "pytest",
        *args,
        f"--harness-record-mode={mode}",
        "--snapshot-update",
    ]


def _cmd_record(args: argparse.Namespace) -> int:
    command = pytest_command(mode=args.mode, pytest_args=list(args.pytest_args))
    env = dict(os.environ)
    with _local_server(enabled=args.local_server, hf_home=Path(args.hf_home)) as url:
        if url:
            env[LOCAL_URL_ENV] = url
            print(f"harness: local model server at {url}", flush=True)
        print("harness: " + " ".join(command), flush=True)
        return subprocess.call(command, env=env)


@contextmanager
def _local_server(*, enabled: bool, hf_home: Path) -> Iterator[str | None]:
    if not enabled:
        yield None
        return
    from .localmodel import LocalModelServer, build_tiny_model  # needs torch/transformers

    build_tiny_model(hf_home=hf_home.resolve())
    with LocalModelServer(hf_home=hf_home.resolve()) as server:
        yield server.base_url
