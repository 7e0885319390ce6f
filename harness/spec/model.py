"""Pydantic in one place: the base of harness's own models, and SDK models read back as data."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """The base of every model harness defines: no coercion (``strict``), unknown keys refused
    (a typo in a user file is an error, never ignored) and immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def json_data(value: Any) -> Any:
    """``value`` as JSON data when it is a pydantic model (an SDK reply, event, ...), else as is.

    Serialization warnings are off: an SDK model may hold values of a newer API than its types
    describe, and the data is what the server said.
    """
    return value.model_dump(mode="json", warnings=False) if isinstance(value, BaseModel) else value
