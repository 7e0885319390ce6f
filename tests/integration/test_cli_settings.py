"""The ``harness`` command resolves its settings as pytest does: option > env > ini > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.main import main

SCENARIO = "scenarios:\n  - id: hello\n    steps:\n      - user: hi\n"


def providers(model: str) -> str:
    return f"providers:\n  - id: p\n    base_url: http://127.0.0.1:9/v1\n    models: [{model}]\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two providers files, neither of them the default ``providers.yaml``."""
    monkeypatch.chdir(tmp_path)
    for name in ("HARNESS_PROVIDERS", "HARNESS_MODELS", "HARNESS_RECORDINGS"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text(SCENARIO)
    (tmp_path / "from-env.yaml").write_text(providers("env-model"))
    (tmp_path / "from-ini.yaml").write_text(providers("ini-model"))
    (tmp_path / "from-option.yaml").write_text(providers("option-model"))
    return tmp_path


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["list", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_list_reads_harness_providers_from_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HARNESS_PROVIDERS", "from-env.yaml")
    assert "p/env-model" in listed(capsys)


def test_validate_reads_harness_providers_from_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.yaml").write_text("providers:\n  - id: p\n    models: [m]\n")
    monkeypatch.setenv("HARNESS_PROVIDERS", "broken.yaml")
    assert main(["validate"]) != 0
    captured = capsys.readouterr()
    assert "broken.yaml" in captured.out + captured.err  # the file it was told to check


def test_the_option_beats_the_environment_which_beats_the_ini_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pytest.ini").write_text("[pytest]\nharness_providers = from-ini.yaml\n")
    assert "p/ini-model" in listed(capsys)
    monkeypatch.setenv("HARNESS_PROVIDERS", "from-env.yaml")
    assert "p/env-model" in listed(capsys)
    assert "p/option-model" in listed(capsys, "--providers", "from-option.yaml")


def test_pyproject_ini_options_are_read_too(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nharness_providers = "from-ini.yaml"\n'
    )
    assert "p/ini-model" in listed(capsys)
