"""The provider file: which OpenAI-compatible endpoints and models form the matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ProviderConfigError
from .validation import ID_PATTERN, located_error
from .yamlsrc import load_yaml, value_pos


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ModelSpec(_Model):
    """A model served by a provider, with the capabilities scenarios may require."""

    name: Annotated[str, Field(min_length=1)]
    capabilities: list[str] = Field(default_factory=list)


class Provider(_Model):
    """An OpenAI-compatible endpoint."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    base_url: Annotated[str, Field(pattern=r"^https?://")]
    api_key_env: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    models: Annotated[list[str | ModelSpec], Field(min_length=1)]

    def model_specs(self) -> list[ModelSpec]:
        """Models as :class:`ModelSpec`, with the provider's capabilities added to each."""
        specs = [m if isinstance(m, ModelSpec) else ModelSpec(name=m) for m in self.models]
        return [
            ModelSpec(name=s.name, capabilities=sorted({*self.capabilities, *s.capabilities}))
            for s in specs
        ]


class ProvidersFile(_Model):
    """The top level of ``providers.yaml``."""

    providers: Annotated[list[Provider], Field(min_length=1)]


def load_providers(path: Path, *, display: str | None = None) -> list[Provider]:
    """Load and validate a providers file; problems raise :class:`ProviderConfigError`."""
    shown = display or str(path)
    if not path.is_file():
        raise ProviderConfigError(
            "no providers file here; create one (see README: 'Provider matrix') "
            "or point --harness-providers at it",
            path=shown,
            line=1,
            col=1,
        )
    data = load_yaml(path, error=ProviderConfigError, display=shown)
    try:
        parsed = ProvidersFile.model_validate(data)
    except ValidationError as exc:
        raise located_error(
            exc,
            data,
            shown=shown,
            error=ProviderConfigError,
            models={"providers": Provider, "models": ModelSpec},
            root=ProvidersFile,
        ) from None
    seen: set[str] = set()
    for index, provider in enumerate(parsed.providers):
        if provider.id in seen:
            line, col = value_pos(data, ("providers", index, "id"))
            raise ProviderConfigError(
                f"duplicate provider id {provider.id!r}", path=shown, line=line, col=col
            )
        seen.add(provider.id)
    return parsed.providers
