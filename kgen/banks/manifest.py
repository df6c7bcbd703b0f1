"""The bank manifest: ``banks/<bank id>/manifest.json`` (format ``kgen.bank``).

A bank is a directory with two files:

* ``bank.safetensors``: the tensors (see :mod:`kgen.banks.bank`);
* ``manifest.json``: everything needed to know what those tensors are and to reproduce them.

``content_hash`` is the SHA-256 of the canonical JSON of the *inputs* (:meth:`BankManifest.inputs`):
texts, classes, CLIP model and weights, tokenizer, encoding settings. Equal inputs give equal
hashes on every machine; any changed input gives a new hash, so a new bank directory, never an
overwrite. ``tensors_sha256`` is the SHA-256 of ``bank.safetensors`` (checked by ``kgen bank
verify``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kgen import __version__
from kgen.fileformat import VersionedFile
from kgen.hashing import sha256_json
from kgen.knowledge.base import utc_now


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


class BankManifest(VersionedFile):
    FORMAT = "kgen.bank"
    VERSION = 1

    bank_id: str
    content_hash: str
    tensors_sha256: str
    dataset: str
    kind: str
    split: str | None = Field(default=None, description="class split the bank is restricted to (label order of the split)")
    class_ids: list[int]
    class_names: list[str]
    class_offsets: list[int] = Field(description="texts of class k are texts[class_offsets[k]:class_offsets[k+1]]")
    texts: list[str]
    text_types: list[str] | None = None
    clip: ClipInfo
    encoding: EncodingInfo
    token_features: TokenFeaturesInfo | None = None
    knowledge: KnowledgeInfo = KnowledgeInfo()
    kgen_version: str = __version__
    created_at: str = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _check_shapes(self) -> BankManifest:
        classes = len(self.class_names)
        if len(self.class_ids) != classes:
            raise ValueError("class_ids and class_names differ in length")
        if len(self.class_offsets) != classes + 1 or self.class_offsets[0] != 0:
            raise ValueError("class_offsets must have one entry per class plus one, starting at 0")
        if any(b < a for a, b in zip(self.class_offsets, self.class_offsets[1:], strict=False)):
            raise ValueError("class_offsets must not decrease")
        if self.class_offsets[-1] != len(self.texts):
            raise ValueError("class_offsets must end at the number of texts")
        if self.text_types is not None and len(self.text_types) != len(self.texts):
            raise ValueError("text_types and texts differ in length")
        return self

    @property
    def lineage(self) -> str:
        """The bank id without its content hash: every version of "the same bank" shares it."""
        suffix = "-" + self.content_hash[:10]
        return self.bank_id[: -len(suffix)] if self.bank_id.endswith(suffix) else self.bank_id

    def inputs(self) -> dict[str, Any]:
        """What the vectors depend on: hashing this gives ``content_hash``."""
        return inputs_for_hash(
            dataset=self.dataset, kind=self.kind, class_ids=self.class_ids, class_names=self.class_names,
            class_offsets=self.class_offsets, texts=self.texts, text_types=self.text_types, clip=self.clip,
            encoding=self.encoding, with_token_features=self.token_features is not None,
        )


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
        "bank_format": BankManifest.VERSION,
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
