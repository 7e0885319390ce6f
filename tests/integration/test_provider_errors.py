"""Provider errors are recorded and replayed as what the SDK saw: same exception, same text.

HTTP errors with bodies, error events inside streams and streams cut off midway are recorded
against the loopback server, then replayed with the server gone. Replay never retries; record
modes keep only the final answer of a request the SDK retried; an unreachable provider writes
nothing.
"""

from __future__ import annotations

import json
import re
import socket

import openai
import pytest

from harness.engine.runner import Runner
from harness.replay.transports import ReplayTransport
from harness.spec.providers import load_providers
from harness.spec.settings import RecordMode, Settings
from support.fake_openai import FakeOpenAI, Fault, serve
from support.project import Project

# status, and the SDK's exception class for it
STATUSES = [
    (400, "BadRequestError"),
    (401, "AuthenticationError"),
    (403, "PermissionDeniedError"),
    (404, "NotFoundError"),
    (422, "UnprocessableEntityError"),
    (429, "RateLimitError"),
    (500, "InternalServerError"),
]
# The SDK retries these itself in record modes, with a real back-off: one scenario each.
EXPECTED_ONLY, UNEXPECTED_ONLY = 429, 500


def error_body(status: int) -> dict[str, object]:
    return {"error": {"message": f"failure number {status} said the provider", "type": "x"}}


def status_scenarios() -> str:
    """Per status: one step that expects the error, one that does not (for retried statuses
    only one of the two, to keep the SDK's back-off short)."""
    lines = ["scenarios:"]
    for status, _kind in STATUSES:
        if status != UNEXPECTED_ONLY:
            lines += [
                f"  - id: expected-{status}",
                "    steps:",
                f"      - user: status {status} expected",
                f"        expect: [{{error: {{status: {status}, message: number {status}}}}}]",
            ]
        if status != EXPECTED_ONLY:
            lines += [
                f"  - id: unexpected-{status}",
                "    steps:",
                f"      - user: status {status} unexpected",
            ]
    return "\n".join(lines) + "\n"


def failures(result: pytest.RunResult) -> list[str]:
    """The scenario failure lines of a run (the first line of each failure message)."""
    return sorted(line for line in result.outlines if re.match(r"scenarios/\S+:\d+: ", line))


def write_project(project: Project, server: FakeOpenAI, scenarios: str) -> None:
    project.providers(server.providers_yaml())
    project.scenario("s.yaml", scenarios)


def recorded(project: Project) -> dict[str, dict[str, object]]:
    """Every recording, by the last user text of its request."""
    out = {}
    for path in project.recordings():
        data = json.loads(path.read_text())
        out[data["request"]["body"]["messages"][-1]["content"]] = data
    return out


def test_http_errors_are_recorded_and_replayed_as_the_same_exception(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        for status, _kind in STATUSES:
            server.script(f"status {status}", *[Fault(status=status, body=error_body(status))] * 9)
        write_project(project, server, status_scenarios())
        record = project.pytester.runpytest("--harness-record-mode=record-missing")
    expected = unexpected = len(STATUSES) - 1
    record.assert_outcomes(passed=expected, failed=unexpected)
    lines = failures(record)
    assert len(lines) == unexpected
    for status, kind in STATUSES:
        if status == EXPECTED_ONLY:
            continue
        [line] = [x for x in lines if f"'unexpected-{status}'" in x]
        assert f"{kind} (HTTP {status})" in line and f"failure number {status}" in line, line
    files = recorded(project)
    assert len(files) == expected + unexpected
    for text, data in files.items():
        status = int(text.split()[1])
        assert data["response"]["status_code"] == status
        assert data["response"]["body"]["__data__"] == error_body(status)
        assert data["response"]["is_streaming"] is False
    # The server is gone: replay alone must give the same exceptions and the same text.
    monkeypatch.delenv("FAKE_KEY")
    replay = project.pytester.runpytest()
    replay.assert_outcomes(passed=expected, failed=unexpected)
    assert failures(replay) == lines
    assert "Traceback" not in replay.stdout.str()


def test_error_event_inside_a_stream_is_recorded_with_the_events_before_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    event = {"error": {"message": "the server is overloaded", "type": "server_error"}}
    scenarios = """
        scenarios:
          - id: expected
            steps:
              - user: stream error expected
                stream: true
                expect: [{error: {message: overloaded}}]
          - id: unexpected
            steps:
              - user: stream error unexpected
                stream: true
        """
    with serve() as server:
        server.script("stream error", *[Fault(events=3, error_event=event)] * 2)
        write_project(project, server, scenarios)
        record = project.pytester.runpytest("--harness-record-mode=record-missing")
        assert len(server.requests) == 2
    record.assert_outcomes(passed=1, failed=1)
    [line] = failures(record)
    assert "'unexpected'" in line and "APIError" in line and "the server is overloaded" in line
    for data in recorded(project).values():
        body = data["response"]["body"]
        assert data["response"]["is_streaming"] is True
        assert "truncated" not in data["response"]
        assert [item["__data__"].get("object") for item in body] == [
            *["chat.completion.chunk"] * 3,
            None,
        ]
        assert body[-1]["__data__"] == event
    monkeypatch.delenv("FAKE_KEY")
    replay = project.pytester.runpytest()
    replay.assert_outcomes(passed=1, failed=1)
    assert failures(replay) == [line]


@pytest.mark.parametrize("cut_mid_event", [False, True], ids=["between-events", "mid-event"])
def test_truncated_stream_is_recorded_and_replays_as_the_same_failure(
    project: Project, monkeypatch: pytest.MonkeyPatch, cut_mid_event: bool
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    scenarios = """
        scenarios:
          - id: cut
            steps:
              - user: cut me off
                stream: true
        """
    with serve() as server:
        server.script("cut me", Fault(events=2, truncate=True, cut_mid_event=cut_mid_event))
        write_project(project, server, scenarios)
        record = project.pytester.runpytest("--harness-record-mode=record-missing")
        assert len(server.requests) == 1  # a broken stream is not retried
    record.assert_outcomes(failed=1)
    [line] = failures(record)
    assert "RemoteProtocolError" in line or "peer closed" in line, line
    [data] = recorded(project).values()
    assert data["response"]["truncated"] is True
    body = data["response"]["body"]
    # Only the two whole events the client received; a half event is not an event.
    assert [item["__data__"]["choices"][0]["delta"] for item in body] == [
        {"role": "assistant", "content": ""},
        {"content": "echo: "},
    ]
    monkeypatch.delenv("FAKE_KEY")
    replay = project.pytester.runpytest()
    replay.assert_outcomes(failed=1)
    assert failures(replay) == [line]
    assert "Traceback" not in replay.stdout.str() and "AttributeError" not in replay.stdout.str()


def replay_hits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch ReplayTransport to log every request it answers."""
    hits: list[str] = []
    original = ReplayTransport.handle_request

    def counting(self: ReplayTransport, request: object) -> object:
        hits.append(str(request.url))  # type: ignore[attr-defined]
        return original(self, request)  # type: ignore[arg-type]

    monkeypatch.setattr(ReplayTransport, "handle_request", counting)
    return hits


def test_replay_never_retries_a_recorded_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    scenarios = """
        scenarios:
          - id: five-hundred
            steps:
              - user: status 500 expected
                expect: [{error: {status: 500}}]
        """
    with serve() as server:
        server.script("status 500", *[Fault(status=500, body=error_body(500))] * 3)
        write_project(project, server, scenarios)
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=1)
    monkeypatch.delenv("FAKE_KEY")
    hits = replay_hits(monkeypatch)
    project.pytester.runpytest().assert_outcomes(passed=1)
    assert len(hits) == 1
    # The same through the SDK client the runner builds for replay, called directly.
    hits.clear()
    settings = Settings(record_mode=RecordMode.REPLAY, recordings_dir=project.path / "recordings")
    runner = Runner(settings=settings, env={})
    [provider] = load_providers(project.path / "providers.yaml")
    client, _context = runner.client_for(provider)
    with pytest.raises(openai.InternalServerError, match="failure number 500"):
        client.chat.completions.create(
            model="m1", messages=[{"role": "user", "content": "status 500 expected"}]
        )
    runner.close()
    assert len(hits) == 1


@pytest.mark.parametrize("mode", ["rewrite", "record-missing"])
def test_a_request_the_sdk_retried_leaves_only_its_final_answer(
    project: Project, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The SDK retries a 500 by itself in record modes: only the answer it finally got is kept,
    and the replay (which never retries) gets that answer too."""
    monkeypatch.setenv("FAKE_KEY", "k")
    scenarios = """
        scenarios:
          - id: flaky
            steps:
              - user: flaky provider
                expect: [{equals: "echo: flaky provider"}]
              - user: and then
                expect: [{equals: "echo: and then"}]
        """
    with serve() as server:
        server.script("flaky", Fault(status=500, body=error_body(500)))  # once, then 200
        write_project(project, server, scenarios)
        result = project.pytester.runpytest(f"--harness-record-mode={mode}")
        assert len(server.requests) == 3, "the SDK did not retry: the test tests nothing"
    result.assert_outcomes(passed=1)
    files = recorded(project)
    assert len(project.recordings()) == len(files) == 2, [p.name for p in project.recordings()]
    response = files["flaky provider"]["response"]
    assert "status_code" not in response  # 200
    assert response["body"]["__data__"]["choices"][0]["message"]["content"] == (
        "echo: flaky provider"
    )
    assert list((project.path / "recordings").rglob("*.tmp")) == []
    monkeypatch.delenv("FAKE_KEY")
    project.pytester.runpytest().assert_outcomes(passed=1)  # the server is gone


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("mode", ["record-missing", "rewrite"])
def test_unreachable_provider_while_recording_is_a_clear_error_and_writes_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    port = closed_port()
    project.providers(
        f"providers:\n  - id: fake\n    base_url: http://127.0.0.1:{port}/v1\n"
        "    api_key_env: FAKE_KEY\n    models: [m1]\n"
    )
    project.scenario("s.yaml", "scenarios:\n  - id: a\n    steps:\n      - user: hello\n")
    result = project.pytester.runpytest(f"--harness-record-mode={mode}")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert f"cannot reach provider 'fake' at http://127.0.0.1:{port}/v1/chat/completions" in output
    assert "nothing was written" in output
    assert "Traceback" not in output
    recordings = project.path / "recordings"
    assert not recordings.exists() or [p for p in recordings.rglob("*") if p.is_file()] == []


def test_every_recorded_error_file_is_verify_clean(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Error recordings (HTTP, in-stream, truncated) are valid recordings for `verify`."""
    from harness.cli.main import main

    monkeypatch.setenv("FAKE_KEY", "k")
    event = {"error": {"message": "overloaded"}}
    scenarios = """
        scenarios:
          - id: http
            steps: [{user: "status 400"}]
          - id: event
            steps: [{user: "stream event", stream: true}]
          - id: cut
            steps: [{user: "stream cut", stream: true}]
        """
    with serve() as server:
        server.script("status 400", Fault(status=400, body=error_body(400)))
        server.script("stream event", Fault(events=1, error_event=event))
        server.script("stream cut", Fault(events=1, truncate=True))
        write_project(project, server, scenarios)
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(failed=3)
    assert len(project.recordings()) == 3
    capsys.readouterr()
    assert main(["recordings", "verify"]) == 0, capsys.readouterr().out
    assert "checked 3 recordings: 0 problem(s)" in capsys.readouterr().out
