"""Build or serve the local tiny model by hand.

Usage::

    python -m harness.servers.localmodel build [--hf-home DIR] [--seed N]
    python -m harness.servers.localmodel serve [--hf-home DIR] [--port N] [--seed N]

``serve`` builds the model if needed, starts ``transformers serve`` on 127.0.0.1, prints
the OpenAI base URL and blocks until Ctrl-C (or SIGTERM). The default ``--hf-home`` is
``.harness/hf`` under the current directory.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from harness.errors import HarnessError
from harness.servers.localmodel.build import build_tiny_model
from harness.servers.localmodel.cache import snapshot_dir
from harness.servers.localmodel.server import LocalModelServer

DEFAULT_HF_HOME = Path(".harness") / "hf"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness.servers.localmodel",
        description="Build or serve the tiny local chat model (the harness's 'local' provider).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("build", "build the model into HF_HOME (cached: a rebuild only when inputs change)"),
        ("serve", "build if needed, then serve it on 127.0.0.1 until Ctrl-C"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument(
            "--hf-home",
            type=Path,
            default=DEFAULT_HF_HOME,
            help="the private HF_HOME holding the model (default: .harness/hf)",
        )
        cmd.add_argument("--seed", type=int, default=0, help="the build and server seed")
        if name == "serve":
            cmd.add_argument("--port", type=int, default=None, help="default: a free port")
            cmd.add_argument("--log", type=Path, default=None, help="server log file")
    return parser


def _build(hf_home: Path, seed: int) -> str:
    start = time.monotonic()
    model_id = build_tiny_model(hf_home=hf_home, seed=seed)
    print(
        f"{model_id}: {snapshot_dir(hf_home=hf_home)} ({time.monotonic() - start:.1f}s)",
        file=sys.stderr,
    )
    return model_id


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    hf_home: Path = args.hf_home
    try:
        model_id = _build(hf_home, args.seed)
        if args.command == "build":
            return 0
        server = LocalModelServer(
            hf_home=hf_home, model_id=model_id, port=args.port, log_path=args.log, seed=args.seed
        )
        # Explicit handlers: a shell's background job would otherwise ignore SIGINT.
        signal.signal(signal.SIGINT, _terminate)
        signal.signal(signal.SIGTERM, _terminate)
        try:
            server.start()
            print(server.base_url, flush=True)
            print(f"model {model_id}; log {server.log_path}; Ctrl-C stops", file=sys.stderr)
            while server.running:
                time.sleep(0.5)
            print(f"server exited; log tail:\n{server.log_tail(40)}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            server.stop()
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
