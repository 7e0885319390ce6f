"""Tests for harness.outputs.html_detail: one item's detail, every API's messages readable."""

from __future__ import annotations

from typing import Any

from harness.outputs.html_detail import render_item

IMAGE = {"type": "input_image", "image_url": "data:image/png;base64," + "B" * 500}
# A Responses request: a user turn with text and an image, an earlier reply sent back.
SENT = [
    {"role": "user", "content": [{"type": "input_text", "text": "Describe <this>"}, IMAGE]},
    {"role": "assistant", "content": [{"type": "output_text", "text": "A cat."}]},
]


def item(**extra: Any) -> dict[str, Any]:
    return {"nodeid": "s.yaml::look[txt=openai/gpt-4o]", "outcome": "passed", **extra}


def test_responses_text_parts_show_as_text_in_steps_and_inner_calls() -> None:
    step = {"index": 1, "sent": SENT, "reply": "Two cats.", "expectations": []}
    call = {
        "method": "POST",
        "endpoint": "/v1/responses",
        "status": 200,
        "request": {"input": SENT},
    }
    detail = render_item(item(steps=[step], calls=[call]))
    assert "input_text" not in detail and "output_text" not in detail  # not shown as JSON
    assert detail.count('<div class="content">Describe &lt;this&gt;\n[image: ') == 2
    assert detail.count('<div class="content">A cat.</div>') == 2
    assert "B" * 100 not in detail  # the image is shortened, as for chat


def test_an_unknown_part_is_still_shown_not_dropped() -> None:
    sent = [{"role": "user", "content": [{"type": "input_file", "file_id": "file-<1>"}]}]
    detail = render_item(item(steps=[{"index": 1, "sent": sent}]))
    assert "input_file" in detail and "file-&lt;1&gt;" in detail
    assert "<1>" not in detail
