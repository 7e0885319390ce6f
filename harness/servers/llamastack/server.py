"""Run llama-stack (``llama stack run``) on loopback over an OpenAI-compatible upstream.

llama-stack serves the OpenAI Responses and Conversations APIs (and chat completions) and
forwards inference to one ``remote::openai`` provider: here the tiny local model behind
``transformers serve`` (:class:`harness.servers.localmodel.LocalModelServer`). It lives in its own
virtualenv (it needs Python >= 3.12; ``.ci/install-llama-stack.sh`` makes it) and is only
ever run as a subprocess, so nothing of it is imported here.

Each :meth:`LlamaStackServer.start` writes a ``run.yaml`` into a fresh state directory that
also holds every sqlite database and stored file of that run, so no state leaks between
starts, and nothing is written under ``~/.llama``. The process runs offline: tiktoken's
``cl100k_base`` (which llama-stack loads at start) comes from ``TIKTOKEN_CACHE_DIR``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.servers.localmodel.build import MODEL_ID
from harness.servers.process import die_with_parent, free_port, probe, stop_group

PROVIDER_ID = "tiny"
"""The inference provider id in ``run.yaml``: llama-stack names models ``PROVIDER/UPSTREAM``."""

LLAMA_STACK_VERSION = "0.7.3"
"""The llama-stack release ``.ci/install-llama-stack.sh`` installs and this module targets."""

INSTALL_HINT = "run .ci/install-llama-stack.sh (makes .harness/llama-stack-venv, ~45 s, ~820 MB)"

CL100K_CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
"""tiktoken's cache file name for cl100k_base: the sha1 of its download URL."""

VENV_ENV = "HARNESS_LLAMA_STACK_VENV"
"""Environment variable naming the llama-stack venv (default ``.harness/llama-stack-venv``)."""

TIKTOKEN_ENV = "HARNESS_TIKTOKEN_CACHE"
"""Environment variable naming the tiktoken cache dir (default ``.harness/tiktoken``)."""

APIS = ("inference", "responses", "vector_io", "files", "tool_runtime")
"""The APIs served: ``responses`` refuses to start without the last three."""

# Variables that would change what llama-stack does behind the run.yaml's back: its own
# settings (LLAMA_STACK_PORT, LLAMA_STACK_CONFIG, LLAMA_STACK_TEST_INFERENCE_MODE, ...),
# OpenTelemetry export, OpenAI client defaults and secrets, and another Python's paths.
_STRIPPED_PREFIXES = ("LLAMA_STACK_", "OTEL_", "OPENAI_", "PYTHON")
_STRIPPED = ("VIRTUAL_ENV", "SQLITE_STORE_DIR", "FILES_STORAGE_DIR", "TIKTOKEN_CACHE_DIR")
_LOOPBACK = "127.0.0.1,localhost,::1"
_PROBE_LOG_LINE = '"GET /v1/models HTTP/1.1"'
_MODEL_GRACE = 5.0
"""Seconds a started server may answer /v1/models without the model before start fails."""


class LlamaStackServerError(HarnessError):
    """llama-stack could not be started, or died."""


def llama_executable(venv: Path) -> Path:
    """The ``llama`` console script of the llama-stack venv."""
    return Path(venv) / "bin" / "llama"


def default_venv(root: Path) -> Path:
    """The llama-stack venv: ``$HARNESS_LLAMA_STACK_VENV``, else ``.harness/llama-stack-venv``."""
    configured = os.environ.get(VENV_ENV)
    return Path(configured).absolute() if configured else root / ".harness" / "llama-stack-venv"


def default_tiktoken_cache(root: Path) -> Path:
    """The tiktoken cache: ``$HARNESS_TIKTOKEN_CACHE``, else ``.harness/tiktoken`` under root."""
    configured = os.environ.get(TIKTOKEN_ENV)
    return Path(configured).absolute() if configured else root / ".harness" / "tiktoken"


def missing_install(venv: Path, tiktoken_cache: Path) -> str | None:
    """Why the llama-stack install at ``venv``/``tiktoken_cache`` is unusable (``None`` if fine)."""
    llama = llama_executable(venv)
    if not (llama.is_file() and os.access(llama, os.X_OK)):
        return f"no llama-stack venv at {venv} ({llama} missing)"
    if not (Path(tiktoken_cache) / CL100K_CACHE_NAME).is_file():
        return f"no tiktoken cl100k_base in {tiktoken_cache}"
    return None


def run_config(
    *,
    upstream_base_url: str,
    state_dir: Path,
    port: int,
    host: str = "127.0.0.1",
    provider_id: str = PROVIDER_ID,
    upstream_api_key: str = "none",
) -> dict[str, Any]:
    """The ``run.yaml`` for a stack over one OpenAI-compatible upstream, all state in ``state_dir``.

    The upstream's models are listed at start and registered as ``{provider_id}/{model}``.
    """
    state = Path(state_dir)
    sql = {"backend": "sql_default"}
    kv = {"backend": "kv_default"}
    return {
        "version": 2,
        "distro_name": "harness-llama-stack",
        "apis": list(APIS),
        "providers": {
            "inference": [
                {
                    "provider_id": provider_id,
                    "provider_type": "remote::openai",
                    "config": {"base_url": upstream_base_url, "api_key": upstream_api_key},
                }
            ],
            "vector_io": [
                {
                    "provider_id": "sqlite-vec",
                    "provider_type": "inline::sqlite-vec",
                    "config": {
                        "db_path": str(state / "sqlite_vec.db"),
                        "persistence": {"namespace": "vector_io::sqlite_vec", **kv},
                    },
                }
            ],
            "files": [
                {
                    "provider_id": "localfs",
                    "provider_type": "inline::localfs",
                    "config": {
                        "storage_dir": str(state / "files"),
                        "metadata_store": {"table_name": "files_metadata", **sql},
                    },
                }
            ],
            "tool_runtime": [],
            "responses": [
                {
                    "provider_id": "builtin",
                    "provider_type": "inline::builtin",
                    "config": {
                        "persistence": {
                            "agent_state": {"namespace": "agents", **kv},
                            "responses": {"table_name": "responses", **sql},
                        }
                    },
                }
            ],
        },
        "storage": {
            "backends": {
                "kv_default": {"type": "kv_sqlite", "db_path": str(state / "kvstore.db")},
                "sql_default": {"type": "sql_sqlite", "db_path": str(state / "sql_store.db")},
            },
            "stores": {
                "metadata": {"namespace": "registry", **kv},
                "inference": {"table_name": "inference_store", **sql},
                "conversations": {"table_name": "openai_conversations", **sql},
                "prompts": {"namespace": "prompts", **kv},
                "connectors": {"namespace": "connectors", **kv},
            },
        },
        "registered_resources": {"models": []},
        # `llama stack run --port` overrides server.port; both are set to the same port.
        "server": {"host": host, "port": port},
    }


class LlamaStackServer:
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
        self._upstream_base_url = upstream_base_url
        self._venv = Path(venv).absolute()
        self._tiktoken_cache = Path(tiktoken_cache).resolve()
        self._state_root = None if state_dir is None else Path(state_dir).resolve()
        self._upstream_model_id = upstream_model_id
        self._provider_id = provider_id
        self._host = host
        self._fixed_port = port
        self._port: int | None = None
        self._log_path = log_path
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._extra_env = dict(extra_env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._run_dir: Path | None = None
        self._owns_run_dir = False
        self._ready_seconds: float | None = None

    # ----- properties -----

    @property
    def model_id(self) -> str:
        """The upstream model's id in llama-stack: ``tiny/local/tiny-chat`` by default."""
        return f"{self._provider_id}/{self._upstream_model_id}"

    @property
    def port(self) -> int:
        """The port the server listens on (after :meth:`start`)."""
        if self._port is None:
            raise LlamaStackServerError("llama-stack server not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1`` (after :meth:`start`)."""
        return f"http://{self._host}:{self.port}/v1"

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
    def pid(self) -> int | None:
        """The server process id while one was started and not yet reaped."""
        return None if self._process is None else self._process.pid

    @property
    def log_path(self) -> Path | None:
        """The file holding the server's stdout and stderr (``None`` before a temp one is made)."""
        return self._log_path

    @property
    def run_dir(self) -> Path | None:
        """This start's state directory (``run.yaml``, databases, files), ``None`` if none."""
        return self._run_dir

    @property
    def run_yaml(self) -> Path | None:
        """This start's ``run.yaml``."""
        return None if self._run_dir is None else self._run_dir / "run.yaml"

    @property
    def ready_seconds(self) -> float | None:
        """Seconds from launch to ready at the last successful start."""
        return self._ready_seconds

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    # ----- lifecycle -----

    def command(self, *, run_yaml: Path, port: int) -> list[str]:
        """The full ``llama stack run`` command line."""
        return [
            str(llama_executable(self._venv)),
            "stack",
            "run",
            str(run_yaml),
            "--port",
            str(port),
        ]

    def environment(self, *, run_dir: Path) -> dict[str, str]:
        """The server's environment: this one cleaned, offline, all state under ``run_dir``."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _STRIPPED and not k.startswith(_STRIPPED_PREFIXES)
        }
        no_proxy = ",".join(x for x in (env.get("NO_PROXY") or env.get("no_proxy"), _LOOPBACK) if x)
        env.update(
            {
                "VIRTUAL_ENV": str(self._venv),
                "PATH": f"{self._venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
                "TIKTOKEN_CACHE_DIR": str(self._tiktoken_cache),
                # Anything llama-stack would put under ~/.llama goes here instead.
                "LLAMA_STACK_CONFIG_DIR": str(run_dir / "llama"),
                "SQLITE_STORE_DIR": str(run_dir),
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HOME": str(run_dir / "hf"),
                "NO_PROXY": no_proxy,
                "no_proxy": no_proxy,
                "LLAMA_STACK_DISABLE_VERSION_CHECK": "1",
                # Wide log lines: the default 120 columns wraps every record.
                "LLAMA_STACK_LOG_WIDTH": "200",
                "PYTHONUNBUFFERED": "1",
                "TOKENIZERS_PARALLELISM": "false",
                "OMP_NUM_THREADS": "1",
            }
        )
        env.update(self._extra_env)
        return env

    def start(self) -> LlamaStackServer:
        """Start the server and wait until ``/v1/models`` lists :attr:`model_id`.

        With no fixed port, a port taken between picking and binding is retried with
        another one (three tries). Each try gets a fresh state directory.

        Raises:
            LlamaStackServerError: the install is missing, the server exited, or it was not
                ready within ``startup_timeout``; the message ends with the tail of its log.
        """
        if self.running:
            return self
        problem = missing_install(self._venv, self._tiktoken_cache)
        if problem is not None:
            raise LlamaStackServerError(f"llama-stack: {problem}; {INSTALL_HINT}")
        tries = 1 if self._fixed_port is not None else 3
        for attempt in range(1, tries + 1):
            port = self._fixed_port if self._fixed_port is not None else free_port(self._host)
            try:
                launched = time.monotonic()
                self._launch(port)
                self._wait_ready()
                self._ready_seconds = time.monotonic() - launched
                return self
            except LlamaStackServerError:
                in_use = "address already in use" in self.log_tail(30).lower()
                self.stop()
                if not in_use or attempt == tries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _new_run_dir(self) -> Path:
        if self._state_root is None:
            self._owns_run_dir = True
            return Path(tempfile.mkdtemp(prefix="harness-llama-stack-"))
        self._state_root.mkdir(parents=True, exist_ok=True)
        self._owns_run_dir = False
        return Path(tempfile.mkdtemp(prefix="run-", dir=self._state_root))

    def _launch(self, port: int) -> None:
        run_dir = self._new_run_dir()
        self._run_dir = run_dir
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
        if self._log_path is None:
            fd, name = tempfile.mkstemp(prefix="harness-llama-stack-", suffix=".log")
            os.close(fd)
            self._log_path = Path(name)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        command = self.command(run_yaml=run_yaml, port=port)
        with self._log_path.open("ab") as log:
            log.write(f"$ {' '.join(command)}\n".encode())
            log.flush()
            try:
                self._process = subprocess.Popen(
                    command,
                    cwd=run_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.environment(run_dir=run_dir),
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )
            except OSError as exc:
                raise LlamaStackServerError(f"cannot run {command[0]}: {exc}") from exc
        self._port = port

    def _fail(self, what: str) -> LlamaStackServerError:
        where = "" if self._owns_run_dir else f", run.yaml {self.run_yaml}"
        logged = "\n".join(self.logged_errors())
        errors = f"errors logged:\n{logged}\n" if logged else ""
        return LlamaStackServerError(
            f"llama-stack {what} (upstream {self._upstream_base_url}{where}); {errors}"
            f"log {self.log_path}:\n{self.log_tail(40, without_probes=True)}"
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        url = f"{self.base_url}/models"
        # Models are listed from the upstream once, before the server answers: up but without
        # the model means the upstream failed (it is not asked again), after a short grace.
        missing_since: float | None = None
        while True:
            process = self._process
            assert process is not None
            code = process.poll()
            if code is not None:
                raise self._fail(f"exited with code {code} before it was ready")
            status, listing = probe(url)
            if status is not None and status >= 500:
                raise self._fail(f"answered {status} on /v1/models")
            now = time.monotonic()
            if status == 200 and listing is not None:
                data = listing.get("data")
                models = data if isinstance(data, list) else []
                ids = [m.get("id") for m in models if isinstance(m, dict)]
                if self.model_id in ids:
                    return
                missing_since = now if missing_since is None else missing_since
                if now - missing_since > _MODEL_GRACE:
                    raise self._fail(
                        f"is up but /v1/models lists {ids}, not {self.model_id!r} "
                        f"(could it reach the upstream and does that serve "
                        f"{self._upstream_model_id!r}?)"
                    )
            if now > deadline:
                raise self._fail(f"not ready after {self._startup_timeout:.0f}s")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server: SIGTERM, SIGKILL after ``stop_timeout``; always reaps it.

        Its process group is signalled, so helpers it started go too. A temp state
        directory is removed. Safe to call twice.
        """
        process = self._process
        try:
            if process is not None:
                try:
                    stop_group(process, timeout=self._stop_timeout)
                finally:
                    self._process = None
        finally:
            if self._owns_run_dir and self._run_dir is not None:
                shutil.rmtree(self._run_dir, ignore_errors=True)
                self._run_dir = None
                self._owns_run_dir = False

    def log_tail(self, n: int = 40, *, without_probes: bool = False) -> str:
        """The last ``n`` lines of the server's log ('' when there is none yet).

        Trailing padding is stripped; ``without_probes`` leaves out the access-log lines
        of the readiness probes (``GET /v1/models``).
        """
        if self._log_path is None:
            return ""
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return ""
        lines = [line.rstrip() for line in text.replace("\r", "\n").splitlines()]
        if without_probes:
            lines = [line for line in lines if _PROBE_LOG_LINE not in line]
        return "\n".join(lines[-n:])

    def logged_errors(self, n: int = 10) -> list[str]:
        """The last ``n`` ERROR/CRITICAL records of the log (their first lines)."""
        lines = self.log_tail(100_000).splitlines()
        return [line for line in lines if line.startswith(("ERROR", "CRITICAL"))][-n:]

    def __enter__(self) -> LlamaStackServer:
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
        return f"LlamaStackServer({self.model_id!r}, {where}, pid={self.pid})"
