"""Tests for harness.outputs.report and harness.cli.report: records, merging, renderers."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import pytest

from harness.cli.report import add_report_commands
from harness.errors import HarnessError
from harness.outputs.grid import PassRate, grid, summarize
from harness.outputs.report import (
    load_report,
    merge_records,
    render_json,
    render_markdown,
    without_timings,
    write_report,
)
from harness.outputs.terminal import terminal_summary


def record(scenario: str, column: str, outcome: str, **extra: Any) -> dict[str, Any]:
    provider, model = column.split("/", 1)
    variant = extra.get("variant")
    suffix = f"-{variant}" if variant else ""
    data: dict[str, Any] = {
        "nodeid": f"scenarios/seeds.yaml::{scenario}[txt={column}{suffix}]",
        "file": "scenarios/seeds.yaml",
        "line": 4,
        "scenario": scenario,
        "description": None,
        "tags": [],
        "column": column,
        "provider": provider,
        "model": model,
        "variant": None,
        "outcome": outcome,
        "skip_reason": "column lacks vision" if outcome == "skipped" else None,
        "failure": "step 1: the reply does not contain 'earth'" if outcome == "failed" else None,
        "duration": 0.25,
        "mode": "replayed",
        "latency": 0.125,
        "usage": None,
        "steps": [],
        "snapshot_diff": None,
    }
    data.update(extra)
    return data


def run_records() -> list[dict[str, Any]]:
    return [
        record("greet", "openai/gpt-4o", "passed", line=1, tags=["smoke"]),
        record("greet", "local/tiny", "failed", line=1, tags=["smoke"]),
        record("look", "openai/gpt-4o", "missing", line=5, failure="no recording for step 1"),
        record("look", "local/tiny", "skipped", line=5),
        record("both", "openai/gpt-4o", "passed", line=9, variant="stream"),
        record("both", "openai/gpt-4o", "error", line=9, variant="nostream", failure="boom"),
    ]


# -- the report document ------------------------------------------------------------------------


def test_json_round_trip_is_sorted_and_deterministic(tmp_path: Path) -> None:
    records = run_records()
    shuffled = records[:]
    random.Random(4).shuffle(shuffled)
    assert render_json(records) == render_json(shuffled)
    document = json.loads(render_json(records))
    assert set(document) == {"harness_report", "records"}
    assert document["harness_report"] == 1
    path = write_report(tmp_path / "out" / "report.json", shuffled)
    loaded = load_report(path)
    assert [r["nodeid"] for r in loaded] == sorted(r["nodeid"] for r in records)
    assert loaded == sorted(records, key=lambda r: r["nodeid"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read report"),
        ("{not json", "not a harness report (not JSON"),
        ('{"records": []}', "no 'harness_report' key"),
        ("[1, 2]", "no 'harness_report' key"),
        ('{"harness_report": 2, "records": []}', "version 2 is not supported"),
        ('{"harness_report": 1, "records": {}}', "'records' is not a list of records"),
        ('{"harness_report": 1, "records": [{"outcome": "passed"}]}', "not a list of records"),
    ],
)
def test_load_report_names_the_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "shard.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(HarnessError) as info:
        load_report(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_write_report_rejects_unknown_extensions(tmp_path: Path) -> None:
    for name in ("report.txt", "report"):
        with pytest.raises(HarnessError, match=r"supported: \.json, \.md, \.html") as info:
            write_report(tmp_path / name, run_records())
        assert str(tmp_path / name) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_write_report_picks_the_format_from_the_extension(tmp_path: Path) -> None:
    records = run_records()
    assert write_report(tmp_path / "r.md", records).read_text().startswith("## harness matrix")
    page = write_report(tmp_path / "r.HTML", records).read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert json.loads((write_report(tmp_path / "r.json", records)).read_text())["records"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.HTML", "r.json", "r.md"]


def test_records_need_a_nodeid() -> None:
    with pytest.raises(HarnessError, match="without a 'nodeid'"):
        render_json([{"outcome": "passed"}])


# -- merging shards -----------------------------------------------------------------------------


def test_merge_dedupes_and_sorts() -> None:
    first = [record("b", "openai/gpt-4o", "failed"), record("a", "openai/gpt-4o", "passed")]
    second = [record("b", "openai/gpt-4o", "passed"), record("c", "local/tiny", "passed")]
    merged = merge_records(first, second)
    assert [(r["scenario"], r["outcome"]) for r in merged] == [
        ("a", "passed"),
        ("b", "passed"),  # a later shard's result wins
        ("c", "passed"),
    ]


def test_a_skip_never_hides_a_result() -> None:
    ran = record("a", "openai/gpt-4o", "failed")
    skipped = record("a", "openai/gpt-4o", "skipped")
    assert merge_records([ran], [skipped]) == [ran]
    assert merge_records([skipped], [ran]) == [ran]
    assert merge_records([skipped], [dict(skipped, skip_reason="later")])[0]["skip_reason"] == (
        "later"
    )


def test_merged_shards_equal_the_full_run_but_for_timings(tmp_path: Path) -> None:
    full = run_records()
    shards = [full[0::2], full[1::2]]
    paths = []
    for index, shard in enumerate(shards):
        retimed = [dict(r, duration=9.0 + index, latency=None) for r in shard]
        paths.append(write_report(tmp_path / f"shard{index}.json", retimed))
    merged = merge_records(*(load_report(p) for p in paths))
    assert merged != sorted(full, key=lambda r: r["nodeid"])
    assert without_timings(merged) == without_timings(full)
    assert all("duration" not in r and "latency" not in r for r in without_timings(merged))


# -- the grid -----------------------------------------------------------------------------------


def test_grid_rows_columns_and_cells() -> None:
    table = grid(run_records())
    assert [row.label for row in table.rows] == [
        "greet",
        "look",
        "both [nostream]",
        "both [stream]",
    ]
    assert table.columns == ("local/tiny", "openai/gpt-4o")
    greet, _, nostream, stream = table.rows
    assert greet.tags == ("smoke",)
    assert table.outcome(greet, "local/tiny") == "failed"
    assert table.outcome(nostream, "openai/gpt-4o") == "error"
    assert table.outcome(stream, "local/tiny") is None  # not run
    assert table.pass_rate("openai/gpt-4o") == PassRate(passed=2, counted=4)
    assert table.pass_rate("local/tiny") == PassRate(passed=0, counted=1)  # skip not counted


def test_grid_sorts_columns_naturally_and_tells_files_apart() -> None:
    records = [
        record("same", "p/model-10", "passed"),
        record("same", "p/model-2", "passed", file="a.yaml", nodeid="a.yaml::same[txt=p/model-2]"),
    ]
    table = grid(records)
    assert table.columns == ("p/model-2", "p/model-10")
    assert [row.label for row in table.rows] == ["a.yaml::same", "scenarios/seeds.yaml::same"]


def test_pass_rate_text() -> None:
    assert str(PassRate(passed=2, counted=3)) == "2/3 66%"
    assert str(PassRate(passed=3, counted=3)) == "3/3 100%"
    assert str(PassRate(passed=0, counted=0)) == "\u2013"


def test_summarize() -> None:
    assert summarize(run_records()) == (
        "6 items: 2 passed, 1 failed, 1 error, 1 skipped, 1 missing recording"
    )
    assert summarize([]) == "0 items"


# -- markdown -----------------------------------------------------------------------------------


def test_markdown_grid_and_failures() -> None:
    text = render_markdown(run_records())
    lines = text.splitlines()
    assert lines[0] == "## harness matrix"
    assert "| scenario | local/tiny | openai/gpt\\-4o |" not in lines  # '-' is left alone
    assert "| scenario | local/tiny | openai/gpt-4o |" in lines
    assert "| greet | ❌ | ✅ |" in lines
    assert "| look | \u2796 | ❓ |" in lines
    assert "| both \\[stream\\] |   | ✅ |" in lines
    assert "| **pass rate** | 0/1 0% | 2/4 50% |" in lines
    assert "### Failures (3)" in lines
    failure = lines.index("step 1: the reply does not contain 'earth'")
    assert lines[failure - 1] == "```text" and lines[failure + 1] == "```"
    assert "no recording for step 1" in lines and "boom" in lines
    assert text.endswith("</details>\n")


def test_markdown_escapes_and_fences_user_text() -> None:
    nasty = record(
        "a|b<script>",
        "openai/gpt-4o",
        "failed",
        failure="```\ninside\n````",
        snapshot_diff="- old\n+ new",
    )
    text = render_markdown([nasty])
    assert "| a\\|b\\<script\\> |" in text
    assert "<script>" not in text
    assert "`````text\n```\ninside\n````\n`````" in text
    assert "```diff\n- old\n+ new\n```" in text


def test_markdown_cuts_long_failures_and_skips_the_section_when_all_pass() -> None:
    long = record("a", "openai/gpt-4o", "failed", failure="x" * 10_000)
    assert "… (6000 more characters)" in render_markdown([long])
    assert "Failures" not in render_markdown([record("a", "openai/gpt-4o", "passed")])


def call(endpoint: str, *, status: int = 200, streamed: bool = False) -> dict[str, Any]:
    return {
        "method": "POST",
        "endpoint": endpoint,
        "status": status,
        "streamed": streamed,
        "request": {"model": "m1", "messages": [{"role": "user", "content": "hi"}]},
        "reply": "echo: hi",
        "tool_calls": [],
    }


def test_markdown_lists_each_case_inner_calls() -> None:
    calls = [
        call("/v1/chat/completions"),
        call("/v1/responses", status=429, streamed=True),
        call("/v1/x|y<z>"),
    ]
    app = record("app", "openai/gpt-4o", "passed", calls=calls)
    text = render_markdown([app, record("plain", "openai/gpt-4o", "failed")])
    lines = text.splitlines()
    assert "### Inner calls (1 test)" in lines
    summary = f"<details><summary><code>{app['nodeid']}</code>: 3 calls</summary>"
    start = lines.index(summary)
    assert lines[start + 2 : start + 8] == [
        "| # | method | path | status | streamed |",
        "|--:|---|---|--:|:-:|",
        "| 1 | POST | /v1/chat/completions | 200 | no |",
        "| 2 | POST | /v1/responses | 429 | yes |",
        "| 3 | POST | /v1/x\\|y\\<z\\> | 200 | no |",
        "",
    ]
    assert "plain" not in text.split("### Inner calls")[1]  # no calls: not listed


def test_markdown_without_calls_has_no_calls_section() -> None:
    assert "Inner calls" not in render_markdown(run_records())


def test_a_merged_report_with_malformed_calls_is_refused(tmp_path: Path) -> None:
    bad = record("app", "openai/gpt-4o", "passed", calls="abc")
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"harness_report": 1, "records": [bad]}))
    with pytest.raises(HarnessError, match=r"records\[0\]\.calls: "):
        load_report(path)


@pytest.mark.parametrize(
    "outcome", ["passed", "failed", "skipped", "xfailed", "missing", "error", "crashed"]
)
def test_every_outcome_a_run_writes_can_be_merged(tmp_path: Path, outcome: str) -> None:
    # A crashed item (its xdist worker died) is in the shard's report: merge must take it.
    path = tmp_path / "r.json"
    write_report(path, [record("s", "openai/gpt-4o", outcome)])
    assert [r["outcome"] for r in load_report(path)] == [outcome]


# -- terminal summary ---------------------------------------------------------------------------


def test_terminal_summary_small_grid() -> None:
    assert terminal_summary(run_records(), width=100) == [
        "harness matrix: 6 items: 2 passed, 1 failed, 1 error, 1 skipped, 1 missing recording",
        "                 local/tiny  openai/gpt-4o",
        "greet                ✗             ✓",
        "look                 \u2013             ?",
        "both [nostream]      ·             E",
        "both [stream]        ·             ✓",
        "pass rate          0/1 0%       2/4 50%",
        "✓ pass  ✗ fail  \u2013 skip  x known failure  ? missing recording  E error  C crashed  "
        "· not run",
    ]
    narrow = terminal_summary(run_records(), width=40)
    assert narrow[:2] == [
        "harness matrix: 6 items: 2 passed, 1",
        "failed, 1 error, 1 skipped, 1 missing",
    ]


def wide_run(columns: int, scenarios: int) -> list[dict[str, Any]]:
    outcomes = ["passed", "failed", "skipped", "missing", "error"]
    return [
        record(f"scenario-{s}", f"provider-{c % 3}/model-{c}", outcomes[(s + c) % 5], line=s)
        for c in range(columns)
        for s in range(scenarios)
    ]


@pytest.mark.parametrize("width", [10, 40, 80, 100, 120, 250])
@pytest.mark.parametrize(("columns", "scenarios"), [(1, 1), (3, 4), (100, 6), (100, 60)])
def test_terminal_summary_fits_any_width(width: int, columns: int, scenarios: int) -> None:
    lines = terminal_summary(wide_run(columns, scenarios), width=width)
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert all(line == line.rstrip() for line in lines)


def test_a_hundred_columns_are_transposed() -> None:
    lines = terminal_summary(wide_run(100, 6), width=100)
    assert lines[1] == f"{'':<19}  pass rate 1 2 3 4 5 6"
    assert lines[2] == f"{'provider-0/model-0':<19}    2/5 40% ✓ ✗ \u2013 ? E ✓"
    assert len(lines) == 1 + 1 + 100 + 1 + 1  # summary, header, columns, key, legend
    assert lines[-2] == (
        "scenarios:  1=scenario-0  2=scenario-1  3=scenario-2  4=scenario-3  5=scenario-4  "
        "6=scenario-5"
    )


def test_many_scenarios_wrap_into_blocks() -> None:
    lines = terminal_summary(wide_run(100, 60), width=100)
    headers = [i for i, line in enumerate(lines) if "pass rate" in line]
    assert len(headers) == 3  # 23 scenarios of 3 characters fit beside the rates at width 100
    assert [lines[i].split()[2] for i in headers] == ["1", "24", "47"]
    assert [lines[i].split()[-1] for i in headers] == ["23", "46", "60"]
    assert lines[headers[1] - 1] == lines[headers[2] - 1] == ""
    assert headers[1] - headers[0] == 1 + 100 + 1  # header, one line per column, blank line


def test_terminal_summary_of_nothing() -> None:
    assert terminal_summary([], width=40) == ["harness matrix: 0 items"]


# -- the command line ---------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="harness")
    add_report_commands(top.add_subparsers(dest="command", required=True))
    return top


def test_report_merge_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = run_records()
    a = write_report(tmp_path / "a.json", full[:3])
    b = write_report(tmp_path / "b.json", full[3:])
    for out in ("merged.json", "merged.md", "merged.html"):
        args = parser().parse_args(["report", "merge", str(a), str(b), "-o", str(tmp_path / out)])
        assert args.handler(args) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"merged 6 records from 2 reports -> {tmp_path / 'merged.json'}"
    )
    assert without_timings(load_report(tmp_path / "merged.json")) == without_timings(full)
    assert "| greet |" in (tmp_path / "merged.md").read_text()
    assert 'id="detail"' in (tmp_path / "merged.html").read_text()


def test_report_merge_errors(tmp_path: Path) -> None:
    good = write_report(tmp_path / "a.json", run_records())
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    args = parser().parse_args(["report", "merge", str(good), str(bad), "-o", "x.json"])
    with pytest.raises(HarnessError, match=f"{bad}: not a harness report"):
        args.handler(args)
    args = parser().parse_args(["report", "merge", str(good), "-o", str(tmp_path / "x.pdf")])
    with pytest.raises(HarnessError, match=r"unknown report format '\.pdf'"):
        args.handler(args)
    with pytest.raises(SystemExit):
        parser().parse_args(["report", "merge", str(good)])  # -o is required


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("r.json", '"incomplete": "xdist worker gw1 crashed"'),
        ("r.md", "**incomplete:** xdist worker gw1 crashed"),
        ("r.html", "<b>incomplete:</b> xdist worker gw1 crashed</p></header>"),
    ],
)
def test_a_report_says_when_it_is_incomplete(tmp_path: Path, name: str, shown: str) -> None:
    path = write_report(tmp_path / name, run_records(), incomplete="xdist worker gw1 crashed")
    assert shown in path.read_text()
    assert "incomplete" not in write_report(tmp_path / f"full-{name}", run_records()).read_text()
