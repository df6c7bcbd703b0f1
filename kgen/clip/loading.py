"""Loading open_clip models: pretrained tags, ``hf-hub:`` ids, local checkpoints, random weights.

``load_clip(model_name, pretrained)`` accepts:

* a pretrained tag of the architecture (``ViT-B-16`` + ``openai``, ``laion2b_s34b_b88k``...);
* an ``hf-hub:org/repo`` model name (``pretrained`` is then ignored, as in open_clip);
* a path to a checkpoint file (``.pt``/``.bin``/``.safetensors``) or an open_clip folder
  (``open_clip_config.json`` + weights), the way air-gapped clusters run;
* ``random``: the architecture with seeded random weights, marked as such (tests, benchmarks).

Weights already in the local Hugging Face cache are loaded from disk without touching the network.
Weights that are not cached are downloaded only if the hub answers within a few seconds; otherwise
the loader fails at once with a message saying how to give a local checkpoint, instead of letting
the hub client retry for a minute.

``text_only=True`` (what ``kgen encode-bank`` uses) keeps only the text tower: the model is built
and its weights loaded by open_clip exactly as above, then the vision tower is replaced by a
parameterless stand-in (:class:`DroppedVisionTower`) that keeps its preprocessing settings and
output width. For random weights the vision tower is built in scratch memory shared by all its
weights and emptied at once, before the text tower is built: the random-number stream advances as
in a full build, so the text tower's weights are exactly those of ``load_clip(model, "random")``,
and the vision tower never takes more memory than its largest weight. A checkpoint's weights are loaded into the
full model first (open_clip loads them strictly), so a checkpoint load still briefly holds both
towers.

Two small architectures ship with kgen for tests and smoke runs: ``kgen-tiny-vit`` (64 px
images, 8x8 patches of 8 px, 3 visual blocks, 2 text blocks) and ``kgen-small-vit`` (112 px, 14x14
patches, 4 blocks each).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import open_clip
import torch
from torch.overrides import TorchFunctionMode

from kgen.clip.names import canonical_model_name, canonical_pretrained
from kgen.errors import InputError, SourceUnavailable

_CONFIG_DIR = Path(__file__).resolve().parent / "model_configs"
open_clip.add_model_config(_CONFIG_DIR)

HUB_HOST = "huggingface.co"
WEIGHT_FILE_NAMES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


@dataclass
class LoadedClip:
    """An open_clip model with what a manifest needs to know about it."""

    model: torch.nn.Module
    tokenizer: Any
    model_name: str
    pretrained: str
    weights_source: str  # the file the weights came from, "random(seed=N)", or "hf-hub:..."
    is_random: bool
    preprocess_cfg: dict[str, Any] = field(default_factory=dict)

    @property
    def embed_dim(self) -> int:
        proj = getattr(self.model, "text_projection", None)
        if isinstance(proj, torch.Tensor):
            return int(proj.shape[1])
        return int(self.model.visual.output_dim)

    @property
    def context_length(self) -> int:
        return int(getattr(self.model, "context_length", 77))


class DroppedVisionTower(torch.nn.Module):
    """What is left of a vision tower under ``text_only``: its settings, no weights, no forward."""

    def __init__(self, visual: torch.nn.Module) -> None:
        super().__init__()
        for name in ("preprocess_cfg", "image_mean", "image_std", "output_dim", "image_size"):
            if hasattr(visual, name):
                setattr(self, name, getattr(visual, name))

    def forward(self, *_args: Any, **_kwargs: Any) -> torch.Tensor:
        raise RuntimeError("this CLIP model was loaded text-only (load_clip(..., text_only=True)): it has no vision tower")


def _hollow(module: torch.nn.Module) -> torch.nn.Module:
    """Free a module's weights, keeping their names, shapes and dtypes (each becomes one zero
    broadcast to its shape)."""
    for sub in module.modules():
        for param in list(sub._parameters.values()):
            if param is not None:
                param.data = torch.zeros((), dtype=param.dtype, device=param.device).expand(param.shape)
        for name, buffer in list(sub._buffers.items()):
            if buffer is not None:
                sub._buffers[name] = torch.zeros((), dtype=buffer.dtype, device=buffer.device).expand(buffer.shape)
    return module


class _ScratchAllocations(TorchFunctionMode):
    """Every floating ``torch.empty`` on the CPU returns a view of one scratch buffer.

    A module's constructor allocates its weights with ``torch.empty`` and fills them in place from
    the random-number generator. Under this mode all of them share one buffer as large as the
    largest weight: the generator advances exactly as in a normal build (each fill draws as many
    numbers as the weight has elements), but the weights overwrite each other, so they take the
    memory of one. Only for a tower whose weights are thrown away.
    """

    def __init__(self) -> None:
        super().__init__()
        self.buffer: torch.Tensor | None = None

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func is torch.empty and not (set(kwargs) - {"dtype", "device", "requires_grad"}):
            dims = args[0] if len(args) == 1 and not isinstance(args[0], int) else args
            dtype = kwargs.get("dtype") or torch.get_default_dtype()
            device = kwargs.get("device")
            if dtype.is_floating_point and (device is None or torch.device(device).type == "cpu"):
                shape = torch.Size(dims)
                nbytes = shape.numel() * torch.empty((), dtype=dtype).element_size()
                if self.buffer is None or self.buffer.numel() < nbytes:
                    self.buffer = torch.empty(nbytes, dtype=torch.uint8)
                view = self.buffer[:nbytes].view(dtype).view(shape)
                return view.requires_grad_(True) if kwargs.get("requires_grad") else view
        return func(*args, **kwargs)


@contextmanager
def _vision_towers_hollowed() -> Iterator[None]:
    """While open_clip builds a model, build each vision tower in scratch memory and empty it at once
    (see :class:`_ScratchAllocations`): the random-number stream advances as in a normal build, so
    the text tower built next gets the same random weights, and the vision weights never take more
    memory than the largest of them."""
    import open_clip.coca_model as coca_model
    import open_clip.model as clip_model

    original = clip_model._build_vision_tower

    def build(*args: Any, **kwargs: Any) -> torch.nn.Module:
        state = torch.random.get_rng_state()
        try:
            with _ScratchAllocations():
                return _hollow(original(*args, **kwargs))
        except Exception:  # noqa: BLE001 - a constructor the scratch trick does not suit: build normally
            torch.random.set_rng_state(state)
            return _hollow(original(*args, **kwargs))

    clip_model._build_vision_tower = build
    coca_original = getattr(coca_model, "_build_vision_tower", None)
    if coca_original is not None:
        coca_model._build_vision_tower = build
    try:
        yield
    finally:
        clip_model._build_vision_tower = original
        if coca_original is not None:
            coca_model._build_vision_tower = coca_original


def _drop_vision_tower(model: torch.nn.Module) -> None:
    visual = getattr(model, "visual", None)
    if isinstance(visual, torch.nn.Module) and not isinstance(visual, DroppedVisionTower):
        model.visual = DroppedVisionTower(visual)


def load_clip(
    model_name: str = "ViT-B-16",
    pretrained: str = "openai",
    *,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    seed: int = 0,
    cache_dir: str | None = None,
    hub_timeout_s: float = 3.0,
    quick_gelu: bool | None = None,
    text_only: bool = False,
) -> LoadedClip:
    """Build an open_clip model in eval mode; see the module docstring for what ``pretrained`` takes.

    ``text_only``: keep only the text tower (the vision tower is dropped; see the module docstring).
    ``model_name`` and ``pretrained`` are canonicalised first (:mod:`kgen.clip.names`): ``ViT-B/16``
    loads, hashes and names banks as ``ViT-B-16``.
    """
    model_name = canonical_model_name(model_name)
    pretrained = canonical_pretrained(model_name, pretrained)
    if text_only:
        clip = load_clip(
            model_name, pretrained, device="cpu", precision=precision, seed=seed, cache_dir=cache_dir,
            hub_timeout_s=hub_timeout_s, quick_gelu=quick_gelu, text_only=False,
        ) if pretrained != "random" or model_name.startswith("hf-hub:") else _random_text_only(
            model_name, precision=precision, seed=seed, cache_dir=cache_dir, quick_gelu=quick_gelu,
        )
        _drop_vision_tower(clip.model)
        clip.model.to(device)
        return clip
    quiet = logging.getLogger("open_clip")
    schema = "hf-hub" if model_name.startswith("hf-hub:") else None
    if schema is None:
        _check_architecture(model_name)
    tokenizer_name = model_name

    if schema == "hf-hub":
        repo_id = model_name[len("hf-hub:") :]
        snapshot = _cached_hf_snapshot(repo_id, cache_dir)
        if snapshot is not None:
            model = _create(f"local-dir:{snapshot}", None, device, precision, cache_dir, quick_gelu)
            tokenizer_name = f"local-dir:{snapshot}"
            source = f"{model_name} (cached at {snapshot})"
        else:
            _require_hub(f"the weights of {model_name}", hub_timeout_s, hint_file=f"{repo_id} (open_clip_config.json and weights)")
            model = _create(model_name, None, device, precision, cache_dir, quick_gelu)
            source = model_name
        is_random = False
    elif pretrained == "random":
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            model = _create(model_name, None, device, precision, cache_dir, quick_gelu)
        finally:
            torch.random.set_rng_state(state)
        source, is_random = f"random(seed={seed})", True
    elif Path(pretrained).expanduser().exists():
        path = Path(pretrained).expanduser().resolve()
        if path.is_dir():
            model = _create(f"local-dir:{path}", None, device, precision, cache_dir, quick_gelu)
            tokenizer_name = f"local-dir:{path}"
        else:
            model = _create(model_name, str(path), device, precision, cache_dir, bool(quick_gelu))
        source, is_random = str(path), False
    else:
        cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
        if not cfg:
            tags = open_clip.list_pretrained_tags_by_model(model_name)
            raise InputError(
                f"{pretrained!r} is neither a pretrained tag of {model_name} nor an existing file",
                hint=f"tags of {model_name}: {', '.join(tags) or 'none'}; or 'random', or a checkpoint path",
            )
        use_quick_gelu = cfg.get("quick_gelu", False) if quick_gelu is None else quick_gelu
        cached = _cached_tag_weights(cfg, cache_dir)
        if cached is None:
            _require_hub(
                f"the {model_name}/{pretrained} weights",
                hub_timeout_s,
                hint_file=_tag_download_hint(cfg),
                quick_gelu=bool(cfg.get("quick_gelu", False)),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = open_clip.create_model(
                    model_name, pretrained=pretrained, device=device, precision=precision,
                    cache_dir=cache_dir, force_quick_gelu=use_quick_gelu,
                )
            source = f"{model_name}/{pretrained} (downloaded)"
        else:
            model = _create(model_name, str(cached), device, precision, cache_dir, use_quick_gelu)
            source = str(cached)
        is_random = False
    quiet.debug("loaded %s from %s", model_name, source)
    model.eval()
    preprocess = dict(getattr(model.visual, "preprocess_cfg", {}) or {})
    return LoadedClip(
        model=model,
        tokenizer=open_clip.get_tokenizer(tokenizer_name),
        model_name=model_name,
        pretrained="" if schema == "hf-hub" else pretrained,
        weights_source=source,
        is_random=is_random,
        preprocess_cfg=preprocess,
    )


def _random_text_only(model_name: str, *, precision: str, seed: int, cache_dir: str | None, quick_gelu: bool | None) -> LoadedClip:
    """``load_clip(model_name, "random")`` on CPU with the vision tower emptied as it is built."""
    _check_architecture(model_name)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        with _vision_towers_hollowed():
            model = _create(model_name, None, "cpu", precision, cache_dir, quick_gelu)
    finally:
        torch.random.set_rng_state(state)
    model.eval()
    return LoadedClip(
        model=model, tokenizer=open_clip.get_tokenizer(model_name), model_name=model_name, pretrained="random",
        weights_source=f"random(seed={seed})", is_random=True,
        preprocess_cfg=dict(getattr(model.visual, "preprocess_cfg", {}) or {}),
    )


def state_dict_sha256(module: torch.nn.Module, prefixes: tuple[str, ...] | None = None) -> str:
    """A hash of a module's weights (names, dtypes, shapes and bytes), independent of device.

    With ``prefixes``, only the state-dict entries whose names start with one of them count.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        if prefixes is not None and not name.startswith(prefixes):
            continue
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}|{data.dtype}|{tuple(data.shape)}|".encode())
        if data.numel():
            digest.update(data.view(torch.uint8).numpy())  # the bytes in place, not a copy
    return digest.hexdigest()


def _create(
    name: str, pretrained: str | None, device: Any, precision: str, cache_dir: str | None, quick_gelu: bool | None
) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger().disabled, was = True, logging.getLogger().disabled
        try:
            return open_clip.create_model(
                name, pretrained=pretrained, device=device, precision=precision,
                cache_dir=cache_dir, force_quick_gelu=bool(quick_gelu),
            )
        except RuntimeError as exc:
            raise InputError(f"open_clip could not build {name}: {exc}") from exc
        finally:
            logging.getLogger().disabled = was


def _check_architecture(model_name: str) -> None:
    known = open_clip.list_models()
    if model_name.replace("/", "-") not in known:
        close = difflib.get_close_matches(model_name, known, n=5)
        raise InputError(
            f"unknown open_clip architecture {model_name!r}",
            hint=f"did you mean: {', '.join(close)}" if close else "see open_clip.list_models()",
        )


def _hub_reachable(timeout_s: float) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return False
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def _require_hub(what: str, timeout_s: float, hint_file: str, quick_gelu: bool = False) -> None:
    if not _hub_reachable(timeout_s):
        raise SourceUnavailable(
            f"cannot download {what}: {HUB_HOST} is not reachable from this machine and they are not in the "
            "local Hugging Face cache",
            hint=(
                f"download {hint_file} on a machine with internet, then pass the file with "
                "--clip-pretrained /path/to/checkpoint"
                + (" --quick-gelu (these weights were trained with QuickGELU)" if quick_gelu else "")
                + " (or copy ~/.cache/huggingface/hub here, or point --weights-cache at such a cache); "
                "--clip-pretrained random builds the architecture with random weights"
            ),
        )


def _tag_download_hint(cfg: dict[str, Any]) -> str:
    hub = cfg.get("hf_hub", "")
    if hub:
        repo, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub.rstrip("/"), "")
        if not filename:
            return f"https://huggingface.co/{repo} (open_clip_model.safetensors)"
        return f"https://huggingface.co/{repo} ({filename})"
    return cfg.get("url", "the checkpoint")


def _cached_tag_weights(cfg: dict[str, Any], cache_dir: str | None) -> Path | None:
    """The local file of a tag's weights, if a previous download left it in a cache."""
    if cfg.get("file"):
        path = Path(cfg["file"])
        return path if path.is_file() else None
    hub = cfg.get("hf_hub", "")
    if hub:
        repo_id, filename = os.path.split(hub) if not hub.endswith("/") else (hub.rstrip("/"), "")
        candidates = [filename] if filename else list(WEIGHT_FILE_NAMES)
        if filename.endswith((".bin", ".pth", ".pt")):
            candidates.insert(0, filename.rsplit(".", 1)[0] + ".safetensors")
        for candidate in candidates:
            path = _hf_cached_file(repo_id, candidate, cache_dir)
            if path is not None:
                return path
    url = cfg.get("url", "")
    if url:
        root = Path(cache_dir).expanduser() if cache_dir else Path.home() / ".cache" / "clip"
        path = root / os.path.basename(url)
        if path.is_file():
            return path
    return None


def _hf_cached_file(repo_id: str, filename: str, cache_dir: str | None) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir)
    return Path(found) if isinstance(found, str) and Path(found).is_file() else None


def _cached_hf_snapshot(repo_id: str, cache_dir: str | None) -> Path | None:
    config = _hf_cached_file(repo_id, "open_clip_config.json", cache_dir)
    if config is None:
        return None
    if any((config.parent / name).is_file() for name in WEIGHT_FILE_NAMES):
        return config.parent
    return None


TEXT_TOWER_PREFIXES = ("token_embedding.", "positional_embedding", "transformer.", "ln_final.", "text_projection", "attn_mask", "text.")


def text_tower_sha256(model: torch.nn.Module) -> str:
    """A hash of the text tower's weights only: what a text bank's vectors depend on."""
    return state_dict_sha256(model, TEXT_TOWER_PREFIXES)
