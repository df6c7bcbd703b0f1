"""The texts a bank encodes: class names through templates, or a knowledge kind's texts.

* ``names``: every class's readable name (``kgen datasets show``) put into one or more templates.
  The default is ViFi-CLIP's ``"a photo of a {}."``; ``--templates openvclip28`` gives the 28
  templates that Open-VCLIP, FROSTER and SC-CLIP average into their text classifier
  ("a {photo, video, example, demonstration} of [a person {using, doing, during, performing,
  practicing}] {}."); ``--templates FILE`` reads one template a line.
* any registered knowledge kind (``descriptions``, ``prompts``, ``askg``, ``attributes``...): the
  strings its :meth:`~kgen.knowledge.base.KnowledgeFile.bank_texts` returns, which are already
  templated. The bank builder never reads a kind's internals.

``--split NAME`` restricts the bank to a class split, in the split's own label order.

A knowledge file is matched to the dataset's classes by class name and id before its texts are
used (:func:`kgen.knowledge.identity.check_class_identity`): a reordered, renamed or otherwise
different class list is refused with every mismatch listed, never paired silently by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kgen.datasets import Dataset
from kgen.errors import FormatError, InputError
from kgen.hashing import sha256_file
from kgen.knowledge.base import (
    ClassTexts,
    kind_info,
    knowledge_path,
    load_knowledge,
    resolve_variant,
)
from kgen.knowledge.identity import check_class_identity

NAMES_KIND = "names"

# ViFi-CLIP's text prompt (CTX_INIT "a photo of a"), the default for class-name banks.
DEFAULT_TEMPLATE = "a photo of a {}."

_OPENVCLIP_MEDIA = ("photo", "video", "example", "demonstration")
_OPENVCLIP_PERSON = ("", "a person ", "a person using ", "a person doing ", "a person during ", "a person performing ", "a person practicing ")

TEMPLATE_SETS: dict[str, tuple[str, ...]] = {
    # ViFi-CLIP (Rasheed et al., CVPR 2023): one hand-written prompt.
    "vificlip": (DEFAULT_TEMPLATE,),
    # SC-CLIP's example template "a video of [ ]" (Quan et al., 2025, §3.1).
    "video": ("a video of {}.",),
    # Open-VCLIP / FROSTER / SC-CLIP text classifier: 4 media x 7 person phrases, in the authors'
    # order (all 7 phrases of "photo" first), "a example" spelled as in their code.
    "openvclip28": tuple(f"a {media} of {person}{{}}." for media in _OPENVCLIP_MEDIA for person in _OPENVCLIP_PERSON),
}


@dataclass(frozen=True)
class BankTexts:
    """What a bank will encode, with where it came from (flat lists: no object per class)."""

    dataset: Dataset
    kind: str
    class_ids: list[int]
    class_names: list[str]
    class_offsets: list[int]  # texts of class k are texts[class_offsets[k]:class_offsets[k+1]]
    texts: list[str]
    text_types: list[str] | None = None
    split: str | None = None
    knowledge_file: Path | None = None
    knowledge_sha256: str | None = None
    template: str | None = None  # "a photo of a {}.", a template set's name, or "file:<name>"
    template_label: str | None = None  # short name of the templates for the bank id ("openvclip28", "custom")
    variant: str | None = None  # an imported variant of the kind ("stdd-askg"); None: kgen's own knowledge
    knowledge_source: str | None = None  # "generated" (kgen's own), "imported", None for names banks

    @classmethod
    def from_classes(cls, dataset: Dataset, kind: str, classes: list[ClassTexts], **fields: object) -> BankTexts:
        offsets = [0]
        for entry in classes:
            offsets.append(offsets[-1] + len(entry.texts))
        types = None
        if any(entry.text_types is not None for entry in classes):
            types = [t for entry in classes for t in (entry.text_types or [""] * len(entry.texts))]
        return cls(
            dataset=dataset, kind=kind, class_ids=[c.class_id for c in classes], class_names=[c.class_name for c in classes],
            class_offsets=offsets, texts=[t for entry in classes for t in entry.texts], text_types=types, **fields,  # type: ignore[arg-type]
        )


def resolve_templates(template: list[str] | None = None, templates: str | None = None) -> tuple[list[str], str, str | None]:
    """The templates for a ``names`` bank: ``(templates, description, label for the bank id)``.

    ``template`` is one or more templates given literally; ``templates`` a set name or a file.
    """
    if template and templates:
        raise InputError("give --template or --templates, not both")
    if templates:
        if templates in TEMPLATE_SETS:
            chosen, description = list(TEMPLATE_SETS[templates]), templates
            label = None if templates == "vificlip" else templates
        elif Path(templates).expanduser().is_file():
            path = Path(templates).expanduser()
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read templates from {path}: {exc}") from exc
            chosen = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
            if not chosen:
                raise InputError(f"{path} holds no templates", hint="write one template a line, each with one {}")
            description, label = f"file:{path.name}", "custom"
        else:
            raise InputError(
                f"{templates!r} is neither a template set nor a file",
                hint=f"template sets: {', '.join(TEMPLATE_SETS)}; or a text file with one template a line",
            )
    elif template:
        chosen = list(template)
        label = None if chosen == [DEFAULT_TEMPLATE] else "custom"
        description = chosen[0] if len(chosen) == 1 else " | ".join(chosen)
    else:
        chosen, description, label = [DEFAULT_TEMPLATE], DEFAULT_TEMPLATE, None
    for text in chosen:
        if text.count("{}") != 1:
            raise InputError(f"template {text!r} must hold exactly one {{}} (where the class name goes)")
    if len(set(chosen)) != len(chosen):
        raise InputError("the same template is given twice", hint="each template once")
    return chosen, description, label


def split_dataset(dataset: Dataset, split: str | None) -> Dataset:
    """The dataset restricted to a class split, in the split's label order (unchanged without one)."""
    if split is None:
        return dataset
    entries = tuple(dataset.split_classes(split))
    return Dataset(
        name=dataset.name, title=f"{dataset.title} ({split})", classes=entries, origin=dataset.origin,
        spec=dataset.spec, directory=dataset.directory,
    )


def collect_texts(
    dataset: Dataset,
    kind: str,
    *,
    template: list[str] | None = None,
    templates: str | None = None,
    split: str | None = None,
    variant: str | None = None,
) -> BankTexts:
    """Every class's texts for a bank of ``kind``, in label order (the split's, with ``split``).

    ``variant`` names an imported variant of the kind (``kgen import``); without it kgen's own
    file is used, or the only imported variant when kgen has none of its own.
    """
    scope = split_dataset(dataset, split)
    if kind == NAMES_KIND:
        chosen, description, label = resolve_templates(template, templates)
        texts = [t.replace("{}", entry.name) for entry in scope.classes for t in chosen]
        offsets = list(range(0, len(texts) + 1, len(chosen)))
        return BankTexts(
            dataset=dataset, kind=kind, class_ids=[c.id for c in scope.classes], class_names=[c.name for c in scope.classes],
            class_offsets=offsets, texts=texts, split=split, template=description, template_label=label,
        )

    if variant is not None and kind == NAMES_KIND:
        raise InputError("--variant applies to knowledge kinds, not to --kind names")
    if template or templates:
        raise InputError(
            f"--template/--templates apply to --kind names only; {kind} texts come templated from the knowledge file",
        )
    kind_info(kind)  # unknown kind -> InputError listing the known ones
    chosen = resolve_variant(dataset.name, kind, variant)
    knowledge = load_knowledge(dataset.name, kind, chosen)
    path = knowledge_path(dataset.name, kind, chosen)
    # The whole list (the file was built for it), whatever the split.
    check_class_identity(knowledge, dataset.classes, dataset.name, path=path)
    classes = knowledge.bank_texts(scope)
    _check_class_texts(classes, scope, kind, path)
    source = getattr(knowledge, "provenance", None)
    return BankTexts.from_classes(
        dataset, kind, classes, split=split, knowledge_file=path, knowledge_sha256=sha256_file(path),
        variant=chosen, knowledge_source="imported" if getattr(source, "source", None) == "imported" else "generated",
    )


def _check_class_texts(classes: list[ClassTexts], scope: Dataset, kind: str, path: Path) -> None:
    """A knowledge kind must return every class, in label order, each with at least one text."""
    expected = [entry.id for entry in scope.classes]
    got = [entry.class_id for entry in classes]
    if got != expected:
        missing = [scope.classes[i].name for i, cid in enumerate(expected) if cid not in set(got)]
        detail = f"missing {', '.join(missing[:6])}" if missing else "classes out of label order"
        raise FormatError(f"{path} ({kind}) does not give texts for the classes of {scope.name}: {detail}",
                          hint=f"rebuild the {kind} knowledge for {scope.name}")
    empty = [entry.class_name for entry in classes if not entry.texts or not all(t.strip() for t in entry.texts)]
    if empty:
        raise FormatError(f"{path} ({kind}) has classes without text or with empty texts: {', '.join(empty[:6])}",
                          hint=f"rebuild the {kind} knowledge for {scope.name}")
    wrong = [entry.class_name for entry in classes if entry.text_types is not None and len(entry.text_types) != len(entry.texts)]
    if wrong:
        raise FormatError(f"{path} ({kind}) gives text types that do not match the texts for: {', '.join(wrong[:6])}",
                          hint=f"rebuild the {kind} knowledge for {scope.name}")
