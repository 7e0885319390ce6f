"""``harness recordings verify|prune|show`` on folders recorded by harness, and write-time
normalization (volatile fields fixed at write, tool-call ids kept, re-recording byte-identical).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli.main import main as harness_main
from harness.replay.recording import Recording, wrap
from support.fake_openai import FakeOpenAI, serve
from support.project import Project

SCENARIOS = """
scenarios:
  - id: plain
    steps:
      - user: hello plain
        expect: [{equals: "echo: hello plain"}]
      - user: second turn
        stream: true
        expect: [{icontains: "echo: second turn"}]
  - id: weather
    tools:
      - type: function
        function:
          name: get_weather
          parameters: {type: object, properties: {city: {type: string}}}
    steps:
      - user: what is the weather?
        stream: true
        tool_results: {get_weather: {temp_c: 21}}
        expect: [{tool_call: {name: get_weather, arguments: {city: Paris}}}]
"""
OTHER = """
scenarios:
  - id: other
    steps:
      - user: another file
        expect: [{equals: "echo: another file"}]
"""
RECORDED = 5  # plain: 2, weather: 2 (tool round), other: 1


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = harness_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def record(project: Project, server: FakeOpenAI, mode: str = "record-missing") -> pytest.RunResult:
    project.providers(server.providers_yaml())
    project.scenario("main.yaml", SCENARIOS)
    project.scenario("other.yaml", OTHER)
    return project.pytester.runpytest(f"--harness-record-mode={mode}")


@pytest.fixture
def recorded(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        server.volatile = True
        record(project, server).assert_outcomes(passed=3)
        project.port = server.port  # type: ignore[attr-defined]  # re-record at the same URL
    monkeypatch.delenv("FAKE_KEY")
    assert len(project.recordings()) == RECORDED
    return project


def by_text(project: Project) -> dict[str, Path]:
    """Recording paths by the last message's content of their request."""
    out = {}
    for path in project.recordings():
        body = json.loads(path.read_text())["request"]["body"]
        out[str(body["messages"][-1]["content"])] = path
    return out


# --- verify --------------------------------------------------------------------------------


def test_verify_is_clean_on_a_recorded_folder_and_reports_each_kind_of_problem(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "recordings", "verify")
    assert code == 0 and f"checked {RECORDED} recordings: 0 problem(s)" in out, out
    files = by_text(recorded)
    fake = recorded.path / "recordings" / "fake"
    # renamed: misplaced, and the same request as the original: duplicate
    renamed = fake / "chat-completions-0000000000000000.json"
    shutil.copy(files["hello plain"], renamed)
    # moved to another provider's folder: its key (which includes the provider) differs
    moved = recorded.path / "recordings" / "elsewhere" / files["another file"].name
    moved.parent.mkdir()
    files["another file"].rename(moved)
    # corrupt
    cut = files["second turn"]
    cut.write_text(cut.read_text()[:100])
    # a secret pasted into a reply
    leaky = files['{"temp_c": 21}']
    text = leaky.read_text()
    assert "said:" in text
    leaky.write_text(text.replace("said:", "sk-pastedKEY0123456789abcdefgh"))
    code, out, _ = cli(capsys, "recordings", "verify")
    assert code == 1
    problems = [line for line in out.splitlines() if not line.startswith("checked ")]
    assert any(f"{renamed.name}: misplaced:" in p for p in problems), out
    original = files["hello plain"].name
    duplicate = f"{renamed.name}: duplicate: same request as recordings/fake/{original}"
    reverse = f"{original}: duplicate: same request as recordings/fake/{renamed.name}"
    assert any(duplicate in p or reverse in p for p in problems), out
    assert any(f"elsewhere/{moved.name}: misplaced:" in p for p in problems), out
    assert any(f"{cut.name}: corrupt:" in p for p in problems), out
    assert any(f"{leaky.name}: secret:" in p for p in problems), out
    assert "sk-pastedKEY" not in out
    assert len(problems) == 5, out
    assert f"checked {RECORDED + 1} recordings: 5 problem(s)" in out
    # The console script exits non-zero too.
    run = subprocess.run(
        [sys.executable, "-m", "harness.cli", "recordings", "verify"],
        cwd=recorded.path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "5 problem(s)" in run.stdout


# --- prune ---------------------------------------------------------------------------------


def add_stale(project: Project) -> Path:
    """A valid recording, under its proper name, that no scenario asks for any more."""
    body = {"model": "m1", "messages": [{"role": "user", "content": "a removed scenario"}]}
    recording = Recording(
        test_id="scenarios/main.yaml::removed[txt=fake/m1]",
        method="POST",
        url="http://127.0.0.1:9/v1/chat/completions",
        endpoint="/v1/chat/completions",
        request_body=body,
        response_body=wrap({"object": "chat.completion", "id": "rec-1", "choices": []}),
        is_streaming=False,
    )
    path = project.path / "recordings" / "fake" / recording.key("fake").filename
    path.write_text(recording.to_json())
    return path


def test_prune_deletes_exactly_the_recordings_a_full_run_did_not_use(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = add_stale(recorded)
    keep = [p for p in recorded.recordings() if p != stale]
    recorded.pytester.runpytest().assert_outcomes(passed=3)
    code, out, _ = cli(capsys, "recordings", "prune", "--dry-run")
    shown = stale.relative_to(recorded.path)
    assert code == 0 and f"would delete {shown}" in out and "1 unused recording" in out, out
    assert stale.exists()
    code, out, _ = cli(capsys, "recordings", "prune")
    assert code == 0 and f"deleted {shown}" in out, out
    assert recorded.recordings() == keep
    recorded.pytester.runpytest().assert_outcomes(passed=3)  # nothing needed was deleted
    code, out, _ = cli(capsys, "recordings", "prune")
    assert code == 0 and "0 unused recordings" in out


FAILING = """
scenarios:
  - id: failing
    steps:
      - user: another file
        expect: [{equals: "not what the recording says"}]
"""


@pytest.mark.parametrize(
    ("args", "setup", "reason"),
    [
        (("-k", "plain"), None, "deselected"),
        (("-x",), FAILING, "stopped early"),
        ((), FAILING, "failed before their last step"),
        (("--harness-models", "fake/*"), None, "--harness-models narrowed the matrix"),
        (("scenarios/main.yaml",), None, "not collected"),
        (("scenarios/main.yaml::plain",), None, "node ids"),
    ],
    ids=["-k", "-x-with-a-failure", "failing-scenario", "--harness-models", "one-file", "node-id"],
)
def test_prune_refuses_after_a_partial_run(
    recorded: Project,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    setup: str | None,
    reason: str,
) -> None:
    stale = add_stale(recorded)
    if setup:
        recorded.scenario("aaa-failing.yaml", setup)  # collected first: -x stops there
    before = recorded.recordings()
    recorded.pytester.runpytest(*args)
    code, _out, err = cli(capsys, "recordings", "prune")
    assert code == 2
    assert "refusing to prune after a partial run" in err and reason in err, err
    assert recorded.recordings() == before and stale.exists()


def test_prune_after_a_parallel_full_run_merges_the_workers_usage(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = add_stale(recorded)
    keep = [p for p in recorded.recordings() if p != stale]
    result = recorded.pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    usage = json.loads((recorded.path / ".harness" / "usage.json").read_text())
    assert usage["complete"] is True and len(usage["used"]) == RECORDED
    code, out, err = cli(capsys, "recordings", "prune")
    assert code == 0, err
    assert out.splitlines()[0] == f"deleted {stale.relative_to(recorded.path)}"
    assert recorded.recordings() == keep


def test_prune_without_a_usage_record_says_run_the_suite(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = cli(capsys, "recordings", "prune")
    assert code == 2 and "run the whole suite" in err


# --- show ----------------------------------------------------------------------------------


def test_show_prints_a_readable_transcript(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = by_text(recorded)["second turn"]
    digest = path.stem.rsplit("-", 1)[1]
    outputs = []
    for ref in (digest, path.name, str(path)):
        code, out, _ = cli(capsys, "recordings", "show", ref)
        assert code == 0
        outputs.append(out)
    lines = outputs[0].splitlines()
    assert [o.splitlines()[1:] for o in outputs[1:]] == [lines[1:]] * 2
    assert lines[0].startswith("# ") and lines[0].endswith(path.name)
    assert "test: scenarios/main.yaml::plain[txt=fake/m1]" in lines
    assert "  user: hello plain" in lines and "  assistant: echo: hello plain" in lines
    assert "  user: second turn" in lines
    assert any(line.startswith("-> HTTP 200, streamed") for line in lines), lines
    assert any("assistant: echo: second turn" in line for line in lines[-2:]), lines
    # By scenario id: every recording of that scenario.
    code, out, _ = cli(capsys, "recordings", "show", "weather")
    assert code == 0
    assert out.count("\n# ") + out.startswith("# ") == 2
    assert "get_weather" in out and '"city": "Paris"' in out
    assert "tool said:" in out or "temp_c" in out
    code, _out, err = cli(capsys, "recordings", "show", "no-such-thing")
    assert code == 2 and "no recording matches 'no-such-thing'" in err


# --- normalization at write time -------------------------------------------------------------


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def tree(project: Project) -> dict[str, str]:
    return {
        str(p.relative_to(project.path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in project.recordings()
    }


def test_volatile_fields_are_normalized_and_re_recording_is_byte_identical(
    recorded: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tree(recorded)
    for path in recorded.recordings():
        data = json.loads(path.read_text())
        digest = path.stem.rsplit("-", 1)[1]
        objects = [n for n in walk(data["response"]["body"]) if "object" in n]
        assert objects
        for node in objects:
            assert node["created"] == 0
            assert node["system_fingerprint"] == "fp_normalized"
            assert node["id"] == f"rec-{digest[:12]}"
        assert "chatcmpl-" not in path.read_text()  # no original id left, mapping included
        assert isinstance(data["id_normalization_mapping"], dict)
    # Tool-call ids are carried by later requests: never changed.
    weather = by_text(recorded)["what is the weather?"]
    calls = [
        c
        for n in walk(json.loads(weather.read_text())["response"]["body"])
        for c in n.get("tool_calls") or []
        if "id" in c
    ]
    assert [c["id"] for c in calls] == ["call_1"]
    tool_round = json.loads(by_text(recorded)['{"temp_c": 21}'].read_text())
    assert tool_round["request"]["body"]["messages"][1]["tool_calls"][0]["id"] == "call_1"
    assert tool_round["request"]["body"]["messages"][2]["tool_call_id"] == "call_1"
    # Recording the same scenarios again (fresh ids, timestamps, fingerprints): same bytes.
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve(recorded.port) as server:  # type: ignore[attr-defined]
        server.volatile = True
        record(recorded, server, "rewrite").assert_outcomes(passed=3)
        assert len(server.requests) == RECORDED
    assert tree(recorded) == first
