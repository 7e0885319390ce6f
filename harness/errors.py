"""Every error the harness raises on purpose.

User errors (scenario files, provider files, CLI arguments) carry a location so they print
as ``path:line:col: cause`` with no Python traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class of every error raised by harness."""


class LocatedError(HarnessError):
    """An error in a user file, printed as ``path:line:col: cause`` (``path: cause`` if the
    line is unknown)."""

    def __init__(self, cause: str, *, path: str, line: int = 0, col: int = 0) -> None:
        self.cause = cause
        self.path = path
        self.line = line
        self.col = col
        # line 0: the problem is the file itself (e.g. missing), no position to point at
        super().__init__(f"{path}:{line}:{col}: {cause}" if line else f"{path}: {cause}")


class ScenarioError(LocatedError):
    """A scenario file is malformed or invalid."""


class ProviderConfigError(LocatedError):
    """The providers file is malformed or invalid."""


class ConfigError(HarnessError):
    """A harness option or environment setting is wrong or missing."""


class RecordingMissError(HarnessError):
    """Replay found no recording for a request."""


class RecordingCorruptError(HarnessError):
    """A recording file cannot be read back."""


class RecordingConflictError(HarnessError):
    """A recording would replace a different reply already recorded for the same request."""


class SecretLeakError(HarnessError):
    """A secret would have been written to disk."""


class StreamContractError(HarnessError):
    """A streamed reply broke the streaming protocol."""

    def __init__(self, cause: str, *, chunk_index: int) -> None:
        self.cause = cause
        self.chunk_index = chunk_index
        super().__init__(f"stream contract: chunk {chunk_index}: {cause}")


class MalformedReplyError(HarnessError):
    """A provider (or a recording) answered with something that is not a well-formed reply.

    Raised by every driver and assembler; the runner adds the recording that answered.
    """


# What reading a reply of the wrong shape raises: a list where an object belongs, a string
# where a list belongs, a null index, an infinite number where an int belongs.
SHAPE_ERRORS = (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError)


def malformed(where: str, exc: BaseException) -> MalformedReplyError:
    """The error for a reply whose reading failed with ``exc`` (a wrong shape) at ``where``."""
    return MalformedReplyError(
        f"malformed reply: {where} is not shaped as the API says ({type(exc).__name__}: "
        f"{str(exc)[:200]}): a broken recording or a misbehaving provider"
    )


class ExpectationError(HarnessError):
    """A step's expectation did not hold."""


class ExpectationFailed(ExpectationError):
    """An ``expect`` entry of a step did not hold: the only failure a known departure (a
    column's strict xfail) covers. A miss, a provider error the step did not expect, a broken
    stream or a harness error is never a known departure."""
