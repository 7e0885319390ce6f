"""A worker killed with SIGKILL mid-run: the report still counts every item pytest reported
(the dead worker's finished items too), shows the crashed one, says the run is incomplete, and
the usage record is partial."""

from __future__ import annotations

import json

from support.fake_openai import serve
from support.project import Project

ITEMS = 12
VICTIM = 6

KILLER = """
import os
import signal


def pytest_runtest_call(item):
    # A real kill -9 of the worker process running the victim.
    if "victim" in item.nodeid and os.environ.get("PYTEST_XDIST_WORKER"):
        os.kill(os.getpid(), signal.SIGKILL)
"""


def scenarios() -> str:
    items = [
        f"  - id: {'victim' if n == VICTIM else f's{n:02d}'}\n    steps:\n      - user: hello {n}\n"
        for n in range(ITEMS)
    ]
    return "scenarios:\n" + "".join(items)


def test_a_killed_worker_leaves_no_item_out_of_the_report(project: Project) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("many.yaml", scenarios())
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(
            passed=ITEMS
        )
    project.write("conftest.py", KILLER)
    result = project.pytester.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "--harness-report", "report.json"
    )
    result.assert_outcomes(passed=ITEMS - 1, failed=1)
    output = result.stdout.str()
    assert "crashed while running 'scenarios/many.yaml::victim[txt=fake/m1]'" in output
    result.stdout.fnmatch_lines(
        [
            f"harness matrix: {ITEMS} items: {ITEMS - 1} passed, 1 crashed",
            "incomplete: xdist worker gw* crashed*",
        ]
    )
    document = json.loads((project.path / "report.json").read_text())
    assert document["incomplete"].startswith("xdist worker gw"), document["incomplete"]
    records = document["records"]
    assert len(records) == ITEMS
    assert [r["outcome"] for r in records if r["scenario"] == "victim"] == ["crashed"]
    # Its record comes from what its setup report said (not parsed from the node id): where
    # the scenario is, as the record of an item that ran would say.
    (victim,) = [r for r in records if r["scenario"] == "victim"]
    assert (victim["file"], victim["line"], victim["column"]) == (
        "scenarios/many.yaml",
        2 + 3 * VICTIM,
        "fake/m1",
    )
    usage = json.loads((project.path / ".harness" / "usage.json").read_text())
    assert usage["complete"] is False
    assert any("was lost" in reason for reason in usage["partial_reasons"]), usage
