"""Run llama-stack (``llama stack run``) on loopback over an OpenAI-compatible upstream.

llama-stack serves the OpenAI Responses and Conversations APIs (and chat completions) and
forwards inference to one ``remote::openai`` provider: here the tiny local model behind
``transformers serve`` (:class:`harness.servers.localmodel.LocalModelServer`). It lives in its own
virtualenv (it needs Python >= 3.12; ``.ci/install-llama-stack.sh`` makes it) and is only
ever run as a subprocess, so nothing of it is imported here.

Each :meth:`LlamaStackServer.start` writes a ``run.yaml`` (:func:`run_config`) into a fresh
state directory that also holds every sqlite database and stored file of that run, so no
state leaks between starts, and nothing is written under ``~/.llama``. The process runs
offline: tiktoken's ``cl100k_base`` (which llama-stack loads at start) comes from
``TIKTOKEN_CACHE_DIR``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import yaml

from harness.servers.base import ChildServer, Launch, ServerError
from harness.servers.llamastack.config import PROVIDER_ID, run_config
from harness.servers.llamastack.environment import stack_environment
from harness.servers.llamastack.install import INSTALL_HINT, llama_executable, missing_install
from harness.servers.localmodel.dialogues import MODEL_ID
from harness.servers.readiness import ModelsReady

_MODEL_GRACE = 5.0
"""Seconds a started server may answer /v1/models without the model before start fails."""


class LlamaStackServerError(ServerError):
    """llama-stack could not be started, or died."""


class LlamaStackServer(ChildServer):
    """``llama stack run`` on a loopback port over one upstream model, as a context manager.

    Example::

        with LocalModelServer(hf_home=hf) as tiny, LlamaStackServer(
            upstream_base_url=tiny.base_url,
            venv=Path(".harness/llama-stack-venv"),
            tiktoken_cache=Path(".harness/tiktoken"),
        ) as stack:
            client = openai.OpenAI(base_url=stack.base_url, api_key="none")
            client.responses.create(model=stack.model_id, input="Hello!")
    """

    label = "llama-stack"
    slug = "llama-stack"
    error = LlamaStackServerError

    def __init__(
        self,
        *,
        upstream_base_url: str,
        venv: Path,
        tiktoken_cache: Path,
        state_dir: Path | None = None,
        upstream_model_id: str = MODEL_ID,
        provider_id: str = PROVIDER_ID,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_path: Path | None = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 10.0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the server; nothing runs until :meth:`start`.

        Args:
            upstream_base_url: the OpenAI base URL inference is forwarded to (``.../v1``).
            venv: the llama-stack virtualenv (its ``bin/llama`` is run).
            tiktoken_cache: the ``TIKTOKEN_CACHE_DIR`` holding cl100k_base.
            state_dir: where each start makes a fresh directory for its ``run.yaml``,
                databases and files (kept after stop); ``None`` for a temp directory
                that :meth:`stop` removes.
            upstream_model_id: the upstream model that must be listed before ready.
            provider_id: the inference provider id; models are ``{provider_id}/{model}``.
            host: the loopback address to listen on.
            port: the port; ``None`` picks a free one at each start.
            log_path: where stdout and stderr go; ``None`` for a new temp file.
            startup_timeout: seconds to wait for ``/v1/models`` to list the model.
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
        self._upstream_base_url = upstream_base_url
        self._venv = Path(venv).absolute()
        self._tiktoken_cache = Path(tiktoken_cache).resolve()
        self._state_root = None if state_dir is None else Path(state_dir).resolve()
        self._upstream_model_id = upstream_model_id
        self._provider_id = provider_id
        self._run_dir: Path | None = None
        self._owns_run_dir = False

    # ----- properties -----

    @property
    def model_id(self) -> str:
        """The upstream model's id in llama-stack: ``tiny/local/tiny-chat`` by default."""
        return f"{self._provider_id}/{self._upstream_model_id}"

    @property
    def upstream_base_url(self) -> str:
        """The OpenAI base URL inference is forwarded to."""
        return self._upstream_base_url

    @property
    def venv(self) -> Path:
        """The llama-stack virtualenv."""
        return self._venv

    @property
    def tiktoken_cache(self) -> Path:
        """The ``TIKTOKEN_CACHE_DIR`` given to the server."""
        return self._tiktoken_cache

    @property
    def run_dir(self) -> Path | None:
        """This start's state directory (``run.yaml``, databases, files), ``None`` if none."""
        return self._run_dir

    @property
    def run_yaml(self) -> Path | None:
        """This start's ``run.yaml``."""
        return None if self._run_dir is None else self._run_dir / "run.yaml"

    # ----- what the base class runs -----

    def command(self, *, run_yaml: Path, port: int) -> list[str]:
        """The full ``llama stack run`` command line."""
        llama = str(llama_executable(self._venv))
        return [llama, "stack", "run", str(run_yaml), "--port", str(port)]

    def environment(self, *, run_dir: Path) -> dict[str, str]:
        """The server's environment: this one cleaned, offline, all state under ``run_dir``."""
        env = stack_environment(
            os.environ, venv=self._venv, tiktoken_cache=self._tiktoken_cache, run_dir=run_dir
        )
        env.update(self._extra_env)
        return env

    def start(self) -> Self:
        """Check the install, then start as :meth:`ChildServer.start` does.

        Each try gets a fresh state directory.

        Raises:
            LlamaStackServerError: the install is missing, or the start failed (see the base).
        """
        if not self.running:
            problem = missing_install(self._venv, self._tiktoken_cache)
            if problem is not None:
                raise LlamaStackServerError(f"llama-stack: {problem}; {INSTALL_HINT}")
        return super().start()

    def launch(self, *, port: int) -> Launch:
        """A fresh state directory with its ``run.yaml``, and ``llama stack run`` over it."""
        run_dir = self._new_run_dir()
        (run_dir / "files").mkdir()
        run_yaml = run_dir / "run.yaml"
        config = run_config(
            upstream_base_url=self._upstream_base_url,
            state_dir=run_dir,
            port=port,
            host=self._host,
            provider_id=self._provider_id,
        )
        run_yaml.write_text(yaml.safe_dump(config, sort_keys=False))
        return Launch(
            command=self.command(run_yaml=run_yaml, port=port),
            env=self.environment(run_dir=run_dir),
            cwd=run_dir,
        )

    def _new_run_dir(self) -> Path:
        if self._state_root is None:
            self._run_dir = Path(tempfile.mkdtemp(prefix="harness-llama-stack-"))
            self._owns_run_dir = True
        else:
            self._state_root.mkdir(parents=True, exist_ok=True)
            self._run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self._state_root))
            self._owns_run_dir = False
        return self._run_dir

    def readiness(self) -> ModelsReady:
        """Ready when ``/v1/models`` lists :attr:`model_id`.

        Models are listed from the upstream once, before the server answers: up but without
        the model means the upstream failed (it is not asked again), after a short grace.
        """
        return ModelsReady(
            base_url=self.base_url,
            model_id=self.model_id,
            grace=_MODEL_GRACE,
            hint=f"could it reach the upstream and does that serve {self._upstream_model_id!r}?",
        )

    def context(self) -> str:
        """The upstream, and the ``run.yaml`` when it is kept."""
        where = "" if self._owns_run_dir else f", run.yaml {self.run_yaml}"
        return f"upstream {self._upstream_base_url}{where}"

    def failure_details(self) -> str:
        """The ERROR records of the log, which say why far better than its last lines."""
        logged = "\n".join(self.logged_errors())
        return f"errors logged:\n{logged}\n" if logged else ""

    def cleanup(self) -> None:
        """Remove a temp state directory (one under ``state_dir`` is kept)."""
        if self._owns_run_dir and self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None
            self._owns_run_dir = False

    def logged_errors(self, n: int = 10) -> list[str]:
        """The last ``n`` ERROR/CRITICAL records of the log (their first lines)."""
        lines = self.log_tail(100_000).splitlines()
        return [line for line in lines if line.startswith(("ERROR", "CRITICAL"))][-n:]

    def __repr__(self) -> str:
        where = f"{self._host}:{self._port}" if self._port is not None else "not started"
        return f"LlamaStackServer({self.model_id!r}, {where}, pid={self.pid})"
