"""Is an OpenAI-compatible server up yet? Free ports, loopback probes, the ``/models`` check."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# Loopback probes must not go through an HTTP(S)_PROXY from the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(url: str, *, timeout: float = 5.0) -> tuple[int | None, dict[str, object] | None]:
    """GET ``url``: its status (``None`` when nothing answered) and its JSON object, if any."""
    try:
        with _NO_PROXY_OPENER.open(url, timeout=max(timeout, 0.1)) as response:
            status: int = response.status
            body = response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError):
        return None, None
    try:
        data = json.loads(body)
    except ValueError:
        return status, None
    return status, data if isinstance(data, dict) else None


@dataclass
class ModelsReady:
    """Ready when ``GET {base_url}/models`` answers 200 and lists ``model_id``.

    Up but listing other models is a failure after ``grace`` seconds (0: at once): a server
    reads its model list once at start, so waiting longer would not change it.
    """

    base_url: str
    model_id: str
    hint: str = ""
    """Said after the "lists other models" failure: where to look."""
    grace: float = 0.0
    _missing_since: float | None = field(default=None, init=False, repr=False)

    def poll(self, *, now: float, timeout: float = 5.0) -> tuple[bool, str | None]:
        """One probe: ``(True, None)`` ready, ``(False, None)`` not yet, ``(False, why)`` failed."""
        status, listing = probe(f"{self.base_url}/models", timeout=timeout)
        if status is not None and status >= 500:
            return False, f"answered {status} on /v1/models"
        if status != 200 or listing is None:
            return False, None
        data = listing.get("data")
        models = data if isinstance(data, list) else []
        ids = [m.get("id") for m in models if isinstance(m, dict)]
        if self.model_id in ids:
            return True, None
        if self._missing_since is None:
            self._missing_since = now
        if now - self._missing_since < self.grace:
            return False, None
        hint = f" ({self.hint})" if self.hint else ""
        return False, f"is up but /v1/models lists {ids}, not {self.model_id!r}{hint}"
