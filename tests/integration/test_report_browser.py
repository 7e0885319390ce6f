"""The HTML report in a real browser: Debian's headless Chromium driven by selenium, offline.

Needs ``chromium`` and ``chromium-driver`` (``bash .ci/install-browser.sh``) and the ``selenium``
package (the ``dev`` extra). Without them this test fails, on purpose: it never skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.outputs.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HOW_TO_INSTALL = (
    "run `bash .ci/install-browser.sh` (as root, or with sudo: it apt-get installs chromium, "
    "chromium-driver and fonts) and `pip install -e '.[dev]'` (selenium)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1200",
]
XSS = "<script>alert(1)</script>"


def record(scenario: str, column: str, outcome: str, **extra: Any) -> dict[str, Any]:
    provider, model = column.split("/", 1)
    data: dict[str, Any] = {
        "nodeid": f"scenarios/planets.yaml::{scenario}[txt={column}]",
        "file": "scenarios/planets.yaml",
        "line": 1,
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
        "duration": 0.42,
        "mode": "replayed",
        "latency": 0.3,
        "usage": None,
        "steps": [],
        "snapshot_diff": None,
    }
    data.update(extra)
    return data


FAILING = record(
    "earth-follow-up",
    "openai/gpt-4o",
    "failed",
    line=4,
    tags=["multi-turn"],
    description="remembers the planet across turns",
    usage={"prompt_tokens": 31, "completion_tokens": 7},
    failure="scenarios/planets.yaml:9: step 1: icontains: 'earth'\n"
    f"  the reply does not contain 'earth' (ignoring case)\n  reply: 'Mars. {XSS}'",
    steps=[
        {
            "index": 1,
            "sent": [
                {"role": "user", "content": "Which planet do humans live on?"},
                {"role": "assistant", "content": "Humans live on Earth."},
                {"role": "user", "content": "What is the name of the planet from your reply?"},
            ],
            "reply": f"Mars. {XSS}",
            "tool_calls": [],
            "finish_reason": "stop",
            "error": None,
            "expectations": [
                {
                    "expectation": "icontains: 'earth'",
                    "ok": False,
                    "reason": "the reply does not contain 'earth' (ignoring case)",
                }
            ],
        }
    ],
)
RECORDS = [
    record("greet", "openai/gpt-4o", "passed", tags=["smoke"], steps=[]),
    FAILING,
    record("weather", "openai/gpt-4o", "passed", line=12, tags=["tools"]),
    record("greet", "local/tiny", "skipped", tags=["smoke"], skip_reason="no tools"),
    record(
        "earth-follow-up",
        "local/tiny",
        "missing",
        line=4,
        tags=["multi-turn"],
        failure="no recording for step 1 of earth-follow-up",
    ),
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with a fresh profile; fails (never skips) when it is not installed."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(f"browser test: {', '.join(missing)} not found; {HOW_TO_INSTALL}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        pytest.fail(f"browser test: selenium is not importable ({exc}); {HOW_TO_INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: selenium never runs Selenium Manager, so nothing is downloaded.
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def save_screenshot(driver: Any, path: Path) -> Path:
    """Save a PNG under tmp_path, and a copy in $HARNESS_ARTIFACTS_DIR when that is set."""
    assert driver.save_screenshot(str(path))
    artifacts = os.environ.get("HARNESS_ARTIFACTS_DIR")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(artifacts) / path.name)
    return path


def test_report_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = write_report(tmp_path / "report.html", RECORDS)
    browser.get(page.as_uri())
    assert browser.title == "harness report"

    cells = browser.find_elements(By.CSS_SELECTOR, "#grid td.cell[data-nodeid]")
    outcomes = {cell.get_attribute("data-nodeid"): cell.get_attribute("class") for cell in cells}
    assert outcomes == {r["nodeid"]: f"cell {r['outcome']}" for r in RECORDS}
    assert len(browser.find_elements(By.CSS_SELECTOR, "#grid td.cell.absent")) == 1
    colours = {
        cell.get_attribute("class"): cell.value_of_css_property("background-color")
        for cell in cells
    }
    assert len(set(colours.values())) == 4  # passed, failed, skipped, missing all differ

    detail = browser.find_element(By.ID, "detail")
    assert detail.text == "Click a cell to see its conversation."
    browser.find_element(By.CSS_SELECTOR, f'td[data-nodeid="{FAILING["nodeid"]}"]').click()
    text = detail.text
    assert "Failing expectation" in text
    assert "icontains: 'earth'" in text
    assert "the reply does not contain 'earth' (ignoring case)" in text
    assert "Which planet do humans live on?" in text
    assert f"Mars. {XSS}" in text  # the reply, shown as text: never run
    assert "remembers the planet across turns" in text
    assert "no recording" not in text  # only the clicked item's detail is shown
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert
    screenshot = save_screenshot(browser, tmp_path / "report-detail.png")

    Select(browser.find_element(By.ID, "filter-provider")).select_by_value("local")
    shown = {c.get_attribute("data-provider") for c in cells if c.is_displayed()}
    assert shown == {"local"}
    assert not any(
        h.is_displayed()
        for h in browser.find_elements(By.CSS_SELECTOR, "th.col[data-provider=openai]")
    )
    Select(browser.find_element(By.ID, "filter-tag")).select_by_value("smoke")
    visible = [c.get_attribute("data-nodeid") for c in cells if c.is_displayed()]
    assert visible == ["scenarios/planets.yaml::greet[txt=local/tiny]"]
    rate = browser.find_element(By.CSS_SELECTOR, 'tfoot td.rate[data-provider="local"]')
    assert rate.text == "\u2013"  # only a skip left: nothing counted
    save_screenshot(browser, tmp_path / "report-filtered.png")
    Select(browser.find_element(By.ID, "filter-provider")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-tag")).select_by_value("")
    assert sum(c.is_displayed() for c in cells) == len(RECORDS)

    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000, f"{screenshot} is only {len(data)} bytes"
