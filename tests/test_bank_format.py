"""Bank format version 2: streaming encoding (byte for byte the eager output), the texts file, the
summary, lazy and memory-mapped loading, the text-only model, and the reader of version 1."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bank_v1 import write_v1_bank
from safetensors.torch import save_file

from kgen import paths
from kgen.banks import load_bank
from kgen.banks.builder import EncodeRequest, EncodeResult, encode_bank
from kgen.banks.encoder import TextEncoder
from kgen.banks.layout import TensorSpec, plan_layout, read_header
from kgen.banks.manifest import BankManifest, content_hash_of
from kgen.banks.store import find_banks
from kgen.clip import LoadedClip, load_clip, text_tower_sha256
from kgen.clip.loading import DroppedVisionTower
from kgen.datasets import Dataset, load_user_list
from kgen.errors import FormatError
from tests.bank_kinds import register_test_kind, write_prompts

TEXTS = [
    "run", "a photo of a person doing push ups while singing loudly in the park at night", "jump", "x",
    "hello! world!", "word " * 100, "run", "a demonstration of a person practicing apply eye makeup.", "RUN",
    "swim across the lake", "word " * 80,
]


@pytest.fixture(scope="module")
def tiny() -> LoadedClip:
    return load_clip("kgen-tiny-vit", "random", seed=2)


def _dataset(tmp_path: Path, names: list[str]) -> Dataset:
    path = tmp_path / "mine.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return load_user_list(path)


def _prompt_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_class: list[list[str]], types: bool = False) -> Dataset:
    """A class list whose test-kind knowledge gives ``per_class`` texts (duplicates, long ones...)."""
    dataset = _dataset(tmp_path, [f"class {k}" for k in range(len(per_class))])
    kind_file = register_test_kind(monkeypatch)
    prompts = {k: texts for k, texts in enumerate(per_class)}
    kinds = {k: [("spatial", "temporal")[i % 2] for i in range(len(texts))] for k, texts in enumerate(per_class)} if types else None
    write_prompts(dataset, kind_file, prompts, types=kinds)
    return dataset


def _encode(tiny: LoadedClip, dataset: Dataset, kind: str = "test-prompts", **options) -> EncodeResult:
    request = EncodeRequest(dataset=dataset, kind=kind, model_name="kgen-tiny-vit", pretrained="random", seed=2, **options)
    return encode_bank(request, clip=tiny, show_progress=False)


def _eager_tensors(tiny: LoadedClip, texts: list[str], offsets: list[int], token_features: bool, batch_size: int) -> dict[str, torch.Tensor]:
    """What kgen before format 2 held in memory and gave to save_file: the eager encoder's output."""
    encoded = TextEncoder(tiny.model, tiny.tokenizer, batch_size=batch_size).encode(texts, token_features=token_features)
    tensors = {"embeddings": encoded.embeddings, "class_offsets": torch.tensor(offsets, dtype=torch.long)}
    if token_features:
        assert encoded.token_features is not None and encoded.token_mask is not None
        tensors |= {"token_features": encoded.token_features, "token_mask": encoded.token_mask.to(torch.uint8),
                    "eot_index": encoded.end_index}
    return tensors


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_header_is_the_one_save_file_writes(tmp_path: Path) -> None:
    shapes = [
        {"embeddings": ("F32", (5, 3)), "class_offsets": ("I64", (3,))},
        {"embeddings": ("F32", (2, 4)), "class_offsets": ("I64", (2,)), "token_features": ("F32", (2, 7, 4)),
         "token_mask": ("U8", (2, 7)), "eot_index": ("I64", (2,))},
        {"a": ("F16", (1,)), "b": ("BF16", (3, 1)), "c": ("I32", (0,)), "d": ("BOOL", (2, 2)), "e": ("F64", ())},
    ]
    torch_dtypes = {"F32": torch.float32, "I64": torch.int64, "U8": torch.uint8, "F16": torch.float16,
                    "BF16": torch.bfloat16, "I32": torch.int32, "BOOL": torch.bool, "F64": torch.float64}
    for metadata in (None, {"format": "kgen.bank"}):
        for spec in shapes:
            tensors = {name: torch.zeros(shape, dtype=torch_dtypes[dtype]) for name, (dtype, shape) in spec.items()}
            save_file(tensors, str(tmp_path / "x.safetensors"), metadata=metadata)
            written = (tmp_path / "x.safetensors").read_bytes()
            layout = plan_layout([TensorSpec(n, d, s) for n, (d, s) in spec.items()], metadata)
            assert written[: len(layout.header)] == layout.header and len(written) == layout.total_bytes
            parsed = read_header(tmp_path / "x.safetensors")
            assert not parsed.truncated and {n: e.spec.shape for n, e in parsed.entries.items()} == {n: s for n, (_d, s) in spec.items()}


@pytest.mark.parametrize(("token_features", "chunk_size", "batch_size", "types"), [
    (False, 4, 3, False),  # chunks and batches smaller than the texts, not aligned
    (True, 2, 2, True),  # token features, text types
    (True, 1000, 64, False),  # one chunk, one batch
])
def test_streaming_writes_byte_for_byte_what_the_eager_path_wrote(
    tiny: LoadedClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token_features: bool, chunk_size: int, batch_size: int, types: bool,
) -> None:
    per_class = [TEXTS[0:3], TEXTS[3:4], TEXTS[4:9], TEXTS[9:]]  # duplicates across classes, 2 texts over 77 tokens
    dataset = _prompt_dataset(tmp_path, monkeypatch, per_class, types=types)
    result = _encode(tiny, dataset, token_features=token_features, chunk_size=chunk_size, batch_size=batch_size)
    manifest = result.manifest
    texts = [t for group in per_class for t in group]
    offsets = [0, 3, 4, 9, 11]
    assert manifest.texts == texts and manifest.class_offsets == offsets and manifest.encoding.truncated_indices == [5, 10]
    # Version 1 wrote save_file(eager tensors): the streamed file has the same bytes.
    reference = tmp_path / "reference.safetensors"
    save_file(_eager_tensors(tiny, texts, offsets, token_features, batch_size), str(reference), metadata={"format": "kgen.bank"})
    assert _sha(result.path / "bank.safetensors") == _sha(reference) == manifest.tensors_sha256
    # The content hash (hence the id) is the one version 1 gave the same inputs.
    assert content_hash_of(manifest.inputs()) == manifest.content_hash and manifest.inputs()["bank_format"] == 1


def test_encoding_is_bounded_by_the_chunk_and_the_batch(tiny: LoadedClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = _dataset(tmp_path, [f"action number {k}" for k in range(40)])
    calls: list[int] = []
    tokenizer = tiny.tokenizer

    class Recording:
        def __getattr__(self, name: str):
            return getattr(tokenizer, name)

        def __call__(self, texts, *args, **kwargs):
            calls.append(len(texts))
            return tokenizer(texts, *args, **kwargs)

    clip = LoadedClip(model=tiny.model, tokenizer=Recording(), model_name=tiny.model_name, pretrained="random",
                      weights_source=tiny.weights_source, is_random=True)

    def never(*_args, **_kwargs):
        raise AssertionError("the eager encoder holds every vector in memory: encode-bank must not use it")

    monkeypatch.setattr(TextEncoder, "encode", never)
    monkeypatch.setattr(TextEncoder, "tokenize", never)
    result = encode_bank(EncodeRequest(dataset=dataset, kind="names", model_name="kgen-tiny-vit", pretrained="random", seed=2,
                                       chunk_size=16, batch_size=8), clip=clip, show_progress=False)
    assert result.created and result.manifest.num_texts == 40
    assert calls and max(calls) <= 16 and sum(calls) == 80  # every text tokenized twice: planned, then encoded
    assert load_bank(result.path).num_texts == 40


def test_a_version_2_bank_directory(tiny: LoadedClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = _prompt_dataset(tmp_path, monkeypatch, [["a photo of run.", "runner"], ["jump \"high\"", "ü ß 中文"]], types=True)
    result = _encode(tiny, dataset)
    path = result.path
    assert sorted(p.name for p in path.iterdir()) == ["bank.safetensors", "manifest.json", "summary.json", "texts.jsonl"]
    raw = json.loads((path / "manifest.json").read_text())
    assert raw["format_version"] == 2 and "texts" not in raw and "text_types" not in raw and raw["num_texts"] == 4
    lines = (path / "texts.jsonl").read_bytes().splitlines(keepends=True)
    assert [json.loads(line) for line in lines] == [
        {"class_id": 0, "text": "a photo of run.", "type": "spatial"}, {"class_id": 0, "text": "runner", "type": "temporal"},
        {"class_id": 1, "text": "jump \"high\"", "type": "spatial"}, {"class_id": 1, "text": "ü ß 中文", "type": "temporal"},
    ]
    assert raw["texts_file"] == {"file": "texts.jsonl", "sha256": _sha(path / "texts.jsonl"), "bytes": sum(map(len, lines)),
                                 "count": 4, "has_types": True}
    assert raw["tensors_bytes"] == (path / "bank.safetensors").stat().st_size
    summary = json.loads((path / "summary.json").read_text())
    assert summary["format"] == "kgen.bank-summary" and summary["bank_id"] == path.name and summary["texts"] == 4
    assert (path / "summary.json").stat().st_size < 1500


def test_bank_list_reads_summaries_not_manifests(tiny: LoadedClip, tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _encode(tiny, _dataset(tmp_path, ["run", "jump"]), kind="names")

    def refuse(*_args, **_kwargs):
        raise AssertionError("bank list must not read a version-2 manifest")

    monkeypatch.setattr(BankManifest, "load", refuse)
    monkeypatch.setattr(BankManifest, "from_dict", refuse)
    listed = run_cli("bank", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["bank_id"] for r in rows] == [result.path.name] and rows[0]["texts"] == 2 and rows[0]["damaged"] is False


def test_load_is_lazy_and_can_memory_map(tiny: LoadedClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = _prompt_dataset(tmp_path, monkeypatch, [TEXTS[:3], TEXTS[3:6]])
    path = _encode(tiny, dataset, token_features=True).path
    bank = load_bank(path)
    assert bank.loaded_tensors == [] and bank.num_texts == 6 and bank.dim == 32
    assert not bank.manifest.text_table.loaded  # texts not read either
    embeddings = bank.embeddings
    assert bank.loaded_tensors == ["embeddings"]  # the token features stay on disk
    assert bank.texts == TEXTS[:6] and bank.manifest.text_table.loaded
    mapped = load_bank(path, mmap=True)
    assert torch.equal(mapped.embeddings, embeddings) and torch.equal(mapped.token_features, bank.token_features)
    before = _sha(path / "bank.safetensors")
    mapped.embeddings.mul_(2)  # a private (copy-on-write) mapping: the file does not change
    assert _sha(path / "bank.safetensors") == before
    half = load_bank(path, dtype=torch.float16)
    assert half.loaded_tensors == [] and half.embeddings.dtype == torch.float16 and half.class_offsets.dtype == torch.long
    sub = load_bank(path).subset([1])
    assert sub.texts == TEXTS[3:6] and torch.equal(sub.embeddings, embeddings[3:6])
    assert sub.token_features is not None and sub.token_features.shape[0] == 3


def test_loading_a_bank_that_names_no_clip_model_does_not_import_open_clip(
    tiny: LoadedClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # importing open_clip (and torchvision) takes seconds: a 100k-text bank opened in 2.7 s for that alone
    dataset = _prompt_dataset(tmp_path, monkeypatch, [TEXTS[:3], TEXTS[3:6]])
    path = _encode(tiny, dataset).path
    script = (
        "import sys, torch\n"
        "from kgen.banks import load_bank\n"
        f"bank = load_bank({str(path)!r}, verify=False)\n"
        "assert bank.num_texts == 6\n"
        "print('open_clip' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_text_only_model_has_the_full_models_text_tower(tmp_path: Path) -> None:
    for arch in ("kgen-tiny-vit", "kgen-small-vit"):
        full = load_clip(arch, "random", seed=4)
        state = torch.random.get_rng_state()
        text_only = load_clip(arch, "random", seed=4, text_only=True)
        assert torch.equal(torch.random.get_rng_state(), state)  # the caller's generator is left as it was
        assert isinstance(text_only.model.visual, DroppedVisionTower)
        assert not any(name.startswith("visual.") for name, _ in text_only.model.named_parameters())
        assert text_tower_sha256(text_only.model) == text_tower_sha256(full.model)
        assert text_only.embed_dim == full.embed_dim and text_only.preprocess_cfg == full.preprocess_cfg
        with pytest.raises(RuntimeError, match="loaded text-only"):
            text_only.model.encode_image(torch.zeros(1, 3, 64, 64))
    # A local checkpoint: loaded by open_clip as always, then the vision tower is dropped.
    checkpoint = tmp_path / "tiny.safetensors"
    source = load_clip("kgen-tiny-vit", "random", seed=9)
    save_file({k: v.contiguous() for k, v in source.model.state_dict().items()}, str(checkpoint))
    loaded = load_clip("kgen-tiny-vit", str(checkpoint), text_only=True)
    assert isinstance(loaded.model.visual, DroppedVisionTower) and text_tower_sha256(loaded.model) == text_tower_sha256(source.model)


def test_encode_bank_builds_the_text_tower_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}
    original = load_clip

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr("kgen.banks.builder.load_clip", spy)
    request = EncodeRequest(dataset=_dataset(tmp_path, ["run"]), kind="names", model_name="kgen-tiny-vit", pretrained="random")
    result = encode_bank(request, show_progress=False)
    assert seen["text_only"] is True and result.created
    # The same random weights as a full build: the same bank as with a fully built model.
    full = encode_bank(request, clip=load_clip("kgen-tiny-vit", "random"), show_progress=False)
    assert not full.created and full.path == result.path


def _v1_of(tiny: LoadedClip, dataset: Dataset, root: Path, token_features: bool = False) -> tuple[Path, EncodeResult]:
    """The bank kgen 2 encodes for ``dataset``, and the version-1 bank of the same inputs under ``root``."""
    fresh = _encode(tiny, dataset, kind="names", token_features=token_features, out_dir=root / "v2")
    m = fresh.manifest
    tensors = _eager_tensors(tiny, m.texts, m.class_offsets, token_features, 64)
    path = write_v1_bank(
        root / "v1" / m.bank_id, tensors=tensors, bank_id=m.bank_id, content_hash=m.content_hash, dataset=m.dataset,
        kind=m.kind, class_ids=m.class_ids, class_names=m.class_names, class_offsets=m.class_offsets, texts=m.texts,
        text_types=None, clip=m.clip.model_dump(), encoding=m.encoding.model_dump(),
        token_length=m.token_features.length if m.token_features else None, knowledge=m.knowledge.model_dump(),
    )
    return path, fresh


def test_a_version_1_bank_is_read_verified_listed_and_found_up_to_date(tiny: LoadedClip, tmp_path: Path, run_cli) -> None:
    dataset = _dataset(tmp_path, ["run", "jump", "swim"])
    v1_path, fresh = _v1_of(tiny, dataset, tmp_path, token_features=True)
    assert not (v1_path / "texts.jsonl").exists() and json.loads((v1_path / "manifest.json").read_text())["format_version"] == 1
    old = load_bank(v1_path)  # verified by default
    new = load_bank(fresh.path)
    assert old.manifest.stored_format_version == 1 and new.manifest.stored_format_version == 2
    assert old.texts == new.texts == ["a photo of a run.", "a photo of a jump.", "a photo of a swim."]
    assert torch.equal(old.embeddings, new.embeddings) and torch.equal(old.token_features, new.token_features)
    assert torch.equal(old.classifier(), new.classifier()) and old.manifest.content_hash == new.manifest.content_hash
    assert _sha(v1_path / "bank.safetensors") == _sha(fresh.path / "bank.safetensors")
    verified = run_cli("bank", "verify", str(v1_path))
    assert verified.exit_code == 0 and f"ok     {v1_path.name}" in verified.stdout
    info = run_cli("bank", "info", str(v1_path), "--texts")
    assert info.exit_code == 0 and "kgen.bank v1 (read by the version-1 reader" in info.stdout and "a photo of a swim." in info.stdout
    listed = run_cli("bank", "list", "--dir", str(v1_path.parent), "--json")
    rows = json.loads(listed.stdout)
    assert rows[0]["bank_format"] == 1 and rows[0]["damaged"] is False and rows[0]["texts"] == 3
    # Encoding the same inputs into the folder of the version-1 bank finds it: same content hash, same id.
    again = _encode(tiny, dataset, kind="names", token_features=True, out_dir=v1_path.parent)
    assert not again.created and again.path == v1_path
    # An edited text of a version-1 bank is caught like any other.
    manifest = v1_path / "manifest.json"
    manifest.write_text(manifest.read_text().replace("a photo of a swim.", "a photo of a fly."))
    with pytest.raises(FormatError, match="texts, classes or settings were changed after encoding"):
        load_bank(v1_path)


def test_a_manifest_of_an_unknown_version_or_broken_texts_file(tiny: LoadedClip, tmp_path: Path) -> None:
    path = _encode(tiny, _dataset(tmp_path, ["run", "jump"]), kind="names").path
    texts = path / "texts.jsonl"
    original = texts.read_bytes()
    texts.write_bytes(original.replace(b'"text"', b'"txet"', 1))
    with pytest.raises(FormatError, match="line 1 is not a bank text record"):
        load_bank(path).texts  # noqa: B018
    texts.write_bytes(original)
    raw = json.loads((path / "manifest.json").read_text())
    raw["format_version"] = 3
    (path / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(FormatError, match="newer than this kgen reads"):
        load_bank(path)
    assert [b.path for b in find_banks(paths.banks_dir())] == [path]  # still listed (from its summary), not hidden
