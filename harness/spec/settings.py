"""Harness settings and where each comes from.

Precedence, highest first (the one place this is decided):

1. command-line option (``--harness-record-mode``, ``--harness-providers``, ``--harness-models``,
   ``--harness-recordings``);
2. environment variable (``HARNESS_RECORD_MODE``, ``HARNESS_PROVIDERS``, ``HARNESS_MODELS``,
   ``HARNESS_RECORDINGS``);
3. ini option in pytest's config (``harness_record_mode``, ``harness_providers``,
   ``harness_models``, ``harness_recordings``);
4. default: ``replay``, ``providers.yaml``, all columns, ``recordings/`` (paths relative to
   pytest's rootdir).

The ``harness`` commands resolve the same way (their ``--providers``/``--recordings``/``--models``
options, then the environment, then the ini file pytest would read in the current folder).

In code, a ``conftest.py`` may override the session-scoped ``harness_settings`` fixture: the
runner, and with it the CI guard, progress lines, the usage record and the cleanup of killed
writers' temp files, use the fixture's value. Collection happens before any fixture exists, so
what it uses (``providers_path``: the matrix; ``models``: the filter; ``recordings_dir``: the
folder pytest does not walk) always comes from the precedence above; an override that changes
one of those fails the tests with a one-line error naming the option and ini to use instead.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from harness.errors import ConfigError
from harness.util.fs import MAX_YAML_BYTES, UnreadableFileError, read_bounded


class RecordMode(str, Enum):  # noqa: UP042 - StrEnum would change str() of a mode
    """How requests are answered."""

    REPLAY = "replay"  # only from recordings; nothing leaves the machine; a miss fails
    RECORD_MISSING = "record-missing"  # from recordings, recording what is missing
    REWRITE = "rewrite"  # always from the provider, rewriting every recording
    LIVE = "live"  # always from the provider, recording nothing

    @property
    def records(self) -> bool:
        """Whether this mode writes recordings."""
        return self in (RecordMode.RECORD_MISSING, RecordMode.REWRITE)

    @property
    def reaches_network(self) -> bool:
        """Whether this mode may talk to a provider."""
        return self is not RecordMode.REPLAY


@dataclass(frozen=True)
class Settings:
    """Resolved harness settings for one run."""

    record_mode: RecordMode = RecordMode.REPLAY
    providers_path: Path = Path("providers.yaml")
    recordings_dir: Path = Path("recordings")
    models: tuple[str, ...] = ()


# The folders whose YAML files are scenario files (ini ``harness_scenario_dirs``; no option or
# environment variable: collection reads it).
SCENARIO_DIRS = ("scenarios",)


def scenario_dir_paths(names: list[str] | tuple[str, ...], *, rootdir: Path) -> list[Path]:
    """The folders ``harness_scenario_dirs`` names, resolved under ``rootdir``.

    A folder the ini names that is not there (a typo, two names on one line of the linelist)
    is a :class:`ConfigError`: it would otherwise collect nothing, silently. The default may be
    absent (a project with Python tests only)."""
    dirs = [(rootdir / name).resolve() for name in names]
    if tuple(names) != SCENARIO_DIRS:
        for name, path in zip(names, dirs, strict=True):
            if not path.is_dir():
                raise ConfigError(
                    f"harness_scenario_dirs: {name!r} is not a folder under the rootdir "
                    "(one folder per line)"
                )
    return dirs


_DEFAULT = Settings()

# name -> (environment variable, default as text: the dataclass's own defaults, written once)
_SOURCES = {
    "record_mode": ("HARNESS_RECORD_MODE", _DEFAULT.record_mode.value),
    "providers": ("HARNESS_PROVIDERS", str(_DEFAULT.providers_path)),
    "recordings": ("HARNESS_RECORDINGS", str(_DEFAULT.recordings_dir)),
    "models": ("HARNESS_MODELS", ",".join(_DEFAULT.models)),
}


def default_text(name: str) -> str:
    """The default of setting ``name`` (``providers``, ``recordings``...) as a user writes it."""
    return _SOURCES[name][1]


def resolve_settings(
    *,
    option: Callable[[str], str | None],
    ini: Callable[[str], str | None],
    env: Mapping[str, str],
    rootdir: Path,
) -> Settings:
    """Resolve settings by the precedence above; ``option``/``ini`` look up a name or give None."""

    def pick(name: str) -> str:
        env_name, default = _SOURCES[name]
        for value in (option(name), env.get(env_name), ini(name)):
            if value not in (None, ""):
                return str(value)
        return default

    mode_text = pick("record_mode")
    try:
        mode = RecordMode(mode_text)
    except ValueError:
        choices = ", ".join(m.value for m in RecordMode)
        raise ConfigError(f"unknown record mode {mode_text!r}; choose one of: {choices}") from None
    models = tuple(m.strip() for m in pick("models").split(",") if m.strip())
    return Settings(
        record_mode=mode,
        providers_path=rootdir / pick("providers"),
        recordings_dir=rootdir / pick("recordings"),
        models=models,
    )


# The ini files pytest reads, in its order of preference, with the section holding its options.
_INI_FILES = (
    ("pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


def ini_file_options(rootdir: Path) -> Mapping[str, object]:
    """pytest's options as the ini file pytest would read in ``rootdir`` sets them, unparsed
    (a string, or a list from pyproject.toml); empty when there is no such file."""
    for file_name, section in _INI_FILES:
        path = rootdir / file_name
        try:
            text = read_bounded(path, limit=MAX_YAML_BYTES, what="ini file").decode("utf-8")
        except (OSError, UnreadableFileError, UnicodeDecodeError):
            continue
        found = _ini_section(text, section, source=path)
        if found is not None or file_name == "pytest.ini":  # pytest.ini wins even when empty
            return found or {}
    return {}


def ini_file_values(rootdir: Path) -> Callable[[str], str | None]:
    """``harness_<name>`` as the ini file pytest would read in ``rootdir`` sets it, so a
    ``harness`` command outside pytest resolves the same settings a pytest run there does."""
    values = ini_file_options(rootdir)

    def lookup(name: str) -> str | None:
        value = values.get(f"harness_{name}")
        return None if value is None else str(value)

    return lookup


def _ini_section(text: str, section: str | None, *, source: Path) -> Mapping[str, object] | None:
    try:
        if section is None:
            options = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options")
            return options if isinstance(options, dict) else None
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text, source=str(source))
    except (tomllib.TOMLDecodeError, configparser.Error) as exc:
        raise ConfigError(f"{source}: cannot read pytest's options ({exc})") from None
    return dict(parser[section]) if parser.has_section(section) else None
