"""Paths a run will write, checked when pytest starts rather than after every test has run.

A report that cannot be written, a recordings "folder" that is a file, or a ``.harness`` that
is not a folder would otherwise surface at the end of the session (or after a provider was
called and paid for), as a traceback.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness.errors import ConfigError
from harness.outputs.report import FORMATS
from harness.replay.used import USAGE_FILE
from harness.spec.settings import Settings


def check_paths(*, settings: Settings, reports: Sequence[Path], rootdir: Path) -> None:
    """Raise :class:`ConfigError` (one line) for the first path the run could not write."""
    recordings = settings.recordings_dir
    if recordings.exists() and not recordings.is_dir():
        raise ConfigError(f"recordings folder {recordings} is not a folder")
    state = rootdir / USAGE_FILE.parent
    if state.exists() and not state.is_dir():
        raise ConfigError(
            f"{state} is not a folder: harness keeps its usage of recordings there "
            "(remove or rename that file)"
        )
    for report in reports:
        if report.suffix.lower() not in FORMATS:
            raise ConfigError(
                f"--harness-report {report}: unknown format {report.suffix or '(no extension)'!r}; "
                f"use one of: {', '.join(FORMATS)}"
            )
        _check_writable(report)


def _check_writable(report: Path) -> None:
    """The report's folder is created when the report is written: its nearest existing
    ancestor must be a folder where files can be created."""
    if report.is_dir():
        raise ConfigError(f"--harness-report {report}: is a folder")
    folder = report.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"--harness-report {report}: {folder} is not a folder")
    try:  # os.access says yes to root even where nothing can be created (/proc, read-only fs)
        fd, probe = tempfile.mkstemp(prefix=".harness-probe-", dir=folder)
    except OSError as exc:
        raise ConfigError(
            f"--harness-report {report}: cannot write in {folder} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    os.unlink(probe)
