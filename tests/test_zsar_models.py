"""The models: untrained scores equal frozen open_clip's, what trains, the registry, test-view aggregation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from zsar_helpers import TINY, names_bank, tiny_clip

from kgen.errors import InputError
from zsar.models import build_model, register_model
from zsar.models.ap_clip.model import APClip
from zsar.models.config import ModelConfig
from zsar.models.registry import available_models, make_config
from zsar.models.similarity import late_interaction
from zsar.models.textside import TextSide
from zsar.models.vifi_clip.model import ViFiClip

CLASSES = ["archery", "bowling", "juggling balls", "surfing water"]


def _video(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def _frozen_frames(video: torch.Tensor) -> torch.Tensor:
    """What frozen open_clip gives: encode_image on every frame."""
    with torch.no_grad():
        return tiny_clip().model.encode_image(video.flatten(0, 1)).unflatten(0, video.shape[:2])


def test_vifi_clip_before_training_scores_like_frozen_open_clip() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=3))
    model = build_model("vifi-clip", backbone=TINY, pretrained="random").eval()
    video = _video()
    with torch.no_grad():
        logits = model(video, text).logits
    frames = _frozen_frames(video)
    video_vec = F.normalize(frames.mean(dim=1), dim=-1)  # frame embeddings averaged, then normalised (ViFi-CLIP)
    expected = tiny_clip().model.logit_scale.exp() * video_vec @ text.bank.classifier().t()
    assert torch.allclose(logits, expected, atol=1e-5)


def test_ap_clip_before_training_scores_the_late_interaction_of_frozen_open_clip() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=3))
    model = build_model("ap-clip", backbone=TINY, pretrained="random").eval()
    video = _video()
    with torch.no_grad():
        logits = model(video, text).logits
    prompts, mask = text.bank.padded()
    expected = tiny_clip().model.logit_scale.exp() * late_interaction(_frozen_frames(video), prompts, mask)
    assert torch.allclose(logits, expected, atol=1e-5)


def test_ap_clip_with_one_prompt_and_mean_pooling_is_vifi_clip() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=1))
    ap = build_model("ap-clip", backbone=TINY, pretrained="random", similarity="mean-pool").eval()
    vifi = build_model("vifi-clip", backbone=TINY, pretrained="random").eval()
    video = _video(frames=6)
    with torch.no_grad():
        assert torch.allclose(ap(video, text).logits, vifi(video, text).logits, atol=1e-6)


def test_ap_clip_with_one_prompt_and_one_frame_is_scaled_cosine() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=1))
    model = build_model("ap-clip", backbone=TINY, pretrained="random", frames=1).eval()
    video = _video(frames=1)
    frame = F.normalize(_frozen_frames(video)[:, 0], dim=-1)
    expected = model.scale() * frame @ F.normalize(text.bank.embeddings, dim=-1).t()
    with torch.no_grad():
        assert torch.allclose(model(video, text).logits, expected, atol=1e-5)


def test_only_the_parameters_meant_to_train_receive_gradients() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=2))
    model = build_model("ap-clip", backbone=TINY, pretrained="random")
    assert not model.logit_scale.requires_grad
    assert model.tunable_parameter_count() == model.total_parameter_count() - 1
    model(_video(), text).logits.logsumexp(dim=-1).sum().backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and param.grad.abs().sum() > 0, name
        else:
            assert param.grad is None, name
    # The text side never trains: it is a bank, not a module of the model.
    assert not text.bank.embeddings.requires_grad


def test_a_trainable_logit_scale_gets_a_gradient() -> None:
    text = TextSide(names_bank(CLASSES))
    model = build_model("vifi-clip", backbone=TINY, pretrained="random", train_logit_scale=True)
    model(_video(), text).logits.logsumexp(dim=-1).sum().backward()
    assert model.logit_scale.grad is not None and model.logit_scale.grad.abs() > 0


def test_a_model_that_trains_only_some_blocks() -> None:
    @register_model("test-last-block")
    class LastBlockOnly(ViFiClip):
        def configure_trainable(self) -> None:
            self.backbone.set_trainable(blocks=[-1], embeddings=False, ln_post=False, proj=False)

    text = TextSide(names_bank(CLASSES))
    model = build_model("test-last-block", backbone=TINY, pretrained="random")
    model(_video(), text).logits.logsumexp(dim=-1).sum().backward()
    with_grad = {name for name, p in model.named_parameters() if p.grad is not None}
    assert with_grad and all(name.startswith("backbone.visual.transformer.resblocks.2.") for name in with_grad)


def test_view_aggregations() -> None:
    text = TextSide(names_bank(CLASSES, prompts_per_class=2))
    model = build_model("ap-clip", backbone=TINY, pretrained="random").eval()
    views = torch.randn(2, 3, 4, 3, 64, 64, generator=torch.Generator().manual_seed(3))  # [B, V, T, ...]
    with torch.no_grad():
        per_view = torch.stack([model(views[:, v], text).logits for v in range(3)], dim=1)
        assert torch.allclose(model.view_scores(views, text, "mean-logits"), per_view.mean(dim=1), atol=1e-5)
        assert torch.allclose(model.view_scores(views, text, "mean-softmax"), per_view.softmax(-1).mean(dim=1), atol=1e-6)
        joint = model.view_scores(views, text, "joint-frames")
        frames = model.frame_embeddings(views.flatten(1, 2))  # the 12 frames of all views as one clip
        assert torch.allclose(joint, model.scale() * late_interaction(frames, text.prompts, text.prompt_mask), atol=1e-5)
    with pytest.raises(InputError, match="unknown view aggregation"):
        model.view_scores(views, text, "vote")


def test_a_bank_of_another_width_is_refused() -> None:
    model = build_model("ap-clip", backbone=TINY, pretrained="random")
    wide = TextSide(names_bank(CLASSES)).bank
    from bank_helpers import bank_from_embeddings

    other = TextSide(bank_from_embeddings([torch.randn(1, 64) for _ in CLASSES], class_names=CLASSES))
    model.check_text(TextSide(wide))
    with pytest.raises(InputError, match="64-d text vectors"):
        model.check_text(other)


def test_registry_names_and_errors() -> None:
    assert {"vifi-clip", "ap-clip", "stdd", "sc-clip", "da-sti"} <= set(available_models())
    with pytest.raises(InputError, match="unknown model 'xclip'"):
        build_model("xclip")
    with pytest.raises(Exception, match="similarty"):
        make_config("ap-clip", {"similarty": "late-interaction"})
    config = make_config("ap-clip", {"backbone": TINY})
    assert isinstance(config, APClip.CONFIG) and config.similarity == "late-interaction"
    with pytest.raises(ValueError, match="already registered"):
        register_model("ap-clip")(type("Other", (APClip,), {}))


@pytest.mark.parametrize("name", ["vifi-clip", "ap-clip", "stdd", "sc-clip", "da-sti"])
def test_every_model_shares_the_common_options_and_their_defaults(name: str) -> None:
    config = make_config(name)
    assert isinstance(config, ModelConfig)
    # Without a recipe: ViT-B/16 with OpenAI's weights, 8 frames, frozen text side and logit scale.
    assert (config.backbone, config.pretrained, config.frames) == ("ViT-B-16", "openai", 8)
    assert (config.text_tower, config.text_update_every, config.train_logit_scale) == ("frozen", 1, False)
    with pytest.raises(Exception, match="text_update_every"):
        make_config(name, {"text_update_every": 0})
