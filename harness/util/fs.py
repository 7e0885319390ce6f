"""Files: one way to read a user-supplied file (regular files only, never more than a limit), and
one way to write ours (atomically: readers see the old file or the whole new one).

Scenario files, providers files, images, reports and recordings all come through here, so a FIFO
(which would block forever), a symlink to ``/dev/zero`` (which never ends) or a huge file is refused
with one line instead of a hang or a ``MemoryError``.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from harness.errors import HarnessError

# What write_atomic's mkstemp names a temp file: prefix, pid, 8 random [a-z0-9_], suffix.
_TEMP_NAME = re.compile(r"^\.[^/]+\.json\.(?P<pid>[0-9]{1,10})\.[a-z0-9_]{8}\.tmp$")

MAX_YAML_BYTES = 8 * 1024 * 1024  # scenario and providers files
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # an image embedded in a request
MAX_REPORT_BYTES = 256 * 1024 * 1024  # a JSON run report (holds every transcript)


class UnreadableFileError(HarnessError):
    """A file is not a regular file, is over its size limit, or cannot be read."""

    def __init__(self, cause: str, *, path: Path, what: str = "file") -> None:
        self.cause = cause  # e.g. "is not a regular file"
        self.path = path
        super().__init__(f"{path}: {what} {cause}")


def read_bounded(path: Path, *, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    A missing file raises :class:`FileNotFoundError` (callers often treat absence on its own);
    anything else that is wrong raises :class:`UnreadableFileError` (``what`` names the file in
    its message, e.g. "recording"). Never reads more than ``limit + 1`` bytes.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFileError(
            f"cannot be read ({exc.strerror or exc})", path=path, what=what
        ) from None
    with open(fd, "rb") as handle:
        # One open and an fstat of it (not a stat, then an open): replay reads a file per request.
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError("is not a regular file", path=path, what=what)
        if info.st_size > limit:  # refused without reading it
            raise UnreadableFileError(
                f"is {info.st_size} bytes, over the {limit}-byte limit", path=path, what=what
            )
        try:
            # What fstat announced, +1 to notice growth: `read(limit + 1)` would allocate (and
            # release) a large buffer per call.
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # grew since the fstat: read on, still bounded
                data += handle.read(limit + 1 - len(data))
        except OSError as exc:  # e.g. EISDIR on some filesystems, EIO
            raise UnreadableFileError(
                f"cannot be read ({exc.strerror or exc})", path=path, what=what
            ) from None
    if len(data) > limit:
        raise UnreadableFileError(f"is over the {limit}-byte limit", path=path, what=what)
    return data


def stale_temp_files(root: Path) -> list[Path]:
    """Temp files of writes whose process is gone (killed between write and rename).

    Only names :func:`write_atomic` gives (``.<file>.json.<pid>.<8 random>.tmp``): a user's own
    ``.notes.tmp`` in the folder is not ours to delete.
    """
    stale = []
    for path in sorted(root.glob("*/.*.tmp")):
        match = _TEMP_NAME.match(path.name)
        if match and not _alive(int(match["pid"])):
            stale.append(path)
    return stale


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_atomic(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one, never half.

    With ``exclusive``, an existing ``path`` is never replaced (``FileExistsError``): the
    finished temp file is hard-linked into place, which fails atomically if ``path`` exists.

    The temp file's name carries the writer's pid, so a later run can tell a dead writer's
    leftover (see :func:`stale_temp_files`) from a live xdist worker's write in progress.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; recordings are shared files
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)
            Path(tmp).unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
