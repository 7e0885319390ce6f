"""``harness record``: run pytest in a record mode together with ``--snapshot-update``.

With ``--local-server`` it first builds the tiny local model (cached) and serves it on a free
loopback port for the run, pointing ``HARNESS_LOCAL_BASE_URL`` at it, so the ``local``
column is re-recorded with no key and no network. ``--llama-stack`` also starts llama-stack
over that server (``.ci/install-llama-stack.sh`` installs it) and sets
``HARNESS_LLAMA_STACK_BASE_URL``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCAL_URL_ENV = "HARNESS_LOCAL_BASE_URL"
LLAMA_STACK_URL_ENV = "HARNESS_LLAMA_STACK_BASE_URL"


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
        "--llama-stack",
        action="store_true",
        help=f"also serve llama-stack over the local model and set {LLAMA_STACK_URL_ENV}",
    )
    record.add_argument(
        "--hf-home", default=".harness/hf", help="where the local model is built (cached)"
    )
    record.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    record.set_defaults(handler=_cmd_record)


def pytest_command(*, mode: str, pytest_args: list[str], default: Sequence[Path]) -> list[str]:
    """The pytest command line ``harness record`` runs (on the ``default`` paths, the scenario
    folders, when no pytest argument is given)."""
    args = [a for a in pytest_args if a != "--"] or [str(path) for path in default]
    return [
        sys.executable,
        "-m",
        "pytest",
        *args,
        f"--harness-record-mode={mode}",
        "--snapshot-update",
    ]


def _cmd_record(args: argparse.Namespace) -> int:
    from harness.cli.settings import scenario_settings

    dirs = scenario_settings().dirs
    command = pytest_command(mode=args.mode, pytest_args=list(args.pytest_args), default=dirs)
    env = dict(os.environ)
    local = args.local_server or args.llama_stack
    with _servers(local=local, llama_stack=args.llama_stack, hf_home=Path(args.hf_home)) as urls:
        for name, url in urls.items():
            env[name] = url
            print(f"harness: {name}={url}", flush=True)
        print("harness: " + " ".join(command), flush=True)
        roots = watched_roots(args)
        before = file_state(roots)
        code = subprocess.call(command, env=env)
        for line in describe_changes(before, file_state([*roots, *_snapshot_dirs(Path())])):
            print(line, flush=True)
        return code


def watched_roots(args: argparse.Namespace) -> list[Path]:
    """The recordings folder pytest will use (option > environment > ini > default, as for
    every command) and the snapshot folders: what the run may change."""
    from harness.cli.settings import cli_settings

    return [cli_settings(args).recordings_dir, *_snapshot_dirs(Path())]


def _snapshot_dirs(root: Path) -> list[Path]:
    """Every ``__snapshots__`` folder under ``root`` (hidden folders and venvs skipped)."""
    found = []
    for folder, dirs, _names in os.walk(root):
        if Path(folder).name == "__snapshots__":
            found.append(Path(folder))
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "venv")]
    return found


def file_state(roots: list[Path]) -> dict[str, str]:
    """Path -> content digest of every file under ``roots`` (temp files of writes left out)."""
    state = {}
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and not path.name.endswith(".tmp"):
                state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def describe_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What a record run changed: files added, updated and removed, one line each."""
    changes = [("added", p) for p in sorted(after.keys() - before.keys())]
    kept = sorted(before.keys() & after.keys())
    changes += [("updated", p) for p in kept if before[p] != after[p]]
    changes += [("removed", p) for p in sorted(before.keys() - after.keys())]
    if not changes:
        return ["harness: no recording or snapshot changed"]
    counts = ", ".join(
        f"{sum(1 for kind, _ in changes if kind == k)} {k}" for k in ("added", "updated", "removed")
    )
    return [f"harness: changed {len(changes)} file(s): {counts}"] + [
        f"  {kind:<8}{path}" for kind, path in changes
    ]


@contextmanager
def _servers(*, local: bool, llama_stack: bool, hf_home: Path) -> Iterator[dict[str, str]]:
    if not local:
        yield {}
        return
    from harness.servers.localmodel import (  # needs torch/transformers
        LocalModelServer,
        build_tiny_model,
    )

    build_tiny_model(hf_home=hf_home.resolve())
    with LocalModelServer(hf_home=hf_home.resolve()) as server:
        urls = {LOCAL_URL_ENV: server.base_url}
        if not llama_stack:
            yield urls
            return
        from harness.servers.llamastack import (
            LlamaStackServer,
            default_tiktoken_cache,
            default_venv,
        )

        root = Path.cwd()
        with LlamaStackServer(
            upstream_base_url=server.base_url,
            venv=default_venv(root),
            tiktoken_cache=default_tiktoken_cache(root),
        ) as stack:
            yield {**urls, LLAMA_STACK_URL_ENV: stack.base_url}
