"""Tests for harness.outputs.html: one self-contained, escaped page with the grid and details."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from harness.outputs.html import render_html

XSS = "<script>alert(1)</script>"
VOID = {"meta", "br", "hr", "img", "input", "link"}


def record(scenario: str, column: str, outcome: str, **extra: Any) -> dict[str, Any]:
    provider, model = column.split("/", 1)
    data: dict[str, Any] = {
        "nodeid": f"scenarios/seeds.yaml::{scenario}[txt={column}]",
        "file": "scenarios/seeds.yaml",
        "line": 3,
        "scenario": scenario,
        "description": None,
        "tags": [],
        "column": column,
        "provider": provider,
        "model": model,
        "variant": None,
        "outcome": outcome,
        "skip_reason": None,
        "failure": None,
        "duration": 1.5,
        "mode": "replayed",
        "latency": None,
        "usage": None,
        "steps": [],
        "snapshot_diff": None,
    }
    data.update(extra)
    return data


STEP_1 = {
    "index": 1,
    "sent": [{"role": "user", "content": "Which planet do humans live on?"}],
    "reply": "Humans live on Earth.",
    "tool_calls": [],
    "finish_reason": "stop",
    "error": None,
    "expectations": [{"expectation": "icontains: 'earth'", "ok": True, "reason": None}],
}
STEP_2 = {
    "index": 2,
    "sent": [
        {"role": "user", "content": "Which planet do humans live on?"},
        {"role": "assistant", "content": "Humans live on Earth."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And this one?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 500}},
            ],
        },
    ],
    "reply": f"Mars. {XSS}",
    "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}],
    "finish_reason": "tool_calls",
    "error": None,
    "expectations": [
        {"expectation": "icontains: 'venus'", "ok": False, "reason": "the reply lacks 'venus'"}
    ],
}


def run_records() -> list[dict[str, Any]]:
    return [
        record("greet", "openai/gpt-4o", "passed", tags=["smoke"], latency=0.25),
        record(
            "planets",
            "openai/gpt-4o",
            "failed",
            line=8,
            tags=["multi-turn"],
            description=f"remembers {XSS}",
            failure=f"step 2: the reply does not contain 'venus'\n  reply: 'Mars. {XSS}'",
            snapshot_diff="- Earth\n+ Mars",
            usage={"prompt_tokens": 12, "completion_tokens": 3},
            steps=[STEP_1, STEP_2],
        ),
        record("greet", "local/tiny", "skipped", tags=["smoke"], skip_reason="no vision"),
        record(
            "planets",
            "local/tiny",
            "missing",
            line=8,
            tags=["multi-turn"],
            failure="no recording for step 1",
            steps=[dict(STEP_1, reply=None, error={"status": 404, "message": "not found"})],
        ),
    ]


class Structure(HTMLParser):
    """Checks that tags nest properly and collects the elements with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def parse(page: str) -> Structure:
    structure = Structure()
    structure.feed(page)
    structure.close()
    assert structure.errors == []
    assert structure.stack == []
    return structure


def test_the_page_is_well_formed_and_self_contained() -> None:
    page = render_html(run_records())
    structure = parse(page)
    tags = {tag for tag, _ in structure.elements}
    assert not tags & {"link", "img", "iframe", "object", "embed", "base"}
    assert all("src" not in attrs and "href" not in attrs for _, attrs in structure.elements)
    assert not re.search(r"https?:|url\(|@import|@font-face", page)
    assert page.count("<script>") == 1
    assert page.count("<style>") == 1


def test_user_text_is_escaped_everywhere() -> None:
    nasty = '"><img src=x onerror=alert(2)>'
    records = [
        *run_records(),
        record(f"x{nasty}", f"evil{nasty}/m{nasty}", "failed", tags=[nasty], failure=XSS),
    ]
    page = render_html(records)
    parse(page)
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "onerror=alert(2)&gt;" in page


def test_one_cell_per_item_with_its_outcome() -> None:
    structure = parse(render_html(run_records()))
    cells = [a for tag, a in structure.elements if tag == "td" and "cell" in str(a.get("class"))]
    by_nodeid = {a["data-nodeid"]: a for a in cells if a.get("data-nodeid")}
    assert {nodeid: a["class"] for nodeid, a in by_nodeid.items()} == {
        r["nodeid"]: f"cell {r['outcome']}" for r in run_records()
    }
    assert all(a.get("tabindex") == "0" for a in by_nodeid.values())
    assert by_nodeid["scenarios/seeds.yaml::greet[txt=local/tiny]"]["data-provider"] == "local"


def test_cells_not_run_are_marked_absent() -> None:
    records = [record("a", "openai/gpt-4o", "passed"), record("b", "local/tiny", "passed")]
    structure = parse(render_html(records))
    absent = [a for tag, a in structure.elements if tag == "td" and a.get("class") == "cell absent"]
    assert [(a["data-column"], "data-nodeid" in a) for a in absent] == [
        ("local/tiny", False),  # row a ran on openai only
        ("openai/gpt-4o", False),  # row b on local only
    ]


def test_filters_list_providers_and_tags() -> None:
    structure = parse(render_html(run_records()))
    selects = [a["id"] for tag, a in structure.elements if tag == "select"]
    options = [a["value"] for tag, a in structure.elements if tag == "option"]
    assert selects == ["filter-provider", "filter-tag"]
    assert options == ["", "local", "openai", "", "multi-turn", "smoke"]


def test_detail_panel_holds_every_item_hidden() -> None:
    page = render_html(run_records())
    structure = parse(page)
    sections = [a for tag, a in structure.elements if tag == "section"]
    assert sections[0]["id"] == "detail"
    articles = [a for tag, a in structure.elements if tag == "article"]
    assert [a["data-nodeid"] for a in articles[1:]] == sorted(r["nodeid"] for r in run_records())
    assert all("hidden" in a for a in articles[1:])
    assert "hidden" not in articles[0]  # the placeholder


def test_detail_shows_transcript_failure_and_diff() -> None:
    page = render_html(run_records())
    detail = page[
        page.index('data-nodeid="scenarios/seeds.yaml::planets[txt=openai/gpt-4o]" hidden') :
    ]
    detail = detail[: detail.index("</article>")]
    assert "<h3>Failing expectation</h3>" in detail
    assert 'step 2: <span class="bad">✗ <code>icontains: &#x27;venus&#x27;</code>' in detail
    assert "the reply lacks &#x27;venus&#x27;" in detail
    assert '<pre class="failure">step 2: the reply does not contain' in detail
    assert '<span class="del">- Earth</span>\n<span class="add">+ Mars</span>' in detail
    assert "Which planet do humans live on?" in detail
    assert "… 2 earlier message(s)" in detail  # step 2 repeats step 1 and its reply
    assert detail.count("Humans live on Earth.") == 1
    assert "And this one?\n[image: &lt;data:image/png;base64, 522 chars&gt;]" in detail
    assert "→ get_weather({&quot;city&quot;: &quot;Paris&quot;})" in detail
    assert "finish: tool_calls" in detail
    assert "<dt>tokens</dt><dd>12 in, 3 out</dd>" in detail
    assert "<dt>duration</dt><dd>1.50 s</dd>" in detail
    assert "remembers &lt;script&gt;" in detail


def test_detail_shows_provider_errors_and_skip_reasons() -> None:
    page = render_html(run_records())
    assert "HTTP 404: not found" in page
    assert "<dt>skipped</dt><dd>no vision</dd>" in page


def test_pass_rates_per_column() -> None:
    page = render_html(run_records())
    rates = re.findall(r'<td class="rate" data-column="([^"]+)"[^>]*>([^<]*)</td>', page)
    assert rates == [("local/tiny", "0/1 0%"), ("openai/gpt-4o", "1/2 50%")]


def test_an_empty_run_still_renders() -> None:
    page = render_html([])
    parse(page)
    assert "0 items" in page
