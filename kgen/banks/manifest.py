"""The bank manifest: ``banks/<bank id>/manifest.json`` (format ``kgen.bank``, version 2).

A bank is a directory (see :mod:`kgen.banks.layout`): ``bank.safetensors`` (the tensors),
``texts.jsonl`` (the texts), ``manifest.json`` (everything needed to know what the tensors are and
to reproduce them) and ``summary.json`` (what ``kgen bank list`` shows).

``content_hash`` is the SHA-256 of the canonical JSON of the *inputs* (:meth:`BankManifest.inputs`):
texts, classes, CLIP model and weights, tokenizer, encoding settings. Equal inputs give equal
hashes on every machine; any changed input gives a new hash, so a new bank directory, never an
overwrite. The inputs do not include the file layout: a version-2 bank has the content hash (and
the id, and the tensors file) that version 1 gave the same inputs. ``tensors_sha256`` is the
SHA-256 of ``bank.safetensors``, ``texts_file.sha256`` that of ``texts.jsonl`` (both checked on
load and by ``kgen bank verify``).

Version 1 (kgen before the streaming writer) kept every text inside ``manifest.json``;
:meth:`BankManifest.load` still reads it (the texts then come from the manifest itself).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from kgen import __version__
from kgen.banks.textfile import TextsFileInfo, TextTable
from kgen.errors import FormatError
from kgen.fileformat import VersionedFile
from kgen.hashing import sha256_json
from kgen.knowledge.base import utc_now

# The version of the hashed inputs (not of the file layout): bumping it would give every bank a
# new content hash and id. Version 2 of the format moved the texts out of the manifest, which
# changes no vector, so the inputs are hashed as in version 1.
HASHED_INPUTS_VERSION = 1


class ClipInfo(BaseModel):
    """The frozen CLIP text encoder that produced the vectors."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(description="open_clip architecture or hf-hub: id, e.g. ViT-B-16")
    pretrained: str = Field(description="pretrained tag, checkpoint path, or 'random'")
    weights_source: str
    is_random: bool
    text_tower_sha256: str
    embed_dim: int
    tokenizer: str
    context_length: int
    causal_mask: bool
    # The MLP activation of the text blocks (QuickGELU for OpenAI-trained weights, GELU otherwise):
    # the weights' hash does not show it, and the same weights give other vectors under the other one.
    activation: str | None = None


class EncodingInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    normalization: Literal["l2"] = "l2"
    dtype: str = Field(description="dtype of the stored tensors, e.g. float32")
    compute_dtype: str = Field(description="dtype the encoder ran in (fp32 on CPU; bf16/fp16 on GPU)")
    length_cut: bool = Field(description="batches cut to their longest text (causal text towers only)")
    truncated_texts: int = Field(ge=0, description="texts longer than the context length, truncated")
    truncated_indices: list[int] = []


class TokenFeaturesInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = "full sequence after the final layer norm and the text projection"
    mask: str = "token_mask marks content tokens: the start token, the end token and padding are excluded"
    length: int = Field(description="stored sequence length L (the longest text, in tokens)")


class KnowledgeInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(default=None, description="knowledge file the texts came from (None for names)")
    sha256: str | None = None
    template: str | None = Field(default=None, description="template applied by the bank builder, if any")
    variant: str | None = Field(default=None, description="imported variant of the kind (e.g. 'stdd-askg'); None: kgen's own")
    source: str | None = Field(default=None, description="'generated' (kgen's own knowledge) or 'imported' (a paper's released knowledge)")


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept the texts in the manifest: count them (the texts themselves are kept aside by
    :meth:`BankManifest.load`)."""
    raw = dict(raw)
    texts = raw.pop("texts", None)
    raw.pop("text_types", None)
    raw["num_texts"] = len(texts) if isinstance(texts, list) else -1
    return raw


class BankManifest(VersionedFile):
    """What a bank's tensors are. ``texts``/``text_types`` are read from ``texts.jsonl`` on first use.

    ``BankManifest(..., texts=[...], text_types=[...])`` builds one in memory (the texts are kept
    with it; ``num_texts`` is filled in).
    """

    FORMAT = "kgen.bank"
    VERSION = 2
    MIGRATIONS = {1: _v1_to_v2}

    bank_id: str
    content_hash: str
    tensors_sha256: str
    tensors_bytes: int | None = Field(default=None, description="size of bank.safetensors (None in version 1)")
    texts_file: TextsFileInfo | None = Field(default=None, description="texts.jsonl (None in version 1: the texts were in the manifest)")
    dataset: str
    kind: str
    split: str | None = Field(default=None, description="class split the bank is restricted to (label order of the split)")
    class_ids: list[int]
    class_names: list[str]
    class_offsets: list[int] = Field(description="texts of class k are rows class_offsets[k]:class_offsets[k+1]")
    num_texts: int
    clip: ClipInfo
    encoding: EncodingInfo
    token_features: TokenFeaturesInfo | None = None
    knowledge: KnowledgeInfo = KnowledgeInfo()
    kgen_version: str = __version__
    created_at: str = Field(default_factory=utc_now)

    _texts: TextTable | None = PrivateAttr(default=None)
    _stored_version: int = PrivateAttr(default=VERSION)

    def __init__(self, **data: Any) -> None:
        texts = data.pop("texts", None)
        text_types = data.pop("text_types", None)
        if texts is not None:
            data.setdefault("num_texts", len(texts))
            if len(texts) != data["num_texts"]:
                raise ValueError("texts and num_texts differ")
            if text_types is not None and len(text_types) != len(texts):
                raise ValueError("text_types and texts differ in length")
        super().__init__(**data)
        if texts is not None:
            self._texts = TextTable(texts, text_types)

    @model_validator(mode="after")
    def _check_shapes(self) -> BankManifest:
        classes = len(self.class_names)
        if len(self.class_ids) != classes:
            raise ValueError("class_ids and class_names differ in length")
        if len(self.class_offsets) != classes + 1 or self.class_offsets[0] != 0:
            raise ValueError("class_offsets must have one entry per class plus one, starting at 0")
        if any(b < a for a, b in zip(self.class_offsets, self.class_offsets[1:], strict=False)):
            raise ValueError("class_offsets must not decrease")
        if self.class_offsets[-1] != self.num_texts:
            raise ValueError("class_offsets must end at the number of texts")
        if self.texts_file is not None and self.texts_file.count != self.num_texts:
            raise ValueError("texts_file.count differs from num_texts")
        return self

    # ------------------------------------------------------------------ texts
    @property
    def texts(self) -> list[str]:
        return self.text_table.texts

    @property
    def text_types(self) -> list[str] | None:
        return self.text_table.text_types

    @property
    def text_table(self) -> TextTable:
        if self._texts is None:
            raise FormatError(f"the manifest of bank {self.bank_id} was not loaded from a bank directory: its texts are unknown")
        return self._texts

    def with_texts(self, texts: list[str], text_types: list[str] | None, **update: Any) -> BankManifest:
        """A copy with other texts in memory (and ``update`` applied), e.g. a bank's subset."""
        copy = self.model_copy(update={"num_texts": len(texts), **update})
        copy._texts = TextTable(texts, text_types)
        return copy

    @property
    def stored_format_version(self) -> int:
        """The format version of the file this manifest was read from (1 for an old bank)."""
        return self._stored_version

    # ------------------------------------------------------------------ files
    @classmethod
    def load(cls, path: Path) -> BankManifest:
        """Read ``manifest.json`` of version 2, or of version 1 (texts inside it)."""
        path = Path(path)
        if not path.exists():
            raise FormatError(f"{path} does not exist", hint="the bank is incomplete: encode it again")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"{path} is not valid JSON: {exc}", hint="encode the bank again") from exc
        except OSError as exc:
            raise FormatError(f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions") from exc
        version = raw.get("format_version") if isinstance(raw, dict) else None
        v1_texts: tuple[Any, Any] | None = None
        if version == 1 and raw.get("format") == cls.FORMAT:
            v1_texts = (raw.get("texts"), raw.get("text_types"))
            if not isinstance(v1_texts[0], list) or not all(isinstance(t, str) for t in v1_texts[0]):
                raise FormatError(f"{path} (kgen.bank version 1) has no list of texts", hint="encode the bank again")
            types = v1_texts[1]
            if types is not None and (not isinstance(types, list) or len(types) != len(v1_texts[0])):
                raise FormatError(f"{path} (kgen.bank version 1): text_types and texts differ in length", hint="encode the bank again")
        manifest = cls.from_dict(raw, origin=str(path))
        if v1_texts is not None:
            manifest._stored_version = 1
            manifest._texts = TextTable(v1_texts[0], v1_texts[1])
        else:
            if manifest.texts_file is None or manifest.tensors_bytes is None:
                raise FormatError(f"{path} (kgen.bank version 2) names no texts file or tensors size", hint="encode the bank again")
            manifest._texts = TextTable(path=path.parent / manifest.texts_file.file, info=manifest.texts_file)
        return manifest

    @property
    def lineage(self) -> str:
        """The bank id without its content hash: every version of "the same bank" shares it."""
        suffix = "-" + self.content_hash[:10]
        return self.bank_id[: -len(suffix)] if self.bank_id.endswith(suffix) else self.bank_id

    def inputs(self) -> dict[str, Any]:
        """What the vectors depend on: hashing this gives ``content_hash`` (reads the texts)."""
        return inputs_for_hash(
            dataset=self.dataset, kind=self.kind, class_ids=self.class_ids, class_names=self.class_names,
            class_offsets=self.class_offsets, texts=self.texts, text_types=self.text_types, clip=self.clip,
            encoding=self.encoding, with_token_features=self.token_features is not None,
        )


class BankSummary(VersionedFile):
    """``summary.json``: what ``kgen bank list`` shows, without reading the full manifest."""

    FORMAT = "kgen.bank-summary"
    VERSION = 1

    bank_id: str
    lineage: str
    bank_format: int
    dataset: str
    split: str | None
    kind: str
    variant: str | None = None  # an imported variant of the kind (manifest knowledge.variant)
    classes: int
    texts: int
    embed_dim: int
    model: str
    pretrained: str
    is_random: bool
    token_features: bool
    truncated_texts: int
    compute_dtype: str
    content_hash: str
    tensors_sha256: str
    tensors_bytes: int | None
    texts_bytes: int | None
    created_at: str

    @classmethod
    def of(cls, manifest: BankManifest, bank_format: int | None = None) -> BankSummary:
        return cls(
            bank_id=manifest.bank_id, lineage=manifest.lineage, bank_format=bank_format or manifest.stored_format_version,
            dataset=manifest.dataset, split=manifest.split, kind=manifest.kind, variant=manifest.knowledge.variant,
            classes=len(manifest.class_names),
            texts=manifest.num_texts, embed_dim=manifest.clip.embed_dim, model=manifest.clip.model_name,
            pretrained=manifest.clip.pretrained, is_random=manifest.clip.is_random,
            token_features=manifest.token_features is not None, truncated_texts=manifest.encoding.truncated_texts,
            compute_dtype=manifest.encoding.compute_dtype, content_hash=manifest.content_hash,
            tensors_sha256=manifest.tensors_sha256, tensors_bytes=manifest.tensors_bytes,
            texts_bytes=manifest.texts_file.bytes if manifest.texts_file else None, created_at=manifest.created_at,
        )

    def listing(self) -> dict[str, Any]:
        """The row ``kgen bank list --json`` prints (the keys it always printed, and the format)."""
        return {
            "bank_id": self.bank_id, "lineage": self.lineage, "dataset": self.dataset, "split": self.split,
            "kind": self.kind, "variant": self.variant, "classes": self.classes, "texts": self.texts, "embed_dim": self.embed_dim,
            "model": self.model, "pretrained": self.pretrained, "is_random": self.is_random,
            "token_features": self.token_features, "truncated_texts": self.truncated_texts,
            "compute_dtype": self.compute_dtype, "content_hash": self.content_hash, "created_at": self.created_at,
            "bank_format": self.bank_format,
        }


def inputs_for_hash(
    *,
    dataset: str,
    kind: str,
    class_ids: list[int],
    class_names: list[str],
    class_offsets: list[int],
    texts: list[str],
    text_types: list[str] | None,
    clip: ClipInfo,
    encoding: EncodingInfo,
    with_token_features: bool,
) -> dict[str, Any]:
    clip_inputs = clip.model_dump(exclude={"weights_source"})  # where the file lay does not change vectors
    return {
        "bank_format": HASHED_INPUTS_VERSION,
        "dataset": dataset,
        "kind": kind,
        "class_ids": class_ids,
        "class_names": class_names,
        "class_offsets": class_offsets,
        "texts": texts,
        "text_types": text_types,
        "clip": clip_inputs,
        "normalization": encoding.normalization,
        "dtype": encoding.dtype,
        "compute_dtype": encoding.compute_dtype,
        "with_token_features": with_token_features,
    }


def content_hash_of(inputs: dict[str, Any]) -> str:
    return sha256_json(inputs)
