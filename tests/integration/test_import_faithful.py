"""A mixed batch of seed-format recordings (built here) imports with exact counts, loses
nothing, and every recording replays to its recorded reply in a scenario generated from it:
texts, tool calls streamed in pieces and not, provider errors, identical and conflicting
duplicates (the conflicting ones through ``recordings: {test_id: ...}``)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import yaml

from support.project import Project
from support.seed_corpus import MODEL, PROVIDER, TOOLS, SeedCase, mixed_batch

PROVIDERS = (
    f"providers:\n  - id: {PROVIDER}\n    base_url: https://acme.test/v1\n    models: [{MODEL}]\n"
)


def harness_import(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "recordings", "import", *args],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def scenario_for(case: SeedCase, *, scoped: bool) -> dict[str, Any]:
    """The scenario that sends ``case``'s request and expects exactly its recorded reply."""
    step: dict[str, Any] = {"user": case.question}
    if case.stream:
        step["stream"] = True
    if case.error is not None:
        message = case.error["body"]["message"]
        step["expect"] = [{"error": {"status": case.error["status"], "message": message}}]
    elif case.tool_call is not None:
        step["expect"] = [
            {"tool_call": case.tool_call},
            {"finish_reason": "tool_calls"},
            {"equals": ""},
        ]
    else:
        step["expect"] = [{"equals": case.text}, {"finish_reason": "stop"}, {"no_tool_call": True}]
    scenario: dict[str, Any] = {
        "id": f"{case.name}-{case.test}-{'scoped' if scoped else 'shared'}",
        "steps": [step],
    }
    if case.tools:
        scenario["tools"] = TOOLS
    if scoped:
        scenario["recordings"] = {"test_id": case.test_id}
    return scenario


def test_mixed_batch_imports_exactly_and_every_recording_replays(
    project: Project, tmp_path_factory: Any
) -> None:
    cases, counts = mixed_batch()
    incoming = tmp_path_factory.mktemp("llama-stack-recordings")
    for case in cases:
        case.write(incoming / "tests" / "integration" / "recordings")
    # Two files that are not replayable recordings: skipped with --skip-invalid, and said why.
    doc = SeedCase(name="crash", question="x", stream=False, text="-").document()
    doc["response"] = {
        "body": None,
        "is_exception": True,
        "exception_data": {"category": "builtin", "type": "ValueError", "message": "boom"},
    }
    (incoming / "crash.json").write_text(json.dumps(doc), encoding="utf-8")
    (incoming / "tool-record.json").write_text(json.dumps({"test_id": "t", "request": {}}))
    project.providers(PROVIDERS)

    refused = harness_import(project, str(incoming))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (project.path / "recordings").exists()  # all or nothing: nothing written

    done = harness_import(project, "--skip-invalid", str(incoming))
    assert done.returncode == 1, done.stderr  # something was skipped
    lines = done.stdout.splitlines()
    assert lines[-1] == (
        f"read {counts['read'] + 2} recordings: {counts['written']} written, "
        f"{counts['merged']} identical duplicates merged, "
        f"{counts['conflicts']} conflicting request kept per test, 2 skipped"
    )
    assert f"skipped {incoming / 'crash.json'}: recorded ValueError has no HTTP error status" in (
        done.stdout
    )
    assert f"skipped {incoming / 'tool-record.json'}: not an HTTP request recording" in done.stdout
    assert any(
        line.startswith("conflict: POST /v1/chat/completions on provider acme") for line in lines
    )
    assert len(project.recordings()) == counts["written"]  # no file written twice, none lost

    again = harness_import(project, "--skip-invalid", "--allow-skipped", str(incoming))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1].startswith(
        f"read {counts['read'] + 2} recordings: 0 written, 12 "
    )

    conflicting = {c.name for c in cases if c.name == "moon"}
    scenarios = [scenario_for(case, scoped=True) for case in cases]
    scenarios += [
        scenario_for(case, scoped=False)
        for case in cases
        if case.name not in conflicting and case.test != "test_b"
    ]
    project.scenario("imported.yaml", yaml.safe_dump({"scenarios": scenarios}, sort_keys=False))
    result = project.pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(scenarios))


def test_a_conflicting_request_without_a_test_id_misses_naming_the_tests(
    project: Project, tmp_path_factory: Any
) -> None:
    cases = [c for c in mixed_batch()[0] if c.name == "moon"]
    incoming = tmp_path_factory.mktemp("incoming")
    for case in cases:
        case.write(incoming)
    project.providers(PROVIDERS)
    assert harness_import(project, str(incoming)).returncode == 0
    shared = scenario_for(cases[0], scoped=False)
    shared["steps"][0]["expect"] = []
    project.scenario("moon.yaml", yaml.safe_dump({"scenarios": [shared]}))
    result = project.pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert (
        "  recorded for this request only per test (conflicting replies), by:\n"
        f"    {cases[0].test_id}\n"
        f"    {cases[1].test_id}\n"
        "  use one with `recordings: {test_id: ...}` on the scenario\n"
    ) in out
