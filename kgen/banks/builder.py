"""Building a bank: texts -> frozen CLIP text tower -> ``<out>/<bank id>/`` (``kgen encode-bank``).

Bank ids and versions
---------------------
A bank's id is ``<dataset>[-<split>]-<kind>[-<variant>][-<templates>][-tok]-<model>[-<pretrained>]-<hash10>``,
slugified, where ``hash10`` is the first 10 hex digits of the content hash (the SHA-256 of every
input the vectors depend on, :func:`kgen.banks.manifest.inputs_for_hash`). Everything before the
hash is the bank's *lineage*: its versions share it, and ``<lineage>@latest`` names the newest one
(see :func:`kgen.banks.bank.resolve_bank_path`).

The content hash is computed *before* encoding, so encoding the same inputs again finds the
existing bank and returns at once ("up to date"), and a changed input (a text, a template, the
weights, the precision) gives a new hash, so a new directory: banks are never overwritten.

Streaming
---------
Only the text tower is built (``load_clip(..., text_only=True)``). The texts are planned in
chunks (:meth:`~kgen.banks.encoder.TextEncoder.plan`) and encoded batch by batch straight into a
preallocated ``bank.safetensors`` in a staging folder (:mod:`kgen.banks.writer`), so memory does
not grow with the number of texts beyond a few bytes a text; the file is byte for byte the one
the in-memory path writes.

Concurrent runs
---------------
Stale staging folders of killed runs in the output directory are removed first (see
:mod:`kgen.banks.staging`). A run that finds another live run writing the same bank waits for it
and then reports the bank it wrote; two runs that start at the same moment both encode, and the
second to finish finds the identical bank in place, drops its own copy and reports that bank:
both exit 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from kgen import paths
from kgen.banks.encoder import DEFAULT_PLAN_CHUNK, Precision, TextEncoder, describe_tokenizer
from kgen.banks.layout import TENSORS_FILE
from kgen.banks.manifest import (
    BankManifest,
    ClipInfo,
    EncodingInfo,
    KnowledgeInfo,
    TokenFeaturesInfo,
    content_hash_of,
    inputs_for_hash,
)
from kgen.banks.staging import clean_stale, live_writers_of, staging_folder, wait_for
from kgen.banks.texts import NAMES_KIND, BankTexts, collect_texts
from kgen.banks.writer import (
    TensorFileWriter,
    bank_layout,
    finish_bank,
    identical_bank,
    write_token_extras,
)
from kgen.clip import LoadedClip, load_clip, text_tower_sha256
from kgen.console import detail, info, progress, warn
from kgen.datasets import Dataset, slugify
from kgen.errors import InputError

# Kinds whose banks always carry per-token features: Kim et al.'s description-attribute model
# attends over the word tokens of each attribute sentence.
TOKEN_FEATURE_KINDS = frozenset({"attributes"})


@dataclass(frozen=True)
class EncodeRequest:
    """Everything ``kgen encode-bank`` is asked for."""

    dataset: Dataset
    kind: str
    model_name: str = "ViT-B-16"
    pretrained: str = "openai"
    template: list[str] | None = None
    templates: str | None = None
    split: str | None = None
    variant: str | None = None  # an imported variant of the kind (kgen import); None: kgen's own, else the only one
    token_features: bool = False  # always on for TOKEN_FEATURE_KINDS
    device: str = "auto"
    precision: Precision = "auto"
    batch_size: int | None = None  # default: 64 on CPU, 512 on GPU
    seed: int = 0
    out_dir: Path | None = None  # parent of the bank directory (default: the workspace's banks/)
    weights_cache_dir: str | None = None  # Hugging Face / open_clip cache to look for weights in
    quick_gelu: bool | None = None  # None: the pretrained tag's (or the architecture's) own setting
    chunk_size: int = DEFAULT_PLAN_CHUNK  # texts tokenized at once while planning

    @property
    def with_token_features(self) -> bool:
        return self.token_features or self.kind in TOKEN_FEATURE_KINDS


@dataclass(frozen=True)
class EncodeResult:
    path: Path
    manifest: BankManifest
    created: bool  # False: an identical bank was already there
    encode_seconds: float = 0.0
    concurrent: bool = False  # not created here: another run wrote the identical bank meanwhile

    @property
    def texts_per_second(self) -> float | None:
        if not self.created or self.encode_seconds <= 0:
            return None
        return self.manifest.num_texts / self.encode_seconds


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise InputError(f"unknown device {device!r}", hint="use auto, cpu, cuda or cuda:N") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda was asked for but this machine has no usable GPU", hint="use --device cpu (or auto)")
    if resolved.type not in ("cpu", "cuda"):
        raise InputError(f"device {device!r} is not supported", hint="use auto, cpu, cuda or cuda:N")
    return resolved


def pretrained_label(clip: LoadedClip, seed: int) -> str:
    """How the weights are named in the manifest and the bank id, the same on every machine.

    A checkpoint path is reduced to its file or folder name: the text tower's hash, not the path,
    says which weights they are (the full path is kept in ``weights_source``).
    """
    if clip.is_random:
        return "random" if seed == 0 else f"random-seed{seed}"
    if clip.pretrained and Path(clip.pretrained).expanduser().exists():
        return Path(clip.pretrained).expanduser().name
    return clip.pretrained


def bank_id_for(texts: BankTexts, model_name: str, pretrained: str, token_features: bool, content_hash: str) -> str:
    parts = [texts.dataset.name]
    if texts.split:
        parts.append(texts.split)
    parts.append(texts.kind)
    if texts.variant:
        parts.append(texts.variant)  # an imported variant: the name says whose knowledge it encodes
    if texts.kind == NAMES_KIND and texts.template_label:
        parts.append(texts.template_label)
    if token_features and texts.kind not in TOKEN_FEATURE_KINDS:
        parts.append("tok")
    parts.append(model_name.removeprefix("hf-hub:"))
    if pretrained:
        parts.append(pretrained)
    return "-".join(slugify(part) for part in parts) + "-" + content_hash[:10]


def encode_bank(request: EncodeRequest, *, clip: LoadedClip | None = None, show_progress: bool = True) -> EncodeResult:
    """Encode a bank, or find the identical one already on disk. ``clip`` reuses a loaded model."""
    texts = collect_texts(
        request.dataset, request.kind, template=request.template, templates=request.templates, split=request.split,
        variant=request.variant,
    )
    all_texts = texts.texts
    if not all_texts:
        raise InputError(f"no texts to encode for {request.dataset.name} ({request.kind})")
    device = resolve_device(request.device)
    if clip is None:
        clip = load_clip(
            request.model_name, request.pretrained, device=device, seed=request.seed, cache_dir=request.weights_cache_dir,
            quick_gelu=request.quick_gelu, text_only=True,
        )
        release_free_memory()
    else:
        clip.model.to(device)
    encoder = TextEncoder(
        clip.model, clip.tokenizer, context_length=clip.context_length, precision=request.precision,
        batch_size=request.batch_size,
    )
    detail(
        f"CLIP {clip.model_name} ({clip.pretrained}) from {clip.weights_source} on {device}; "
        f"{len(all_texts)} texts in batches of {encoder.batch_size}, computed in {encoder.compute_dtype_name}"
    )
    with_tokens = request.with_token_features
    if with_tokens and not encoder.supports_token_features:
        raise InputError(
            f"{clip.model_name} has a text tower without per-token features kgen can read",
            hint="per-token features need an open_clip text transformer pooled at its end token (CLIP ViT/RN models)",
        )
    pretrained = pretrained_label(clip, request.seed)
    clip_info = ClipInfo(
        model_name=clip.model_name, pretrained=pretrained, weights_source=clip.weights_source, is_random=clip.is_random,
        text_tower_sha256=text_tower_sha256(clip.model), embed_dim=clip.embed_dim,
        tokenizer=describe_tokenizer(clip.tokenizer), context_length=encoder.context_length,
        causal_mask=encoder.causal_mask, activation=encoder.activation,
    )
    if request.quick_gelu is None and _may_need_quick_gelu(clip, encoder.activation):
        warn(
            f"{clip.pretrained} is run with {encoder.activation}: if these are OpenAI's weights or were fine-tuned "
            "from them (ViFi-CLIP, Open-VCLIP, FROSTER...), add --quick-gelu, as they were trained with QuickGELU"
        )
    # Truncation is filled in after planning; the content hash does not depend on it.
    settings = EncodingInfo(dtype="float32", compute_dtype=encoder.compute_dtype_name, length_cut=encoder.length_cut, truncated_texts=0)
    class_ids, class_names, class_offsets = texts.class_ids, texts.class_names, texts.class_offsets
    text_types = texts.text_types
    inputs = inputs_for_hash(
        dataset=texts.dataset.name, kind=texts.kind, class_ids=class_ids, class_names=class_names,
        class_offsets=class_offsets, texts=all_texts, text_types=text_types, clip=clip_info, encoding=settings,
        with_token_features=with_tokens,
    )
    content_hash = content_hash_of(inputs)
    bank_id = bank_id_for(texts, clip.model_name, pretrained, with_tokens, content_hash)
    target = (request.out_dir if request.out_dir is not None else paths.banks_dir()) / bank_id

    removed = clean_stale(target.parent)
    if removed:
        freed = sum(f.size_bytes for f in removed) / 1e6
        info(f"removed {len(removed)} stale staging folder(s) of killed runs in {target.parent} ({freed:.1f} MB)")
    existing = identical_bank(target, content_hash, verify=True)
    if existing is not None:
        return EncodeResult(path=target, manifest=existing, created=False)
    for writer_folder in live_writers_of(target.parent, bank_id):
        info(f"another run (pid {writer_folder.pid}) is writing {bank_id}; waiting for it to finish")
        wait_for(writer_folder)
    existing = identical_bank(target, content_hash)
    if existing is not None:
        return EncodeResult(path=target, manifest=existing, created=False, concurrent=True)

    started = time.perf_counter()
    plan = encoder.plan(all_texts, chunk_size=request.chunk_size)
    release_free_memory()
    encoding = settings.model_copy(update={"truncated_texts": len(plan.truncated_indices), "truncated_indices": plan.truncated_indices})
    token_length = plan.length if with_tokens else None
    layout = bank_layout(len(all_texts), clip.embed_dim, len(class_ids), token_length)
    with staging_folder(target) as folder:
        writer = TensorFileWriter(folder / TENSORS_FILE, layout)
        try:
            writer.write_range("class_offsets", 0, torch.tensor(class_offsets, dtype=torch.long))
            if show_progress:
                with progress(transient=True) as bar:
                    task = bar.add_task(f"encoding {bank_id}", total=len(all_texts))
                    encoder.encode_planned(all_texts, plan, writer, token_features=with_tokens, on_batch=lambda n: bar.advance(task, n))
            else:
                encoder.encode_planned(all_texts, plan, writer, token_features=with_tokens)
            if token_length is not None:
                write_token_extras(writer, plan.end_index, token_length)
        finally:
            writer.close()
        seconds = time.perf_counter() - started
        # Built after encoding, so that its copies of the class lists are not held while encoding.
        manifest = BankManifest(
            bank_id=bank_id, content_hash=content_hash, tensors_sha256="", dataset=texts.dataset.name, kind=texts.kind,
            split=texts.split, class_ids=class_ids, class_names=class_names, class_offsets=class_offsets, texts=all_texts,
            text_types=text_types, clip=clip_info, encoding=encoding,
            token_features=TokenFeaturesInfo(length=token_length) if token_length is not None else None,
            knowledge=KnowledgeInfo(
                file=_workspace_relative(texts.knowledge_file), sha256=texts.knowledge_sha256, template=texts.template,
                variant=texts.variant, source=texts.knowledge_source,
            ),
        )
        outcome = finish_bank(folder, target, manifest, writer)
    if not outcome.created:
        return EncodeResult(path=target, manifest=outcome.manifest, created=False, concurrent=True)
    return EncodeResult(path=target, manifest=outcome.manifest, created=True, encode_seconds=seconds)


def release_free_memory() -> None:
    """Give the allocator's free pages back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    Loading the model and planning free a lot of small and mid-sized blocks that glibc keeps in its
    heaps; returning them before encoding keeps the peak memory to what encoding itself needs.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _workspace_relative(path: Path | None) -> str | None:
    """A knowledge file's path relative to the workspace (as it reads on every machine), else absolute."""
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(paths.workspace_root()))
    except ValueError:
        return str(path.resolve())


def _may_need_quick_gelu(clip: LoadedClip, activation: str | None) -> bool:
    """A local checkpoint of an architecture that OpenAI released, run without QuickGELU."""
    import open_clip

    if clip.is_random or activation in (None, "QuickGELU") or clip.model_name.startswith("hf-hub:"):
        return False
    if not (clip.pretrained and Path(clip.pretrained).expanduser().exists()):
        return False
    return "openai" in open_clip.list_pretrained_tags_by_model(clip.model_name)


def report_truncation(manifest: BankManifest) -> str | None:
    """A line about texts longer than the context length, or None when there were none."""
    count = manifest.encoding.truncated_texts
    if not count:
        return None
    examples = ", ".join(repr(manifest.texts[i][:60]) for i in manifest.encoding.truncated_indices[:3])
    return (
        f"{count} of {manifest.num_texts} texts are longer than {manifest.clip.context_length} tokens and were "
        f"truncated (e.g. {examples})"
    )

