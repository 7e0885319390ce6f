"""Run ``transformers serve`` on loopback as an OpenAI-compatible server for the tiny model.

The server is a subprocess: its stdout and stderr go to a log file, it runs with
``HF_HUB_OFFLINE=1`` and a private ``HF_HOME`` (where :func:`build_tiny_model` laid the
model out as a hub-cache snapshot), and it is stopped with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from harness.errors import HarnessError
from harness.servers.localmodel.build import MODEL_ID
from harness.servers.process import die_with_parent, free_port, probe, stop_group

# Environment variables that would point the server at another cache than HF_HOME/hub.
_CACHE_OVERRIDES = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_HOME")

_LAUNCHER = (
    "import sys\n"
    "from importlib.metadata import entry_points\n"
    "(script,) = entry_points(group='console_scripts', name='transformers')\n"
    "sys.argv[0] = 'transformers'\n"
    "sys.exit(script.load()())\n"
)


class LocalModelServerError(HarnessError):
    """The local model server could not be started, or died."""


def transformers_command() -> list[str]:
    """The command that runs the ``transformers`` CLI of the running Python.

    The ``transformers`` console script next to ``sys.executable`` (a virtualenv's
    ``bin/``) when there is one; otherwise the running Python loading the console-script
    entry point (``python -m transformers`` does not exist: the package has no
    ``__main__``).
    """
    script = Path(sys.executable).parent / "transformers"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-c", _LAUNCHER]


class LocalModelServer:
    """``transformers serve`` for one model on a loopback port, as a context manager.

    Example::

        with LocalModelServer(hf_home=Path(".harness/hf")) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="none")
    """

    def __init__(
        self,
        *,
        hf_home: Path,
        model_id: str = MODEL_ID,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_path: Path | None = None,
        seed: int = 0,
        startup_timeout: float = 90.0,
        stop_timeout: float = 10.0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the server; nothing runs until :meth:`start`.

        Args:
            hf_home: the ``HF_HOME`` holding the model as a hub-cache snapshot.
            model_id: the model to preload and serve (requests naming another get 400).
            host: the loopback address to listen on.
            port: the port; ``None`` picks a free one at each start.
            log_path: where the server's stdout and stderr go; ``None`` for a new temp file.
            seed: the server's ``--default-seed``.
            startup_timeout: seconds to wait for ``/v1/models`` to answer 200.
            stop_timeout: seconds between SIGTERM and SIGKILL.
            extra_env: more environment variables for the server process.
        """
        self._hf_home = Path(hf_home).resolve()
        self._model_id = model_id
        self._host = host
        self._fixed_port = port
        self._port: int | None = None
        self._log_path = log_path
        self._seed = seed
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._extra_env = dict(extra_env or {})
        self._process: subprocess.Popen[bytes] | None = None

    # ----- properties -----

    @property
    def model_id(self) -> str:
        """The served model's id, as requests name it."""
        return self._model_id

    @property
    def port(self) -> int:
        """The port the server listens on (after :meth:`start`)."""
        if self._port is None:
            raise LocalModelServerError("local model server not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1`` (after :meth:`start`)."""
        return f"http://{self._host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server process id while one was started and not yet reaped."""
        return None if self._process is None else self._process.pid

    @property
    def log_path(self) -> Path | None:
        """The file holding the server's stdout and stderr (``None`` before a temp one is made)."""
        return self._log_path

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    # ----- lifecycle -----

    def command(self, *, port: int) -> list[str]:
        """The full ``transformers serve`` command line for ``port``."""
        return [
            *transformers_command(),
            "serve",
            self._model_id,
            "--host",
            self._host,
            "--port",
            str(port),
            "--device",
            "cpu",
            "--default-seed",
            str(self._seed),
        ]

    def environment(self) -> dict[str, str]:
        """The server's environment: this one, offline, one thread, ``HF_HOME`` the only cache."""
        env = {k: v for k, v in os.environ.items() if k not in _CACHE_OVERRIDES}
        env.update(
            {
                "HF_HOME": str(self._hf_home),
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                "TOKENIZERS_PARALLELISM": "false",
                # One thread: for a model this small, OpenMP's second thread costs 10x latency.
                "OMP_NUM_THREADS": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self._extra_env)
        return env

    def start(self) -> LocalModelServer:
        """Start the server and wait until ``/v1/models`` answers 200 and lists the model.

        With no fixed port, a port taken between picking and binding is retried with
        another one (three tries).

        Raises:
            LocalModelServerError: the server exited, or was not ready within
                ``startup_timeout``; the message ends with the tail of its log.
        """
        if self.running:
            return self
        tries = 1 if self._fixed_port is not None else 3
        for attempt in range(1, tries + 1):
            port = self._fixed_port if self._fixed_port is not None else free_port(self._host)
            try:
                self._launch(port)
                self._wait_ready()
                return self
            except LocalModelServerError:
                in_use = "address already in use" in self.log_tail(20).lower()
                self.stop()
                if not in_use or attempt == tries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self, port: int) -> None:
        if self._log_path is None:
            fd, name = tempfile.mkstemp(prefix="harness-local-model-", suffix=".log")
            os.close(fd)
            self._log_path = Path(name)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            log.write(f"$ {' '.join(self.command(port=port))}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                self.command(port=port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self._port = port

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        url = f"{self.base_url}/models"
        while True:
            process = self._process
            assert process is not None
            code = process.poll()
            if code is not None:
                raise LocalModelServerError(
                    f"transformers serve {self._model_id} (HF_HOME={self._hf_home}) exited with "
                    f"code {code} before it was ready; "
                    f"log {self.log_path}:\n{self.log_tail(40)}"
                )
            status, listing = probe(url)
            if status is not None and status >= 500:
                raise LocalModelServerError(
                    f"transformers serve answered {status} on /v1/models "
                    f"(is the model a hub-cache snapshot under HF_HOME={self._hf_home}?); "
                    f"log {self.log_path}:\n{self.log_tail(40)}"
                )
            if status == 200 and listing is not None:
                data = listing.get("data")
                models = data if isinstance(data, list) else []
                ids = [m.get("id") for m in models if isinstance(m, dict)]
                if self._model_id in ids:
                    return
                raise LocalModelServerError(
                    f"transformers serve is up but /v1/models lists {ids}, not {self._model_id!r} "
                    f"(is the model built under HF_HOME={self._hf_home}?); "
                    f"log {self.log_path}:\n{self.log_tail(40)}"
                )
            if time.monotonic() > deadline:
                raise LocalModelServerError(
                    f"transformers serve {self._model_id} not ready after "
                    f"{self._startup_timeout:.0f}s; "
                    f"log {self.log_path}:\n{self.log_tail(40)}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server: SIGTERM, SIGKILL after ``stop_timeout``; always reaps it.

        Its process group is signalled, so helpers it started go too. Safe to call twice.
        """
        process = self._process
        if process is None:
            return
        try:
            stop_group(process, timeout=self._stop_timeout)
        finally:
            self._process = None

    def log_tail(self, n: int = 40) -> str:
        """The last ``n`` lines of the server's log ('' when there is none yet)."""
        if self._log_path is None:
            return ""
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return ""
        lines = text.replace("\r", "\n").splitlines()
        return "\n".join(line for line in lines[-n:])

    def __enter__(self) -> LocalModelServer:
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
        return f"LocalModelServer({self._model_id!r}, {where}, pid={self.pid})"
