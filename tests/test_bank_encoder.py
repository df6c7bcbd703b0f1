"""The text encoder: equal to open_clip's own encode_text, the length cut proven exact, token features."""

from __future__ import annotations

import open_clip
import pytest
import torch
from torch import nn

from kgen.banks.encoder import TextEncoder, tower_parts
from kgen.clip import LoadedClip, load_clip
from kgen.errors import InputError

TEXTS = [
    "a photo of a brush hair.",
    "a video of a person doing push ups while singing loudly in the park at night",
    "x",
    "hello! world!",  # '!' is token id 0, the padding id: the end token must still be found
    "a demonstration of a person practicing apply eye makeup.",
    "word " * 100,  # 102 tokens: truncated to the 77-token context
    "a photo of a brush hair.",  # a duplicate
]


@pytest.fixture(scope="module")
def tiny() -> LoadedClip:
    return load_clip("kgen-tiny-vit", "random", seed=3)


def _custom_text_clip(causal: bool) -> nn.Module:
    torch.manual_seed(5)
    model = open_clip.model.CustomTextCLIP(
        embed_dim=32,
        vision_cfg=open_clip.model.CLIPVisionCfg(image_size=32, layers=1, width=64, head_width=32, patch_size=16),
        text_cfg=open_clip.model.CLIPTextCfg(context_length=77, vocab_size=49408, width=64, heads=2, layers=2, no_causal_mask=not causal),
    )
    return model.eval()


def _reference(model: nn.Module, texts: list[str]) -> torch.Tensor:
    with torch.inference_mode():
        return model.encode_text(open_clip.get_tokenizer("ViT-B-16")(texts), normalize=True)


class _Recorder:
    """Records the sequence length of every batch the text transformer sees."""

    def __init__(self, module: nn.Module) -> None:
        self.lengths: list[int] = []
        self.handle = module.register_forward_pre_hook(lambda _m, args, kwargs: self.lengths.append(args[0].shape[1]), with_kwargs=True)

    def close(self) -> None:
        self.handle.remove()


def test_bank_vectors_equal_open_clip_encode_text(tiny: LoadedClip) -> None:
    encoder = TextEncoder(tiny.model, tiny.tokenizer, batch_size=3)
    encoded = encoder.encode(TEXTS)
    reference = _reference(tiny.model, TEXTS)
    assert encoder.length_cut and encoder.causal_mask
    assert encoded.embeddings.dtype == torch.float32 and encoded.embeddings.shape == (len(TEXTS), 32)
    assert torch.allclose(encoded.embeddings, reference, atol=1e-6, rtol=0)
    assert torch.allclose(encoded.embeddings.norm(dim=-1), torch.ones(len(TEXTS)), atol=1e-6)


def test_length_cut_equals_full_length_and_really_cuts(tiny: LoadedClip) -> None:
    recorder = _Recorder(tiny.model.transformer)
    try:
        cut = TextEncoder(tiny.model, tiny.tokenizer, batch_size=2).encode(TEXTS, token_features=True)
        cut_lengths, recorder.lengths = list(recorder.lengths), []
        full = TextEncoder(tiny.model, tiny.tokenizer, batch_size=2, length_cut=False).encode(TEXTS, token_features=True)
        full_lengths = list(recorder.lengths)
    finally:
        recorder.close()
    assert full_lengths and set(full_lengths) == {77}
    # Sorted by length: the short texts go first, in batches far shorter than 77 tokens.
    assert cut_lengths == sorted(cut_lengths) and cut_lengths[0] < 10 and cut_lengths[-1] == 77
    assert sum(cut_lengths) < sum(full_lengths) / 2
    assert torch.allclose(cut.embeddings, full.embeddings, atol=1e-6, rtol=0)
    assert cut.token_features is not None and full.token_features is not None
    # Token features are not normalised (entries up to ~3): equal to float32 rounding, 1e-6 relative.
    scale = float(full.token_features.abs().max())
    assert torch.allclose(cut.token_features, full.token_features, atol=1e-6 * scale, rtol=0)
    assert torch.equal(cut.token_mask, full.token_mask)


def test_token_features_equal_a_direct_computation(tiny: LoadedClip) -> None:
    texts = TEXTS[:5]
    encoder = TextEncoder(tiny.model, tiny.tokenizer, batch_size=4)
    encoded = encoder.encode(texts, token_features=True)
    ids = tiny.tokenizer(texts)
    with torch.inference_mode():
        # open_clip's own full-length pass: last block's output, final layer norm, text projection.
        out = tiny.model.forward_intermediates(text=ids, text_indices=1, normalize_intermediates=True, intermediates_only=True)
        direct = out["text_intermediates"][-1] @ tiny.model.text_projection
    features, mask = encoded.token_features, encoded.token_mask
    assert features is not None and mask is not None
    end = ids.argmax(dim=-1)
    assert torch.equal(encoded.end_index, end)
    assert features.shape == (5, int(end.max()) + 1, 32) and mask.dtype == torch.bool
    scale = float(direct.abs().max())  # features are not normalised: compare to 1e-6 of their range
    for i, text in enumerate(texts):
        e = int(end[i])
        assert torch.allclose(features[i, : e + 1], direct[i, : e + 1], atol=1e-6 * scale, rtol=0)
        assert torch.all(features[i, e + 1 :] == 0)
        # The mask marks the word tokens only: not the start token, not the end token, not padding.
        assert mask[i].tolist() == [0 < p < e for p in range(features.shape[1])]
        assert int(mask[i].sum()) == len(tiny.tokenizer.encode(text))
        # The end token's feature is the pooled embedding before normalisation.
        assert torch.allclose(torch.nn.functional.normalize(features[i, e], dim=0), encoded.embeddings[i], atol=1e-6)


def test_truncated_texts_are_counted(tiny: LoadedClip) -> None:
    encoder = TextEncoder(tiny.model, tiny.tokenizer)
    tokens = encoder.tokenize(TEXTS + ["word " * 75, "word " * 76])
    # 75 words + start + end = 77 tokens fit; 76 words do not.
    assert tokens.truncated_indices == [5, 8]
    assert tokens.token_counts[5] == 102 and tokens.token_counts[7] == 77
    assert int(tokens.end_index[5]) == 76  # the tokenizer keeps the end token at the last position


def test_duplicates_are_encoded_once(tiny: LoadedClip) -> None:
    recorder = _Recorder(tiny.model.transformer)
    try:
        encoded = TextEncoder(tiny.model, tiny.tokenizer, batch_size=100).encode(["same text"] * 5 + ["other"])
    finally:
        recorder.close()
    assert len(recorder.lengths) == 1
    assert torch.equal(encoded.embeddings[0], encoded.embeddings[4])
    assert torch.allclose(encoded.embeddings, _reference(tiny.model, ["same text"] * 5 + ["other"]), atol=1e-6, rtol=0)


def test_custom_text_clip_with_causal_mask_is_cut_through_model_text() -> None:
    model = _custom_text_clip(causal=True)
    tokenizer = open_clip.get_tokenizer("ViT-B-16")
    encoder = TextEncoder(model, tokenizer, batch_size=3)
    parts = tower_parts(model)
    assert parts is not None and parts.transformer is model.text.transformer
    assert encoder.length_cut
    assert torch.allclose(encoder.encode(TEXTS).embeddings, _reference(model, TEXTS), atol=1e-6, rtol=0)


def test_bidirectional_tower_falls_back_to_full_length() -> None:
    model = _custom_text_clip(causal=False)
    tokenizer = open_clip.get_tokenizer("ViT-B-16")
    encoder = TextEncoder(model, tokenizer, batch_size=3)
    assert not encoder.causal_mask and not encoder.length_cut
    encoded = encoder.encode(TEXTS, token_features=True)
    assert torch.allclose(encoded.embeddings, _reference(model, TEXTS), atol=1e-6, rtol=0)
    # Why the fallback is needed: without a causal mask, cutting the padding changes the numbers.
    ids = tokenizer(TEXTS[:1])
    end = ids.argmax(dim=-1)
    with torch.inference_mode():
        cut, _ = encoder._forward(ids[:, : int(end[0]) + 1], end, False)
        full, _ = encoder._forward(ids, end, False)
    assert float((cut - full).abs().max()) > 1e-3


def test_causal_clip_built_without_mask_is_not_cut() -> None:
    torch.manual_seed(0)
    model = open_clip.model.CLIP(
        embed_dim=32,
        vision_cfg=open_clip.model.CLIPVisionCfg(image_size=32, layers=1, width=64, head_width=32, patch_size=16),
        text_cfg=open_clip.model.CLIPTextCfg(width=64, heads=2, layers=2, no_causal_mask=True),
    ).eval()
    encoder = TextEncoder(model, open_clip.get_tokenizer("ViT-B-16"))
    assert model.attn_mask is None and not encoder.length_cut
    assert torch.allclose(encoder.encode(TEXTS).embeddings, _reference(model, TEXTS), atol=1e-6, rtol=0)


class _BlackBoxText(nn.Module):
    """A text tower that is not an open_clip TextTransformer (as a Hugging Face tower is not)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(49408, 16, mode="mean")
        self.context_length = 77

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids)


def test_black_box_tower_uses_the_models_own_encode_text() -> None:
    model = _custom_text_clip(causal=True)
    model.text = _BlackBoxText()
    tokenizer = open_clip.get_tokenizer("ViT-B-16")
    encoder = TextEncoder(model, tokenizer, batch_size=2)
    assert tower_parts(model) is None and not encoder.length_cut and not encoder.supports_token_features
    encoded = encoder.encode(TEXTS)
    assert encoded.embeddings.shape == (len(TEXTS), 16)
    assert torch.allclose(encoded.embeddings, _reference(model, TEXTS), atol=1e-6, rtol=0)
    with pytest.raises(InputError, match="no per-token features"):
        encoder.encode(TEXTS, token_features=True)


def test_gpu_precisions_are_refused_on_cpu(tiny: LoadedClip) -> None:
    with pytest.raises(InputError, match="needs a GPU"):
        TextEncoder(tiny.model, tiny.tokenizer, precision="bf16")
    assert TextEncoder(tiny.model, tiny.tokenizer).compute_dtype_name == "float32"
    with pytest.raises(InputError, match="at least 1"):
        TextEncoder(tiny.model, tiny.tokenizer, batch_size=0)
