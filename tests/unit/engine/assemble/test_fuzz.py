"""Fuzz: the chat and Responses stream assemblers (and the drivers around them) on generated
and mutated replies, served through the real SDK as a provider or a recording would serve them.

Property: a step returns its result (a provider error included) or raises a ``HarnessError``;
nothing else escapes, within the deadline and memory bound of ``support.fuzz``.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import openai
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionChunk

from harness.engine.assemble.chat import ChatAssembler
from harness.engine.assemble.responses import ResponsesAssembler
from harness.engine.drivers.chat import ChatDriver
from harness.engine.drivers.responses import ResponsesDriver
from harness.engine.matrix import Case, Column
from harness.errors import HarnessError
from harness.replay.recording import wire_json
from harness.spec.load import load_scenarios
from harness.spec.providers import Provider
from harness.spec.scenario import Scenario
from harness.util.httplib import httpx
from support.fuzz import bounded, json_values, mutated

BASE_URL = "https://api.example.test/v1"
COLUMN = Column(
    provider=Provider(id="p", base_url=BASE_URL, models=["m"]), model="m", capabilities=frozenset()
)
REPO = Path(__file__).resolve().parents[4]


def _body(path: Path) -> Any:
    response = json.loads(path.read_text(encoding="utf-8"))["response"]["body"]
    if isinstance(response, list):
        return [item["__data__"] for item in response]
    return response["__data__"]


CHAT_STREAM = (
    _body(REPO / "tests" / "data" / "seeds" / "earth-multi-turn.json")[:4]
    + _body(REPO / "tests" / "data" / "seeds" / "earth-multi-turn.json")[-1:]
)
CHAT_REPLY = _body(REPO / "recordings" / "local" / "chat-completions-95b4d7ce95610265.json")
CHAT_TOOL_REPLY = _body(REPO / "recordings" / "local" / "chat-completions-29606450eb3ea478.json")
RESPONSES_STREAM = _body(REPO / "recordings" / "local" / "responses-765e5022d4401828.json")
RESPONSE = _body(REPO / "recordings" / "local" / "responses-1c29b1143d644e96.json")
TOOLS = "[{type: function, function: {name: f, parameters: {type: object}}}]"


def _scenario(api: str, stream: bool) -> Scenario:
    step = "input" if api == "responses" else "user"
    text = (
        f"scenarios:\n  - id: s\n    api: {api}\n    tools: {TOOLS}\n    steps:\n"
        f"      - {step}: hi\n        stream: {str(stream).lower()}\n"
        "        tool_results: {f: ok}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(text, encoding="utf-8")
        (scenario,) = load_scenarios(path)
    return scenario


SCENARIOS = {
    (api, stream): _scenario(api, stream)
    for api in ("chat", "responses")
    for stream in (False, True)
}


def _sse(events: Any) -> bytes:
    items = events if isinstance(events, list) else [events]
    return "".join(f"data: {wire_json(e)}\n\n" for e in items).encode("utf-8", "surrogatepass")


def run_step(api: str, stream: bool, payload: Any, *, expect_ok: bool = False) -> None:
    """One step against a provider that answers every request with ``payload``."""
    if stream:
        content = _sse(payload) + (b"data: [DONE]\n\n" if api == "chat" else b"")
        headers = {"content-type": "text/event-stream"}
    else:
        content = wire_json(payload).encode("utf-8", "surrogatepass")
        headers = {"content-type": "application/json"}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=content)

    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=httpx.MockTransport(answer)),
    )
    case = Case(scenario=SCENARIOS[api, stream], column=COLUMN)
    driver = (ChatDriver if api == "chat" else ResponsesDriver)(client=client, case=case)
    if expect_ok:
        (result,) = driver.steps()
        assert result.error is None and result.text, result
        return
    with bounded(), contextlib.suppress(HarnessError):
        list(driver.steps())


def run_unmutated() -> None:
    for (api, stream), payload in {
        ("chat", True): CHAT_STREAM,
        ("chat", False): CHAT_REPLY,
        ("responses", True): RESPONSES_STREAM,
        ("responses", False): RESPONSE,
    }.items():
        run_step(api, stream, payload, expect_ok=True)


# Once at import: the SDK imports its types lazily, and imports under the memory tracer of a
# first fuzz example take seconds (whichever xdist worker runs it).
run_unmutated()


def test_the_unmutated_replies_run_their_steps() -> None:
    """The control for the fuzz tests below."""
    run_unmutated()


@given(payload=st.one_of(mutated(CHAT_STREAM), st.lists(json_values, max_size=4)))
def test_fuzz_streamed_chat_step(payload: Any) -> None:
    run_step("chat", True, payload)


@given(payload=st.one_of(mutated(CHAT_REPLY), mutated(CHAT_TOOL_REPLY), json_values))
def test_fuzz_chat_step(payload: Any) -> None:
    run_step("chat", False, payload)


@given(payload=st.one_of(mutated(RESPONSES_STREAM), st.lists(json_values, max_size=4)))
def test_fuzz_streamed_responses_step(payload: Any) -> None:
    run_step("responses", True, payload)


@given(payload=st.one_of(mutated(RESPONSE), json_values))
def test_fuzz_responses_step(payload: Any) -> None:
    run_step("responses", False, payload)


@given(chunks=mutated(CHAT_STREAM), check=st.booleans())
def test_fuzz_chat_assembler_on_constructed_chunks(chunks: Any, check: bool) -> None:
    # The SDK builds chunks without validation: whatever shape arrives is what feed() sees.
    assembler = ChatAssembler(check=check)
    with bounded():
        try:
            for chunk in chunks if isinstance(chunks, list) else [chunks]:
                data = chunk if isinstance(chunk, dict) else {"choices": chunk}
                assembler.feed(
                    ChatCompletionChunk.construct(**{str(k): v for k, v in data.items()})
                )
            assembler.result()
        except HarnessError:
            pass


@given(events=st.lists(json_values, max_size=6), check=st.booleans())
def test_fuzz_responses_assembler_on_raw_values(events: list[Any], check: bool) -> None:
    assembler = ResponsesAssembler(check=check)
    with bounded():
        try:
            for event in events:
                assembler.feed(event)
            assembler.result()
        except HarnessError:
            pass
