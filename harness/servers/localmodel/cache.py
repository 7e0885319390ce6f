"""The build's cache key and its Hugging Face hub-cache layout under ``HF_HOME``.

The revision a build is stored under is a content hash of every build input, so a build
is reused exactly when nothing that shapes it changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from harness.errors import ConfigError
from harness.servers.localmodel import recipe
from harness.servers.localmodel.dialogues import MODEL_ID, TRAINED_DIALOGUES

BLOB_MTIME = 1_704_067_200
"""Fixed mtime of the blobs (2024-01-01 UTC): ``/v1/models`` reports it as ``created``."""

_REPO_DIRNAME = "models--" + MODEL_ID.replace("/", "--")
_PACKAGE = Path(__file__).parent
_BUILD_SOURCES = ("dialogues.py", "recipe.py", "train.py", "cache.py", "build.py")
"""The modules whose source shapes a build: any edit to them makes a new revision."""


def build_key(*, seed: int = 0) -> str:
    """The 40-hex content hash of every build input; it names the snapshot revision.

    It covers the dialogues, the chat template, the tokenizer, network and training
    settings, the seed, the versions of torch, transformers and tokenizers, and the source
    of the build's modules. Library versions are read from package metadata, without importing.
    """
    recipe.require_tier()
    source = b"".join((_PACKAGE / name).read_bytes() for name in _BUILD_SOURCES)
    inputs = {
        "recipe": recipe.RECIPE_VERSION,
        "model_id": MODEL_ID,
        "dialogues": [dataclasses.asdict(dialogue) for dialogue in TRAINED_DIALOGUES],
        "chat_template": recipe.CHAT_TEMPLATE,
        "tokenizer": {
            "special": recipe.SPECIAL_TOKENS,
            "added": recipe.PLAIN_ADDED_TOKENS,
            "eos": recipe.EOS_TOKEN,
            "pad": recipe.PAD_TOKEN,
            "vocab_size": recipe.VOCAB_SIZE,
            "pretokenize": recipe.PRETOKENIZE_REGEX,
        },
        "model_config": dict(recipe.MODEL_CONFIG),
        "train": {"steps": recipe.TRAIN_STEPS, "lr": recipe.LEARNING_RATE},
        "seed": seed,
        "versions": {name: importlib.metadata.version(name) for name in recipe.LIBRARIES},
        "source_sha256": hashlib.sha256(source).hexdigest(),
    }
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()[:40]


def repo_dir(*, hf_home: Path) -> Path:
    """The hub-cache repository folder of the model under ``hf_home``."""
    return Path(hf_home) / "hub" / _REPO_DIRNAME


def snapshot_dir(*, hf_home: Path) -> Path:
    """The folder of the built snapshot that ``refs/main`` points to.

    Raises:
        ConfigError: the model has not been built under ``hf_home``.
    """
    repo = repo_dir(hf_home=hf_home)
    ref = repo / "refs" / "main"
    if not ref.is_file():
        raise ConfigError(
            f"local model not built under {hf_home}: run python -m harness.servers.localmodel build"
        )
    return repo / "snapshots" / ref.read_text().strip()


def is_built(repo: Path, revision: str) -> bool:
    ref = repo / "refs" / "main"
    try:
        if ref.read_text() != revision:
            return False
    except OSError:
        return False
    snapshot = repo / "snapshots" / revision
    if not (snapshot / "config.json").exists() or not (snapshot / "model.safetensors").exists():
        return False
    # Every file in the snapshot must resolve to an existing blob.
    return all(path.exists() for path in snapshot.rglob("*"))


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def install_snapshot(*, built: Path, work: Path, repo: Path, revision: str) -> None:
    """Move the files in ``built`` into ``repo`` as hub-cache blobs plus a snapshot of links.

    The snapshot is staged in ``work`` and renamed into place, then ``refs/main`` is
    replaced: a reader sees the old complete snapshot or the new complete one.
    """
    blobs = repo / "blobs"
    snapshots = repo / "snapshots"
    blobs.mkdir(parents=True, exist_ok=True)
    snapshots.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)

    staging = work / "snapshot"
    keep: set[str] = set()
    for path in sorted(p for p in built.rglob("*") if p.is_file()):
        relative = path.relative_to(built)
        digest = _sha256_file(path)
        keep.add(digest)
        blob = blobs / digest
        if not blob.exists():
            os.replace(path, blob)
        os.chmod(blob, 0o644)
        os.utime(blob, (BLOB_MTIME, BLOB_MTIME))
        link = staging / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        up = "../" * (len(relative.parts) + 1)
        link.symlink_to(f"{up}blobs/{digest}")

    target = snapshots / revision
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)

    ref_tmp = work / "ref"
    ref_tmp.write_text(revision)
    os.replace(ref_tmp, repo / "refs" / "main")

    # Drop older builds: other snapshots and the blobs only they used.
    for other in snapshots.iterdir():
        if other.name != revision:
            shutil.rmtree(other, ignore_errors=True)
    for blob in blobs.iterdir():
        if blob.name not in keep:
            blob.unlink(missing_ok=True)
