"""Images in steps (``{image: pic.png}``): confined local files, their wire shapes, their display.

The one place image parts are built (chat ``image_url`` / Responses ``input_image``) and read
back for display (snapshots, HTML report), so every API's images are shortened alike.

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
from typing import TYPE_CHECKING, Any, Literal

from harness.errors import ScenarioError
from harness.util.fs import MAX_IMAGE_BYTES, UnreadableFileError, read_bounded

if TYPE_CHECKING:  # the display helpers are used by reports, which need no scenario models
    from harness.spec.scenario import Scenario


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


def image_part(
    scenario: Scenario, part: dict[str, Any], index: int, *, api: Literal["chat", "responses"]
) -> dict[str, Any]:
    """A step's ``{image: file, detail?}`` part in the wire shape of ``api``; other parts as
    written."""
    if "image" not in part:
        return dict(part)
    url = image_data_url(scenario, part["image"], index)
    detail = {"detail": part["detail"]} if "detail" in part else {}
    if api == "responses":
        return {"type": "input_image", "image_url": url, **detail}
    return {"type": "image_url", "image_url": {"url": url, **detail}}


def image_url_of(part: object) -> str | None:
    """The URL of a sent image part of either wire shape (None if ``part`` is no image)."""
    if not isinstance(part, dict):
        return None
    if part.get("type") == "image_url" and isinstance(part.get("image_url"), dict):
        return str(part["image_url"].get("url", ""))
    if part.get("type") == "input_image" and "image_url" in part:
        return str(part["image_url"])
    return None


def short_image_url(url: str) -> str:
    """``url`` for display: a ``data:`` URL (long, unreadable) as its media type and size."""
    if url.startswith("data:"):
        return f"<{url.split(',', 1)[0]}, {len(url)} chars>"
    return url


def _error(scenario: Scenario, index: int, cause: str) -> ScenarioError:
    return ScenarioError(
        f"step {index + 1}: {cause}", path=scenario.path, line=scenario.step_line(index)
    )
