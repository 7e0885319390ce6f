"""LlamaStackServer over a fake ``llama`` executable: what it is given, ready, failure, clean-up."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from harness.servers.base import ServerError
from harness.servers.llamastack import LlamaStackServer, LlamaStackServerError
from harness.servers.llamastack.install import CL100K_CACHE_NAME
from support.tiny_server import group_gone

# bin/llama of the fake venv: `llama stack run RUN_YAML --port N`, served from the run.yaml.
FAKE_LLAMA = r"""
import http.server, json, os, sys
import yaml
_, _stack, _run, run_yaml, _flag, port = sys.argv
config = yaml.safe_load(open(run_yaml))
json.dump({"env": dict(os.environ), "cwd": os.getcwd()}, open(os.environ["FAKE_DUMP"], "w"))
if os.environ["FAKE_MODE"] == "fail":
    print("ERROR    2026-01-01 list_provider_model_ids() failed: connection refused", flush=True)
    print("Traceback (most recent call last): ...", flush=True)
    sys.exit(1)
(inference,) = config["providers"]["inference"]
model = inference["provider_id"] + "/local/tiny-chat"

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"data": [{"id": model}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
"""


@pytest.fixture
def fake_install(tmp_path: Path) -> tuple[Path, Path]:
    venv, cache = tmp_path / "venv", tmp_path / "tiktoken"
    (venv / "bin").mkdir(parents=True)
    llama = venv / "bin" / "llama"
    llama.write_text(f"#!{sys.executable}\n{FAKE_LLAMA}")
    llama.chmod(0o755)
    cache.mkdir()
    (cache / CL100K_CACHE_NAME).write_text("")
    return venv, cache


def _server(
    fake_install: tuple[Path, Path], tmp_path: Path, mode: str, **kwargs: object
) -> LlamaStackServer:
    venv, cache = fake_install
    return LlamaStackServer(
        upstream_base_url="http://127.0.0.1:9/v1",
        venv=venv,
        tiktoken_cache=cache,
        log_path=tmp_path / "stack.log",
        extra_env={"FAKE_MODE": mode, "FAKE_DUMP": str(tmp_path / "dump.json")},
        **kwargs,  # type: ignore[arg-type]
    )


def test_serves_with_its_run_yaml_and_clean_environment(
    fake_install: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-reach-the-stack")
    monkeypatch.setenv("LLAMA_STACK_PORT", "1")
    server = _server(fake_install, tmp_path, "serve", state_dir=tmp_path / "state")
    with server:
        pid = server.pid
        assert pid is not None
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as reply:
            assert json.loads(reply.read())["data"] == [{"id": "tiny/local/tiny-chat"}]
        run_dir = server.run_dir
        assert run_dir is not None and run_dir.parent == tmp_path / "state"
        config = yaml.safe_load((run_dir / "run.yaml").read_text())
        assert config["server"] == {"host": "127.0.0.1", "port": server.port}
    assert group_gone(pid)
    dump = json.loads((tmp_path / "dump.json").read_text())
    assert Path(dump["cwd"]) == run_dir
    env = dump["env"]
    assert "OPENAI_API_KEY" not in env and "LLAMA_STACK_PORT" not in env
    assert env["TIKTOKEN_CACHE_DIR"] == str(fake_install[1])
    assert env["FAKE_MODE"] == "serve"  # extra_env is passed on
    assert run_dir.is_dir()  # a state_dir's run directory is kept after stop


def test_a_temp_state_directory_is_removed_at_stop(
    fake_install: tuple[Path, Path], tmp_path: Path
) -> None:
    with _server(fake_install, tmp_path, "serve") as server:
        run_dir = server.run_dir
        assert run_dir is not None and (run_dir / "run.yaml").is_file()
    assert not run_dir.exists()
    assert server.run_dir is None


def test_a_failed_start_reports_the_logged_errors(
    fake_install: tuple[Path, Path], tmp_path: Path
) -> None:
    server = _server(fake_install, tmp_path, "fail", state_dir=tmp_path / "state")
    with pytest.raises(LlamaStackServerError) as caught:
        server.start()
    message = str(caught.value)
    assert message.startswith(
        "llama-stack exited with code 1 before it was ready (upstream http://127.0.0.1:9/v1, "
        f"run.yaml {server.run_yaml}); errors logged:\nERROR    2026-01-01 list_provider"
    )
    assert message.endswith("Traceback (most recent call last): ...")
    assert isinstance(caught.value, ServerError)
    assert server.pid is None


def test_a_missing_install_fails_before_anything_runs(tmp_path: Path) -> None:
    server = LlamaStackServer(
        upstream_base_url="http://127.0.0.1:9/v1",
        venv=tmp_path / "no-venv",
        tiktoken_cache=tmp_path,
        state_dir=tmp_path / "state",
    )
    with pytest.raises(LlamaStackServerError, match=r"no llama-stack venv .*install-llama-stack"):
        server.start()
    assert not (tmp_path / "state").exists()
    assert server.log_path is None


def test_model_id_and_repr(fake_install: tuple[Path, Path], tmp_path: Path) -> None:
    server = _server(fake_install, tmp_path, "serve", provider_id="p")
    assert server.model_id == "p/local/tiny-chat"
    assert repr(server) == "LlamaStackServer('p/local/tiny-chat', not started, pid=None)"
    assert os.fspath(server.venv) == os.fspath(fake_install[0])
