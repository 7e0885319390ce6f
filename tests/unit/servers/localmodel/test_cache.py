"""The build's hub-cache layout and its cache key's inputs (no training here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.servers.localmodel import cache, recipe


def test_snapshot_dir_of_an_unbuilt_home_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"python -m harness\.servers\.localmodel build"):
        cache.snapshot_dir(hf_home=tmp_path)


def test_install_snapshot_lays_out_blobs_links_and_ref(tmp_path: Path) -> None:
    repo = cache.repo_dir(hf_home=tmp_path)
    assert repo == tmp_path / "hub" / "models--local--tiny-chat"
    for revision, weights in (("rev1", b"old"), ("rev2", b"new")):
        work = tmp_path / f"work-{revision}"
        built = work / "model"
        built.mkdir(parents=True)
        (built / "config.json").write_text("{}")
        (built / "model.safetensors").write_bytes(weights)
        assert not cache.is_built(repo, revision)
        cache.install_snapshot(built=built, work=work, repo=repo, revision=revision)
        assert cache.is_built(repo, revision)
    snapshot = cache.snapshot_dir(hf_home=tmp_path)
    assert snapshot == repo / "snapshots" / "rev2"
    assert (snapshot / "model.safetensors").read_bytes() == b"new"
    assert os.readlink(snapshot / "config.json").startswith("../../blobs/")
    assert [p.name for p in (repo / "snapshots").iterdir()] == ["rev2"]  # older build dropped
    assert len(list((repo / "blobs").iterdir())) == 2
    assert {p.stat().st_mtime for p in (repo / "blobs").iterdir()} == {cache.BLOB_MTIME}
    (repo / "blobs" / os.readlink(snapshot / "config.json").rsplit("/", 1)[1]).unlink()
    assert not cache.is_built(repo, "rev2")  # a dangling link is not a build


def test_build_key_needs_the_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recipe, "missing_requirements", lambda: ("torch",))
    with pytest.raises(ConfigError, match=r"pip install 'pytest-llm-harness\[local\]'"):
        cache.build_key()


def test_every_build_source_is_a_module_of_the_package() -> None:
    # A renamed module would otherwise break every build key, or drop out of it unseen.
    package = Path(cache.__file__).parent
    assert {(package / name).is_file() for name in cache._BUILD_SOURCES} == {True}
    modules = {p.name for p in package.glob("*.py")} - {"__init__.py", "__main__.py", "server.py"}
    assert set(cache._BUILD_SOURCES) == modules
