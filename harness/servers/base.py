"""One lifecycle for the child-process servers: launch, wait until ready, stop, never orphan.

A subclass says what to run (:meth:`ChildServer.launch`) and when it is ready
(:meth:`ChildServer.readiness`); this class owns the rest. A failed, timed-out or interrupted
start (Ctrl-C included) stops the whole process group before the exception leaves
:meth:`~ChildServer.start`, so ``with Server(...):`` never leaves a process behind.
"""

from __future__ import annotations

import abc
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from harness.errors import HarnessError
from harness.servers.logfile import ServerLog
from harness.servers.process import spawn, stop_group
from harness.servers.readiness import ModelsReady, free_port

_PORT_TRIES = 3


class ServerError(HarnessError):
    """A child-process server could not be started, or died."""


@dataclass(frozen=True)
class Launch:
    """What one start runs: the command line, its environment and working directory."""

    command: Sequence[str]
    env: Mapping[str, str]
    cwd: Path | None = None


class ChildServer(abc.ABC):
    """A server run as a child process on a loopback port, as a context manager."""

    label: ClassVar[str] = "server"
    """How errors name the server (``transformers serve``, ``llama-stack``)."""
    slug: ClassVar[str] = "server"
    """Names its temp log file, ``harness-{slug}-*.log``."""
    error: ClassVar[type[ServerError]] = ServerError
    """The error type this server raises."""

    def __init__(
        self,
        *,
        host: str,
        port: int | None,
        log_path: Path | None,
        startup_timeout: float,
        stop_timeout: float,
        extra_env: Mapping[str, str] | None,
    ) -> None:
        """Describe the server; nothing runs until :meth:`start`.

        Args:
            host: the loopback address to listen on.
            port: the port; ``None`` picks a free one at each start.
            log_path: where stdout and stderr go; ``None`` for a new temp file.
            startup_timeout: seconds to wait for :meth:`readiness`.
            stop_timeout: seconds between SIGTERM and SIGKILL.
            extra_env: more environment variables, for :meth:`launch` to add.
        """
        self._host = host
        self._fixed_port = port
        self._port: int | None = None
        self._log = ServerLog(log_path, slug=self.slug)
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._extra_env = dict(extra_env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._ready_seconds: float | None = None

    # ----- what a subclass provides -----

    @abc.abstractmethod
    def launch(self, *, port: int) -> Launch:
        """Prepare one start on ``port`` (write its files) and say what to run.

        Its environment is the whole of the child's, ``extra_env`` included.
        """

    @abc.abstractmethod
    def readiness(self) -> ModelsReady:
        """A fresh readiness check for the started server."""

    def context(self) -> str:
        """Said in parentheses in every start error: what the server was given."""
        return ""

    def cleanup(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Remove what :meth:`launch` made that must not outlive a stop (default: nothing)."""

    def failure_details(self) -> str:
        """Text put before the log tail in a start error (default: nothing)."""
        return ""

    # ----- properties -----

    @property
    def port(self) -> int:
        """The port the server listens on (after :meth:`start`)."""
        if self._port is None:
            raise self.error(f"{self.label} not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1`` (after :meth:`start`)."""
        return f"http://{self._host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server process id (also its process group id) while started and not reaped."""
        return None if self._process is None else self._process.pid

    @property
    def log_path(self) -> Path | None:
        """The file holding the server's stdout and stderr (``None`` before a temp one is made)."""
        return self._log.path

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def ready_seconds(self) -> float | None:
        """Seconds from launch to ready at the last successful start."""
        return self._ready_seconds

    # ----- lifecycle -----

    def start(self) -> Self:
        """Start the server and wait until :meth:`readiness` passes.

        With no fixed port, a port taken between picking and binding is retried with another
        one (three tries). Whatever ends a start early, the process group is stopped first.

        Raises:
            ServerError: (the subclass's :attr:`error`) the command cannot be run, the server
                exited, failed its readiness check, or was not ready within
                ``startup_timeout``; the message ends with the tail of its log.
        """
        if self.running:
            return self
        tries = 1 if self._fixed_port is not None else _PORT_TRIES
        for attempt in range(1, tries + 1):
            port = self._fixed_port if self._fixed_port is not None else free_port(self._host)
            try:
                launched = time.monotonic()
                self._spawn(port)
                self._wait_ready()
                self._ready_seconds = time.monotonic() - launched
                return self
            except ServerError:
                in_use = "address already in use" in self._log.since_start().lower()
                self.stop()
                if not in_use or attempt == tries:
                    raise
            except BaseException:  # Ctrl-C, SIGTERM turned into an exception, a bug: no orphan
                self.stop()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn(self, port: int) -> None:
        self._port = port
        launch = self.launch(port=port)
        with self._log.for_start(launch.command) as log:
            self._process = spawn(
                launch.command, env=launch.env, log=log, cwd=launch.cwd, error=self.error
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        check = self.readiness()
        while True:
            process = self._process
            assert process is not None
            code = process.poll()
            if code is not None:
                raise self._start_error(f"exited with code {code} before it was ready")
            now = time.monotonic()
            ready, problem = check.poll(now=now, timeout=min(5.0, deadline - now))
            if ready:
                return
            if problem is not None:
                raise self._start_error(problem)
            if time.monotonic() > deadline:
                raise self._start_error(f"not ready after {self._startup_timeout:g}s")
            time.sleep(0.1)

    def _start_error(self, what: str) -> ServerError:
        """The start error for ``what`` went wrong: context, details, and the log's tail."""
        context = self.context()
        where = f" ({context})" if context else ""
        return self.error(
            f"{self.label} {what}{where}; {self.failure_details()}"
            f"log {self.log_path}:\n{self.log_tail(40, without_probes=True)}"
        )

    def stop(self) -> None:
        """Stop the server: SIGTERM its group, SIGKILL after ``stop_timeout``; always reaps it.

        Safe to call twice, and before any start.
        """
        process = self._process
        try:
            if process is not None:
                try:
                    stop_group(process, timeout=self._stop_timeout)
                finally:
                    self._process = None
        finally:
            self.cleanup()

    def log_tail(self, n: int = 40, *, without_probes: bool = False) -> str:
        """The last ``n`` lines of the server's log (see :meth:`ServerLog.tail`)."""
        return self._log.tail(n, without_probes=without_probes)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"{self._host}:{self._port}" if self._port is not None else "not started"
        return f"{type(self).__name__}({where}, pid={self.pid})"
