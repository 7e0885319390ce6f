"""Run ``transformers serve`` on loopback as an OpenAI-compatible server for the tiny model.

The server is a :class:`~harness.servers.base.ChildServer`: its stdout and stderr go to a
log file, it runs with ``HF_HUB_OFFLINE=1`` and a private ``HF_HOME`` (where
:func:`build_tiny_model` laid the model out as a hub-cache snapshot), and it is stopped with
SIGTERM, then SIGKILL, process group and all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from harness.servers.base import ChildServer, Launch, ServerError
from harness.servers.localmodel.dialogues import MODEL_ID
from harness.servers.readiness import ModelsReady

# Environment variables that would point the server at another cache than HF_HOME/hub.
_CACHE_OVERRIDES = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_HOME")

_LAUNCHER = (
    "import sys\n"
    "from importlib.metadata import entry_points\n"
    "(script,) = entry_points(group='console_scripts', name='transformers')\n"
    "sys.argv[0] = 'transformers'\n"
    "sys.exit(script.load()())\n"
)


class LocalModelServerError(ServerError):
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


class LocalModelServer(ChildServer):
    """``transformers serve`` for one model on a loopback port, as a context manager.

    Example::

        with LocalModelServer(hf_home=Path(".harness/hf")) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="none")
    """

    label = "transformers serve"
    slug = "local-model"
    error = LocalModelServerError

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
        super().__init__(
            host=host,
            port=port,
            log_path=log_path,
            startup_timeout=startup_timeout,
            stop_timeout=stop_timeout,
            extra_env=extra_env,
        )
        self._hf_home = Path(hf_home).resolve()
        self._model_id = model_id
        self._seed = seed

    @property
    def model_id(self) -> str:
        """The served model's id, as requests name it."""
        return self._model_id

    @property
    def hf_home(self) -> Path:
        """The ``HF_HOME`` the model is served from."""
        return self._hf_home

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

    def launch(self, *, port: int) -> Launch:
        """``transformers serve`` on ``port`` in :meth:`environment`."""
        return Launch(command=self.command(port=port), env=self.environment())

    def readiness(self) -> ModelsReady:
        """Ready when ``/v1/models`` lists the model; listing others fails at once."""
        return ModelsReady(
            base_url=self.base_url,
            model_id=self._model_id,
            hint=f"is the model built under HF_HOME={self._hf_home}?",
        )

    def context(self) -> str:
        """The model and the ``HF_HOME`` it is served from."""
        return f"model {self._model_id}, HF_HOME={self._hf_home}"

    def __repr__(self) -> str:
        where = f"{self._host}:{self._port}" if self._port is not None else "not started"
        return f"LocalModelServer({self._model_id!r}, {where}, pid={self.pid})"
