"""Where a provider's requests go, and with which key — settled only when one actually goes out.

A run that answers everything from recordings must not need a ``${VAR}`` of ``base_url`` or an
API key it never uses; a request that does go out without them fails its test in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.spec.providers import Provider
from harness.spec.settings import RecordMode

REPLAY_API_KEY = "harness-replay-no-key"
# The client of a provider whose base_url cannot be resolved yet: only its path matters (it
# maps request paths to recorded endpoints); the host is never contacted.
UNRESOLVED_HOST = "http://harness-unresolved.invalid"


@dataclass(frozen=True)
class Outbound:
    """The base URL and API key of one provider under one record mode."""

    provider: Provider
    env: Mapping[str, str]
    mode: RecordMode

    @cached_property
    def client_base_url(self) -> str:
        """The SDK client's ``base_url``: the real one, or a placeholder with the same path."""
        try:
            return self.provider.resolved_base_url(self.env)
        except ConfigError:
            return UNRESOLVED_HOST + urlsplit(self.provider.base_url_as_given(self.env)).path

    @property
    def client_api_key(self) -> str:
        """The SDK client's ``api_key`` (checked by :meth:`check` when a request goes out)."""
        if not self.mode.reaches_network:
            return REPLAY_API_KEY
        if self.provider.api_key_env is None:
            return "none"
        return self.env.get(self.provider.api_key_env) or REPLAY_API_KEY

    def check(self) -> None:
        """Before a request goes out: raise :class:`ConfigError` (one line) when the provider's
        ``base_url`` needs an unset variable or its API key is not set."""
        real = self.provider.resolved_base_url(self.env)  # raises for an unset ${VAR}
        if real != self.client_base_url:
            raise ConfigError(
                f"provider {self.provider.id!r}: base_url changed during the run "
                f"({self.client_base_url} -> {real}); set its variables before pytest starts"
            )
        name = self.provider.api_key_env
        if name and not self.env.get(name):
            raise ConfigError(
                f"record mode {self.mode.value!r} needs an API key for provider "
                f"{self.provider.id!r}: set the environment variable {name}"
            )
