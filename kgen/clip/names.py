"""One spelling per CLIP model: names canonicalised before they are hashed, shown or looked up.

The same architecture goes by several spellings: OpenAI's ``ViT-B/16``, open_clip's ``ViT-B-16``,
``vit-b-16`` typed by hand; pretrained tags likewise (``OpenAI``, ``laion2b-s34b-b88k``). open_clip
accepts some of them when it builds a model but not when it finds the tokenizer (a raw "model
config not found" warning), and a bank id and content hash made from the raw spelling would
differ for the same model. :func:`canonical_model_name` and :func:`canonical_pretrained` turn each
into the spelling open_clip lists, so ``ViT-B/16`` and ``ViT-B-16`` give the same bank.

``hf-hub:`` ids, checkpoint paths and ``random`` are kept as given (a path is not a name).
"""

from __future__ import annotations

from pathlib import Path

HF_HUB_PREFIX = "hf-hub:"


def _known_models() -> list[str]:
    import open_clip  # imported here: callers that never load a model do not pay for torch

    return list(open_clip.list_models())


def canonical_model_name(name: str, known: list[str] | None = None) -> str:
    """open_clip's spelling of an architecture name (``ViT-B/16`` -> ``ViT-B-16``).

    A name open_clip does not know comes back with its slashes replaced (the loader then says it is
    unknown, with close matches). An ``hf-hub:`` id is returned as given, without surrounding spaces.
    """
    name = name.strip()
    if name.startswith(HF_HUB_PREFIX):
        return name
    dashed = name.replace("/", "-")
    models = _known_models() if known is None else known
    if dashed in models:
        return dashed
    folded = {model.lower(): model for model in models}
    return folded.get(dashed.lower(), dashed)


def canonical_pretrained(model_name: str, pretrained: str) -> str:
    """open_clip's spelling of a pretrained tag of ``model_name`` (lower case, ``_`` for ``-``);
    ``random``, paths and unknown tags are returned as given."""
    pretrained = pretrained.strip()
    if pretrained == "random" or model_name.startswith(HF_HUB_PREFIX) or not pretrained:
        return pretrained
    if Path(pretrained).expanduser().exists():
        return pretrained
    import open_clip

    cleaned = pretrained.lower().replace("-", "_")
    return cleaned if cleaned in open_clip.list_pretrained_tags_by_model(model_name) else pretrained
