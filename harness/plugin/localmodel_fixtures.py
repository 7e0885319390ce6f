"""pytest plugin: a session-wide local model server.

Load it with ``pytest_plugins = ["harness.plugin.localmodel_fixtures"]`` in the rootdir's
conftest.py, or import :func:`local_model_server` and :func:`pytest_runtest_makereport`
into a deeper conftest.py (pytest refuses ``pytest_plugins`` there). It
gives the session-scoped fixture :func:`local_model_server`, and attaches the server's log
tail to the report of every failed test that used it.

The model is built (once, cached) under a worker-independent ``HF_HOME``: the environment
variable ``HARNESS_LOCAL_MODEL_HF_HOME`` if set, else ``.harness/hf`` under pytest's
rootdir. Under pytest-xdist each worker starts its own server on its own port; the build's
file lock lets only one of them build. Without torch and transformers the fixture skips,
unless ``HARNESS_REQUIRE_LOCAL_MODEL=1`` is set (as in CI), where it fails instead
(:mod:`harness.plugin.server_fixtures`).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from harness.plugin.server_fixtures import makereport_hook, require_tier, serve
from harness.servers.localmodel.build import build_tiny_model
from harness.servers.localmodel.recipe import INSTALL_HINT, missing_requirements
from harness.servers.localmodel.server import LocalModelServer

HF_HOME_ENV = "HARNESS_LOCAL_MODEL_HF_HOME"
"""Environment variable naming the HF_HOME where the model is built and cached."""

REQUIRE_ENV = "HARNESS_REQUIRE_LOCAL_MODEL"
"""Set to 1 to fail, not skip, when the local model tier is not installed."""

LOG_SECTION = "local model server log"
"""The title of the report section holding the server's log tail."""

FIXTURE = "local_model_server"


def local_model_hf_home(config: pytest.Config) -> Path:
    """The HF_HOME the plugin builds into: shared by all xdist workers of a run."""
    configured = os.environ.get(HF_HOME_ENV)
    if configured:
        return Path(configured).resolve()
    return config.rootpath / ".harness" / "hf"


def require_local_model_tier() -> None:
    """Skip the calling test (fail it under ``HARNESS_REQUIRE_LOCAL_MODEL=1``) without the tier."""
    missing = missing_requirements()
    problem = f"torch/transformers not installed (missing {', '.join(missing)}; {INSTALL_HINT})"
    require_tier(problem if missing else None, tier="local model tier", require_env=REQUIRE_ENV)


@pytest.fixture(scope="session")
def local_model_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalModelServer]:
    """A started :class:`LocalModelServer` serving ``local/tiny-chat``, stopped at session end."""
    require_local_model_tier()
    hf_home = local_model_hf_home(request.config)
    model_id = build_tiny_model(hf_home=hf_home)
    log_path = tmp_path_factory.mktemp("local-model-server") / "server.log"
    server = LocalModelServer(hf_home=hf_home, model_id=model_id, log_path=log_path)
    yield from serve(request.config, server, fixture=FIXTURE, logs=[(LOG_SECTION, server)])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the server log tail to the report of a failed test that used the server."""
    return (yield from makereport_hook(item))
