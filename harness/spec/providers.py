"""The provider file: which OpenAI-compatible endpoints and models form the matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator

from harness.errors import ConfigError, LocatedError, ProviderConfigError
from harness.replay.secrets import key_kind, strip_userinfo
from harness.spec.model import StrictModel
from harness.spec.validation import ID_PATTERN, first_problem, located_errors
from harness.util.yamlsrc import load_yaml, value_pos

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# A query string after the base URL is mangled by the SDK (`/v1/?k=v` + `chat/completions`) and
# would be written into every recording: keys go through api_key_env.
_NO_QUERY = "must not carry a query string (?...): pass keys through api_key_env"


class ModelSpec(StrictModel):
    """A model served by a provider, with the capabilities scenarios may require.

    ``name`` names the column (``provider/name``); ``model`` is what requests send, when it
    differs (deployment names, ``org/model`` ids).
    """

    name: Annotated[str, Field(min_length=1)]  # checked by _check_column_names
    model: Annotated[str, Field(min_length=1)] | None = None
    capabilities: list[str] = Field(default_factory=list)

    @property
    def api_model(self) -> str:
        """The ``model`` sent in requests."""
        return self.model or self.name


class Provider(StrictModel):
    """An OpenAI-compatible endpoint."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    # `${VAR}` or `${VAR:-default}` is read from the environment (e.g. a local server's port).
    base_url: Annotated[str, Field(pattern=r"^(https?://|\$\{)")]
    api_key_env: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    models: Annotated[list[str | ModelSpec], Field(min_length=1)]

    @field_validator("base_url")
    @classmethod
    def _no_query(cls, value: str) -> str:
        if "?" in value:
            raise ValueError(_NO_QUERY)
        return value

    def resolved_base_url(self, env: Mapping[str, str]) -> str:
        """``base_url`` with ``${VAR}``/``${VAR:-default}`` taken from ``env``."""

        def value(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = env.get(name) or default
            if found is None:
                raise ConfigError(
                    f"provider {self.id!r}: base_url needs the environment variable {name}, "
                    "which is not set"
                )
            return found

        url = _VARIABLE.sub(value, self.base_url)
        if "?" in url:
            raise ConfigError(f"provider {self.id!r}: base_url {_NO_QUERY}")
        return url

    def base_url_as_given(self, env: Mapping[str, str]) -> str:
        """``base_url`` resolved leniently (unset variables empty, nothing checked), for the
        secret policy to watch its credentials even when it is refused."""
        return _VARIABLE.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", self.base_url)

    def recorded_base_url(self) -> str:
        """The base URL written into recordings: as the providers file spells it, with each
        ``${VAR:-default}`` at its default and each ``${VAR}`` kept as that placeholder, and
        never a ``user:password@``."""
        url = _VARIABLE.sub(
            lambda m: m.group(0) if m.group(2) is None else m.group(2), self.base_url
        )
        return strip_userinfo(url)

    def model_specs(self) -> list[ModelSpec]:
        """Models as :class:`ModelSpec`, with the provider's capabilities added to each."""
        specs = [m if isinstance(m, ModelSpec) else ModelSpec(name=m) for m in self.models]
        return [
            ModelSpec(
                name=s.name,
                model=s.model,
                capabilities=sorted({*self.capabilities, *s.capabilities}),
            )
            for s in specs
        ]


def _key_shaped(entry: str) -> str:
    if key_kind(entry) is None:
        raise ValueError(
            f"{entry!r} is not key-shaped: the allowlist only exempts whole key-shaped strings "
            "(sk-..., AKIA..., ...), never a key's value or a pattern"
        )
    return entry


class ProvidersFile(StrictModel):
    """The top level of ``providers.yaml``."""

    providers: Annotated[list[Provider], Field(min_length=1)]
    # Key-shaped strings that are fixtures, not keys (see README: "No secrets on disk").
    allowed_secrets: list[Annotated[str, AfterValidator(_key_shaped)]] = Field(default_factory=list)


def load_providers(path: Path, *, display: str | None = None) -> list[Provider]:
    """Load and validate a providers file; problems raise :class:`ProviderConfigError`."""
    return load_providers_file(path, display=display).providers


def load_providers_file(
    path: Path, *, display: str | None = None, how_to_set: str = "--harness-providers"
) -> ProvidersFile:
    """Load and validate a whole providers file (providers and ``allowed_secrets``); the first
    problem raises (with how many more there are). ``how_to_set`` names the option that points
    elsewhere, in the caller's context (pytest's ``--harness-providers``, the CLI's
    ``--providers``)."""
    parsed, problems = read_providers_file(path, display=display, how_to_set=how_to_set)
    if parsed is None:
        raise first_problem(problems)
    return parsed


def read_providers_file(
    path: Path, *, display: str | None = None, how_to_set: str = "--harness-providers"
) -> tuple[ProvidersFile | None, list[LocatedError]]:
    """The providers file and every problem found in it (``harness validate`` shows them all);
    the file is None whenever there is a problem."""
    shown = display or str(path)
    if not path.is_file():  # no line to point at: the path is the whole location
        cause = (
            "no providers file here; create one (see README: 'Provider matrix') or name "
            f"another with {how_to_set}, $HARNESS_PROVIDERS or the ini option harness_providers"
        )
        return None, [ProviderConfigError(cause, path=shown)]
    try:
        data = load_yaml(path, error=ProviderConfigError, display=shown)
    except ProviderConfigError as exc:
        return None, [exc]
    problems: list[LocatedError] = []
    parsed: ProvidersFile | None = None
    try:
        parsed = ProvidersFile.model_validate(data)
    except ValidationError as exc:
        models: dict[str, type[BaseModel]] = {"providers": Provider, "models": ModelSpec}
        problems.extend(
            located_errors(
                exc, data, shown=shown, error=ProviderConfigError, models=models, root=ProvidersFile
            )
        )
    # A shape error elsewhere must not hide these: ids are compared on every entry that names
    # one, column names checked on every entry that parses (a duplicate's would only repeat).
    entries = data.get("providers") if isinstance(data, dict) else None
    seen: set[object] = set()
    firsts: list[tuple[int, Provider]] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(ident, str) and ident in seen:
            line, col = value_pos(data, ("providers", index, "id"))
            cause = f"duplicate provider id {ident!r}"
            problems.append(ProviderConfigError(cause, path=shown, line=line, col=col))
            continue
        seen.add(ident)
        provider = parsed.providers[index] if parsed else _provider(entry)
        if provider is not None:
            firsts.append((index, provider))
    problems.extend(_check_column_names(firsts, data, shown))
    problems.sort(key=lambda p: (p.line, p.col))
    return (None if problems else parsed), problems


def _provider(entry: object) -> Provider | None:
    """An entry of a file whose whole shape failed, if it is a valid provider on its own (its
    own problems are already among the located errors)."""
    try:
        return Provider.model_validate(entry)
    except ValidationError:
        return None


def _check_column_names(
    providers: list[tuple[int, Provider]], data: object, shown: str
) -> Iterator[ProviderConfigError]:
    """Column ids ``provider/name`` become test ids and snapshot file names: a name may not
    hold characters a file name drops or pytest reads as syntax (``x/y``, ``a::b``), and no two
    columns may share a snapshot file (file names drop the '/': ``a/bc`` and ``ab/c``)."""
    owners: dict[str, str] = {}
    for index, provider in providers:
        for number, spec in enumerate(provider.model_specs()):
            column = f"{provider.id}/{spec.name}"
            where: tuple[int | str, ...] = ("providers", index, "models", number)
            if isinstance(provider.models[number], ModelSpec):
                where = (*where, "name")
            line, col = value_pos(data, where)
            if not re.fullmatch(ID_PATTERN, spec.name):
                yield ProviderConfigError(
                    f"model name {spec.name!r}: use letters, digits, '.', '_' or '-', starting "
                    "with a letter or digit; put the provider's own model id in 'model' "
                    f"(e.g. {{name: {re.sub(r'[^A-Za-z0-9_.-]+', '-', spec.name).strip('-')}"
                    f", model: {spec.name!r}}})",
                    path=shown,
                    line=line,
                    col=col,
                )
                continue
            key = (provider.id + spec.name).casefold()  # case-insensitive file systems too
            if key in owners:
                yield ProviderConfigError(
                    f"column {column!r} would share snapshot files with {owners[key]!r} "
                    "(file names drop the '/'); rename one of the models",
                    path=shown,
                    line=line,
                    col=col,
                )
            owners[key] = column
