"""YAML scenarios that target an application: its reply is checked, its inner calls too."""

from __future__ import annotations

import json

import pytest

from support.fake_openai import serve
from support.project import Project

APP = """
class Bot:
    def __init__(self, *, client, model):
        self.client, self.model = client, model

    def answer(self, text):
        if text == "crash":
            return helper(text)
        reply = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "system", "content": "S"},
                                        {"role": "user", "content": text}],
        )
        return reply.choices[0].message.content.upper()


def helper(text):
    raise ValueError(f"the app broke on {text!r}")


async def answer_async(message, *, async_client, model):
    reply = await async_client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": message}]
    )
    return reply.choices[0].message.content
"""

SCENARIOS = """
target: shop_app:Bot
scenarios:
  - id: sync-class
    steps:
      - user: hello
        expect:
          - equals: "ECHO: HELLO"
          - calls: {count: {max: 1}}
          - calls: {system: "S", request: {model: m1}, tokens: {min: 5, max: 5}}
          - no_tool_call: true
  - id: async-function
    target: shop_app:answer_async
    steps:
      - user: first
        expect: [{contains: "echo: first"}]
      - user: second
        expect: [{contains: "echo: second"}, {calls: {count: {min: 1, max: 1}}}]
"""


def make_project(project: Project, base_url: str) -> None:
    project.providers(
        f"providers:\n  - id: fake\n    base_url: {base_url}\n    api_key_env: FAKE_KEY\n"
        "    models: [m1]\n"
    )
    project.write("scenarios/shop_app.py", APP)


def test_target_records_then_replays(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-canary-1234567890abcdef")
    with serve() as server:
        make_project(project, server.base_url)
        project.scenario("s.yaml", SCENARIOS)
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=2)
        assert len(server.requests) == 3
        assert server.requests[0]["messages"][0] == {"role": "system", "content": "S"}
    monkeypatch.delenv("FAKE_KEY")
    replayed = project.pytester.runpytest("-n", "2", "--harness-report=r.json")
    replayed.assert_outcomes(passed=2)
    records = json.loads((project.path / "r.json").read_text(encoding="utf-8"))["records"]
    calls = {r["scenario"]: r["calls"] for r in records}
    assert [c["reply"] for c in calls["async-function"]] == ["echo: first", "echo: second"]
    assert calls["sync-class"][0]["request"]["messages"][0]["content"] == "S"


@pytest.mark.parametrize(
    ("expect", "reason"),
    [
        ("{calls: {count: {max: 0}}}", "1 model request(s) in the step, more than 0"),
        ("{calls: {system: T}}", "inner request 1 has no system message containing 'T'"),
        ("{calls: {request: {seed: 1}}}", 'inner request 1 does not hold {"seed": 1}'),
        ("{calls: {tokens: {max: 4}}}", "5 tokens in the step's inner replies, more than 4"),
        ("{called: {tool: lookup}}", "no call to tool 'lookup' (calls made: none)"),
        ("{contains: nope}", "the reply does not contain 'nope'"),
    ],
)
def test_expectations_on_the_reply_and_inner_calls_fail(
    project: Project, monkeypatch: pytest.MonkeyPatch, expect: str, reason: str
) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-canary-1234567890abcdef")
    with serve() as server:
        make_project(project, server.base_url)
        project.scenario(
            "s.yaml",
            f"target: shop_app:Bot\nscenarios:\n  - id: x\n    steps:\n"
            f"      - user: hello\n        expect: [{expect}]\n",
        )
        result = project.pytester.runpytest("--harness-record-mode=record-missing")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*s.yaml:5: scenario 'x' [[]txt=fake/m1], step 1: {reason}*"])


def test_an_error_in_the_target_shows_the_application_traceback(project: Project) -> None:
    make_project(project, "http://127.0.0.1:9/v1")
    project.scenario(
        "s.yaml", "target: shop_app:Bot\nscenarios:\n  - id: x\n    steps:\n      - user: crash\n"
    )
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*s.yaml:5: scenario 'x' [[]txt=fake/m1], step 1: the target shop_app:Bot raised:*",
            "*in answer*",
            "*return helper(text)*",
            "*in helper*",
            "*ValueError: the app broke on 'crash'*",
        ]
    )
    assert "harness/app/target.py" not in result.stdout.str()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("shop_app:Nope", "target 'shop_app:Nope' cannot be loaded (AttributeError"),
        ("no_such_module:x", "target 'no_such_module:x' cannot be loaded (ModuleNotFoundError"),
    ],
)
def test_a_target_that_cannot_be_loaded(project: Project, target: str, message: str) -> None:
    make_project(project, "http://127.0.0.1:9/v1")
    project.scenario(
        "s.yaml", f"target: {target}\nscenarios:\n  - id: x\n    steps:\n      - user: hi\n"
    )
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*scenarios/s.yaml:3:1: {message}*"])


def test_a_malformed_target_is_a_validation_error(project: Project) -> None:
    make_project(project, "http://127.0.0.1:9/v1")
    project.scenario(
        "s.yaml", "target: not a target\nscenarios:\n  - id: x\n    steps: [{user: hi}]\n"
    )
    result = project.pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*s.yaml:1:*target*"])
