"""Build the tiny chat model that the local provider tier serves.

The model is made here, on the CPU, in a few seconds, instead of being downloaded or
committed: a byte-level BPE tokenizer trained on the dialogues (:mod:`.dialogues`), and a
two-layer Qwen2 network over-fitted on them (:mod:`.train`, settings in :mod:`.recipe`). The
same inputs give byte-identical files, so every machine (and every CI run) builds the same
model, stored as a hub-cache snapshot named by its cache key (:mod:`.cache`).

torch, transformers and tokenizers are imported lazily, inside the functions that need
them, so ``import harness.servers.localmodel`` works without them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.servers.localmodel.cache import build_key, install_snapshot, is_built, locked, repo_dir
from harness.servers.localmodel.dialogues import MODEL_ID
from harness.servers.localmodel.train import build_files


def build_tiny_model(*, hf_home: Path, seed: int = 0) -> str:
    """Build the tiny chat model under ``hf_home`` as a hub-cache snapshot; return its id.

    The model lands in ``hf_home/hub/models--local--tiny-chat`` (``refs/main``,
    ``blobs/``, ``snapshots/<revision>/``), where ``transformers serve`` finds and lists it
    with ``HF_HOME=hf_home HF_HUB_OFFLINE=1``. The revision is :func:`build_key`: when
    ``refs/main`` already names it and its files are present, nothing is built. A file
    lock (``hf_home/localmodel.lock``) keeps concurrent callers, such as pytest-xdist
    workers, from building at once; the later ones find the finished build.

    Raises:
        ConfigError: torch, transformers or their serving extras are not installed.
        HarnessError: training did not reproduce every trained reply.
    """
    hf_home = Path(hf_home)
    revision = build_key(seed=seed)
    repo = repo_dir(hf_home=hf_home)
    if is_built(repo, revision):
        return MODEL_ID
    with locked(hf_home / "localmodel.lock"):
        if is_built(repo, revision):
            return MODEL_ID
        work = Path(tempfile.mkdtemp(prefix="localmodel-build-", dir=hf_home))
        try:
            built = work / "model"
            build_files(built, seed=seed)
            install_snapshot(built=built, work=work, repo=repo, revision=revision)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return MODEL_ID
