"""The HTTP library the installed ``openai`` SDK runs on: httpx2 (openai 3.x) or httpx.

Transports must subclass the same library's ``BaseTransport`` that the SDK's client uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import openai

if TYPE_CHECKING:
    import httpx2 as httpx
else:

    def _sdk_http_module() -> object:
        for cls in openai.DefaultHttpxClient.__mro__:
            root = cls.__module__.split(".")[0]
            if root in ("httpx2", "httpx") and cls.__name__ == "Client":
                return importlib.import_module(root)
        return importlib.import_module("httpx")  # pragma: no cover - very old SDKs

    httpx = _sdk_http_module()

__all__ = ["httpx"]
