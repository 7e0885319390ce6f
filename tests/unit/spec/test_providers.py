"""Tests for harness.spec.providers: the providers file and its located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError, ProviderConfigError
from harness.spec.providers import (
    ModelSpec,
    Provider,
    load_providers,
    load_providers_file,
    read_providers_file,
)


def pos_of(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, col) of the ``nth`` occurrence of ``needle``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> ProviderConfigError:
    with pytest.raises(ProviderConfigError) as info:
        load_providers(write(tmp_path, text), display="providers.yaml")
    error = info.value
    assert "\n" not in str(error)
    assert str(error) == f"providers.yaml:{error.line}:{error.col}: {error.cause}"
    return error


VALID = """\
providers:
  - id: openai
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    capabilities: [tools]
    models:
      - gpt-4o-mini
      - name: gpt-4o
        capabilities: [vision, tools, audio]
  - id: local
    base_url: http://localhost:8000/v1
    models: [llama-3]
"""


def test_valid_file_loads(tmp_path: Path) -> None:
    openai_p, local = load_providers(write(tmp_path, VALID))
    assert openai_p == Provider(
        id="openai",
        base_url="https://api.openai.com/v1",
        api_key_env="OPENAI_API_KEY",
        capabilities=["tools"],
        models=["gpt-4o-mini", ModelSpec(name="gpt-4o", capabilities=["vision", "tools", "audio"])],
    )
    assert local.id == "local"
    assert local.base_url == "http://localhost:8000/v1"
    assert local.api_key_env is None
    assert local.capabilities == []
    assert local.models == ["llama-3"]


def test_model_specs_merge_provider_capabilities(tmp_path: Path) -> None:
    openai_p, local = load_providers(write(tmp_path, VALID))
    assert openai_p.model_specs() == [
        ModelSpec(name="gpt-4o-mini", capabilities=["tools"]),
        ModelSpec(name="gpt-4o", capabilities=["audio", "tools", "vision"]),  # sorted, no dupes
    ]
    assert local.model_specs() == [ModelSpec(name="llama-3", capabilities=[])]


def test_missing_file_names_the_path_and_how_to_set_it_without_a_made_up_position(
    tmp_path: Path,
) -> None:
    with pytest.raises(ProviderConfigError) as info:
        load_providers(tmp_path / "nope.yaml", display="nope.yaml")
    message = str(info.value)
    assert message.startswith("nope.yaml: no providers file here; create one")
    assert ":1:1:" not in message
    assert "--harness-providers" in message  # the default context: a pytest run
    with pytest.raises(ProviderConfigError) as info:
        load_providers_file(tmp_path / "nope.yaml", display="nope.yaml", how_to_set="--providers")
    assert "--providers" in str(info.value)
    assert "--harness-providers" not in str(info.value)


def test_every_problem_of_a_providers_file_is_reported(tmp_path: Path) -> None:
    text = (
        "providers:\n"
        "  - id: a\n    base_url: ftp://a\n    models: [m]\n"
        "  - id: b\n    base_url: http://b\n    modles: [m]\n"
        "  - id: a\n    base_url: http://c\n    models: [m]\n"
    )
    parsed, problems = read_providers_file(write(tmp_path, text), display="providers.yaml")
    assert parsed is None
    found = [(p.line, p.col, p.cause) for p in problems]
    assert (
        *pos_of(text, "ftp://a"),
        "providers[0].base_url: String should match pattern '^(https?://|\\$\\{)'",
    ) in found, found
    assert any(c.startswith("unknown key 'modles' (did you mean 'models'?)") for *_, c in found)
    # the duplicate id is found even though the file's shape is wrong elsewhere
    assert (*pos_of(text, "id: a", nth=1), "duplicate provider id 'a'") in [
        (line, col - 4, cause) for line, col, cause in found
    ], found
    assert all(str(p).startswith(f"providers.yaml:{p.line}:{p.col}: ") for p in problems)
    # raised, the first problem says how many more there are
    error = load_error(tmp_path, text)
    assert len(problems) == 3
    assert error.cause.endswith("(and 2 more problems)")


def test_shape_errors_do_not_hide_duplicate_ids_or_bad_column_names(tmp_path: Path) -> None:
    """Three mistakes of three kinds (a bad column name, a duplicate id, a typo in a key): all
    three are listed, whichever check finds each."""
    text = (
        "providers:\n"
        "  - id: a\n    base_url: http://a\n    models: [gpt-4o, a b]\n"
        "  - id: a\n    base_url: http://b\n    models: [m]\n"
        "  - id: c\n    base_url: http://c\n    models: [m]\n    capabilites: [vision]\n"
    )
    parsed, problems = read_providers_file(write(tmp_path, text), display="providers.yaml")
    assert parsed is None
    causes = [p.cause for p in problems]
    assert len(causes) == 3, causes
    assert causes[0].startswith("model name 'a b'")
    assert causes[1] == "duplicate provider id 'a'"
    assert causes[2].startswith("unknown key 'capabilites' (did you mean 'capabilities'?)")


def test_every_bad_column_name_is_reported(tmp_path: Path) -> None:
    text = (
        "providers:\n"
        "  - id: a\n    base_url: http://a\n    models: [x/y, bc]\n"
        "  - id: ab\n    base_url: http://c\n    models: [c]\n"
    )
    parsed, problems = read_providers_file(write(tmp_path, text), display="providers.yaml")
    assert parsed is None
    causes = [p.cause for p in problems]
    assert len(causes) == 2, causes
    assert causes[0].startswith("model name 'x/y'")
    assert causes[1].startswith("column 'ab/c' would share snapshot files with 'a/bc'")


def test_a_folder_is_not_a_providers_file(tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigError, match="no providers file here"):
        load_providers(tmp_path)


def test_duplicate_provider_ids_point_at_the_second(tmp_path: Path) -> None:
    text = (
        "providers:\n"
        "  - id: same\n    base_url: http://a\n    models: [m]\n"
        "  - id: other\n    base_url: http://b\n    models: [m]\n"
        "  - id: same\n    base_url: http://c\n    models: [m]\n"
    )
    error = load_error(tmp_path, text)
    assert error.cause == "duplicate provider id 'same'"
    assert (error.line, error.col) == pos_of(text, "same", nth=1)


@pytest.mark.parametrize("url", ["ftp://host/v1", "localhost:8000/v1", "api.openai.com"])
def test_bad_base_url(tmp_path: Path, url: str) -> None:
    text = f"providers:\n  - id: a\n    base_url: {url}\n    models: [m]\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("providers[0].base_url: ")
    assert "https?://" in error.cause
    assert (error.line, error.col) == pos_of(text, url)


def test_bad_provider_id(tmp_path: Path) -> None:
    text = "providers:\n  - id: 'has space'\n    base_url: http://a\n    models: [m]\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("providers[0].id: ")
    assert (error.line, error.col) == pos_of(text, "'has space'")


def test_empty_models(tmp_path: Path) -> None:
    text = "providers:\n  - id: a\n    base_url: http://a\n    models: []\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("providers[0].models: List should have at least 1 item")
    assert (error.line, error.col) == pos_of(text, "[]")


def test_empty_providers_list(tmp_path: Path) -> None:
    error = load_error(tmp_path, "providers: []\n")
    assert error.cause.startswith("providers: List should have at least 1 item")


def test_unknown_optional_key_is_named(tmp_path: Path) -> None:
    text = "providers:\n  - id: a\n    base_url: http://a\n    models: [m]\n    api_key_nev: X\n"
    error = load_error(tmp_path, text)
    assert error.cause == "unknown key 'api_key_nev' (did you mean 'api_key_env'?)"
    assert (error.line, error.col) == pos_of(text, "api_key_nev")


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    text = "providers:\n  - id: a\n    models: [m]\n"
    error = load_error(tmp_path, text)
    assert "base_url" in error.cause


def test_a_typo_in_a_required_key_names_the_typo(tmp_path: Path) -> None:
    text = "providers:\n  - id: a\n    base_url: http://a\n    modles: [m]\n"
    error = load_error(tmp_path, text)
    assert "modles" in error.cause


@pytest.mark.parametrize("text", ["- a\n", "", "just text\n"])
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == (1, 1)
    assert "valid dictionary" in error.cause


def test_yaml_errors_are_provider_config_errors(tmp_path: Path) -> None:
    text = "providers:\n  - id: a\n    id: b\n"
    error = load_error(tmp_path, text)
    assert error.cause == "duplicate key 'id'"
    assert (error.line, error.col) == pos_of(text, "id: b")


def test_provider_models_are_validated_strictly(tmp_path: Path) -> None:
    text = "providers:\n  - id: a\n    base_url: http://a\n    models: [3]\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("providers[0].models[0]: ")
    assert (error.line, error.col) == pos_of(text, "3]")


# --- base URLs and the secret allowlist (issue 13) ----------------------------------------


@pytest.mark.parametrize(
    ("base_url", "recorded"),
    [
        ("https://api.example.test/v1", "https://api.example.test/v1"),
        ("${URL:-http://127.0.0.1:8000/v1}", "http://127.0.0.1:8000/v1"),
        ("${URL}", "${URL}"),
        ("${URL:-http://alice:pw@127.0.0.1:8000/v1}", "http://127.0.0.1:8000/v1"),
        ("https://alice:pw@api.example.test/v1", "https://api.example.test/v1"),
    ],
)
def test_recorded_base_url_is_as_spelled_without_userinfo(base_url: str, recorded: str) -> None:
    provider = Provider(id="p", base_url=base_url, models=["m"])
    assert provider.recorded_base_url() == recorded


def test_a_resolved_base_url_with_a_query_string_is_refused_without_its_value() -> None:
    provider = Provider(id="p", base_url="${URL}", models=["m"])
    env = {"URL": "https://h.test/v1?api-key=querysecret123"}
    with pytest.raises(ConfigError) as info:
        provider.resolved_base_url(env)
    assert str(info.value) == (
        "provider 'p': base_url must not carry a query string (?...): pass keys through api_key_env"
    )
    assert provider.base_url_as_given(env) == env["URL"]  # what the secret policy watches
    assert provider.base_url_as_given({}) == ""


def test_allowed_secrets_load_and_must_be_key_shaped(tmp_path: Path) -> None:
    text = "allowed_secrets: [sk-proj-FAKEfixtureKEY0123456789abcdef]\n" + VALID
    assert load_providers_file(write(tmp_path, text)).allowed_secrets == [
        "sk-proj-FAKEfixtureKEY0123456789abcdef"
    ]
    bad = "allowed_secrets:\n  - sk-proj-FAKEfixtureKEY0123456789abcdef\n  - sk-*\n" + VALID
    error = load_error(tmp_path, bad)
    assert (error.line, error.col) == pos_of(bad, "sk-*")
    assert error.cause.startswith("allowed_secrets[1]: 'sk-*' is not key-shaped")


@pytest.mark.parametrize(
    ("models", "where", "cause"),
    [
        ("[x/y]", "4:14", "model name 'x/y': use letters, digits"),
        ('["a::b"]', "4:14", "model name 'a::b'"),
        ("[{name: x/y, model: x/y}]", "4:21", "put the provider's own model id in 'model'"),
        ("[bc]", "7:14", "column 'ab/c' would share snapshot files with 'a/bc'"),
        ("[{name: BC}]", "7:14", "column 'ab/c' would share snapshot files with 'a/BC'"),
    ],
)
def test_column_names_map_to_distinct_sensible_file_names(
    tmp_path: Path, models: str, where: str, cause: str
) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        f"providers:\n  - id: a\n    base_url: http://x\n    models: {models}\n"
        "  - id: ab\n    base_url: http://x\n    models: [c]\n"
    )
    with pytest.raises(ProviderConfigError) as info:
        load_providers(path, display="providers.yaml")
    assert str(info.value).startswith(f"providers.yaml:{where}: "), info.value
    assert cause in str(info.value)
