"""Local images named in steps (``{image: pic.png}``): confined, regular, size-capped files.

An image is embedded in the request, and so in recordings and reports: a path that escapes the
project (``../../etc/passwd``, an absolute path, a symlink pointing out) would publish a file
the scenario's author may never have meant to share. Images must therefore resolve inside the
scenario's *image root* (pytest's rootdir; the working directory for ``harness validate``) unless
the user opts out (ini option ``harness_allow_images_outside_rootdir = true``).
"""

from __future__ import annotations

import base64
import mimetypes
import os
import stat
from pathlib import Path

from harness.errors import ScenarioError
from harness.spec.scenario import Scenario
from harness.util.fs import MAX_IMAGE_BYTES, UnreadableFileError, read_bounded


def image_path(scenario: Scenario, name: object, index: int) -> Path:
    """The file step ``index`` names as an image, checked without reading it.

    Raises :class:`ScenarioError` at the step's line when it is missing, not a regular file, too
    big, or outside the image root.
    """
    path = Path(scenario.base_dir) / str(name)
    try:  # confinement first: whether a file outside exists is none of the scenario's business
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        raise _error(scenario, index, f"cannot read image {name!r} ({exc})") from None
    root = scenario.image_root
    if root and not resolved.is_relative_to(Path(root).resolve()):
        raise _error(
            scenario,
            index,
            f"image {name!r} is outside the project ({root}); set the ini option "
            "harness_allow_images_outside_rootdir = true to allow it",
        )
    try:
        info = os.stat(resolved)
    except OSError as exc:
        raise _error(scenario, index, f"cannot read image {name!r} ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _error(scenario, index, f"image {name!r} is not a regular file")
    if info.st_size > MAX_IMAGE_BYTES:
        raise _error(
            scenario,
            index,
            f"image {name!r} is {info.st_size} bytes, over the {MAX_IMAGE_BYTES}-byte limit",
        )
    return resolved


def image_data_url(scenario: Scenario, name: object, index: int) -> str:
    """A local image (relative to the scenario file) as a ``data:`` URL."""
    path = image_path(scenario, name, index)
    try:  # read bounded too: the file may have changed since it was checked
        data = read_bounded(path, limit=MAX_IMAGE_BYTES, what="image")
    except (OSError, UnreadableFileError) as exc:
        raise _error(scenario, index, f"cannot read image {name!r} ({exc})") from None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _error(scenario: Scenario, index: int, cause: str) -> ScenarioError:
    return ScenarioError(
        f"step {index + 1}: {cause}", path=scenario.path, line=scenario.step_line(index)
    )
