"""The ``run.yaml`` a llama-stack start runs with: one upstream, all state in one directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROVIDER_ID = "tiny"
"""The inference provider id in ``run.yaml``: llama-stack names models ``PROVIDER/UPSTREAM``."""

APIS = ("inference", "responses", "vector_io", "files", "tool_runtime")
"""The APIs served: ``responses`` refuses to start without the last three."""


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
