"""A tiny real child-process server for the lifecycle tests of :mod:`harness.servers.base`.

:class:`TinyServer` runs ``python -c CHILD`` (no heavy tier): the child writes its pid to a
file, starts a helper process in its group (a ``sleep``, which only a stop of the whole group
ends), then behaves as its ``mode`` says:

* ``serve``: an HTTP server on the given port; ``/v1/models`` lists ``tiny/model``.
* ``wrong-model``: the same, listing ``other/model`` only.
* ``exit``: prints ``boom: bad config`` and exits with code 3.
* ``never``: never answers.
* ``busy-once``: the first start says the address is in use and exits; later ones serve.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from harness.servers.base import ChildServer, Launch, ServerError
from harness.servers.readiness import ModelsReady

CHILD = r"""
import http.server, json, os, subprocess, sys, time
port, mode, pidfile, marker = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(pidfile, "a") as handle:
    handle.write(f"{os.getpid()}\n")
print(f"tiny server {mode} on {port}", flush=True)
# A helper in the same process group, as real servers have: only a group stop reaches it.
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
if mode == "exit":
    print("boom: bad config", flush=True)
    sys.exit(3)
if mode == "never":
    time.sleep(300)
if mode == "busy-once" and not os.path.exists(marker):
    open(marker, "w").close()
    print("OSError: [Errno 98] Address already in use", flush=True)
    sys.exit(1)
model = "other/model" if mode == "wrong-model" else "tiny/model"

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": model}]}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


class TinyServerError(ServerError):
    """The tiny server failed."""


class TinyServer(ChildServer):
    """``python -c CHILD`` in one of the modes above."""

    label = "tiny server"
    slug = "tiny"
    error = TinyServerError

    def __init__(
        self,
        *,
        mode: str,
        workdir: Path,
        port: int | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        super().__init__(
            host="127.0.0.1",
            port=port,
            log_path=workdir / "tiny.log",
            startup_timeout=startup_timeout,
            stop_timeout=stop_timeout,
            extra_env=None,
        )
        self.mode = mode
        self.pidfile = workdir / "pids"
        self._marker = workdir / "busy-once"
        self.cleaned = 0

    def launch(self, *, port: int) -> Launch:
        """Run the child in ``mode`` on ``port``."""
        args = [str(port), self.mode, str(self.pidfile), str(self._marker)]
        return Launch(command=[sys.executable, "-c", CHILD, *args], env=dict(os.environ))

    def readiness(self) -> ModelsReady:
        """Ready when ``tiny/model`` is listed."""
        return ModelsReady(base_url=self.base_url, model_id="tiny/model", hint="a test hint")

    def context(self) -> str:
        """The mode, in every error."""
        return f"mode {self.mode}"

    def cleanup(self) -> None:
        """Counts calls, to show every stop runs it."""
        self.cleaned += 1

    def pids(self) -> list[int]:
        """The pids of every child started so far."""
        if not self.pidfile.exists():
            return []
        return [int(line) for line in self.pidfile.read_text().split()]


def wait_for(path: Path, *, timeout: float = 20.0) -> str:
    """The text of ``path`` once it exists and is not empty."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} did not appear within {timeout}s")


def members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
        state, _ppid, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def group_gone(pgid: int, *, timeout: float = 5.0) -> bool:
    """Whether process group ``pgid`` has no live process (within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while members(pgid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)  # don't leave it behind for the next test
            return False
        time.sleep(0.02)
    return True
