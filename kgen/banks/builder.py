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
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from kgen import paths
from kgen.banks.bank import MANIFEST_FILE, TENSORS_FILE, Bank
from kgen.banks.encoder import Precision, TextEncoder, describe_tokenizer
from kgen.banks.manifest import (
    BankManifest,
    ClipInfo,
    EncodingInfo,
    KnowledgeInfo,
    TokenFeaturesInfo,
    content_hash_of,
    inputs_for_hash,
)
from kgen.banks.texts import NAMES_KIND, BankTexts, collect_texts
from kgen.clip import LoadedClip, load_clip, text_tower_sha256
from kgen.console import progress, warn
from kgen.datasets import Dataset, slugify
from kgen.errors import FormatError, InputError

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

    @property
    def with_token_features(self) -> bool:
        return self.token_features or self.kind in TOKEN_FEATURE_KINDS


@dataclass(frozen=True)
class EncodeResult:
    path: Path
    manifest: BankManifest
    created: bool  # False: an identical bank was already there
    encode_seconds: float = 0.0

    @property
    def texts_per_second(self) -> float | None:
        if not self.created or self.encode_seconds <= 0:
            return None
        return len(self.manifest.texts) / self.encode_seconds


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
            quick_gelu=request.quick_gelu,
        )
    else:
        clip.model.to(device)
    encoder = TextEncoder(
        clip.model, clip.tokenizer, context_length=clip.context_length, precision=request.precision,
        batch_size=request.batch_size,
    )
    with_tokens = request.with_token_features
    if with_tokens and not encoder.supports_token_features:
        raise InputError(
            f"{clip.model_name} has a text tower without per-token features kgen can read",
            hint="per-token features need an open_clip text transformer pooled at its end token (CLIP ViT/RN models)",
        )
    tokens = encoder.tokenize(all_texts)
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
    encoding = EncodingInfo(
        dtype="float32", compute_dtype=encoder.compute_dtype_name, length_cut=encoder.length_cut,
        truncated_texts=len(tokens.truncated_indices), truncated_indices=tokens.truncated_indices,
    )
    inputs = inputs_for_hash(
        dataset=texts.dataset.name, kind=texts.kind, class_ids=[c.class_id for c in texts.classes],
        class_names=[c.class_name for c in texts.classes], class_offsets=texts.class_offsets, texts=all_texts,
        text_types=texts.text_types, clip=clip_info, encoding=encoding, with_token_features=with_tokens,
    )
    content_hash = content_hash_of(inputs)
    bank_id = bank_id_for(texts, clip.model_name, pretrained, with_tokens, content_hash)
    target = (request.out_dir if request.out_dir is not None else paths.banks_dir()) / bank_id

    existing = _existing_bank(target, content_hash)
    if existing is not None:
        return EncodeResult(path=target, manifest=existing, created=False)

    started = time.perf_counter()
    if show_progress:
        with progress(transient=True) as bar:
            task = bar.add_task(f"encoding {bank_id}", total=len(all_texts))
            encoded = encoder.encode(tokens, token_features=with_tokens, on_batch=lambda n: bar.advance(task, n))
    else:
        encoded = encoder.encode(tokens, token_features=with_tokens)
    seconds = time.perf_counter() - started

    manifest = BankManifest(
        bank_id=bank_id, content_hash=content_hash, tensors_sha256="", dataset=texts.dataset.name, kind=texts.kind,
        split=texts.split, class_ids=[c.class_id for c in texts.classes], class_names=[c.class_name for c in texts.classes],
        class_offsets=texts.class_offsets, texts=all_texts, text_types=texts.text_types, clip=clip_info, encoding=encoding,
        token_features=TokenFeaturesInfo(length=int(encoded.token_features.shape[1])) if encoded.token_features is not None else None,
        knowledge=KnowledgeInfo(
            file=_workspace_relative(texts.knowledge_file), sha256=texts.knowledge_sha256, template=texts.template,
            variant=texts.variant, source=texts.knowledge_source,
        ),
    )
    bank = Bank(
        manifest=manifest, embeddings=encoded.embeddings, class_offsets=torch.tensor(texts.class_offsets, dtype=torch.long),
        token_features=encoded.token_features, token_mask=encoded.token_mask,
        eot_index=encoded.end_index if encoded.token_features is not None else None,
    )
    bank.save(target)
    saved = BankManifest.load(target / MANIFEST_FILE)
    return EncodeResult(path=target, manifest=saved, created=True, encode_seconds=seconds)


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


def _existing_bank(target: Path, content_hash: str) -> BankManifest | None:
    """The manifest of an identical bank already at ``target``; refuse anything else there."""
    if not target.exists():
        return None
    if not (target / MANIFEST_FILE).is_file() or not (target / TENSORS_FILE).is_file():
        raise FormatError(
            f"{target} exists but is not a complete bank",
            hint=f"remove {target} and encode again",
        )
    manifest = BankManifest.load(target / MANIFEST_FILE)
    if manifest.content_hash != content_hash or content_hash_of(manifest.inputs()) != content_hash:
        raise FormatError(
            f"{target} holds a bank whose manifest does not hash to {content_hash[:16]}... (it records "
            f"{manifest.content_hash[:16]}...): the directory was changed after encoding",
            hint=f"check it with `kgen bank verify {target}`, then remove it and encode again",
        )
    return manifest


def report_truncation(manifest: BankManifest) -> str | None:
    """A line about texts longer than the context length, or None when there were none."""
    count = manifest.encoding.truncated_texts
    if not count:
        return None
    examples = ", ".join(repr(manifest.texts[i][:60]) for i in manifest.encoding.truncated_indices[:3])
    return (
        f"{count} of {len(manifest.texts)} texts are longer than {manifest.clip.context_length} tokens and were "
        f"truncated (e.g. {examples})"
    )

