"""Write the checkpoints that tests/test_layout.py reads: one unfinished tiny run per model.

Run once, by the code *before* issue 19's move (commit d27646a), from the repository root:

    PYTHONPATH=$PWD:$PWD/tests python tests/data/layout/make_checkpoints.py

It records, in ``logits.json``, each registered model's logits in eval mode for a fixed random
clip against a fixed random bank: the model built afresh on the tiny random CLIP (torch seed 0),
and DA-STI after one training step. For that step it trains DA-STI on synthetic videos with
``max_steps=1`` (an unfinished run, as a run interrupted by the move would be) and keeps the
run's ``last.pt`` (model, optimizer, scheduler, generators, fingerprint) as ``da-sti.pt``; one
model's file is enough, as nothing in a checkpoint depends on the model (1.1 MB; all five would
be 10 MB). After the move the test checks that every model built afresh still gives the same
logits, that ``da-sti.pt`` loads with the new code, that its config still has the stored
fingerprint (so the run resumes), that its optimizer state still fits, and that the rebuilt
model gives the same logits.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import torch
from dasti_helpers import attributes_bank
from zsar_helpers import TINY, tiny_run_config

from zsar.data.synthetic import make_synthetic_dataset
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.rebuild import rebuild_model
from zsar.engine.train import Trainer
from zsar.models import available_models, build_model
from zsar.models.textside import TextSide
from zsar.models.textside import synthetic_bank as random_bank

HERE = Path(__file__).resolve().parent
FRAMES = 4
# What the tiny ViT (3 blocks) needs from some models; every other option is the model's default.
OPTIONS: dict[str, dict] = {"sc-clip": {"trainable_blocks": [2]}}


def probe_clip() -> torch.Tensor:
    """A fixed clip ``[2, T, 3, 64, 64]``."""
    return torch.randn(2, FRAMES, 3, 64, 64, generator=torch.Generator().manual_seed(19))


def probe_text(model_name: str) -> TextSide:
    """A fixed random bank of 5 classes x 3 texts (with token features for DA-STI)."""
    return TextSide(random_bank(5, 3, 32, seed=19, tokens_per_text=6 if model_name == "da-sti" else 0))


def fresh_logits(name: str) -> list:
    """Model ``name`` built afresh on the tiny random CLIP (torch seed 0), scoring the probe."""
    torch.manual_seed(0)
    model = build_model(name, backbone=TINY, pretrained="random", frames=FRAMES, **OPTIONS.get(name, {})).eval()
    with torch.no_grad():
        return model(probe_clip(), probe_text(name)).logits.tolist()


def unfinished_da_sti_run(tmp: Path) -> list:
    """One DA-STI training step on synthetic videos; its ``last.pt`` kept; the rebuilt model's logits."""
    videos = make_synthetic_dataset(tmp / "videos", num_classes=4, videos_per_class=1)
    bank = attributes_bank(videos.class_names, dataset=Path(videos.classes_file).stem)
    config = tiny_run_config(
        videos,
        model={"name": "da-sti", "backbone": TINY, "pretrained": "random", "frames": FRAMES},
        optim={"epochs": 2, "global_batch_size": 2, "lr": 1e-3},
    )
    result = Trainer(config, bank=bank, run_dir=tmp / "run", show_progress=False, max_steps=1).run()
    assert not result.finished and result.global_step == 1
    shutil.copy(tmp / "run" / "checkpoints" / "last.pt", HERE / "da-sti.pt")
    model, _ = rebuild_model(load_checkpoint(HERE / "da-sti.pt"))
    with torch.no_grad():
        return model(probe_clip(), probe_text("da-sti")).logits.tolist()


def main() -> None:
    logits = {f"{name} fresh": fresh_logits(name) for name in available_models()}
    with tempfile.TemporaryDirectory() as tmp:
        logits["da-sti trained"] = unfinished_da_sti_run(Path(tmp))
    (HERE / "logits.json").write_text(json.dumps(logits, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
