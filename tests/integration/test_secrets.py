"""Secrets never reach the disk: canaries planted in the key, the request and the response.

Every placement runs a real record (or live) run against the loopback server, then greps every
file under the temporary project (recordings, ``scenarios/__snapshots__``, ``.harness/``, ...)
except the input files the test wrote itself: the canary must occur 0 times. Placements that
would put the canary into a recording must fail the test with an error naming the field path.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.fake_openai import FakeOpenAI, Fault, serve
from support.project import Project

KEY_CANARY = "sk-canaryTESTONLY0123456789abcdefXYZ"  # key-shaped: caught by its shape
ENV_CANARY = "canary-env-value-7f3a9c2e41"  # not key-shaped: caught as the value of $FAKE_KEY
BEARER_CANARY = "Bearer canaryBEARERtoken0123456789abcdef"  # a key-shaped bearer token
# The pieces the issue saw recorded: a key streamed in `reasoning_content` across three chunks.
SPLIT_KEY = ("sk-canary", "TESTONLY0123", "456789abcdefXYZ")
ENV_B64 = base64.b64encode(ENV_CANARY.encode()).decode()
URLISH_KEY = "canary/env+key=7f3a9c2e41"  # a key whose URL-encoded form differs from it
URLISH_ENCODED = "canary%2Fenv%2Bkey%3D7f3a9c2e41"


@dataclass(frozen=True)
class Placement:
    """One way of planting a canary, and what must happen."""

    id: str
    needle: str  # the canary to grep for
    scenario: str  # YAML of the scenario list
    path: str  # the field path the refusal must name ("" when the write must succeed)
    key: str = "plain-key-not-secret"  # the value of $FAKE_KEY
    setup: Callable[[FakeOpenAI], None] = field(default=lambda server: None)
    args: tuple[str, ...] = ("--harness-record-mode=record-missing", "--snapshot-update")


def _step(user: str, *, stream: bool = False, params: str = "") -> str:
    extra = "        stream: true\n" if stream else ""
    extra += f"        params: {params}\n" if params else ""
    return (
        f"scenarios:\n  - id: leak\n    snapshot: true\n    steps:\n      - user: {user!r}\n{extra}"
    )


def _echo_key(server: FakeOpenAI) -> None:
    server.echo_authorization = True


def _reply(content: str, **options: object) -> Callable[[FakeOpenAI], None]:
    def setup(server: FakeOpenAI) -> None:
        server.script("leak", Fault(content=content, **options))  # type: ignore[arg-type]

    return setup


def _reasoning(text: str, *, piece: int) -> Callable[[FakeOpenAI], None]:
    def setup(server: FakeOpenAI) -> None:
        server.script("leak", Fault(content="thought about it", reasoning=text, piece=piece))

    return setup


def _error_reply(server: FakeOpenAI) -> None:
    body = {"error": {"message": f"invalid key {KEY_CANARY}", "type": "invalid_request_error"}}
    server.script("leak", Fault(status=400, body=body))


def _header(server: FakeOpenAI) -> None:
    server.extra_headers = {"x-echo-key": KEY_CANARY, "openai-organization": ENV_CANARY}


REFUSED = [
    Placement(
        "request-user-message",
        KEY_CANARY,
        _step(f"leak my key {KEY_CANARY} please"),
        "request.body.messages[0].content: a key-shaped string",
    ),
    Placement(
        "request-bearer-token",
        BEARER_CANARY,
        _step(f"leak this header: Authorization: {BEARER_CANARY}"),
        "request.body.messages[0].content: a key-shaped string",
    ),
    Placement(
        "request-params",
        KEY_CANARY,
        _step("leak in params", params=f"{{user: {KEY_CANARY}}}"),
        "request.body.user: a key-shaped string",
    ),
    Placement(
        "request-history",
        KEY_CANARY,
        "scenarios:\n  - id: leak\n    messages:\n"
        f"      - {{role: user, content: 'remember {KEY_CANARY}'}}\n"
        "      - {role: assistant, content: ok}\n"
        "    steps:\n      - user: leak it back\n",
        "request.body.messages[0].content: a key-shaped string",
    ),
    Placement(
        "request-json-key",
        KEY_CANARY,
        _step("leak in a key", params=f"{{metadata: {{{KEY_CANARY}: x}}}}"),
        "request.body.metadata",
    ),
    Placement(
        "env-key-echoed-by-provider",
        ENV_CANARY,
        _step("leak"),
        "response.body.__data__.choices[0].message.content: the value of $FAKE_KEY",
        key=ENV_CANARY,
        setup=_echo_key,
    ),
    Placement(
        "env-key-echoed-in-stream",
        ENV_CANARY,
        _step("leak", stream=True),
        # chunks: role, "echo: ", "leak ", "Bearer ", the key
        "response.body[4].__data__.choices[0].delta.content: the value of $FAKE_KEY",
        key=ENV_CANARY,
        setup=_echo_key,
    ),
    Placement(
        "response-content",
        KEY_CANARY,
        _step("leak"),
        "response.body.__data__.choices[0].message.content: a key-shaped string",
        setup=_reply(f"your key is {KEY_CANARY}"),
    ),
    Placement(
        "response-streamed",
        KEY_CANARY,
        _step("leak", stream=True),
        "response.body[4].__data__.choices[0].delta.content: a key-shaped string",
        setup=_reply(f"your key is {KEY_CANARY}"),
    ),
    Placement(
        "response-error-body",
        KEY_CANARY,
        _step("leak"),
        "response.body.__data__.error.message: a key-shaped string",
        setup=_error_reply,
    ),
    Placement(
        # Real providers stream a few characters per chunk: no single chunk holds the key.
        "response-split-across-chunks",
        KEY_CANARY,
        _step("leak", stream=True),
        "response.body",
        setup=_reply(f"your key is {KEY_CANARY}", piece=4),
    ),
    Placement(
        "env-key-split-across-chunks",
        ENV_CANARY,
        _step("leak", stream=True),
        "the value of $FAKE_KEY",
        key=ENV_CANARY,
        setup=_reply(f"your key is {ENV_CANARY}", piece=5),
    ),
    Placement(
        # The pieces: no single chunk of `reasoning_content` holds the key whole.
        "reasoning-split-across-chunks",
        "".join(SPLIT_KEY),
        _step("leak", stream=True),
        "response.body (streamed choices[0].delta.reasoning_content, joined): "
        "a key-shaped string (openai-key)",
        setup=_reasoning("".join(SPLIT_KEY), piece=9),
    ),
    Placement(
        "env-key-in-reasoning-split-across-chunks",
        ENV_CANARY,
        _step("leak", stream=True),
        "response.body (streamed choices[0].delta.reasoning_content, joined): "
        "the value of $FAKE_KEY",
        key=ENV_CANARY,
        setup=_reasoning(f"the key is {ENV_CANARY}", piece=6),
    ),
    Placement(
        "env-key-base64-in-reply",
        ENV_B64,
        _step("leak"),
        "response.body.__data__.choices[0].message.content: the value of $FAKE_KEY (base64)",
        key=ENV_CANARY,
        setup=_reply(f"encoded: {ENV_B64}"),
    ),
    Placement(
        "env-key-url-encoded-in-reply",
        URLISH_ENCODED,
        _step("leak"),
        "response.body.__data__.choices[0].message.content: the value of $FAKE_KEY (URL-encoded)",
        key=URLISH_KEY,
        setup=_reply(f"https://example.test/?key={URLISH_ENCODED}"),
    ),
]

WRITTEN = [
    Placement(
        "env-key-only-in-authorization-header", ENV_CANARY, _step("hello"), "", key=ENV_CANARY
    ),
    Placement(
        "key-shaped-env-key-in-authorization-header", KEY_CANARY, _step("hi"), "", key=KEY_CANARY
    ),
    Placement("response-headers", KEY_CANARY, _step("hello", stream=True), "", setup=_header),
]


def occurrences(project: Project, needle: str, *, inputs: set[Path]) -> dict[str, int]:
    """How often ``needle`` occurs in each file of the project the test did not write itself."""
    found: dict[str, int] = {}
    for path in sorted(project.path.rglob("*")):
        if path.is_file() and path not in inputs:
            count = path.read_bytes().count(needle.encode())
            if count:
                found[str(path.relative_to(project.path))] = count
    return found


# Every file a CI job keeps: harness's reports in all formats, and pytest's junit XML.
REPORTS = (
    "--harness-report=.harness/report.json",
    "--harness-report=.harness/report.md",
    "--harness-report=.harness/report.html",
    "--junitxml=.harness/junit.xml",
)


def run_placement(
    project: Project, placement: Placement, monkeypatch: pytest.MonkeyPatch
) -> tuple[pytest.RunResult, FakeOpenAI]:
    monkeypatch.setenv("FAKE_KEY", placement.key)
    with serve() as server:
        placement.setup(server)
        project.providers(server.providers_yaml())
        project.scenario("leak.yaml", placement.scenario)
        result = project.pytester.runpytest(*placement.args, *REPORTS)
    return result, server


@pytest.mark.parametrize("placement", REFUSED, ids=[p.id for p in REFUSED])
def test_a_secret_bound_for_the_disk_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch, placement: Placement
) -> None:
    inputs = {project.path / "providers.yaml", project.path / "scenarios" / "leak.yaml"}
    result, server = run_placement(project, placement, monkeypatch)
    assert server.requests, "the provider was never asked: the placement tested nothing"
    # (A refused report may end the run without its summary: see the test below.)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0 and "scenarios/leak.yaml F" in output, output
    assert "refusing to write" in output and "secret" in output, output
    assert placement.path in output, output
    assert "Traceback" not in output
    assert occurrences(project, placement.needle, inputs=inputs) == {}
    assert placement.needle not in output  # not in the failure text either (CI logs)
    assert project.recordings() == []
    assert list(project.path.rglob("*.tmp")) == []
    assert list(project.path.rglob("*.transcript.yaml")) == []


@pytest.mark.parametrize("placement", WRITTEN, ids=[p.id for p in WRITTEN])
def test_headers_are_never_stored(
    project: Project, monkeypatch: pytest.MonkeyPatch, placement: Placement
) -> None:
    inputs = {project.path / "providers.yaml", project.path / "scenarios" / "leak.yaml"}
    result, server = run_placement(project, placement, monkeypatch)
    result.assert_outcomes(passed=1)
    sent = {name.lower(): value for name, value in server.headers[0].items()}
    assert sent["authorization"] == f"Bearer {placement.key}"  # the key went on the wire
    [path] = project.recordings()
    data = json.loads(path.read_text())
    assert data["request"]["headers"] == {}
    assert set(data["response"]) <= {"body", "is_streaming", "status_code", "truncated"}
    assert len(list(project.path.rglob("*.transcript.yaml"))) == 1
    assert len(list((project.path / ".harness").glob("report.*"))) == 3
    assert occurrences(project, placement.needle, inputs=inputs) == {}
    assert "authorization" not in path.read_text().lower()


def test_snapshot_update_in_record_mode_writes_no_snapshot_of_a_refused_exchange(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    inputs = {project.path / "providers.yaml", project.path / "scenarios" / "leak.yaml"}
    with serve() as server:
        server.script("leak", Fault(content=f"key: {KEY_CANARY}"))
        project.providers(server.providers_yaml())
        project.scenario("leak.yaml", _step("leak"))
        result = project.pytester.runpytest("--harness-record-mode=rewrite", "--snapshot-update")
    result.assert_outcomes(failed=1)
    assert occurrences(project, KEY_CANARY, inputs=inputs) == {}
    assert list(project.path.rglob("*.transcript.yaml")) == []


def test_verify_finds_a_planted_secret_without_printing_it(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli.main import main

    monkeypatch.setenv("FAKE_KEY", ENV_CANARY)
    with serve() as server:
        project.providers(server.providers_yaml())
        project.scenario("leak.yaml", _step("hello"))
        args = ("--harness-record-mode=record-missing", "--snapshot-update")
        project.pytester.runpytest(*args).assert_outcomes(passed=1)
    [path] = project.recordings()
    assert main(["recordings", "verify"]) == 0
    clean = path.read_text()
    for planted in (KEY_CANARY, ENV_CANARY, BEARER_CANARY):
        path.write_text(clean.replace("echo: hello", f"echo: {planted}"))
        capsys.readouterr()
        assert main(["recordings", "verify"]) == 1
        out = capsys.readouterr().out
        assert f"{path.name}: secret: response.body.__data__.choices[0].message.content" in out
        assert planted not in out
