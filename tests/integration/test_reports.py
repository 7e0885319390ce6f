"""Run reports: the terminal grid, --harness-report files, xdist merging, shard merging."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.outputs.report import load_report, without_timings
from support.fake_openai import serve
from support.project import Project

FAILING = """
scenarios:
  - id: wrong-planet
    tags: [broken]
    models: ["openai/*"]
    messages:
      - {role: user, content: "Which planet do humans live on?"}
      - {role: assistant, content: "Humans live on Earth."}
    steps:
      - user: "What is the name of the planet from your previous response?"
        stream: true
        expect: [{icontains: mars}]
"""


@pytest.fixture
def example(project: Project) -> Project:
    project.with_seed_example()
    project.scenario("failing.yaml", FAILING)
    return project


def test_all_three_formats_are_written(example: Project) -> None:
    result = example.pytester.runpytest(
        "--harness-report",
        "out/r.json",
        "--harness-report",
        "out/r.md",
        "--harness-report",
        "out/r.html",
    )
    result.assert_outcomes(passed=4, failed=1)
    records = {r["scenario"]: r for r in load_report(example.path / "out" / "r.json")}
    assert len(records) == 5
    failed = records["wrong-planet"]
    assert failed["outcome"] == "failed"
    assert "the reply does not contain 'mars'" in failed["failure"]
    assert failed["steps"][0]["expectations"] == [
        {
            "expectation": "icontains: 'mars'",
            "ok": False,
            "reason": "the reply does not contain 'mars' (ignoring case)",
        }
    ]
    assert failed["steps"][0]["reply"].endswith("is Earth.")
    assert records["earth-follow-up"]["outcome"] == "passed"
    assert {r["mode"] for r in records.values()} == {"replayed"}
    markdown = (example.path / "out" / "r.md").read_text()
    assert "| wrong-planet |" in markdown and "4/5" in markdown
    html = (example.path / "out" / "r.html").read_text()
    assert "wrong-planet" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    result.stdout.fnmatch_lines(["*harness matrix*", "*wrong-planet*✗*", "*pass rate*4/5*"])


def test_xdist_gives_the_same_report_as_one_process(example: Project) -> None:
    example.pytester.runpytest("--harness-report", "one.json")
    example.pytester.runpytest_subprocess("-n", "2", "--harness-report", "two.json")
    one = load_report(example.path / "one.json")
    two = load_report(example.path / "two.json")
    assert len(one) == 5
    assert without_timings(one) == without_timings(two)


def test_merged_shards_equal_the_full_run(example: Project) -> None:
    example.pytester.runpytest("--harness-report", "full.json")
    example.pytester.runpytest("-k", "earth or saturn", "--harness-report", "a.json")
    example.pytester.runpytest("-k", "not (earth or saturn)", "--harness-report", "b.json")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "report",
            "merge",
            "a.json",
            "b.json",
            "-o",
            "all.json",
        ],
        cwd=example.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    merged = load_report(example.path / "all.json")
    assert without_timings(merged) == without_timings(load_report(example.path / "full.json"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "report",
            "merge",
            "a.json",
            "b.json",
            "-o",
            "all.html",
        ],
        cwd=example.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "wrong-planet" in (example.path / "all.html").read_text()


def test_record_mode_prints_one_progress_line_per_item(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve() as server:
        project.providers(
            f"providers:\n  - id: fake\n    base_url: {server.base_url}\n    models: [m]\n"
        )
        project.scenario(
            "s.yaml",
            "scenarios:\n  - id: a\n    steps: [{user: hi}]\n"
            "  - id: b\n    steps: [{user: ho, stream: true}]\n",
        )
        result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "scenarios/s.yaml::a[[]txt=fake/m[]]: recorded, provider * ms, 3 in / 2 out",
            "scenarios/s.yaml::b[[]txt=fake/m[]]: recorded, provider * ms*",
        ]
    )
