"""The in-memory bank and its on-disk tensors.

``bank.safetensors`` holds:

* ``embeddings``: ``[P, D]`` float, one L2-normalised vector per text (P texts in all);
* ``class_offsets``: ``[C + 1]`` int64, class ``k``'s texts are rows ``offsets[k]:offsets[k+1]``
  (a ragged number of prompts per class);
* optionally ``token_features``: ``[P, L, D]`` (the full sequence after the final layer norm and
  the text projection, not normalised) and ``token_mask``: ``[P, L]`` uint8 (1 for content tokens:
  not the start token, not the end token, not padding), and ``eot_index``: ``[P]`` int64 (the end
  token's position, whose feature is the pooled embedding before normalisation).

A loaded bank reads lazily: :func:`load_bank` reads the manifest and the tensors file's header
(and verifies the bank); each tensor is read on first use, through ``safetensors.safe_open``, or
memory-mapped with ``mmap=True`` (then nothing is read until a row is touched). The texts are
read from ``texts.jsonl`` on first use too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from kgen.banks.layout import MANIFEST_FILE, TENSORS_FILE, ParsedHeader, TensorEntry
from kgen.banks.manifest import BankManifest
from kgen.banks.store import resolve_bank_path  # here too: where it was first defined
from kgen.errors import FormatError, InputError

__all__ = ["MANIFEST_FILE", "TENSORS_FILE", "Bank", "load_bank", "resolve_bank_path"]

_PER_TEXT = ("embeddings", "token_features", "token_mask", "eot_index")
_TOKEN_TENSORS = ("token_features", "token_mask", "eot_index")
_FLOATING = ("embeddings", "token_features")
_NUMPY = {"F32": np.float32, "I64": np.int64, "U8": np.uint8, "F16": np.float16, "I32": np.int32, "F64": np.float64}


class TensorSource:
    """The tensors of a ``bank.safetensors``, read one at a time on request."""

    def __init__(self, path: Path, header: ParsedHeader, mmap: bool = False) -> None:
        self.path = path
        self.header = header
        self.mmap = mmap

    def get(self, name: str) -> torch.Tensor:
        entry = self.header.entries.get(name)
        if entry is None:
            raise FormatError(f"{self.path} has no tensor {name!r}", hint="encode the bank again")
        try:
            return self._mapped(entry) if self.mmap else self._read(name)
        except (OSError, ValueError, RuntimeError) as exc:
            raise FormatError(f"{self.path} is corrupt: {exc}", hint="encode the bank again") from exc

    def _read(self, name: str) -> torch.Tensor:
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(self.path), framework="pt") as handle:
                return handle.get_tensor(name)
        except SafetensorError as exc:
            raise ValueError(str(exc)) from exc

    def _mapped(self, entry: TensorEntry) -> torch.Tensor:
        spec = entry.spec
        if spec.dtype not in _NUMPY:
            raise ValueError(f"tensor {entry.spec.name} is stored as {spec.dtype}, which a bank does not use")
        if spec.nbytes == 0:
            return torch.from_numpy(np.empty(spec.shape, dtype=_NUMPY[spec.dtype]))
        # Copy-on-write mapping: pages are read from the file when touched; writes stay private.
        array = np.memmap(self.path, dtype=_NUMPY[spec.dtype], mode="c", offset=entry.start, shape=spec.shape)
        return torch.from_numpy(array)


Loader = Callable[[], torch.Tensor | None]


class Bank:
    """Text embeddings of a dataset's classes, as the video models consume them.

    Built in memory from tensors (``Bank(manifest=..., embeddings=..., class_offsets=...)``) or by
    :func:`load_bank`, whose tensors are read on first use.
    """

    def __init__(
        self,
        manifest: BankManifest,
        embeddings: torch.Tensor | None = None,
        class_offsets: torch.Tensor | None = None,
        token_features: torch.Tensor | None = None,
        token_mask: torch.Tensor | None = None,
        eot_index: torch.Tensor | None = None,
        path: Path | None = None,
        *,
        loaders: dict[str, Loader] | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.manifest = manifest
        self.path = path
        self._device = device
        self._dtype = dtype
        given = {"embeddings": embeddings, "class_offsets": class_offsets, "token_features": token_features,
                 "token_mask": token_mask, "eot_index": eot_index}
        self._loaders: dict[str, Loader] = dict(loaders or {})
        self._tensors: dict[str, torch.Tensor | None] = {}
        for name, value in given.items():
            if value is not None or name not in self._loaders:
                self._tensors[name] = value
        if self._tensors.get("embeddings") is None and "embeddings" not in self._loaders:
            raise ValueError("a bank needs embeddings (or a loader for them)")

    # ------------------------------------------------------------------ tensors, read on first use
    def _get(self, name: str) -> torch.Tensor | None:
        if name in self._tensors:
            return self._tensors[name]
        value = self._loaders[name]()
        if value is not None:
            value = value.to(device=self._device, dtype=self._dtype if name in _FLOATING and self._dtype is not None else value.dtype)
        self._tensors[name] = value
        return value

    @property
    def embeddings(self) -> torch.Tensor:
        value = self._get("embeddings")
        assert value is not None
        return value

    @property
    def class_offsets(self) -> torch.Tensor:
        value = self._get("class_offsets")
        if value is None:
            value = torch.tensor(self.manifest.class_offsets, dtype=torch.long, device=self._device)
            self._tensors["class_offsets"] = value
        return value

    @property
    def token_features(self) -> torch.Tensor | None:
        return self._get("token_features")

    @property
    def token_mask(self) -> torch.Tensor | None:
        return self._get("token_mask")

    @property
    def eot_index(self) -> torch.Tensor | None:
        return self._get("eot_index")

    @property
    def loaded_tensors(self) -> list[str]:
        """Names of the tensors read so far (the rest are still on disk)."""
        return [name for name, value in self._tensors.items() if value is not None]

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
        types = self.manifest.text_types
        return None if types is None else list(types)

    @property
    def num_classes(self) -> int:
        return len(self.manifest.class_names)

    @property
    def num_texts(self) -> int:
        return self.manifest.num_texts

    @property
    def dim(self) -> int:
        return self.manifest.clip.embed_dim

    @property
    def texts_per_class(self) -> list[int]:
        offsets = self.manifest.class_offsets
        return [b - a for a, b in zip(offsets, offsets[1:], strict=False)]

    def class_texts(self, k: int) -> list[str]:
        start, end = self.manifest.class_offsets[k], self.manifest.class_offsets[k + 1]
        return self.manifest.texts[start:end]

    def class_embeddings(self, k: int) -> torch.Tensor:
        start, end = self.manifest.class_offsets[k], self.manifest.class_offsets[k + 1]
        return self.embeddings[start:end]

    # ------------------------------------------------------------------ views for models
    def classifier(self) -> torch.Tensor:
        """``[C, D]``: the mean of each class's normalised text embeddings, renormalised."""
        embeddings = self.embeddings
        counts = torch.tensor(self.texts_per_class, device=embeddings.device)
        if bool((counts == 0).any()):
            empty = [self.class_names[i] for i in torch.nonzero(counts == 0).flatten().tolist()]
            raise FormatError(f"bank {self.bank_id} has classes without texts: {', '.join(empty[:5])}")
        index = torch.repeat_interleave(torch.arange(self.num_classes, device=embeddings.device), counts)
        sums = torch.zeros(self.num_classes, self.dim, dtype=torch.float32, device=embeddings.device)
        sums.index_add_(0, index, embeddings.float())
        means = sums / counts.unsqueeze(1).to(sums.dtype)
        return torch.nn.functional.normalize(means, dim=-1).to(embeddings.dtype)

    def padded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``([C, N, D], [C, N] bool)``: texts per class padded to the largest class; mask marks real ones."""
        embeddings = self.embeddings
        counts = self.texts_per_class
        width = max(counts) if counts else 0
        out = embeddings.new_zeros(self.num_classes, width, self.dim)
        mask = torch.zeros(self.num_classes, width, dtype=torch.bool, device=embeddings.device)
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
        texts, types = self.manifest.texts, self.manifest.text_types
        manifest = self.manifest.with_texts(
            [texts[r] for r in rows], None if types is None else [types[r] for r in rows],
            class_ids=list(class_ids), class_names=[self.manifest.class_names[position[c]] for c in class_ids],
            class_offsets=offsets,
        )
        index = torch.tensor(rows, dtype=torch.long)

        def picked(name: str) -> Loader:
            def load() -> torch.Tensor | None:
                value = self._get(name)
                return None if value is None else value.index_select(0, index.to(value.device))

            return load

        return Bank(
            manifest=manifest,
            class_offsets=torch.tensor(offsets, dtype=torch.long, device=self.class_offsets.device),
            path=self.path,
            loaders={name: picked(name) for name in _PER_TEXT},
            device=self._device,
            dtype=self._dtype,
        )

    def to(self, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> Bank:
        """The bank on ``device`` with floating tensors in ``dtype``; tensors not read yet are moved when read."""
        def moved(name: str) -> Loader:
            def load() -> torch.Tensor | None:
                value = self._get(name)
                if value is None:
                    return None
                return value.to(device=device, dtype=dtype if name in _FLOATING and dtype is not None else value.dtype)

            return load

        return Bank(
            manifest=self.manifest,
            path=self.path,
            loaders={name: moved(name) for name in (*_PER_TEXT, "class_offsets")},
            device=device if device is not None else self._device,
            dtype=dtype if dtype is not None else self._dtype,
        )

    def check_compatible(
        self, clip_model: str | None = None, embed_dim: int | None = None, pretrained: str | None = None
    ) -> None:
        """Refuse a bank made for another CLIP model, embedding width or weights than the run uses.

        ``pretrained`` is the run's ``--clip-pretrained`` (a tag, ``random``, or a checkpoint path, compared
        by file name, as the manifest records it).
        """
        if embed_dim is not None and embed_dim != self.dim:
            raise InputError(
                f"bank {self.bank_id} holds {self.dim}-d vectors but the model embeds into {embed_dim} dimensions",
                hint=f"encode a bank with the run's CLIP model (kgen encode-bank --clip-model ...); this one is {self.manifest.clip.model_name}",
            )
        if clip_model is None and pretrained is None:
            return
        # Only now: kgen.clip imports open_clip (and torchvision), seconds that a load which
        # names no CLIP model does not need to pay.
        from kgen.clip.names import canonical_model_name, canonical_pretrained

        if clip_model is not None and canonical_model_name(clip_model) != canonical_model_name(self.manifest.clip.model_name):
            raise InputError(
                f"bank {self.bank_id} was encoded with {self.manifest.clip.model_name}, the run uses {clip_model}",
                hint=f"encode a bank with --clip-model {clip_model}",
            )
        if pretrained is not None:
            recorded = self.manifest.clip.pretrained
            same_tag = canonical_pretrained(self.manifest.clip.model_name, pretrained) == canonical_pretrained(self.manifest.clip.model_name, recorded)
            if not same_tag and Path(pretrained).name != recorded:
                raise InputError(
                    f"bank {self.bank_id} was encoded with {self.manifest.clip.model_name} weights {recorded!r}, "
                    f"the run uses {pretrained!r}",
                    hint=f"encode a bank with --clip-pretrained {pretrained}",
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
        """Write the bank to ``directory`` atomically (a hidden staging folder, then a rename).

        Refuses to overwrite an existing bank: banks are immutable, a new input makes a new bank.
        """
        from kgen.banks.staging import staging_folder
        from kgen.banks.writer import TensorFileWriter, bank_layout, finish_bank

        directory = Path(directory)
        if directory.exists():
            raise InputError(f"{directory} already exists; banks are never overwritten", hint="remove it or choose another --out")
        tensors = self.tensors()
        length = int(tensors["token_features"].shape[1]) if "token_features" in tensors else None
        layout = bank_layout(self.num_texts, int(tensors["embeddings"].shape[1]), self.num_classes, length)
        with staging_folder(directory) as folder:
            writer = TensorFileWriter(folder / TENSORS_FILE, layout)
            try:
                for name, value in tensors.items():
                    writer.write_range(name, 0, value)
            finally:
                writer.close()
            finish_bank(folder, directory, self.manifest, writer)
        return directory

    def __repr__(self) -> str:
        return f"Bank({self.bank_id!r}, classes={self.num_classes}, texts={self.num_texts}, dim={self.dim})"


def load_bank(
    path_or_id: str | Path,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    expect_clip: str | None = None,
    expect_dim: int | None = None,
    verify: bool = True,
    expect_pretrained: str | None = None,
    mmap: bool = False,
) -> Bank:
    """Load a bank for a training or evaluation run.

    ``path_or_id`` is a bank directory, a bank id under ``banks/`` (or a unique prefix of one), or
    ``[DIR/]<lineage>@latest``. ``expect_clip``/``expect_dim``/``expect_pretrained`` name the CLIP
    model, embedding width and weights the run uses: a bank made for another one is refused.

    ``verify=True`` (the default) runs every check of ``kgen bank verify`` (hashes of the tensors
    and texts, the content hash, manifest consistency, finite unit-norm rows) and refuses a damaged
    bank; a bank that passed before with unchanged files is not read again (see
    :mod:`kgen.banks.verify`). ``verify=False`` runs only the checks that read no data (files
    complete, tensors of the shapes the manifest says). The tensors are read on first use;
    ``mmap=True`` maps them instead of reading them.
    """
    from kgen.banks.verify import check_bank, quick_problems

    directory = resolve_bank_path(path_or_id)
    manifest = BankManifest.load(directory / MANIFEST_FILE)
    if verify:
        report, header = check_bank(directory, manifest, use_memory=True)
        problems = report.problems
    else:
        problems, header = quick_problems(directory, manifest)
    if problems or header is None:
        raise FormatError(
            f"bank {manifest.bank_id} ({directory}) is damaged: {'; '.join(problems)}",
            hint=f"do not use it: encode it again (remove {directory} first); `kgen bank verify {directory}` lists every check",
        )
    source = TensorSource(directory / TENSORS_FILE, header, mmap=mmap)
    loaders: dict[str, Loader] = {"embeddings": lambda: source.get("embeddings"), "class_offsets": lambda: source.get("class_offsets").long()}
    if manifest.token_features is not None:
        loaders["token_features"] = lambda: source.get("token_features")
        loaders["token_mask"] = lambda: source.get("token_mask").bool()
        loaders["eot_index"] = lambda: source.get("eot_index")
    else:
        loaders.update({name: (lambda: None) for name in _TOKEN_TENSORS})
    bank = Bank(manifest=manifest, path=directory, loaders=loaders)
    bank.check_compatible(expect_clip, expect_dim, expect_pretrained)
    return bank.to(device=device, dtype=dtype)
