"""The video backbone: the same numbers as open_clip, layer outputs, trainable parts, block replacement."""

from __future__ import annotations

import copy

import pytest
import torch
from open_clip.transformer import ResidualAttentionBlock
from torch import nn
from zsar_helpers import tiny_clip

from kgen.errors import InputError
from zsar.models.backbone import FrameAwareBlock, VideoBackbone


def _backbone() -> tuple[VideoBackbone, torch.nn.Module]:
    clip = copy.deepcopy(tiny_clip().model)
    return VideoBackbone(clip.visual, "kgen-tiny-vit"), clip


def _video(batch: int = 2, frames: int = 3, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def test_frame_embeddings_equal_encode_image_per_frame() -> None:
    backbone, clip = _backbone()
    video = _video()
    with torch.no_grad():
        ours = backbone.frame_features(video)
        theirs = clip.encode_image(video.flatten(0, 1)).unflatten(0, (2, 3))
    assert ours.shape == (2, 3, 32)
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_tokens_and_block_outputs_match_open_clip() -> None:
    backbone, clip = _backbone()
    video = _video(batch=1, frames=2)
    frames = video.flatten(0, 1)
    with torch.no_grad():
        out = backbone(video, keep=(0, 2), return_tokens=True)
        inter = clip.visual.forward_intermediates(frames, indices=[0, 2], output_fmt="NLC", output_extra_tokens=True)
        clip.visual.output_tokens = True
        _, tokens = clip.visual(frames)
    assert set(out.hidden) == {0, 2}
    for k, block in enumerate((0, 2)):
        hidden = out.hidden[block].flatten(0, 1)  # [B*T, 1 + 64, W]
        assert hidden.shape == (2, 65, 64)
        assert torch.allclose(hidden[:, 1:], inter["image_intermediates"][k], atol=1e-6)
        assert torch.allclose(hidden[:, :1], inter["image_intermediates_prefix"][k], atol=1e-6)
    assert torch.allclose(out.tokens.flatten(0, 1), tokens, atol=1e-6)
    # project(): tokens into the joint space; the class token projected is the frame embedding.
    projected = backbone.project(out.hidden[2].flatten(0, 1))
    assert torch.allclose(projected[:, 0], out.frame_embeddings.flatten(0, 1), atol=1e-5)
    assert torch.allclose(backbone.project(out.tokens, normed=True), tokens @ clip.visual.proj, atol=1e-6)


def test_shape_facts() -> None:
    backbone, _ = _backbone()
    assert (backbone.num_blocks, backbone.width, backbone.embed_dim, backbone.image_size) == (3, 64, 32, 64)
    assert backbone.grid_size == (8, 8) and backbone.num_tokens == 65


def test_set_trainable_and_only_those_parameters_get_gradients() -> None:
    backbone, _ = _backbone()
    backbone.set_trainable(blocks=range(-2, 0), embeddings=False, ln_post=False, proj=True)
    trainable = {name for name, p in backbone.named_parameters() if p.requires_grad}
    assert trainable
    assert all(name.startswith(("visual.transformer.resblocks.1.", "visual.transformer.resblocks.2.")) or name == "visual.proj"
               for name in trainable)
    assert "visual.proj" in trainable and not any("resblocks.0." in name for name in trainable)
    backbone.frame_features(_video()).square().sum().backward()
    for name, param in backbone.named_parameters():
        if name in trainable:
            assert param.grad is not None and param.grad.abs().sum() > 0, name
        else:
            assert param.grad is None, name


def test_set_trainable_rejects_a_missing_block() -> None:
    backbone, _ = _backbone()
    with pytest.raises(InputError, match="block 5 does not exist"):
        backbone.set_trainable(blocks=[5])


class CountingBlock(ResidualAttentionBlock, FrameAwareBlock):
    """The same block that also records how many frames the backbone said a clip has."""

    seen: list[int] = []

    def forward(self, x: torch.Tensor, *, num_frames: int) -> torch.Tensor:  # type: ignore[override]
        CountingBlock.seen.append(num_frames)
        assert x.shape[0] % num_frames == 0
        return super().forward(x)


class BlockWithExtra(ResidualAttentionBlock):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.extra = nn.Parameter(torch.zeros(4))


def _factory(cls: type) -> callable:
    def build(index: int, old: nn.Module) -> nn.Module:
        return cls(64, 2, 4.0, act_layer=type(old.mlp.gelu))

    return build


def test_replace_blocks_keeps_weights_and_passes_the_frame_count() -> None:
    backbone, _ = _backbone()
    video = _video(frames=4)
    with torch.no_grad():
        before = backbone.frame_features(video)
    backbone.set_trainable(blocks=[0], embeddings=False, ln_post=False, proj=False)
    CountingBlock.seen = []
    backbone.replace_blocks(_factory(CountingBlock))
    assert all(isinstance(block, CountingBlock) for block in backbone.blocks)
    with torch.no_grad():
        after = backbone.frame_features(video)
    assert torch.allclose(before, after, atol=1e-6)
    assert CountingBlock.seen == [4, 4, 4]
    # requires_grad flags are carried over from the replaced blocks.
    assert all(p.requires_grad for p in backbone.blocks[0].parameters())
    assert not any(p.requires_grad for p in backbone.blocks[1].parameters())


def test_replace_blocks_refuses_unexpected_new_weights_unless_allowed() -> None:
    backbone, _ = _backbone()
    with pytest.raises(ValueError, match="weights the original lacks"):
        backbone.replace_blocks(_factory(BlockWithExtra), indices=[-1])
    backbone.replace_blocks(_factory(BlockWithExtra), indices=[-1], allow_new_parameters=True)
    assert isinstance(backbone.blocks[2], BlockWithExtra) and not isinstance(backbone.blocks[0], BlockWithExtra)


def test_replace_blocks_refuses_a_block_that_cannot_hold_the_weights() -> None:
    backbone, _ = _backbone()

    def narrower(index: int, old: nn.Module) -> nn.Module:
        block = ResidualAttentionBlock(64, 2, 4.0)
        del block.ln_2  # a block without a place for ln_2's weights
        return block

    with pytest.raises(ValueError, match="no place for the weights"):
        backbone.replace_blocks(narrower, indices=[0])


def test_grad_checkpointing_gives_the_same_gradients() -> None:
    backbone, _ = _backbone()
    twin = copy.deepcopy(backbone)
    twin.set_grad_checkpointing(True)
    video = _video()
    backbone.frame_features(video).square().sum().backward()
    twin.frame_features(video).square().sum().backward()
    for (name, a), (_, b) in zip(backbone.named_parameters(), twin.named_parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-5), name


def test_frozen_copy_is_frozen_and_stays_in_eval_mode() -> None:
    backbone, _ = _backbone()
    teacher = backbone.frozen_copy()
    teacher.train()
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    assert all(p.requires_grad for p in backbone.parameters())
    with torch.no_grad():
        assert torch.allclose(teacher.frame_features(_video()), backbone.frame_features(_video()))


def test_a_tower_that_is_not_a_clip_vit_is_refused() -> None:
    with pytest.raises(InputError, match="VisionTransformer"):
        VideoBackbone(nn.Linear(3, 3), "RN50")
