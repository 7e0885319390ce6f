"""Tests for harness.spec.images: images in steps are confined, regular, size-capped files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.spec import images
from harness.spec.images import image_data_url, image_part, image_url_of, short_image_url
from harness.spec.load import load_scenarios
from harness.spec.scenario import Scenario


def scenario_naming(tmp_path: Path, name: str, **kwargs: object) -> Scenario:
    folder = tmp_path / "project" / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.yaml"
    path.write_text(
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n"
        f"      - user: [{{image: '{name}'}}]\n",
        encoding="utf-8",
    )
    (scenario,) = load_scenarios(path, **kwargs)  # type: ignore[arg-type]
    return scenario


def refused(scenario: Scenario, name: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        image_data_url(scenario, name, 1)
    assert info.value.line == 5  # the step's line
    assert info.value.cause.startswith("step 2: ")
    return info.value


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.png"
    path.write_bytes(b"\x89PNG top secret")
    return path


def test_dotdot_escape_is_refused(tmp_path: Path, secret: Path) -> None:
    scenario = scenario_naming(tmp_path, "../../secret.png")
    assert "outside the project" in refused(scenario, "../../secret.png").cause


def test_absolute_path_is_refused(tmp_path: Path, secret: Path) -> None:
    scenario = scenario_naming(tmp_path, str(secret))
    error = refused(scenario, str(secret))
    assert "outside the project" in error.cause
    assert "harness_allow_images_outside_rootdir" in error.cause


def test_symlink_pointing_out_is_refused(tmp_path: Path, secret: Path) -> None:
    scenario = scenario_naming(tmp_path, "pic.png")
    (tmp_path / "project" / "scenarios" / "pic.png").symlink_to(secret)
    assert "outside the project" in refused(scenario, "pic.png").cause


def test_opting_out_allows_images_anywhere(tmp_path: Path, secret: Path) -> None:
    scenario = scenario_naming(tmp_path, "../../secret.png", images_anywhere=True)
    assert image_data_url(scenario, "../../secret.png", 1).startswith("data:image/png;base64,")


def test_image_root_above_the_scenario_folder_allows_siblings(tmp_path: Path) -> None:
    (tmp_path / "project" / "images").mkdir(parents=True)
    (tmp_path / "project" / "images" / "pic.png").write_bytes(b"\x89PNG")
    scenario = scenario_naming(tmp_path, "../images/pic.png", image_root=tmp_path / "project")
    assert image_data_url(scenario, "../images/pic.png", 1).startswith("data:image/png;base64,")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    scenario = scenario_naming(tmp_path, "pipe.png")
    os.mkfifo(tmp_path / "project" / "scenarios" / "pipe.png")
    assert "is not a regular file" in refused(scenario, "pipe.png").cause


def test_dev_zero_is_refused(tmp_path: Path) -> None:
    scenario = scenario_naming(tmp_path, "/dev/zero", images_anywhere=True)
    assert "is not a regular file" in refused(scenario, "/dev/zero").cause


def test_oversized_image_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = scenario_naming(tmp_path, "big.png")
    (tmp_path / "project" / "scenarios" / "big.png").write_bytes(b"x" * 2000)
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 1000)
    assert "2000 bytes, over the 1000-byte limit" in refused(scenario, "big.png").cause


def test_missing_image_is_located(tmp_path: Path) -> None:
    scenario = scenario_naming(tmp_path, "nope.png")
    assert "cannot read image 'nope.png'" in refused(scenario, "nope.png").cause


# --- wire shapes and display ---------------------------------------------------------------


def test_image_part_has_each_apis_wire_shape_and_keeps_detail(tmp_path: Path) -> None:
    (tmp_path / "project" / "scenarios").mkdir(parents=True)
    (tmp_path / "project" / "scenarios" / "pic.png").write_bytes(b"\x89PNG")
    scenario = scenario_naming(tmp_path, "pic.png")
    url = "data:image/png;base64,iVBORw=="
    part = {"image": "pic.png", "detail": "low"}
    assert image_part(scenario, part, 1, api="chat") == {
        "type": "image_url",
        "image_url": {"url": url, "detail": "low"},
    }
    assert image_part(scenario, part, 1, api="responses") == {
        "type": "input_image",
        "image_url": url,
        "detail": "low",
    }
    text = {"type": "text", "text": "hi"}
    assert image_part(scenario, text, 1, api="chat") == text


def test_image_url_of_reads_both_shapes_and_nothing_else() -> None:
    assert image_url_of({"type": "image_url", "image_url": {"url": "u1"}}) == "u1"
    assert image_url_of({"type": "input_image", "image_url": "u2"}) == "u2"
    assert image_url_of({"type": "text", "text": "u"}) is None
    assert image_url_of("image_url") is None


def test_short_image_url_shortens_data_urls_only() -> None:
    data = "data:image/png;base64," + "A" * 100
    assert short_image_url(data) == f"<data:image/png;base64, {len(data)} chars>"
    assert short_image_url("https://example.test/p.png") == "https://example.test/p.png"
