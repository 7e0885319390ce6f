"""Provider errors as data: what the chat and responses drivers record instead of raising."""

from __future__ import annotations

import openai

from harness.engine.transcript import ProviderError
from harness.errors import HarnessError
from harness.util.httplib import httpx

__all__ = ["PROVIDER_ERRORS", "provider_error"]


# What a provider (or the SDK reading its stream) can raise for one request.
PROVIDER_ERRORS = (openai.APIError, httpx.TransportError)


def provider_error(exc: Exception) -> ProviderError:
    """The step's record of a provider error; a harness error the SDK wrapped is re-raised."""
    if isinstance(exc, openai.APIConnectionError):
        if isinstance(exc.__cause__, HarnessError):  # openai<3 wraps transport errors
            raise exc.__cause__ from None
        cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
        return ProviderError(kind=type(exc).__name__, message=f"{exc.message}{cause}")
    if isinstance(exc, openai.APIStatusError):
        return ProviderError(
            kind=type(exc).__name__, message=exc.message, status=exc.status_code, body=exc.body
        )
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return ProviderError(kind=type(exc).__name__, message=exc.message, body=exc.body)
    return ProviderError(kind=type(exc).__name__, message=str(exc))  # a stream broke off
