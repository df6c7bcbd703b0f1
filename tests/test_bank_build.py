"""Building banks: texts, vectors, manifest, versions by content hash, knowledge kinds, failures."""

from __future__ import annotations

from pathlib import Path

import open_clip
import pytest
import torch

from kgen import paths
from kgen.banks import load_bank
from kgen.banks.builder import EncodeRequest, EncodeResult, encode_bank, report_truncation
from kgen.banks.encoder import TextEncoder
from kgen.banks.manifest import content_hash_of
from kgen.banks.texts import TEMPLATE_SETS
from kgen.clip import LoadedClip, load_clip
from kgen.datasets import Dataset, load_builtin
from kgen.errors import FormatError, InputError
from kgen.hashing import sha256_file
from tests.bank_kinds import register_test_kind, write_prompts


@pytest.fixture(scope="module")
def tiny() -> LoadedClip:
    return load_clip("kgen-tiny-vit", "random")


def _encode(tiny: LoadedClip, dataset: Dataset | str = "hmdb51", kind: str = "names", **options) -> EncodeResult:
    data = load_builtin(dataset) if isinstance(dataset, str) else dataset
    clip = options.pop("clip", tiny)
    request = EncodeRequest(dataset=data, kind=kind, model_name=clip.model_name, pretrained="random", **options)
    return encode_bank(request, clip=clip, show_progress=False)


def _encode_text(model: torch.nn.Module, texts: list[str]) -> torch.Tensor:
    with torch.inference_mode():
        return model.encode_text(open_clip.get_tokenizer("ViT-B-16")(texts), normalize=True)


def _bank_dirs() -> list[Path]:
    root = paths.banks_dir()
    return sorted(root.iterdir()) if root.is_dir() else []


def test_names_bank_holds_open_clips_vectors_and_a_full_manifest(tiny: LoadedClip) -> None:
    result = _encode(tiny)
    dataset = load_builtin("hmdb51")
    assert result.created and result.path.parent == paths.banks_dir()
    bank = load_bank(result.path, verify=True, expect_clip="kgen-tiny-vit", expect_dim=32, expect_pretrained="random")
    m = bank.manifest
    assert bank.bank_id == result.path.name == f"hmdb51-names-kgen-tiny-vit-random-{m.content_hash[:10]}"
    assert m.lineage == "hmdb51-names-kgen-tiny-vit-random"
    assert bank.texts == [f"a photo of a {c.name}." for c in dataset.classes]
    assert bank.class_names == dataset.class_names and bank.class_ids == list(range(51))
    assert bank.texts_per_class == [1] * 51
    assert torch.allclose(bank.embeddings, _encode_text(tiny.model, bank.texts), atol=1e-6, rtol=0)
    assert m.clip.is_random and m.clip.weights_source == "random(seed=0)" and m.clip.pretrained == "random"
    assert m.clip.causal_mask and m.encoding.length_cut and m.clip.context_length == 77 and m.clip.embed_dim == 32
    assert m.clip.tokenizer.startswith("open_clip.SimpleTokenizer")
    assert m.encoding.compute_dtype == "float32" and m.encoding.dtype == "float32" and m.encoding.normalization == "l2"
    assert m.encoding.truncated_texts == 0 and m.knowledge.template == "a photo of a {}." and m.knowledge.file is None
    assert m.token_features is None and bank.token_features is None
    assert content_hash_of(m.inputs()) == m.content_hash
    assert m.tensors_sha256 == sha256_file(result.path / "bank.safetensors")


def test_openvclip28_classifier_is_the_mean_of_28_normalised_prompts(tiny: LoadedClip) -> None:
    templates = TEMPLATE_SETS["openvclip28"]
    assert len(templates) == len(set(templates)) == 28
    assert templates[0] == "a photo of {}." and templates[6] == "a photo of a person practicing {}."
    assert "a example of a person using {}." in templates and templates[-1] == "a demonstration of a person practicing {}."
    # One class split (25 classes) keeps the test fast; the templates are what is under test.
    result = _encode(tiny, "hmdb51", templates="openvclip28", split="novel")
    assert result.path.name.startswith("hmdb51-novel-names-openvclip28-kgen-tiny-vit-random-")
    bank = load_bank(result.path)
    assert bank.texts_per_class == [28] * 25
    classifier = bank.classifier()
    for k in (0, 12, 24):
        name = bank.class_names[k]
        vectors = _encode_text(tiny.model, [t.replace("{}", name) for t in templates])
        expected = torch.nn.functional.normalize(vectors.mean(dim=0), dim=0)
        assert torch.allclose(classifier[k], expected, atol=1e-6, rtol=0)


def test_same_inputs_same_bank_changed_input_new_version(tiny: LoadedClip) -> None:
    first = _encode(tiny)
    again = _encode(tiny)
    assert not again.created and again.path == first.path and again.manifest.content_hash == first.manifest.content_hash
    assert again.manifest.created_at == first.manifest.created_at  # the existing bank, not a new one
    assert len(_bank_dirs()) == 1
    hashes = {first.manifest.content_hash}
    template = _encode(tiny, template=["a video of {}."])
    other_seed = _encode(tiny, clip=load_clip("kgen-tiny-vit", "random", seed=1), seed=1)
    other_model = _encode(tiny, clip=load_clip("kgen-small-vit", "random"))
    tokens = _encode(tiny, token_features=True)
    for result in (template, other_seed, other_model, tokens):
        assert result.created and result.manifest.content_hash not in hashes
        hashes.add(result.manifest.content_hash)
    assert len(_bank_dirs()) == 5
    assert template.path.name.startswith("hmdb51-names-custom-") and "-random-seed1-" in other_seed.path.name
    assert tokens.path.name.startswith("hmdb51-names-tok-")
    # Equal vectors from a fresh model with the same seed: the hash names the content, not the run.
    fresh = _encode(tiny, clip=load_clip("kgen-tiny-vit", "random"))
    assert not fresh.created and fresh.path == first.path


def test_knowledge_kind_texts_types_and_versions(tiny: LoadedClip, monkeypatch: pytest.MonkeyPatch) -> None:
    kind_file = register_test_kind(monkeypatch)
    dataset = load_builtin("hmdb51")
    prompts = {c.id: [f"{c.name}, seen from afar.", f"{c.name}, close up."] + ([f"{c.name} again."] if c.id % 2 else []) for c in dataset.classes}
    types = {cid: ["spatial", "temporal", "spatial"][: len(texts)] for cid, texts in prompts.items()}
    path = write_prompts(dataset, kind_file, prompts, types=types)
    result = _encode(tiny, kind="test-prompts")
    bank = load_bank(result.path)
    assert bank.texts_per_class == [len(prompts[c.id]) for c in dataset.classes]
    assert bank.class_texts(1) == prompts[1] and bank.text_types is not None and bank.text_types[:3] == ["spatial", "temporal", "spatial"]
    assert bank.manifest.knowledge.file == "knowledge/hmdb51/test-prompts.json" and bank.manifest.knowledge.sha256 == sha256_file(path)
    assert bank.manifest.knowledge.template is None
    assert torch.allclose(bank.class_embeddings(3), _encode_text(tiny.model, prompts[3]), atol=1e-6, rtol=0)
    # A change that does not reach the texts leaves the bank as it is; a changed text makes a new one.
    write_prompts(dataset, kind_file, prompts, types=types, note="re-run of the generator")
    assert not _encode(tiny, kind="test-prompts").created
    prompts[0] = ["a different text."]
    write_prompts(dataset, kind_file, prompts, types={**types, 0: ["spatial"]})
    changed = _encode(tiny, kind="test-prompts")
    assert changed.created and changed.manifest.lineage == bank.manifest.lineage
    with pytest.raises(InputError, match="apply to --kind names only"):
        _encode(tiny, kind="test-prompts", templates="openvclip28")


def test_attributes_banks_always_carry_token_features(tiny: LoadedClip, monkeypatch: pytest.MonkeyPatch) -> None:
    kind_file = register_test_kind(monkeypatch, "attributes")
    dataset = load_builtin("hmdb51")
    write_prompts(dataset, kind_file, {c.id: [f"This is a video about {c.name}, arm, motion, floor."] for c in dataset.classes})
    bank = load_bank(_encode(tiny, kind="attributes").path)
    assert bank.token_features is not None and bank.token_mask is not None and bank.eot_index is not None
    assert bank.manifest.token_features is not None and bank.manifest.token_features.length == bank.token_features.shape[1]
    assert bank.bank_id.startswith("hmdb51-attributes-kgen-tiny-vit-random-")
    rows = torch.arange(bank.num_texts)
    pooled = torch.nn.functional.normalize(bank.token_features[rows, bank.eot_index], dim=-1)
    assert torch.allclose(pooled, bank.embeddings, atol=1e-6)
    words = len(open_clip.get_tokenizer("ViT-B-16").encode(bank.texts[0]))
    assert int(bank.token_mask[0].sum()) == words


def test_split_restricts_classes_in_the_splits_order(tiny: LoadedClip) -> None:
    dataset = load_builtin("ucf101")
    result = _encode(tiny, dataset, split="novel")
    bank = load_bank(result.path)
    assert bank.class_ids == dataset.class_split("novel").class_ids
    assert bank.manifest.split == "novel" and result.path.name.startswith("ucf101-novel-names-")
    with pytest.raises(InputError, match="no class split 'nosuch'"):
        _encode(tiny, dataset, split="nosuch")


def test_out_dir_and_latest_of_a_lineage(tiny: LoadedClip, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    older = _encode(tiny, template=["a video of {}."], out_dir=out)
    newer = _encode(tiny, template=["a clip of {}."], out_dir=out)
    assert older.path.parent == out and newer.path.parent == out and _bank_dirs() == []
    lineage = newer.manifest.lineage
    assert lineage == older.manifest.lineage == "hmdb51-names-custom-kgen-tiny-vit-random"
    assert load_bank(f"{out / lineage}@latest").bank_id == newer.manifest.bank_id
    with pytest.raises(InputError, match="no bank of lineage"):
        load_bank(f"{out / 'hmdb51-names-nothing'}@latest")
    in_workspace = _encode(tiny)
    assert load_bank("hmdb51-names-kgen-tiny-vit-random@latest").bank_id == in_workspace.manifest.bank_id


def test_texts_longer_than_the_context_are_counted(tiny: LoadedClip, monkeypatch: pytest.MonkeyPatch) -> None:
    kind_file = register_test_kind(monkeypatch)
    dataset = load_builtin("hmdb51")
    prompts = {c.id: [f"{c.name}."] for c in dataset.classes}
    prompts[2] = [f"{dataset.classes[2].name}: " + "a very long description " * 20]
    write_prompts(dataset, kind_file, prompts)
    manifest = _encode(tiny, kind="test-prompts").manifest
    assert manifest.encoding.truncated_texts == 1 and manifest.encoding.truncated_indices == [2]
    line = report_truncation(manifest)
    assert line is not None and line.startswith("1 of 51 texts are longer than 77 tokens and were truncated")


def test_bad_knowledge_is_refused(tiny: LoadedClip, monkeypatch: pytest.MonkeyPatch) -> None:
    kind_file = register_test_kind(monkeypatch)
    dataset = load_builtin("hmdb51")
    with pytest.raises(InputError, match="no test-prompts knowledge for hmdb51"):
        _encode(tiny, kind="test-prompts")
    write_prompts(dataset, kind_file, {c.id: [] if c.id == 4 else [c.name] for c in dataset.classes})
    with pytest.raises(FormatError, match=r"classes without text or with empty texts: .*"):
        _encode(tiny, kind="test-prompts")
    with pytest.raises(InputError, match="unknown knowledge kind 'nosuch'"):
        _encode(tiny, kind="nosuch")
    with pytest.raises(InputError, match=r"must hold exactly one \{\}"):
        _encode(tiny, template=["no placeholder"])
    with pytest.raises(InputError, match="neither a template set nor a file"):
        _encode(tiny, templates="nosuch")
    assert _bank_dirs() == []


def test_a_crash_while_encoding_or_saving_leaves_nothing(tiny: LoadedClip, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args, **_kwargs):
        raise RuntimeError("out of memory")

    with monkeypatch.context() as patch:
        patch.setattr(TextEncoder, "encode_planned", explode)
        with pytest.raises(RuntimeError, match="out of memory"):
            _encode(tiny)
    with monkeypatch.context() as patch:
        patch.setattr("kgen.banks.writer.write_texts_file", explode)
        with pytest.raises(RuntimeError, match="out of memory"):
            _encode(tiny)
    root = paths.banks_dir()
    assert not root.exists() or list(root.iterdir()) == []  # no bank, no half-written staging folder
    assert _encode(tiny).created


def test_a_bank_changed_by_hand_is_not_taken_for_up_to_date(tiny: LoadedClip) -> None:
    result = _encode(tiny)
    texts_path = result.path / "texts.jsonl"
    original = texts_path.read_text()
    texts_path.write_text(original.replace("a photo of a brush hair.", "a photo of a combs hair."))  # same size
    with pytest.raises(FormatError, match="exists but is damaged: .*the texts were changed after encoding"):
        _encode(tiny)
    texts_path.write_text(original)
    assert not _encode(tiny).created
    (result.path / "bank.safetensors").unlink()
    with pytest.raises(FormatError, match="exists but is damaged: bank.safetensors is missing"):
        _encode(tiny)


def _tiny_with_activation(quick_gelu: bool, state: dict[str, torch.Tensor], pretrained: str = "random") -> LoadedClip:
    cfg = open_clip.get_model_config("kgen-tiny-vit")
    assert cfg is not None
    model = open_clip.model.CLIP(**{**cfg, "quick_gelu": quick_gelu}).eval()
    model.load_state_dict(state)
    return LoadedClip(model=model, tokenizer=open_clip.get_tokenizer("ViT-B-16"), model_name="kgen-tiny-vit",
                      pretrained=pretrained, weights_source="test", is_random=pretrained == "random")


def test_the_activation_is_part_of_the_banks_identity(tiny: LoadedClip) -> None:
    state = tiny.model.state_dict()
    quick = _encode(tiny, clip=_tiny_with_activation(True, state))
    plain = _encode(tiny, clip=_tiny_with_activation(False, state))
    assert quick.manifest.clip.activation == "QuickGELU" and plain.manifest.clip.activation == "GELU"
    assert quick.manifest.clip.text_tower_sha256 == plain.manifest.clip.text_tower_sha256  # same weights...
    assert plain.created and plain.manifest.content_hash != quick.manifest.content_hash  # ...other vectors
    assert not torch.allclose(load_bank(quick.path).embeddings, load_bank(plain.path).embeddings, atol=1e-3)


def test_a_gelu_run_of_a_checkpoint_of_an_openai_architecture_is_warned(tiny: LoadedClip, tmp_path: Path) -> None:
    from kgen.banks.builder import _may_need_quick_gelu

    checkpoint = tmp_path / "vificlip_k400.pth"
    checkpoint.write_bytes(b"")
    clip = _tiny_with_activation(False, tiny.model.state_dict(), pretrained=str(checkpoint))
    clip.model_name = "ViT-B-16"  # an architecture OpenAI released weights for
    assert _may_need_quick_gelu(clip, "GELU")
    assert not _may_need_quick_gelu(clip, "QuickGELU")
    clip.model_name = "kgen-tiny-vit"  # no OpenAI weights exist for it
    assert not _may_need_quick_gelu(clip, "GELU")
