"""The run.yaml: one upstream, loopback only, every database and file in the state dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from harness.servers.llamastack.config import APIS, run_config


def _paths(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("db_path", "storage_dir"):
                yield value
            yield from _paths(value)
    elif isinstance(node, list):
        for value in node:
            yield from _paths(value)


def test_run_config_keeps_everything_on_loopback_and_in_the_state_dir(tmp_path: Path) -> None:
    config = run_config(upstream_base_url="http://127.0.0.1:1/v1", state_dir=tmp_path, port=1234)
    assert config["server"] == {"host": "127.0.0.1", "port": 1234}
    assert config["apis"] == list(APIS)
    (inference,) = config["providers"]["inference"]
    assert inference == {
        "provider_id": "tiny",
        "provider_type": "remote::openai",
        "config": {"base_url": "http://127.0.0.1:1/v1", "api_key": "none"},
    }
    found = list(_paths(config))
    assert len(found) == 4
    assert all(Path(p).parent == tmp_path for p in found)
    assert config["registered_resources"] == {"models": []}


def test_provider_id_and_key_are_passed_on(tmp_path: Path) -> None:
    config = run_config(
        upstream_base_url="u", state_dir=tmp_path, port=1, provider_id="p", upstream_api_key="k"
    )
    (inference,) = config["providers"]["inference"]
    assert (inference["provider_id"], inference["config"]["api_key"]) == ("p", "k")
