"""A child server's log file: its output, headed by each start's command line, read back."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_PROBE_LOG_LINE = '"GET /v1/models HTTP/1.1"'


class ServerLog:
    """One log file that every start of a server appends to (a temp file unless given)."""

    def __init__(self, path: Path | None, *, slug: str) -> None:
        self._path = path
        self._slug = slug
        self._start_offset = 0

    @property
    def path(self) -> Path | None:
        """The file (``None`` until a start makes a temp one)."""
        return self._path

    @contextmanager
    def for_start(self, command: Sequence[str]) -> Iterator[BinaryIO]:
        """The file open for appending one start's output, after its command line."""
        if self._path is None:
            fd, name = tempfile.mkstemp(prefix=f"harness-{self._slug}-", suffix=".log")
            os.close(fd)
            self._path = Path(name)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("ab") as log:
            log.write(f"$ {' '.join(command)}\n".encode())
            log.flush()
            self._start_offset = log.tell()
            yield log

    def since_start(self) -> str:
        """What the last start wrote: not its command line, not an earlier start's output."""
        if self._path is None:
            return ""
        try:
            with self._path.open("rb") as log:
                log.seek(self._start_offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 40, *, without_probes: bool = False) -> str:
        """The last ``n`` lines ('' when there is no file yet), trailing padding stripped.

        ``without_probes`` leaves out the access-log lines of the readiness probes
        (``GET /v1/models``).
        """
        if self._path is None:
            return ""
        try:
            text = self._path.read_text(errors="replace")
        except OSError:
            return ""
        lines = [line.rstrip() for line in text.replace("\r", "\n").splitlines()]
        if without_probes:
            lines = [line for line in lines if _PROBE_LOG_LINE not in line]
        return "\n".join(lines[-n:])
