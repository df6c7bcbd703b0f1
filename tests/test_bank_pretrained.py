"""Real weights: a local checkpoint, a pretrained tag found in a local Hugging Face cache, and the
clear failure when the weights are neither here nor downloadable (this machine has no hub)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import open_clip
import pytest
import torch
from safetensors.torch import save_file

from kgen.banks import load_bank
from kgen.clip import load_clip, text_tower_sha256
from kgen.datasets import load_builtin
from kgen.errors import InputError

OPENAI_B16_REPO = "timm/vit_base_patch16_clip_224.openai"  # open_clip's hf_hub for ViT-B-16/openai


def _texts(dataset: str) -> list[str]:
    return [f"a photo of a {c.name}." for c in load_builtin(dataset).classes]


def _encode_text(model: torch.nn.Module, texts: list[str]) -> torch.Tensor:
    with torch.inference_mode():
        return model.encode_text(open_clip.get_tokenizer("ViT-B-16")(texts), normalize=True)


def _fake_hf_cache(root: Path, repo_id: str, files: dict[str, bytes | Path]) -> Path:
    """A Hugging Face hub cache holding ``files`` for ``repo_id``, in the hub client's layout."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = root / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.move(content, snapshot / name)
        else:
            (snapshot / name).write_bytes(content)
    return snapshot


def test_local_checkpoint_file(run_cli, tmp_path: Path) -> None:
    source = load_clip("kgen-tiny-vit", "random", seed=7)
    checkpoint = tmp_path / "a" / "tiny-finetuned.safetensors"
    checkpoint.parent.mkdir()
    save_file({k: v.contiguous() for k, v in source.model.state_dict().items()}, str(checkpoint))
    result = run_cli("encode-bank", "--dataset", "hmdb51", "--model", "kgen-tiny-vit", "--pretrained", str(checkpoint))
    assert result.exit_code == 0, result.stderr
    bank = load_bank(result.stdout.strip(), expect_pretrained=str(checkpoint))
    clip = bank.manifest.clip
    assert not clip.is_random and clip.pretrained == "tiny-finetuned.safetensors" and clip.weights_source == str(checkpoint.resolve())
    assert clip.text_tower_sha256 == text_tower_sha256(source.model)
    assert bank.bank_id.startswith("hmdb51-names-kgen-tiny-vit-tiny-finetuned-safetensors-")
    assert torch.allclose(bank.embeddings, _encode_text(source.model, _texts("hmdb51")), atol=1e-6, rtol=0)
    # The same weights elsewhere are the same bank: the path is where they lay, not what they are.
    moved = tmp_path / "b" / "tiny-finetuned.safetensors"
    moved.parent.mkdir()
    shutil.copy(checkpoint, moved)
    again = run_cli("encode-bank", "--dataset", "hmdb51", "--model", "kgen-tiny-vit", "--pretrained", str(moved))
    assert again.exit_code == 0 and "is up to date" in again.stderr
    with pytest.raises(InputError, match="weights 'tiny-finetuned.safetensors', the run uses 'openai'"):
        load_bank(bank.bank_id, expect_pretrained="openai")


def test_open_clip_folder_checkpoint(run_cli, tmp_path: Path) -> None:
    source = load_clip("kgen-tiny-vit", "random", seed=8)
    folder = tmp_path / "my-clip"
    folder.mkdir()
    tiny_cfg = open_clip.get_model_config("kgen-tiny-vit")
    assert tiny_cfg is not None
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": tiny_cfg, "preprocess_cfg": {}}))
    save_file({k: v.contiguous() for k, v in source.model.state_dict().items()}, str(folder / "open_clip_model.safetensors"))
    result = run_cli("encode-bank", "--dataset", "hmdb51", "--model", "kgen-tiny-vit", "--pretrained", str(folder))
    assert result.exit_code == 0, result.stderr
    bank = load_bank(result.stdout.strip())
    assert bank.manifest.clip.pretrained == "my-clip"
    assert torch.allclose(bank.embeddings, _encode_text(source.model, _texts("hmdb51")), atol=1e-6, rtol=0)


@pytest.mark.slow
def test_pretrained_tag_loads_from_a_local_hugging_face_cache(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ViT-B-16/openai with (random) weights in the real file layout of the hub cache: no network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = open_clip.get_pretrained_cfg("ViT-B-16", "openai")
    assert cfg["hf_hub"].rstrip("/") == OPENAI_B16_REPO and cfg["quick_gelu"] is True
    source = load_clip("ViT-B-16", "random", seed=11, quick_gelu=True)
    weights = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in source.model.state_dict().items()}, str(weights))
    cache = tmp_path / "hf-cache"
    snapshot = _fake_hf_cache(cache, OPENAI_B16_REPO, {"open_clip_model.safetensors": weights})
    result = run_cli("encode-bank", "--dataset", "hmdb51", "--model", "ViT-B-16", "--pretrained", "openai", "--weights-cache", str(cache))
    assert result.exit_code == 0, result.stderr
    bank = load_bank(result.stdout.strip(), expect_clip="ViT-B-16", expect_dim=512, expect_pretrained="openai")
    clip = bank.manifest.clip
    assert clip.pretrained == "openai" and not clip.is_random
    assert clip.weights_source == str(snapshot / "open_clip_model.safetensors")
    assert clip.text_tower_sha256 == text_tower_sha256(source.model)
    assert bank.bank_id.startswith("hmdb51-names-vit-b-16-openai-")
    assert torch.allclose(bank.embeddings, _encode_text(source.model, _texts("hmdb51")), atol=1e-6, rtol=0)


def test_missing_weights_fail_with_how_to_give_a_checkpoint(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on this machine: the hub cannot be reached
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    result = run_cli("encode-bank", "--dataset", "hmdb51", "--clip-model", "ViT-B-16", "--clip-pretrained", "openai", "--weights-cache", str(empty))
    assert result.exit_code == 4
    message = " ".join(result.stderr.split())
    assert "cannot download the ViT-B-16/openai weights" in message
    assert f"https://huggingface.co/{OPENAI_B16_REPO}" in message
    assert "--clip-pretrained /path/to/checkpoint --quick-gelu" in message and "--clip-pretrained random" in message
    hub = run_cli("encode-bank", "--dataset", "hmdb51", "--clip-model", "hf-hub:laion/CLIP-ViT-B-16-laion2B-s34B-b88K", "--weights-cache", str(empty))
    assert hub.exit_code == 4 and "--clip-pretrained /path/to/checkpoint" in " ".join(hub.stderr.split())
    assert not (tmp_path / "workspace" / "banks").exists()
