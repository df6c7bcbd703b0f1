"""The bank object and its files: classifier, padding, subsets, and every load failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from kgen.banks import load_bank
from kgen.errors import FormatError, InputError
from tests.bank_helpers import bank_from_embeddings, saved


def _toy(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return bank_from_embeddings([torch.randn(n, 8, generator=g) for n in (3, 1, 2)], class_names=["a", "b", "c"])


def test_classifier_is_the_renormalised_mean_of_normalised_prompts() -> None:
    bank = _toy()
    rows = torch.nn.functional.normalize(torch.cat([bank.class_embeddings(k) for k in range(3)]), dim=-1)
    expected = torch.stack(
        [torch.nn.functional.normalize(rows[s:e].mean(0), dim=0) for s, e in ((0, 3), (3, 4), (4, 6))]
    )
    assert torch.allclose(bank.classifier(), expected, atol=1e-6)
    assert torch.allclose(bank.classifier().norm(dim=-1), torch.ones(3), atol=1e-6)


def test_padded_view_and_mask() -> None:
    bank = _toy()
    padded, mask = bank.padded()
    assert padded.shape == (3, 3, 8) and mask.tolist() == [[True] * 3, [True, False, False], [True, True, False]]
    assert torch.equal(padded[2, :2], bank.class_embeddings(2)) and torch.all(padded[1, 1:] == 0)


def test_subset_follows_the_given_order() -> None:
    bank = _toy()
    sub = bank.subset([2, 0])
    assert sub.class_names == ["c", "a"] and sub.texts_per_class == [2, 3]
    assert torch.equal(sub.class_embeddings(0), bank.class_embeddings(2))
    assert sub.texts == bank.class_texts(2) + bank.class_texts(0)
    with pytest.raises(InputError, match="no class with id"):
        bank.subset([7])


def test_save_load_round_trip_and_no_overwrite(tmp_path: Path) -> None:
    bank = _toy()
    path = saved(bank, tmp_path)
    loaded = load_bank(path, verify=True)
    assert torch.equal(loaded.embeddings, bank.embeddings) and loaded.class_names == ["a", "b", "c"]
    assert loaded.manifest.tensors_sha256 and loaded.manifest.content_hash == bank.manifest.content_hash
    with pytest.raises(InputError, match="never overwritten"):
        bank.save(path)
    assert load_bank(str(path), dtype=torch.float16).embeddings.dtype == torch.float16


def test_load_by_id_and_prefix_from_the_workspace(isolated_workspace: Path) -> None:
    bank = _toy()
    saved(bank, isolated_workspace / "banks")
    assert load_bank(bank.bank_id).bank_id == bank.bank_id
    assert load_bank(bank.bank_id[:8]).bank_id == bank.bank_id
    with pytest.raises(FormatError, match="no bank at"):
        load_bank("missing-bank")


def test_mismatched_model_or_width_is_refused(tmp_path: Path) -> None:
    path = saved(_toy(), tmp_path)
    with pytest.raises(InputError, match="8-d vectors but the model embeds into 512"):
        load_bank(path, expect_dim=512)
    with pytest.raises(InputError, match="encoded with kgen-tiny-vit, the run uses ViT-B-16"):
        load_bank(path, expect_clip="ViT-B-16")


def test_corrupt_or_changed_files_are_refused(tmp_path: Path) -> None:
    path = saved(_toy(), tmp_path)
    tensors = path / "bank.safetensors"
    original = tensors.read_bytes()
    tensors.write_bytes(original[:-7] + b"garbage")
    with pytest.raises(FormatError, match="is damaged: bank.safetensors has sha256"):
        load_bank(path, verify=True)
    tensors.write_bytes(b"not a safetensors file at all")
    with pytest.raises(FormatError, match="corrupt"):
        load_bank(path)
    tensors.write_bytes(original)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="newer than this kgen reads"):
        load_bank(path)
    manifest["format_version"] = 2
    manifest["class_offsets"] = [0, 2, 3, 6]
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="class_offsets differ"):
        load_bank(path)
    (path / "bank.safetensors").unlink()
    with pytest.raises(FormatError, match="bank.safetensors is missing"):
        load_bank(path)


def test_token_features_travel_with_subsets(tmp_path: Path) -> None:
    feats = [torch.randn(1, 5, 8), torch.randn(1, 5, 8)]
    masks = [torch.tensor([[0, 1, 1, 0, 0]]), torch.tensor([[0, 1, 1, 1, 0]])]
    bank = bank_from_embeddings([torch.randn(1, 8), torch.randn(1, 8)], token_features=feats, token_mask=masks)
    loaded = load_bank(saved(bank, tmp_path))
    assert loaded.token_mask is not None and loaded.token_mask.dtype == torch.bool
    sub = loaded.subset([1])
    assert sub.token_features is not None and torch.equal(sub.token_features[0], feats[1][0])
    assert sub.token_mask is not None and sub.token_mask[0].tolist() == [False, True, True, True, False]


def test_token_feature_length_must_match_the_manifest(tmp_path: Path) -> None:
    feats = [torch.randn(1, 5, 8)]
    bank = bank_from_embeddings([torch.randn(1, 8)], token_features=feats, token_mask=[torch.tensor([[0, 1, 1, 0, 0]])])
    path = saved(bank, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["token_features"]["length"] = 4
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="token_features hold 5 positions, the manifest says 4"):
        load_bank(path)
