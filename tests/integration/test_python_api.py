"""Plain pytest tests of an application: the llm fixture records and replays its inner calls."""

from __future__ import annotations

import json
import sys

import pytest

from support.fake_openai import serve
from support.project import Project

APP_TESTS = '''
import asyncio

import pytest


class Bot:
    """An application: a system prompt, and a client it is given."""

    def __init__(self, client, model):
        self.client, self.model = client, model

    def answer(self, text):
        reply = self.client.chat.completions.create(
            model=self.model,
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": text},
            ],
        )
        return reply.choices[0].message.content


async def ask(client, model, text):
    reply = await client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return reply.choices[0].message.content


@pytest.mark.harness
def test_sync(llm, snapshot):
    assert Bot(llm.client, llm.model).answer("hello") == "echo: hello"
    assert llm.calls[-1].request["messages"][0]["role"] == "system"
    assert llm.transcript == snapshot


@pytest.mark.harness(models=["fake/*"])
def test_async_gather(llm):
    questions = ["a", "b", "same", "c", "same"]

    async def main():
        return await asyncio.gather(*(ask(llm.async_client, llm.model, q) for q in questions))

    assert asyncio.run(main()) == [f"echo: {q}" for q in questions]
    assert len(llm.calls) == 5
'''


def make_project(project: Project, base_url: str) -> None:
    project.providers(
        f"providers:\n  - id: fake\n    base_url: {base_url}\n    api_key_env: FAKE_KEY\n"
        "    models: [m1]\n"
    )
    project.write("tests/test_app.py", APP_TESTS)


def test_record_then_replay_offline_sync_and_async(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-canary-1234567890abcdef")
    with serve() as server:
        make_project(project, server.base_url)
        recorded = project.pytester.runpytest(
            "--harness-record-mode=record-missing", "--snapshot-update", "tests"
        )
        recorded.assert_outcomes(passed=2)
        assert len(server.requests) == 6
    assert len(project.recordings()) == 6  # identical bodies: one recording per occurrence
    monkeypatch.delenv("FAKE_KEY")
    for args in ([], ["-n", "2"]):
        replayed = project.pytester.runpytest("tests", "-v", "--harness-report=r.json", *args)
        replayed.assert_outcomes(passed=2)
        assert "test_app.py::test_sync[txt=fake/m1]" in replayed.stdout.str()
    report = json.loads((project.path / "r.json").read_text(encoding="utf-8"))
    records = {r["scenario"]: r for r in report["records"]}
    calls = records["test_sync"]["calls"]
    assert [c["reply"] for c in calls] == ["echo: hello"]
    assert calls[0]["request"]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert records["test_async_gather"]["column"] == "fake/m1"
    assert len(records["test_async_gather"]["calls"]) == 5
    html = project.pytester.runpytest("tests", "--harness-report=r.html", "--harness-report=r.md")
    html.assert_outcomes(passed=2)
    assert "Inner calls" in (project.path / "r.html").read_text(encoding="utf-8")
    markdown = (project.path / "r.md").read_text(encoding="utf-8").splitlines()
    assert "| 1 | POST | /v1/chat/completions | 200 | no |" in markdown
    assert "| 5 | POST | /v1/chat/completions | 200 | no |" in markdown  # test_async_gather


def test_miss_fails_the_test_naming_it_and_the_call(project: Project) -> None:
    """Even when the application swallows the SDK's error, the miss fails its test."""
    make_project(project, "http://127.0.0.1:9/v1")
    project.write(
        "tests/test_swallow.py",
        """
        import pytest

        def test_swallows(llm):
            try:
                llm.client.chat.completions.create(
                    model=llm.model, messages=[{"role": "user", "content": "hi"}]
                )
            except Exception:
                pass  # an application that falls back on error
        """,
    )
    result = project.pytester.runpytest("tests/test_swallow.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*no recording for POST /v1/chat/completions on provider 'fake'*",
            "*at: tests/test_swallow.py::test_swallows?txt=fake/m1?*",
            "*request: #1 of this test*",
            "*to record it: pytest 'tests/test_swallow.py::test_swallows?txt=fake/m1?'*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


MARKS = """
import pytest

@pytest.mark.harness(models="fake/*", requires=["vision"])
def test_needs_vision(llm):
    raise AssertionError("never runs: the column lacks vision")

@pytest.mark.harness(models=["other/*"])
def test_other_column_only(llm):
    assert llm.column == "other/m2" and llm.model == "m2"
"""


def test_marker_narrows_the_matrix(project: Project) -> None:
    project.providers(
        "providers:\n"
        "  - {id: fake, base_url: 'http://127.0.0.1:9/v1', models: [m1]}\n"
        "  - id: other\n    base_url: http://127.0.0.1:9/v1\n"
        "    models: [{name: m2, capabilities: [vision]}]\n"
    )
    project.write("tests/test_marks.py", MARKS)
    result = project.pytester.runpytest("tests/test_marks.py", "-v", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*fake/m1 lacks capability vision*"])
    narrowed = project.pytester.runpytest("tests/test_marks.py", "--harness-models=fake/*")
    narrowed.assert_outcomes(skipped=1, deselected=1)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('model="fake/*"', "unknown keyword 'model' (known: models, requires)"),
        ('"fake/*"', "takes keywords only (models=, requires=)"),
        ("models=3", "models= takes a string or a list"),
        ('requires=["vison"]', "requires: 'vison' is a capability no provider declares"),
    ],
)
def test_marker_mistakes_are_collection_errors(project: Project, marker: str, message: str) -> None:
    make_project(project, "http://127.0.0.1:9/v1")
    project.write(
        "tests/test_bad.py",
        f"import pytest\n\n@pytest.mark.harness({marker})\ndef test_bad(llm):\n    pass\n",
    )
    result = project.pytester.runpytest("tests/test_bad.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*test_bad.py:*{message}*"])
    assert "Traceback" not in result.stdout.str()


def test_prune_keeps_what_python_tests_recorded_until_they_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that did not collect a Python test file cannot tell its recordings are unused."""
    monkeypatch.setenv("FAKE_KEY", "sk-canary-1234567890abcdef")
    with serve() as server:
        make_project(project, server.base_url)
        project.scenario("s.yaml", "scenarios:\n  - id: hi\n    steps: [{user: hi}]\n")
        recorded = project.pytester.runpytest(
            "--harness-record-mode=record-missing", "--snapshot-update", "tests", "scenarios"
        )
        recorded.assert_outcomes(passed=3)
    monkeypatch.delenv("FAKE_KEY")
    before = project.recordings()
    project.pytester.runpytest("scenarios").assert_outcomes(passed=1)
    refused = project.pytester.run(sys.executable, "-m", "harness", "recordings", "prune")
    assert refused.ret != 0
    refused.stderr.fnmatch_lines(["*was recorded by tests/test_app.py, which the last run did*"])
    assert project.recordings() == before
    project.pytester.runpytest("tests", "scenarios").assert_outcomes(passed=3)
    pruned = project.pytester.run(sys.executable, "-m", "harness", "recordings", "prune")
    assert pruned.ret == 0, pruned.stderr.str()
    assert project.recordings() == before  # every recording is used
