"""llama-stack/OGX exception recordings, turned into the HTTP error the provider sent.

llama-stack records a provider error as the exception its client raised::

    "response": {"body": null, "is_exception": true,
                 "exception_data": {"category": "provider_sdk", "type": "BadRequestError",
                                    "status_code": 400, "body": {...}, "message": "..."}}

``body`` is what the ``openai`` SDK kept of the error response (its ``error`` object, unwrapped)
and ``message`` is ``Error code: 400 - <the whole parsed body>``. harness replays at the HTTP
boundary, so the recording becomes that status with that body: the SDK then raises the same
exception class with the same ``body`` and the same message.
"""

from __future__ import annotations

import ast
import re
from typing import Any, TypeGuard

from harness.replay.recording import wrap

# The exception class the openai SDK raises for an HTTP status (any other 4xx: APIStatusError).
SDK_ERROR_FOR_STATUS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}
_SDK_ERRORS = frozenset({*SDK_ERROR_FOR_STATUS.values(), "InternalServerError", "APIStatusError"})
_MESSAGE = re.compile(r"Error code: (\d{3}) - (.*)", re.DOTALL)


class UnreplayableError(ValueError):
    """A recorded exception that is not an HTTP error response (nothing to serve)."""


def sdk_error_for(status: int) -> str:
    """The name of the exception the openai SDK raises for ``status``."""
    if status >= 500:
        return "InternalServerError"
    return SDK_ERROR_FOR_STATUS.get(status, "APIStatusError")


def is_exception_response(response: Any) -> TypeGuard[dict[str, Any]]:
    """Whether a recording's ``response`` is a llama-stack exception record."""
    return isinstance(response, dict) and response.get("is_exception") is True


def native_response(response: dict[str, Any]) -> dict[str, Any]:
    """The harness ``response`` (status and error body) for an exception record.

    Raises :class:`UnreplayableError` when the exception carries no HTTP status (a Python
    error inside the recorder, a connection failure) or names another class than the SDK
    would raise for its status.
    """
    data = response.get("exception_data")
    if not isinstance(data, dict):
        raise UnreplayableError("is_exception is true but exception_data is not an object")
    kind = str(data.get("type") or "an exception")
    status = data.get("status_code")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise UnreplayableError(
            f"recorded {kind} has no HTTP error status (status_code {status!r}): "
            "only provider HTTP errors can be replayed"
        )
    if kind in _SDK_ERRORS and kind != "APIStatusError" and kind != sdk_error_for(status):
        raise UnreplayableError(
            f"recorded {kind} with HTTP {status}, but the openai SDK raises "
            f"{sdk_error_for(status)} for that status"
        )
    return {"body": wrap(_payload(data, status)), "is_streaming": False, "status_code": status}


def _payload(data: dict[str, Any], status: int) -> Any:
    """The error response body: the one the message quotes when it fits ``body``, else
    ``{"error": body}`` (which the SDK unwraps back to ``body``)."""
    body = data.get("body")
    quoted = _quoted_body(data.get("message"), status)
    if quoted is not None and (body is None or _unwrapped(quoted) == body):
        return quoted
    if isinstance(body, dict):
        return {"error": body}
    if body is None:
        message = data.get("message")
        return {"error": {"message": str(message) if message else f"HTTP {status}"}}
    return body  # a text body: served as it was


def _unwrapped(body: Any) -> Any:
    return body.get("error", body) if isinstance(body, dict) else body


def _quoted_body(message: Any, status: int) -> Any:
    """The parsed body the SDK's message quotes (a Python repr), or None."""
    if not isinstance(message, str):
        return None
    match = _MESSAGE.fullmatch(message.strip())
    if match is None or int(match.group(1)) != status:
        return None
    try:
        value = ast.literal_eval(match.group(2))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None
