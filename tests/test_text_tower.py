"""Fine-tuning the text tower from the bank's texts, and a trainable logit scale (issue 15, point 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from bank_helpers import bank_from_embeddings
from zsar_helpers import TINY, names_bank, synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.errors import InputError
from zsar.data import ClipDataset, EvalTransform, make_sampler, read_video_list
from zsar.engine import distributed
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.evaluate import EvalModel, EvalSettings, evaluate
from zsar.engine.rebuild import rebuild_model
from zsar.engine.train import Trainer, dataset_of
from zsar.models import build_model
from zsar.models.base import soft_cross_entropy
from zsar.models.textside import TextSide

CLASSES = ["archery", "bowling", "juggling balls", "surfing water"]


def _video(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def _tuned(name: str = "vifi-clip", **options):
    return build_model(name, backbone=TINY, pretrained="random", frames=4, text_tower="tuned", **options)


def test_a_tuned_tower_starts_from_the_banks_vectors() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=2))  # the tiny CLIP's own text vectors
    model = _tuned("ap-clip").eval()
    reencoded = model.text_for_evaluation(text)
    torch.testing.assert_close(reencoded.embeddings, text.bank.embeddings, atol=1e-5, rtol=0)
    frozen = build_model("ap-clip", backbone=TINY, pretrained="random", frames=4).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(_video(), reencoded).logits, frozen(_video(), text).logits, atol=1e-4, rtol=0)
    # the classifier and padded prompts of re-encoded texts are the bank's views of them
    torch.testing.assert_close(reencoded.classifier, text.classifier, atol=1e-5, rtol=0)
    torch.testing.assert_close(reencoded.prompts, text.prompts, atol=1e-5, rtol=0)
    assert torch.equal(reencoded.prompt_mask, text.prompt_mask)


def test_what_trains_in_the_text_tower() -> None:
    model = _tuned(train_logit_scale=True)
    tower = model.text_tower
    assert tower is not None and model.logit_scale.requires_grad
    assert not tower.token_embedding.weight.requires_grad  # ViFi-CLIP keeps token embeddings as a fixed buffer
    trained = {name for name, p in tower.named_parameters() if p.requires_grad}
    assert "positional_embedding" in trained and "text_projection" in trained and "ln_final.weight" in trained
    assert any(name.startswith("transformer.resblocks.1.") for name in trained)


def test_the_cached_gradient_equals_reencoding_inside_the_loss() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=2))
    video, labels = _video(3), torch.tensor([0, 2, 3])
    soft, valid = F.one_hot(labels, 4).float(), torch.ones(3, dtype=torch.bool)

    direct = _tuned("ap-clip", train_logit_scale=True)
    tokens = direct.text_tower.tokenize(text.texts)
    embeddings = direct.text_tower(tokens.ids, tokens.end_index)  # with gradient, inside the loss
    soft_cross_entropy(direct(video, text.with_embeddings(embeddings)).logits, soft, valid).backward()

    cached = _tuned("ap-clip", train_logit_scale=True)
    leaf = cached.text_tower.encode(tokens).requires_grad_(True)  # what the trainer does
    soft_cross_entropy(cached(video, text.with_embeddings(leaf)).logits, soft, valid).backward()
    cached.text_tower.backward_from(tokens, leaf.grad, chunk=3)  # chunks of 3 texts: the same gradient
    for (name, a), (_, b) in zip(direct.named_parameters(), cached.named_parameters(), strict=True):
        if a.grad is None:
            assert b.grad is None, name
            continue
        torch.testing.assert_close(b.grad, a.grad, atol=1e-6, rtol=1e-4, msg=name)
    assert direct.text_tower.positional_embedding.grad.abs().sum() > 0 and direct.logit_scale.grad.abs() > 0


def test_the_logit_scale_of_openai_weights_gets_a_gradient() -> None:
    # OpenAI's weights are fp16: their logit scale ln(100) is stored as 4.60546875, just above ln(100).
    model = build_model("vifi-clip", backbone=TINY, pretrained="random", frames=4, train_logit_scale=True)
    with torch.no_grad():
        model.logit_scale.fill_(4.60546875)
    text = TextSide(names_bank(CLASSES))
    soft_cross_entropy(model(_video(), text).logits, F.one_hot(torch.tensor([1, 2]), 4).float(),
                       torch.ones(2, dtype=torch.bool)).backward()
    assert model.logit_scale.grad is not None and model.logit_scale.grad.abs() > 0
    assert float(model.scale().detach()) == pytest.approx(100.03, abs=0.01)  # exp(4.60546875), not capped


def test_banks_of_another_clip_and_models_without_text_tuning_are_refused() -> None:
    model = _tuned()
    other = TextSide(bank_from_embeddings([torch.randn(1, 32) for _ in CLASSES], class_names=CLASSES, clip_model="ViT-B-16"))
    with pytest.raises(InputError, match="re-encodes the bank's texts"):
        model.check_text(other)
    with pytest.raises(InputError, match="cannot fine-tune the text tower"):
        build_model("da-sti", backbone=TINY, pretrained="random", text_tower="tuned")
    with pytest.raises(InputError, match="fixed 1/tau"):
        build_model("sc-clip", backbone=TINY, pretrained="random", train_logit_scale=True)


def _tower_state(path: Path) -> dict[str, torch.Tensor]:
    state = load_checkpoint(path)["model"]
    return {k: v for k, v in state.items() if k.startswith("text_tower.")}


def test_training_re_encodes_every_n_steps_and_resumes_exactly(tmp_path: Path, synthetic) -> None:  # noqa: F811
    config = tiny_run_config(
        synthetic,
        model={"name": "ap-clip", "backbone": TINY, "pretrained": "random", "frames": 4, "text_tower": "tuned",
               "text_update_every": 2, "train_logit_scale": True},
        optim={"epochs": 2, "global_batch_size": 4, "lr": 1e-3},
        train={"checkpoint_every_steps": 1},
    )
    bank = synthetic_bank(synthetic)
    states, scales = [], []
    initial = build_model("ap-clip", config.model).state_dict()
    states.append({k: v for k, v in initial.items() if k.startswith("text_tower.")})
    for step in (1, 2, 3):
        Trainer(config, bank=bank, run_dir=tmp_path / "stepped", max_steps=step, show_progress=False).run()
        states.append(_tower_state(tmp_path / "stepped"))
        scales.append(float(load_checkpoint(tmp_path / "stepped")["model"]["logit_scale"]))

    def moved(a: dict, b: dict) -> set[str]:
        return {k for k in a if not torch.equal(a[k], b[k])}

    assert "text_tower.token_embedding.weight" not in moved(states[0], states[3])  # never trains
    assert moved(states[0], states[1])  # step 1 re-encodes with gradient: the tower moves
    assert not moved(states[1], states[2])  # step 2 reuses step 1's embeddings: no gradient, no update
    assert moved(states[2], states[3])  # step 3 re-encodes again
    assert len(set(scales)) == 3  # the logit scale trains every step
    # The run resumed at every step equals an uninterrupted one (the embeddings reused at step 2 are in the checkpoint).
    straight = Trainer(config, bank=bank, run_dir=tmp_path / "straight", max_steps=3, show_progress=False).run()
    a, b = load_checkpoint(straight.checkpoint)["model"], load_checkpoint(tmp_path / "stepped")["model"]
    for key in a:
        torch.testing.assert_close(b[key], a[key], atol=1e-6, rtol=0, msg=key)


def test_evaluation_scores_against_the_texts_re_encoded_by_the_trained_tower(tmp_path: Path, synthetic) -> None:  # noqa: F811
    config = tiny_run_config(
        synthetic,
        model={"name": "vifi-clip", "backbone": TINY, "pretrained": "random", "frames": 4, "text_tower": "tuned"},
        optim={"epochs": 1, "global_batch_size": 4, "lr": 1e-2},
        eval={"temporal_views": 1, "spatial_crops": 1, "aggregation": "mean-logits"},
    )
    bank = synthetic_bank(synthetic)
    result = Trainer(config, bank=bank, run_dir=tmp_path / "run", show_progress=False).run()
    model, _ = rebuild_model(load_checkpoint(result.checkpoint))
    text = TextSide(bank)
    reencoded = model.text_for_evaluation(text)
    assert not torch.allclose(reencoded.embeddings, text.bank.embeddings, atol=1e-3)  # the tower has moved
    report = evaluate(
        "list", dataset_of(config), [EvalModel("tuned", model, str(result.checkpoint))], bank,
        EvalSettings(workers=0), distributed.init_distributed("cpu"), video_root=synthetic.root,
        lists=[str(synthetic.list_file)], show_progress=False,
    )
    first = report.runs[0].lists[0].predictions[0]
    index = read_video_list(synthetic.list_file, dataset=dataset_of(config), video_root=synthetic.root)
    clips = ClipDataset(index, make_sampler("segment", 4), eval_transform=EvalTransform(64), temporal_views=1)
    with torch.no_grad():
        logits = model(clips[0]["video"], reencoded).logits[0]
        bank_logits = model(clips[0]["video"], text).logits[0]
    assert first.video == str(index.records[0].path.relative_to(synthetic.root))
    assert first.scores[0] == pytest.approx(float(logits.max()), abs=1e-3)
    assert first.top[0] == int(logits.argmax())
    assert not torch.allclose(logits, bank_logits, atol=1e-3)
