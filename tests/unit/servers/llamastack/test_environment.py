"""What llama-stack's process is given: the caller's environment cleaned, state in run_dir."""

from __future__ import annotations

from pathlib import Path

from harness.servers.llamastack.environment import stack_environment


def test_steering_variables_are_stripped_and_state_goes_to_run_dir(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "OPENAI_API_KEY": "sk-x",
        "OPENAI_BASE_URL": "http://elsewhere",
        "LLAMA_STACK_PORT": "1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector",
        "PYTHONPATH": "/other",
        "VIRTUAL_ENV": "/other-venv",
        "SQLITE_STORE_DIR": "/shared",
        "no_proxy": "corp.example",
    }
    venv, cache, run_dir = tmp_path / "venv", tmp_path / "tk", tmp_path / "run"
    env = stack_environment(base, venv=venv, tiktoken_cache=cache, run_dir=run_dir)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLAMA_STACK_PORT", "PYTHONPATH"):
        assert name not in env
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in env
    assert env["HOME"] == "/home/u"
    assert env["PATH"] == f"{venv / 'bin'}:/usr/bin"
    assert env["VIRTUAL_ENV"] == str(venv)
    assert env["SQLITE_STORE_DIR"] == str(run_dir)
    assert env["LLAMA_STACK_CONFIG_DIR"] == str(run_dir / "llama")
    assert env["HF_HOME"] == str(run_dir / "hf")
    assert env["TIKTOKEN_CACHE_DIR"] == str(cache)
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["NO_PROXY"] == env["no_proxy"] == "corp.example,127.0.0.1,localhost,::1"
    assert base["OPENAI_API_KEY"] == "sk-x"  # the caller's mapping is left alone


def test_no_proxy_is_loopback_when_unset(tmp_path: Path) -> None:
    env = stack_environment({}, venv=tmp_path, tiktoken_cache=tmp_path, run_dir=tmp_path)
    assert env["NO_PROXY"] == "127.0.0.1,localhost,::1"
    assert env["PATH"].startswith(str(tmp_path / "bin"))
