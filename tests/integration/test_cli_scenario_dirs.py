"""``harness list``/``validate``/``record`` find the scenario files a pytest run in the same
folder collects: ``harness_scenario_dirs``, ``norecursedirs`` and the image policy come from
pytest's ini file, as the plugin reads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.record import pytest_command
from harness.cli.settings import scenario_settings

SCENARIO = "scenarios:\n  - id: {id}\n    steps:\n      - user: hi\n"
PROVIDERS = "providers:\n  - id: p\n    base_url: http://127.0.0.1:9/v1\n    models: [m]\n"
INI_FILES = {
    "pytest.ini": "[pytest]\n{key} = {value}\n",
    "tox.ini": "[pytest]\n{key} = {value}\n",
    "setup.cfg": "[tool:pytest]\n{key} = {value}\n",
    "pyproject.toml": '[tool.pytest.ini_options]\n{key} = "{value}"\n',
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Scenario files under ``specs/`` (not the default ``scenarios/``)."""
    for name in ("HARNESS_PROVIDERS", "HARNESS_MODELS", "HARNESS_RECORDINGS"):
        monkeypatch.delenv(name, raising=False)
    (pytester.path / "providers.yaml").write_text(PROVIDERS)
    (pytester.path / "specs").mkdir()
    (pytester.path / "specs" / "greet.yaml").write_text(SCENARIO.format(id="greet"))
    return pytester


def harness(project: pytest.Pytester, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )


def collected(project: pytest.Pytester) -> list[str]:
    """The node ids a pytest run in the project collects."""
    result = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    return [line for line in result.outlines if "::" in line]


@pytest.mark.parametrize("ini", sorted(INI_FILES))
def test_list_shows_what_pytest_collects_from_the_ini_scenario_dirs(
    project: pytest.Pytester, ini: str
) -> None:
    text = INI_FILES[ini].format(key="harness_scenario_dirs", value="specs")
    (project.path / ini).write_text(text)
    done = harness(project, "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == collected(project) == ["specs/greet.yaml::greet[txt=p/m]"]


def test_validate_checks_the_ini_scenario_dirs(project: pytest.Pytester) -> None:
    (project.path / "pytest.ini").write_text("[pytest]\nharness_scenario_dirs = specs\n")
    (project.path / "specs" / "broken.yaml").write_text("scenarios:\n  - id: x\n    stepz: []\n")
    done = harness(project, "validate")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "specs/broken.yaml:3:" in done.stdout
    assert "checked 3 file(s): 1 problem(s)" in done.stdout


def test_several_dirs_as_a_toml_list(project: pytest.Pytester) -> None:
    (project.path / "more").mkdir()
    (project.path / "more" / "bye.yaml").write_text(SCENARIO.format(id="bye"))
    (project.path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nharness_scenario_dirs = ["specs", "more"]\n'
    )
    done = harness(project, "list")
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == sorted(collected(project))
    assert len(done.stdout.splitlines()) == 2


def test_the_warning_about_uncollected_files_follows_the_ini_norecursedirs(
    project: pytest.Pytester,
) -> None:
    (project.path / "pytest.ini").write_text(
        "[pytest]\nharness_scenario_dirs = specs\nnorecursedirs = attic\n"
    )
    for folder in ("attic", "build"):  # build: in pytest's default norecursedirs, not in this
        (project.path / "specs" / folder).mkdir()
        (project.path / "specs" / folder / "old.yaml").write_text(SCENARIO.format(id=folder))
    done = harness(project, "list")
    assert done.returncode == 0, done.stderr
    assert "specs/attic/old.yaml:1:1: warning: pytest does not collect" in done.stdout
    assert "specs/build/old.yaml:1:1: warning" not in done.stdout
    # Listed with the warning; the rest is what pytest collects (it enters build/ here).
    cases = [line for line in done.stdout.splitlines() if "attic" not in line]
    assert cases == collected(project)


def test_validate_follows_the_ini_image_policy(project: pytest.Pytester, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    scenario = f"scenarios:\n  - id: pic\n    steps:\n      - user: [{{image: {outside}}}]\n"
    (project.path / "specs" / "pic.yaml").write_text(scenario)
    (project.path / "pytest.ini").write_text("[pytest]\nharness_scenario_dirs = specs\n")
    refused = harness(project, "validate")
    assert refused.returncode == 1 and "outside the project" in refused.stdout
    (project.path / "pytest.ini").write_text(
        "[pytest]\nharness_scenario_dirs = specs\nharness_allow_images_outside_rootdir = true\n"
    )
    allowed = harness(project, "validate")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_record_runs_pytest_on_the_ini_scenario_dirs(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.path)
    (project.path / "setup.cfg").write_text("[tool:pytest]\nharness_scenario_dirs =\n  specs\n")
    command = pytest_command(mode="rewrite", pytest_args=[], default=scenario_settings().dirs)
    assert command[3:4] == ["specs"]
    given = pytest_command(mode="rewrite", pytest_args=["--", "x.yaml"], default=[Path("specs")])
    assert given[3:4] == ["x.yaml"]


@pytest.mark.parametrize("command", ["list", "validate"])
def test_a_named_folder_that_is_not_there_is_the_same_error_as_under_pytest(
    project: pytest.Pytester, command: str
) -> None:
    # Two folders on one line of the linelist: pytest reads one folder named "specs other".
    (project.path / "pytest.ini").write_text("[pytest]\nharness_scenario_dirs = specs other\n")
    done = harness(project, command)
    expected = (
        "harness_scenario_dirs: 'specs other' is not a folder under the rootdir "
        "(one folder per line)"
    )
    assert done.returncode != 0
    assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    under_pytest = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert expected in under_pytest.stderr.str()
