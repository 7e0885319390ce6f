"""Live runs redact secrets in place: failure text, junit XML, reports and snapshots keep the rest.

Recordings must replay byte-faithfully, so a secret bound for one is refused (see
``test_secrets.py``). Everything else harness writes or renders is redacted where the secret
stood (``[redacted: $FAKE_KEY]``, ``[redacted: openai-key]``) and is still written.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from support.fake_openai import FakeOpenAI, Fault, serve
from support.project import Project

KEY_CANARY = "sk-canaryTESTONLY0123456789abcdefXYZ"
ENV_CANARY = "canary-env-value-7f3a9c2e41"
REPORTS = (
    "--harness-report=.harness/report.json",
    "--harness-report=.harness/report.md",
    "--harness-report=.harness/report.html",
    "--junitxml=.harness/junit.xml",
)
FAILING = """
scenarios:
  - id: leak
    steps:
      - user: leak
        expect: [{contains: "the right answer"}]
"""


def live_run(
    project: Project, monkeypatch: pytest.MonkeyPatch, *faults: Fault, scenario: str = FAILING
) -> tuple[pytest.RunResult, str, FakeOpenAI]:
    monkeypatch.setenv("FAKE_KEY", ENV_CANARY)
    with serve() as server:
        server.script("leak", *faults)
        project.providers(server.providers_yaml())
        project.scenario("leak.yaml", scenario)
        result = project.pytester.runpytest("--harness-record-mode=live", *REPORTS)
    return result, result.stdout.str() + result.stderr.str(), server


def grep(root: Path, needle: str) -> dict[str, int]:
    """Occurrences of ``needle`` in every file under ``root`` (reports and junit included)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            count = path.read_bytes().count(needle.encode())
            if count:
                found[str(path.relative_to(root))] = count
    return found


def report_record(project: Project) -> dict[str, object]:
    [record] = json.loads((project.path / ".harness" / "report.json").read_text())["records"]
    return dict(record)


@pytest.mark.parametrize(
    ("reply", "needle", "marker"),
    [
        (f"your key is {KEY_CANARY}, keep it", KEY_CANARY, "[redacted: openai-key]"),
        (f"your key is {ENV_CANARY}, keep it", ENV_CANARY, "[redacted: $FAKE_KEY]"),
        (
            f"your key is {base64.b64encode(ENV_CANARY.encode()).decode()}, keep it",
            base64.b64encode(ENV_CANARY.encode()).decode()[:-4],
            "[redacted: $FAKE_KEY]",
        ),
    ],
    ids=["key-shaped", "env-value", "env-value-base64"],
)
def test_a_secret_in_a_failing_reply_is_redacted_and_the_reports_are_written(
    project: Project, monkeypatch: pytest.MonkeyPatch, reply: str, needle: str, marker: str
) -> None:
    result, output, server = live_run(project, monkeypatch, Fault(content=reply))
    assert server.requests
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    assert needle not in output
    assert "refusing to write" not in output
    # Redacted in place: the rest of the failure text is kept.
    assert f"reply (finish_reason=stop): 'your key is {marker}" in output, output
    assert "the reply does not contain 'the right answer'" in output
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert (project.path / ".harness" / name).is_file(), name
    assert marker in (project.path / ".harness" / "junit.xml").read_text()
    record = report_record(project)
    assert marker in str(record["failure"])
    [step] = record["steps"]  # type: ignore[misc]
    assert step["reply"].startswith(f"your key is {marker}")
    assert grep(project.path, needle) == {}


def test_a_key_in_a_401_body_is_redacted(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    body = {
        "error": {
            "message": f"Incorrect API key provided: {ENV_CANARY}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    result, output, _server = live_run(project, monkeypatch, Fault(status=401, body=body))
    result.assert_outcomes(failed=1)
    assert "AuthenticationError (HTTP 401): " in output, output
    assert "Incorrect API key provided: [redacted: $FAKE_KEY]. You can find" in output
    assert ENV_CANARY not in output
    record = report_record(project)
    assert "[redacted: $FAKE_KEY]" in str(record["failure"])
    [step] = record["steps"]  # type: ignore[misc]
    assert "[redacted: $FAKE_KEY]" in step["error"]["message"]
    assert grep(project.path, ENV_CANARY) == {}


def test_a_live_snapshot_is_written_with_the_secret_redacted(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = "scenarios:\n  - id: leak\n    snapshot: true\n    steps:\n      - user: leak\n"
    monkeypatch.setenv("FAKE_KEY", ENV_CANARY)
    with serve() as server:
        server.script("leak", Fault(content=f"key {KEY_CANARY} and {ENV_CANARY} end"))
        project.providers(server.providers_yaml())
        project.scenario("leak.yaml", scenario)
        args = ("--harness-record-mode=live", "--snapshot-update", *REPORTS)
        project.pytester.runpytest(*args).assert_outcomes(passed=1)
    [snapshot] = project.path.rglob("*.transcript.yaml")
    text = snapshot.read_text()
    assert "key [redacted: openai-key] and [redacted: $FAKE_KEY] end" in text, text
    assert grep(project.path, KEY_CANARY) == {}
    assert grep(project.path, ENV_CANARY) == {}


def test_xdist_workers_redact_before_the_controller_writes(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", ENV_CANARY)
    with serve() as server:
        server.script("leak", Fault(content=f"your key is {ENV_CANARY}"))
        project.providers(server.providers_yaml())
        project.scenario("leak.yaml", FAILING)
        args = ("-n", "2", "-p", "no:cacheprovider", "--harness-record-mode=live", *REPORTS)
        result = project.pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    assert "your key is [redacted: $FAKE_KEY]" in result.stdout.str()
    assert "[redacted: $FAKE_KEY]" in (project.path / ".harness" / "junit.xml").read_text()
    assert "[redacted: $FAKE_KEY]" in str(report_record(project)["steps"])
    assert grep(project.path, ENV_CANARY) == {}


def test_the_usage_file_redacts_its_reasons(project: Project) -> None:
    """A partial run's reasons name a scenario file: its name is redacted, not written."""
    project.with_seed_example()
    project.scenario(f"{KEY_CANARY}.yaml", "scenarios:\n  - id: never\n    steps: [{user: hi}]\n")
    project.pytester.runpytest("scenarios/seeds.yaml").assert_outcomes(passed=4)
    usage = json.loads((project.path / ".harness" / "usage.json").read_text())
    assert "scenarios/[redacted: openai-key].yaml" in " ".join(usage["partial_reasons"]), usage
    assert grep(project.path / ".harness", KEY_CANARY) == {}


def test_skip_and_xfail_reasons_are_redacted(project: Project) -> None:
    """Reasons come from scenario files: the terminal, junit and reports get them redacted."""
    project.scenario(
        "leak.yaml",
        f"""
        scenarios:
          - id: known
            xfail: {{"fake/*": "the fixture {KEY_CANARY} is refused"}}
            steps: [{{user: hi, expect: [{{equals: never}}]}}]
        """,
    )
    # A known departure covers a failed expectation only (not a missing recording): record.
    with serve() as server:
        project.providers(
            f"providers:\n  - id: fake\n    base_url: {server.base_url}\n    models: [m1]\n"
            "  - id: other\n    base_url: https://other.test/v1\n    models: [m2]\n"
        )
        result = project.pytester.runpytest(
            "-rxs", "-k", "fake", "--harness-record-mode=record-missing", *REPORTS
        )
    result.assert_outcomes(xfailed=1, deselected=1)
    output = result.stdout.str() + result.stderr.str()
    assert "the fixture [redacted: openai-key] is refused" in output, output
    assert KEY_CANARY not in output
    assert grep(project.path / ".harness", KEY_CANARY) == {}
