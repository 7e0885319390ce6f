"""pytest plugin: a session-wide llama-stack server over the tiny local model.

Load it with ``pytest_plugins = ["harness.plugin.llamastack_fixtures"]`` (the rootdir's conftest.py
or a test module), ``-p harness.plugin.llamastack_fixtures``, or, from a conftest.py below the
rootdir (where pytest refuses ``pytest_plugins``), with
``config.pluginmanager.import_plugin("harness.plugin.llamastack_fixtures")`` in its
``pytest_configure``. It gives the session-scoped fixture :func:`llama_stack_server`, and
attaches the llama-stack log tail (and the tiny model server's) to the report of every
failed test that used it.

The llama-stack venv is ``$HARNESS_LLAMA_STACK_VENV`` or ``.harness/llama-stack-venv``
under pytest's rootdir, the tiktoken cache ``$HARNESS_TIKTOKEN_CACHE`` or
``.harness/tiktoken``; ``.ci/install-llama-stack.sh`` makes both. Without them the fixture
skips, unless ``HARNESS_REQUIRE_LLAMA_STACK=1`` is set (as in CI), where it fails instead.
Under pytest-xdist each worker starts its own servers on their own ports.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from harness.plugin.localmodel_fixtures import LOG_SECTION as LOCAL_MODEL_LOG_SECTION
from harness.plugin.localmodel_fixtures import (  # noqa: F401 - a fixture, registered by being here
    local_model_server,
)
from harness.plugin.server_fixtures import makereport_hook, require_tier, serve
from harness.servers.llamastack.install import (
    INSTALL_HINT,
    default_tiktoken_cache,
    default_venv,
    missing_install,
)
from harness.servers.llamastack.server import LlamaStackServer
from harness.servers.localmodel.server import LocalModelServer

REQUIRE_ENV = "HARNESS_REQUIRE_LLAMA_STACK"
"""Set to 1 to fail, not skip, when llama-stack is not installed."""

LOG_SECTION = "llama-stack server log"
"""The title of the report section holding the llama-stack log tail."""

FIXTURE = "llama_stack_server"


def require_llama_stack(config: pytest.Config) -> None:
    """Skip the calling test without llama-stack; under ``HARNESS_REQUIRE_LLAMA_STACK=1``, fail."""
    problem = missing_install(
        default_venv(config.rootpath), default_tiktoken_cache(config.rootpath)
    )
    detail = None if problem is None else f"{problem}; {INSTALL_HINT}"
    require_tier(detail, tier="llama-stack not installed", require_env=REQUIRE_ENV)


@pytest.fixture(scope="session")
def llama_stack_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaStackServer]:
    """A started :class:`LlamaStackServer` over ``local_model_server``, stopped at session end.

    Its model is ``tiny/local/tiny-chat``; all its state lives in a fresh temp directory.
    """
    # Checked before the tiny model server is asked for, so a missing install skips at once.
    require_llama_stack(request.config)
    upstream: LocalModelServer = request.getfixturevalue("local_model_server")
    base = tmp_path_factory.mktemp("llama-stack")
    server = LlamaStackServer(
        upstream_base_url=upstream.base_url,
        upstream_model_id=upstream.model_id,
        venv=default_venv(request.config.rootpath),
        tiktoken_cache=default_tiktoken_cache(request.config.rootpath),
        state_dir=base / "state",
        log_path=base / "server.log",
    )
    logs = [(LOG_SECTION, server), (LOCAL_MODEL_LOG_SECTION, upstream)]
    yield from serve(request.config, server, fixture=FIXTURE, logs=logs)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the llama-stack and tiny-model log tails to a failed test that used llama-stack."""
    return (yield from makereport_hook(item))
