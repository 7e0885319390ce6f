"""LocalModelServer's command line, environment and errors (nothing is served here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.servers.base import ServerError
from harness.servers.localmodel.server import (
    LocalModelServer,
    LocalModelServerError,
    transformers_command,
)


def test_command_serves_the_model_on_loopback_with_the_seed(tmp_path: Path) -> None:
    server = LocalModelServer(hf_home=tmp_path, model_id="local/x", seed=7)
    command = server.command(port=4321)
    assert command[: len(transformers_command())] == transformers_command()
    assert command[len(transformers_command()) :] == [
        "serve",
        "local/x",
        "--host",
        "127.0.0.1",
        "--port",
        "4321",
        "--device",
        "cpu",
        "--default-seed",
        "7",
    ]
    assert server.launch(port=4321).command == command


def test_environment_is_offline_with_hf_home_the_only_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", "/elsewhere")
    monkeypatch.setenv("TRANSFORMERS_CACHE", "/elsewhere")
    server = LocalModelServer(hf_home=tmp_path / "hf", extra_env={"EXTRA": "1"})
    env = server.environment()
    assert "HF_HUB_CACHE" not in env and "TRANSFORMERS_CACHE" not in env
    assert env["HF_HOME"] == str((tmp_path / "hf").resolve())
    assert env["HF_HUB_OFFLINE"] == env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["OMP_NUM_THREADS"] == "1"
    assert env["EXTRA"] == "1"
    assert server.launch(port=1).env == env


def test_not_started(tmp_path: Path) -> None:
    server = LocalModelServer(hf_home=tmp_path)
    with pytest.raises(LocalModelServerError, match=r"^transformers serve not started$"):
        _ = server.base_url
    assert issubclass(LocalModelServerError, ServerError)
    assert server.pid is None and not server.running
    assert repr(server) == "LocalModelServer('local/tiny-chat', not started, pid=None)"
    assert server.context() == f"model local/tiny-chat, HF_HOME={tmp_path.resolve()}"
    server.stop()  # harmless before a start
