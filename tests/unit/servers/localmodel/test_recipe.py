"""The local tier's requirements and install hint."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.servers.localmodel import recipe


def test_missing_requirements_lists_unimportable_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recipe, "_TIER_MODULES", ("json", "no_such_module_xyz"))
    assert recipe.missing_requirements() == ("no_such_module_xyz",)
    with pytest.raises(ConfigError, match="needs torch and transformers: pip install"):
        recipe.require_tier()
    monkeypatch.setattr(recipe, "_TIER_MODULES", ("json",))
    recipe.require_tier()  # nothing missing: no error
