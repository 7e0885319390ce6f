"""Loading the plugin in a run that collects no scenario imports neither the SDK nor a server.

pytest loads the plugin (its ``pytest11`` entry point) in every run of the environment, so a
project that never uses harness must not pay for the ``openai`` SDK, the session or the local
servers. Each run is a fresh interpreter; it prints the modules it ended with.
"""

from __future__ import annotations

import json
import sys

import pytest

# A fresh pytest run in the current folder, then the names of every module it imported.
RUN = """
import json, sys, pytest
code = pytest.main(["--co", "-q", "-p", "no:cacheprovider", *sys.argv[1:]])
print("MODULES=" + json.dumps(sorted(sys.modules)))
sys.exit(int(code))
"""

# What a run that collects no scenario has no use for.
UNWANTED = (
    "openai",
    "httpx",
    "httpx2",
    "harness.plugin.session",
    "harness.engine.runner",
    "harness.spec.scenario",
)
SERVERS = ("harness.servers.localmodel", "harness.servers.llamastack", "torch", "transformers")


def modules_after_run(pytester: pytest.Pytester, *args: str) -> tuple[int, set[str]]:
    result = pytester.run(sys.executable, "-c", RUN, *args)
    (line,) = [x for x in result.outlines if x.startswith("MODULES=")]
    return int(result.ret), set(json.loads(line.removeprefix("MODULES=")))


def unwanted_in(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_an_empty_folder_loads_the_plugin_and_nothing_heavy(pytester: pytest.Pytester) -> None:
    code, modules = modules_after_run(pytester)
    assert code == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "harness.plugin.hooks" in modules  # the entry point did load
    assert unwanted_in(modules, UNWANTED + SERVERS) == []


def test_a_project_of_python_tests_and_data_files_stays_light(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    pytester.path.joinpath("data.yaml").write_text("not: a scenario\n")
    (pytester.path / "recordings").mkdir()
    code, modules = modules_after_run(pytester, "--harness-record-mode=replay")
    assert code == pytest.ExitCode.OK
    assert "harness.plugin.hooks" in modules
    assert unwanted_in(modules, UNWANTED + SERVERS) == []


def test_a_scenario_file_loads_the_session(pytester: pytest.Pytester) -> None:
    """The other side: collecting a scenario does import what it needs (and still no server)."""
    pytester.path.joinpath("providers.yaml").write_text(
        "providers:\n  - id: p\n    base_url: http://127.0.0.1:9/v1\n    models: [m]\n"
    )
    scenarios = pytester.path / "scenarios"
    scenarios.mkdir()
    scenarios.joinpath("s.yaml").write_text("scenarios:\n  - id: s\n    steps:\n      - user: hi\n")
    code, modules = modules_after_run(pytester)
    assert code == pytest.ExitCode.OK
    assert {"harness.plugin.session", "openai"} <= modules
    assert unwanted_in(modules, SERVERS) == []
