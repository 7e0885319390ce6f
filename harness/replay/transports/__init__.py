"""Record and replay as composed one-method httpx transports, plugged into the SDK through
``http_client=``.

A case's transport is a :class:`Keying` front (the request's key, once, in send order) over
one of: :class:`ReplayTransport`, :class:`RecordTransport`, :class:`ReplayOrRecord` of the
two (record-missing); or a bare :class:`LiveTransport`. :class:`AsyncTransport` puts the same
core behind an async client. Each takes the case's :class:`CallScope` (what it is told) and
:class:`CallLog` (what it tells back); ``harness.engine.clients`` chooses the composition.
"""

from harness.replay.transports.aio import AsyncTransport
from harness.replay.transports.compose import ReplayOrRecord
from harness.replay.transports.context import CallLog, CallScope
from harness.replay.transports.keying import KEY, Keyer, Keying, Occurrences, key_of
from harness.replay.transports.live import LiveTransport
from harness.replay.transports.record import RecordTransport
from harness.replay.transports.replay import Miss, ReplayTransport, shown

__all__ = [
    "KEY",
    "AsyncTransport",
    "CallLog",
    "CallScope",
    "Keyer",
    "Keying",
    "LiveTransport",
    "Miss",
    "Occurrences",
    "RecordTransport",
    "ReplayOrRecord",
    "ReplayTransport",
    "key_of",
    "shown",
]
