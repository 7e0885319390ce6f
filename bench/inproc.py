"""In-process per-turn timings: the SDK floor and harness's replay path over the same cases.

``python -m bench.inproc PROJECT [--items K] [--reps R]`` prints one JSON object.

* floor: the very requests harness sends (same SDK client kind, same history carried turn to
  turn), through ``openai.DefaultHttpxClient(transport=MockTransport(...))`` that serves
  pre-built response bytes in order — the recorded replies as a provider sends them (compact
  JSON, one ``data:`` event per chunk, then ``[DONE]``); streams are iterated into text.
* harness: ``Runner.run(case)`` per item, as the plugin calls it (``ReplayTransport``, the
  store, the assembler, the expectations).
* per-item extras the plugin adds after ``Runner.run``: the snapshot text
  (``render_transcript`` + secret scan) and the report record (``build_record``).

Floor and harness alternate item by item (random order per item), so both see the same machine
while other jobs come and go; each round sums the items, each figure is the median of rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai

from harness.engine.matrix import Case, cases_for, columns
from harness.engine.runner import Runner
from harness.engine.transcript import Transcript
from harness.outputs.records import build_record
from harness.outputs.snapshot import render_transcript, snapshot_steps
from harness.replay.secrets import SecretScanner
from harness.replay.store import RecordingStore
from harness.replay.transports import Keyer
from harness.spec.load import load_scenarios
from harness.spec.providers import load_providers
from harness.spec.settings import Settings
from harness.util.httplib import httpx


def load_cases(project: Path, items: int) -> list[tuple[str, Case]]:
    matrix = columns(load_providers(project / "providers.yaml"))
    out: list[tuple[str, Case]] = []
    for path in sorted((project / "scenarios").glob("*.yaml")):
        display = f"scenarios/{path.name}"
        for scenario in load_scenarios(path, display=display):
            for case in cases_for(scenario, matrix):
                out.append((f"{display}::{scenario.id}[{case.id}]", case))
                if len(out) >= items:
                    return out
    return out


def floor_clients(
    cases: list[tuple[str, Case]], handler: Callable[[Any], Any]
) -> dict[str, openai.OpenAI]:
    clients = {}
    for _, case in cases:
        provider = case.column.provider
        if provider.id not in clients:
            clients[provider.id] = openai.OpenAI(
                base_url=provider.resolved_base_url({}),
                api_key="floor-no-key",
                http_client=openai.DefaultHttpxClient(transport=httpx.MockTransport(handler)),
                max_retries=0,
            )
    return clients


def floor_pass(cases: list[tuple[str, Case]], clients: dict[str, openai.OpenAI]) -> None:
    """The same conversations, straight through the SDK; the minimum a consumer must do."""
    for _, case in cases:
        scenario = case.scenario
        sdk = clients[case.column.provider.id]
        history: list[dict[str, Any]] = [dict(m) for m in scenario.messages]
        for step in scenario.steps:
            history.append({"role": "user", "content": step.user})
            kwargs: dict[str, Any] = {"model": case.column.api_model, "messages": list(history)}
            stream = case.stream_for(step.stream)
            if stream is not None:
                kwargs["stream"] = stream
            result = sdk.chat.completions.create(**kwargs)
            if stream:
                parts = []
                for chunk in result:
                    if chunk.choices:
                        content = chunk.choices[0].delta.content
                        if content:
                            parts.append(content)
                text: Any = "".join(parts)
            else:
                text = result.choices[0].message.content
            history.append({"role": "assistant", "content": text})


def wire_bytes(recording: Any) -> tuple[int, dict[str, str], bytes]:
    """What the provider sends for this recording: compact JSON, one SSE event per chunk.

    Built here, not by harness, so the floor does not move when harness changes its framing.
    """

    def compact(data: Any) -> str:
        return (
            data
            if isinstance(data, str)
            else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        )

    if not recording.is_streaming:
        body = compact(recording.response_body["__data__"]).encode()
        return recording.status_code, {"content-type": "application/json"}, body
    events = [f"data: {compact(item['__data__'])}\n\n" for item in recording.response_body]
    events.append("data: [DONE]\n\n")
    return recording.status_code, {"content-type": "text/event-stream"}, "".join(events).encode()


def capture_responses(project: Path, cases: list[tuple[str, Case]]) -> list[tuple[int, Any, bytes]]:
    """The response bytes of every request of a floor pass, in order (via harness's store)."""
    store = RecordingStore(root=project / "recordings")
    keyers: dict[str, Keyer] = {}
    captured: list[tuple[int, Any, bytes]] = []

    def handler(request: Any) -> Any:
        host = request.url.host
        recording = store.load(keyers[host].key(request))
        assert recording is not None, f"no recording for {request.url}"
        status, headers, content = wire_bytes(recording)
        captured.append((status, headers, content))
        return httpx.Response(status, headers=headers, content=content)

    for _, case in cases:
        provider = case.column.provider
        base_url = provider.resolved_base_url({})
        host = httpx.URL(base_url).host
        if host not in keyers:
            keyers[host] = Keyer(provider=provider.id, base_url=base_url)
    floor_pass(cases, floor_clients(cases, handler))
    return captured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc")
    parser.add_argument("project", type=Path)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    project: Path = args.project.resolve()
    cases = load_cases(project, args.items)
    turns = sum(len(case.scenario.steps) for _, case in cases)

    captured = capture_responses(project, cases)
    assert len(captured) == turns, (len(captured), turns)
    per_case: list[list[tuple[int, Any, bytes]]] = []
    position = 0
    for _, case in cases:
        count = len(case.scenario.steps)
        per_case.append(captured[position : position + count])
        position += count
    feed: Iterator[tuple[int, Any, bytes]] = iter(())

    def serve(request: Any) -> Any:
        status, headers, content = next(feed)
        return httpx.Response(status, headers=headers, content=content)

    clients = floor_clients(cases, serve)
    settings = Settings(
        recordings_dir=project / "recordings", providers_path=project / "providers.yaml"
    )
    runner = Runner(settings=settings, env={})
    scanner = SecretScanner(env={})
    transcripts: list[Transcript | None] = [None] * len(cases)

    def floor(i: int) -> None:
        nonlocal feed
        feed = iter(per_case[i])
        floor_pass(cases[i : i + 1], clients)

    def harness(i: int) -> None:
        test_id, case = cases[i]
        transcript = runner.run(case, test_id=test_id)
        if transcript.failure is not None:
            raise SystemExit(f"harness replay failed: {transcript.failure}")
        transcripts[i] = transcript

    def snapshot(i: int) -> None:
        transcript = transcripts[i]
        assert transcript is not None
        text = render_transcript(transcript, steps=snapshot_steps(transcript) or [0, 1, 2])
        scanner.redact(text)  # as the session does before comparing

    def record(i: int) -> None:
        test_id, case = cases[i]
        build_record(
            nodeid=test_id,
            case=case,
            outcome="passed",
            duration=0.0,
            transcript=transcripts[i],
            failure=None,
            skip_reason=None,
        )

    jobs: dict[str, Callable[[int], None]] = {
        "floor": floor,
        "harness": harness,
        "snapshot": snapshot,
        "record": record,
    }
    for i in range(len(cases)):  # warm-up: imports, SDK caches, page cache
        floor(i)
        harness(i)
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    cpu: dict[str, list[float]] = {name: [] for name in jobs}
    rng = random.Random(0)
    clock, cpu_clock = time.perf_counter, time.process_time
    for _ in range(args.reps):
        wall_sum = dict.fromkeys(jobs, 0.0)
        cpu_sum = dict.fromkeys(jobs, 0.0)
        gc.collect()
        # Floor and harness alternate item by item (in a random order), so that both see
        # the same machine: other jobs on a shared box come and go within seconds.
        for i in range(len(cases)):
            order = ["floor", "harness"]
            rng.shuffle(order)
            for name in [*order, "snapshot", "record"]:
                started, started_cpu = clock(), cpu_clock()
                jobs[name](i)
                wall_sum[name] += clock() - started
                cpu_sum[name] += cpu_clock() - started_cpu
        for name in jobs:
            samples[name].append(wall_sum[name])
            cpu[name].append(cpu_sum[name])
    runner.close()
    median = {name: statistics.median(values) for name, values in samples.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    chunks = [
        content.count(b"data: ") - 1
        for _, headers, content in captured
        if headers.get("content-type") == "text/event-stream"
    ]
    print(
        json.dumps(
            {
                "items": len(cases),
                "turns": turns,
                "streamed_turns": len(chunks),
                "mean_chunks": statistics.fmean(chunks) if chunks else 0.0,
                "floor_ms_per_turn": median["floor"] / turns * 1e3,
                "harness_ms_per_turn": median["harness"] / turns * 1e3,
                "snapshot_ms_per_item": median["snapshot"] / len(cases) * 1e3,
                "record_ms_per_item": median["record"] / len(cases) * 1e3,
                "floor_cpu_ms_per_turn": median_cpu["floor"] / turns * 1e3,
                "harness_cpu_ms_per_turn": median_cpu["harness"] / turns * 1e3,
                "harness_over_floor_per_round": [
                    h / f for h, f in zip(samples["harness"], samples["floor"], strict=True)
                ],
                "samples": samples,
                "cpu": cpu,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
