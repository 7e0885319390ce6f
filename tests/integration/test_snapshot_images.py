"""Image parts in snapshots: a data URL is shortened to its media type and size, any API."""

from __future__ import annotations

import base64

import pytest
import yaml

from support.fake_openai import serve
from support.project import Project

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 600
DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.mark.parametrize(
    ("api", "step"),
    [
        ("chat", "user: [{type: text, text: look}, {image: pic.png}]"),
        (
            "responses",
            "input: [{role: user, content: [{type: input_text, text: look}, {image: pic.png}]}]",
        ),
        ("responses", "input: [{image: pic.png}]"),
    ],
)
def test_snapshot_shortens_image_data_urls(project: Project, api: str, step: str) -> None:
    (project.path / "scenarios").mkdir()
    (project.path / "scenarios" / "pic.png").write_bytes(PNG)
    project.scenario(
        "img.yaml",
        f"scenarios:\n  - id: look\n    api: {api}\n    snapshot: true\n"
        f"    steps:\n      - {step}\n",
    )
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        result = project.pytester.runpytest(
            "--harness-record-mode=record-missing", "--snapshot-update"
        )
        result.assert_outcomes(passed=1)
        sent = server.requests[0]
    assert DATA_URL in str(sent)  # the whole image goes on the wire...
    (snapshot,) = (project.path / "scenarios" / "__snapshots__").rglob("*.yaml")
    sent = str(yaml.safe_load(snapshot.read_text())["steps"][0]["sent"])
    assert DATA_URL[:60] not in sent  # ...but not into the snapshot (the chat fake echoes it)
    assert f"<data:image/png;base64, {len(DATA_URL)} chars>" in sent
