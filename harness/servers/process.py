"""A child process in its own process group: spawn it tied to us, ask after it, stop it whole.

The primitives under :class:`harness.servers.base.ChildServer`; they know nothing of HTTP.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from harness.errors import HarnessError


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Have Linux SIGTERM the server if the process that started it dies (best effort)."""
    if sys.platform != "linux":
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log: BinaryIO,
    cwd: Path | None = None,
    error: type[HarnessError] = HarnessError,
) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new process group, its output going to ``log``.

    The group lets :func:`stop_group` reach whatever the command starts in turn; the
    parent-death signal covers a parent killed too hard to run its own clean-up.

    Raises:
        error: the command cannot be run (no such file, not executable, ...).
    """
    try:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    except OSError as exc:
        raise error(f"cannot run {command[0]}: {exc}") from exc


def stop_group(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``timeout``; always reaps the leader."""
    try:
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
    finally:
        # Leftovers in the group (a helper the leader started) are killed while the leader
        # is unreaped, so the group id cannot have been reused.
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def group_alive(pgid: int) -> bool:
    """Whether any process is left in process group ``pgid`` (zombies count until reaped)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a group of another user's processes
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
