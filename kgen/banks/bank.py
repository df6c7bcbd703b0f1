"""The in-memory bank and its on-disk tensors.

``bank.safetensors`` holds:

* ``embeddings``: ``[P, D]`` float, one L2-normalised vector per text (P texts in all);
* ``class_offsets``: ``[C + 1]`` int64, class ``k``'s texts are rows ``offsets[k]:offsets[k+1]``
  (a ragged number of prompts per class);
* optionally ``token_features``: ``[P, L, D]`` (the full sequence after the final layer norm and
  the text projection, not normalised) and ``token_mask``: ``[P, L]`` uint8 (1 for content tokens:
  not the start token, not the end token, not padding), and ``eot_index``: ``[P]`` int64 (the end
  token's position, whose feature is the pooled embedding before normalisation).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from kgen import paths
from kgen.banks.manifest import BankManifest
from kgen.errors import FormatError, InputError
from kgen.hashing import sha256_file

TENSORS_FILE = "bank.safetensors"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Bank:
    """Text embeddings of a dataset's classes, as the video models consume them."""

    manifest: BankManifest
    embeddings: torch.Tensor
    class_offsets: torch.Tensor
    token_features: torch.Tensor | None = None
    token_mask: torch.Tensor | None = None
    eot_index: torch.Tensor | None = None
    path: Path | None = None

    # ------------------------------------------------------------------ what it holds
    @property
    def bank_id(self) -> str:
        return self.manifest.bank_id

    @property
    def dataset(self) -> str:
        return self.manifest.dataset

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def class_names(self) -> list[str]:
        return list(self.manifest.class_names)

    @property
    def class_ids(self) -> list[int]:
        return list(self.manifest.class_ids)

    @property
    def texts(self) -> list[str]:
        return list(self.manifest.texts)

    @property
    def text_types(self) -> list[str] | None:
        return None if self.manifest.text_types is None else list(self.manifest.text_types)

    @property
    def num_classes(self) -> int:
        return len(self.manifest.class_names)

    @property
    def num_texts(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def texts_per_class(self) -> list[int]:
        offsets = self.class_offsets.tolist()
        return [b - a for a, b in zip(offsets, offsets[1:], strict=False)]

    def class_texts(self, k: int) -> list[str]:
        start, end = self.manifest.class_offsets[k], self.manifest.class_offsets[k + 1]
        return self.manifest.texts[start:end]

    def class_embeddings(self, k: int) -> torch.Tensor:
        start, end = int(self.class_offsets[k]), int(self.class_offsets[k + 1])
        return self.embeddings[start:end]

    # ------------------------------------------------------------------ views for models
    def classifier(self) -> torch.Tensor:
        """``[C, D]``: the mean of each class's normalised text embeddings, renormalised."""
        counts = torch.tensor(self.texts_per_class, device=self.embeddings.device)
        if bool((counts == 0).any()):
            empty = [self.class_names[i] for i in torch.nonzero(counts == 0).flatten().tolist()]
            raise FormatError(f"bank {self.bank_id} has classes without texts: {', '.join(empty[:5])}")
        index = torch.repeat_interleave(torch.arange(self.num_classes, device=self.embeddings.device), counts)
        sums = torch.zeros(self.num_classes, self.dim, dtype=torch.float32, device=self.embeddings.device)
        sums.index_add_(0, index, self.embeddings.float())
        means = sums / counts.unsqueeze(1).to(sums.dtype)
        return torch.nn.functional.normalize(means, dim=-1).to(self.embeddings.dtype)

    def padded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``([C, N, D], [C, N] bool)``: texts per class padded to the largest class; mask marks real ones."""
        counts = self.texts_per_class
        width = max(counts) if counts else 0
        out = self.embeddings.new_zeros(self.num_classes, width, self.dim)
        mask = torch.zeros(self.num_classes, width, dtype=torch.bool, device=self.embeddings.device)
        for k, count in enumerate(counts):
            if count:
                out[k, :count] = self.class_embeddings(k)
                mask[k, :count] = True
        return out, mask

    def subset(self, class_ids: Sequence[int]) -> Bank:
        """The bank restricted to ``class_ids`` (dataset ids), in that order (a split's label order)."""
        position = {cid: i for i, cid in enumerate(self.manifest.class_ids)}
        missing = [cid for cid in class_ids if cid not in position]
        if missing:
            raise InputError(f"bank {self.bank_id} has no class with id {missing[:5]}", hint="check the split and the bank's dataset")
        rows: list[int] = []
        offsets = [0]
        for cid in class_ids:
            k = position[cid]
            start, end = self.manifest.class_offsets[k], self.manifest.class_offsets[k + 1]
            rows.extend(range(start, end))
            offsets.append(offsets[-1] + end - start)
        index = torch.tensor(rows, dtype=torch.long, device=self.embeddings.device)
        manifest = self.manifest.model_copy(
            update={
                "class_ids": list(class_ids),
                "class_names": [self.manifest.class_names[position[c]] for c in class_ids],
                "class_offsets": offsets,
                "texts": [self.manifest.texts[r] for r in rows],
                "text_types": None if self.manifest.text_types is None else [self.manifest.text_types[r] for r in rows],
            }
        )
        return Bank(
            manifest=manifest,
            embeddings=self.embeddings.index_select(0, index),
            class_offsets=torch.tensor(offsets, dtype=torch.long, device=self.class_offsets.device),
            token_features=None if self.token_features is None else self.token_features.index_select(0, index),
            token_mask=None if self.token_mask is None else self.token_mask.index_select(0, index),
            eot_index=None if self.eot_index is None else self.eot_index.index_select(0, index),
            path=self.path,
        )

    def to(self, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> Bank:
        def move(t: torch.Tensor | None, floating: bool) -> torch.Tensor | None:
            if t is None:
                return None
            return t.to(device=device, dtype=dtype if floating and dtype is not None else t.dtype)

        return replace(
            self,
            embeddings=move(self.embeddings, True),
            class_offsets=move(self.class_offsets, False),
            token_features=move(self.token_features, True),
            token_mask=move(self.token_mask, False),
            eot_index=move(self.eot_index, False),
        )

    def check_compatible(
        self, clip_model: str | None = None, embed_dim: int | None = None, pretrained: str | None = None
    ) -> None:
        """Refuse a bank made for another CLIP model, embedding width or weights than the run uses.

        ``pretrained`` is the run's ``--pretrained`` (a tag, ``random``, or a checkpoint path, compared
        by file name, as the manifest records it).
        """
        if embed_dim is not None and embed_dim != self.dim:
            raise InputError(
                f"bank {self.bank_id} holds {self.dim}-d vectors but the model embeds into {embed_dim} dimensions",
                hint=f"encode a bank with the run's CLIP model (kgen encode-bank --model ...); this one is {self.manifest.clip.model_name}",
            )
        if clip_model is not None and clip_model != self.manifest.clip.model_name:
            raise InputError(
                f"bank {self.bank_id} was encoded with {self.manifest.clip.model_name}, the run uses {clip_model}",
                hint=f"encode a bank with --model {clip_model}",
            )
        if pretrained is not None:
            recorded = self.manifest.clip.pretrained
            if pretrained != recorded and Path(pretrained).name != recorded:
                raise InputError(
                    f"bank {self.bank_id} was encoded with {self.manifest.clip.model_name} weights {recorded!r}, "
                    f"the run uses {pretrained!r}",
                    hint=f"encode a bank with --pretrained {pretrained}",
                )

    # ------------------------------------------------------------------ disk
    def tensors(self) -> dict[str, torch.Tensor]:
        tensors = {"embeddings": self.embeddings.contiguous().cpu(), "class_offsets": self.class_offsets.cpu()}
        if self.token_features is not None:
            assert self.token_mask is not None and self.eot_index is not None
            tensors["token_features"] = self.token_features.contiguous().cpu()
            tensors["token_mask"] = self.token_mask.to(torch.uint8).contiguous().cpu()
            tensors["eot_index"] = self.eot_index.cpu()
        return tensors

    def save(self, directory: Path) -> Path:
        """Write the bank to ``directory`` atomically (a temporary sibling folder, then a rename).

        Refuses to overwrite an existing bank: banks are immutable, a new input makes a new bank.
        """
        directory = Path(directory)
        if directory.exists():
            raise InputError(f"{directory} already exists; banks are never overwritten", hint="remove it or choose another --out")
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            save_file(self.tensors(), str(staging / TENSORS_FILE), metadata={"format": BankManifest.FORMAT})
            manifest = self.manifest.model_copy(update={"tensors_sha256": sha256_file(staging / TENSORS_FILE)})
            manifest.save(staging / MANIFEST_FILE)
            staging.rename(directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return directory


def resolve_bank_path(path_or_id: str | Path) -> Path:
    """A bank directory from a path, a bank id under ``banks/``, a unique prefix of one, or
    ``[DIR/]<lineage>@latest`` (the newest version of a lineage: a bank id without its hash)."""
    from kgen.banks.store import LATEST_SUFFIX, resolve_latest

    candidate = Path(path_or_id).expanduser()
    if (candidate / MANIFEST_FILE).is_file():
        return candidate
    root = paths.banks_dir()
    if str(path_or_id).endswith(LATEST_SUFFIX):
        return resolve_latest(str(path_or_id), root)
    if (root / str(path_or_id) / MANIFEST_FILE).is_file():
        return root / str(path_or_id)
    matches = sorted(p for p in root.glob(f"{path_or_id}*") if (p / MANIFEST_FILE).is_file()) if root.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches[:6])
        raise InputError(
            f"{path_or_id!r} matches {len(matches)} banks: {names}",
            hint="give more of the bank id, or name the newest version of a lineage with LINEAGE@latest",
        )
    raise FormatError(
        f"no bank at {path_or_id!r} (looked for {candidate / MANIFEST_FILE} and under {root})",
        hint="list banks with `kgen bank list`, or make one with `kgen encode-bank`",
    )


def load_bank(
    path_or_id: str | Path,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    expect_clip: str | None = None,
    expect_dim: int | None = None,
    verify: bool = False,
    expect_pretrained: str | None = None,
) -> Bank:
    """Load a bank for a training or evaluation run.

    ``path_or_id`` is a bank directory, a bank id under ``banks/`` (or a unique prefix of one), or
    ``[DIR/]<lineage>@latest``. ``expect_clip``/``expect_dim``/``expect_pretrained`` name the CLIP
    model, embedding width and weights the run uses: a bank made for another one is refused.
    ``verify=True`` also checks the tensors file against its hash.
    """
    directory = resolve_bank_path(path_or_id)
    manifest = BankManifest.load(directory / MANIFEST_FILE)
    tensors_path = directory / TENSORS_FILE
    if not tensors_path.is_file():
        raise FormatError(f"bank {directory} has no {TENSORS_FILE}", hint="the bank is incomplete: encode it again")
    if verify and sha256_file(tensors_path) != manifest.tensors_sha256:
        raise FormatError(f"{tensors_path} does not match its manifest's hash: the file is corrupt or was changed", hint="encode the bank again")
    try:
        tensors = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise FormatError(f"{tensors_path} is corrupt: {exc}", hint="encode the bank again") from exc
    bank = Bank(
        manifest=manifest,
        embeddings=_require(tensors, "embeddings", tensors_path),
        class_offsets=_require(tensors, "class_offsets", tensors_path).long(),
        token_features=tensors.get("token_features"),
        token_mask=tensors["token_mask"].bool() if "token_mask" in tensors else None,
        eot_index=tensors.get("eot_index"),
        path=directory,
    )
    _check_consistency(bank, tensors_path)
    bank.check_compatible(expect_clip, expect_dim, expect_pretrained)
    return bank.to(device=device, dtype=dtype)


def _require(tensors: dict[str, torch.Tensor], name: str, path: Path) -> torch.Tensor:
    if name not in tensors:
        raise FormatError(f"{path} has no tensor {name!r}", hint="encode the bank again")
    return tensors[name]


def _check_consistency(bank: Bank, path: Path) -> None:
    manifest = bank.manifest
    problems = []
    if bank.embeddings.ndim != 2 or bank.embeddings.shape[0] != len(manifest.texts):
        problems.append(f"embeddings {tuple(bank.embeddings.shape)} for {len(manifest.texts)} texts")
    elif bank.embeddings.shape[1] != manifest.clip.embed_dim:
        problems.append(f"embeddings are {bank.embeddings.shape[1]}-d, manifest says {manifest.clip.embed_dim}")
    if bank.class_offsets.tolist() != manifest.class_offsets:
        problems.append("class_offsets differ from the manifest's")
    if (bank.token_features is None) != (manifest.token_features is None):
        problems.append("token features present in one of tensors/manifest only")
    if bank.token_features is not None:
        if bank.token_mask is None or bank.eot_index is None:
            problems.append("token_features without token_mask/eot_index")
        elif bank.token_features.shape[:2] != bank.token_mask.shape or bank.token_features.shape[0] != bank.num_texts:
            problems.append("token_features and token_mask shapes disagree")
        elif bank.token_features.shape[2] != bank.dim or tuple(bank.eot_index.shape) != (bank.num_texts,):
            problems.append("token_features or eot_index have the wrong shape")
        elif manifest.token_features is not None and bank.token_features.shape[1] != manifest.token_features.length:
            problems.append(f"token_features hold {bank.token_features.shape[1]} positions, the manifest says {manifest.token_features.length}")
    if problems:
        raise FormatError(f"{path} does not match its manifest: {'; '.join(problems)}", hint="encode the bank again")
