"""``harness recordings import`` writes through the same path as recording.

Request headers are dropped, userinfo is stripped from the URL, volatile fields are normalized,
and the whole document is scanned, including for the values of the providers' ``api_key_env``
variables: a secret refuses the import, naming the field, and writes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.project import SEEDS, Project

ENV_CANARY = "canary-env-value-7f3a9c2e41"
HEADER_KEY = "acme-header-canary-0123456789"  # not key-shaped: only dropping it helps
BASIC = "Basic YWxpY2U6aHVudGVyMnNlY3JldHB3"  # alice:hunter2secretpw
PROVIDERS = (
    "providers:\n  - id: acme\n    base_url: https://acme.test/v1\n"
    "    api_key_env: ACME_KEY\n    models: [gpt-4o]\n"
)


def seed(**changes: object) -> dict[str, object]:
    data = json.loads((SEEDS / "earth-multi-turn.json").read_text())
    data["test_id"] = "tests/x.py::test_y[txt=acme/gpt-4o-earth]"
    data.update(changes)
    return dict(data)


def run_import(project: Project, folder: Path, *, env_key: str) -> subprocess.CompletedProcess[str]:
    project.providers(PROVIDERS)
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "recordings", "import", str(folder)],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
        env={**_env(), "ACME_KEY": env_key},
    )


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}


def grep(root: Path, needle: str) -> dict[str, int]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            count = path.read_bytes().count(needle.encode())
            if count:
                found[str(path.relative_to(root))] = count
    return found


def test_import_drops_request_headers_and_url_userinfo_and_normalizes(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = seed()
    request = dict(data["request"])  # type: ignore[call-overload]
    request["headers"] = {"x-api-key": HEADER_KEY, "Authorization": BASIC}
    request["url"] = "https://alice:hunter2secretpw@acme.test/v1/chat/completions"
    data["request"] = request
    data["response"]["body"][0]["__data__"]["created"] = 1722860102  # type: ignore[index]
    incoming = tmp_path_factory.mktemp("incoming")
    (incoming / "seed.json").write_text(json.dumps(data))
    done = run_import(project, incoming, env_key="k")
    assert done.returncode == 0, done.stderr
    [path] = project.recordings()
    written = json.loads(path.read_text())
    assert written["request"]["headers"] == {}
    assert written["request"]["url"] == "https://acme.test/v1/chat/completions"
    assert written["response"]["body"][0]["__data__"]["created"] == 0
    for needle in (HEADER_KEY, BASIC, "hunter2secretpw"):
        assert grep(project.path, needle) == {}, needle


def test_import_refuses_the_value_of_a_configured_key(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = seed()
    chunk = data["response"]["body"][1]["__data__"]  # type: ignore[index]
    chunk["choices"][0]["delta"]["content"] = f"the key is {ENV_CANARY}"
    incoming = tmp_path_factory.mktemp("incoming")
    (incoming / "seed.json").write_text(json.dumps(data))
    done = run_import(project, incoming, env_key=ENV_CANARY)
    assert done.returncode == 2, done.stdout
    assert "refusing to write recording" in done.stderr
    assert "response.body[1].__data__.choices[0].delta.content: the value of $ACME_KEY" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert ENV_CANARY not in done.stdout + done.stderr
    assert project.recordings() == []
    # Only the input file the test wrote holds it.
    assert grep(project.path, ENV_CANARY) == {}
