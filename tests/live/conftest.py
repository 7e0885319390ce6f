"""Live tests of the local model tier: a real tiny model behind ``transformers serve``.

The fixture and the report hook of :mod:`harness.plugin.localmodel_fixtures` are imported here
rather than named in ``pytest_plugins``: pytest refuses ``pytest_plugins`` in a conftest
below the rootdir's when the run starts from the rootdir (``pytest`` with testpaths).
"""

from __future__ import annotations

import os

import pytest

from harness.plugin.localmodel_fixtures import (  # noqa: F401 - registered by being in this module
    local_model_server,
    pytest_runtest_makereport,
)

# In harness's own suite the live tiers are required, not optional: a missing install must
# fail loudly (with the install hint) rather than turn into silent skips.
os.environ.setdefault("HARNESS_REQUIRE_LOCAL_MODEL", "1")


def pytest_configure(config: pytest.Config) -> None:
    # A plugin, not an import: its report hook would clash by name with the local tier's.
    config.pluginmanager.import_plugin("harness.plugin.llamastack_fixtures")


os.environ.setdefault("HARNESS_REQUIRE_LLAMA_STACK", "1")
