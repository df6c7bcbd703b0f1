"""``stdd-askg``: STDD's released knowledge graphs and prompts (Mia-YatingYu/STDD, ``label_db/``).

Two YAML files per dataset, both ``class name: {...}`` mappings:

* ``classes_ASKG_<dataset>.yml``: ``label``, ``obj_en_li`` (objects), ``obj_rel_triples``
  (object-object), ``act_obj_triples`` (action-object), ``sub_act_en_li`` (sub-actions),
  ``act_rel_triples`` (action-action), triples written ``<subject, predicate, object>``;
* ``classes_xprompt_<dataset>.yml``: ``xprompt_oo``, ``xprompt_ao`` (spatial completions) and
  ``xprompt_aa`` (temporal completions) of "This is an example of {action}, ...".

They become the ``askg`` kind. What is imported and what is not (kgen's rules):

* classes, objects and sub-actions as written; an entry that is not a non-empty string is dropped;
  fewer than 5 or more than 10 objects or sub-actions (STDD asks for 5 <= K <= 10), or none at
  all, is flagged, not padded;
* a triple is imported when it parses as three parts and its ends are entities of the class's
  graph: object-object triples join two listed objects, action-object triples join the action to
  a listed object, action-action triples join the action or a listed sub-action to a listed
  sub-action (entities compared by :func:`~kgen.text.concepts.concept_key`, so "hands" is "hand").
  A malformed triple, or one naming an entity the lists do not hold, is dropped and reported. A
  triple written as a YAML list (``[a, b, c]``) is imported and flagged;
* every completion becomes a prompt (``This is an example of {class name}, {completion}.``), typed
  spatial (``xprompt_oo``, ``xprompt_ao``) or temporal (``xprompt_aa``). STDD's prompts are
  generated from the triples but not linked to them (their order can differ), so an imported
  prompt's ``triple`` is None; prompts whose count differs from their triples' are flagged;
* the two files are matched class by class by name (the match key, so "American" and
  "american" are one class). STDD's own code pairs them by position.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kgen.errors import FormatError, InputError
from kgen.importers.base import (
    BuildResult,
    ClassMatcher,
    ImportContext,
    ImportFormat,
    ReleasedFile,
    json_type,
    read_released,
)
from kgen.importers.renames import renames_for
from kgen.knowledge.askg import (
    SENTENCE_PREFIX,
    ClassASKG,
    KGTriple,
    TriplePrompt,
    write_graph_files,
)
from kgen.text.concepts import concept_key

ASKG_FIELDS = ("obj_en_li", "obj_rel_triples", "act_obj_triples", "sub_act_en_li", "act_rel_triples")
XPROMPT_FIELDS = ("xprompt_oo", "xprompt_ao", "xprompt_aa")
TRIPLE_LISTS = (("obj_rel_triples", "object-object"), ("act_obj_triples", "action-object"), ("act_rel_triples", "action-action"))
PROMPT_LISTS = (("xprompt_oo", "spatial", "obj_rel_triples"), ("xprompt_ao", "spatial", "act_obj_triples"),
                ("xprompt_aa", "temporal", "act_rel_triples"))
K_MIN, K_MAX = 5, 10
_TRIPLE = re.compile(r"^<(.*)>$", re.DOTALL)


def parse_triple(raw: Any) -> tuple[tuple[str, str, str] | None, str | None, bool]:
    """``(parts, problem, written_as_list)``: the three parts, or why the entry is not a triple."""
    if isinstance(raw, list):
        if len(raw) == 3 and all(isinstance(p, str) and p.strip() for p in raw):
            return (raw[0].strip(), raw[1].strip(), raw[2].strip()), None, True
        return None, f"a list of {len(raw)} item(s), not <subject, predicate, object>", True
    if not isinstance(raw, str):
        return None, f"a {type(raw).__name__}, not a <subject, predicate, object> string", False
    found = _TRIPLE.match(raw.strip())
    if not found:
        return None, "not written <subject, predicate, object>", False
    parts = [part.strip() for part in found.group(1).split(",")]
    if len(parts) != 3 or not all(parts):
        return None, f"{len(parts)} part(s) between the brackets, expected subject, predicate, object", False
    return (parts[0], parts[1], parts[2]), None, False


def _mapping_of_classes(file: ReleasedFile, what: str, fields: tuple[str, ...], other: tuple[str, ...], other_name: str) -> dict:
    raw = file.yaml(what)
    if not isinstance(raw, dict) or not raw:
        raise FormatError(f"{file.path} holds {json_type(raw)} in YAML, not {what} (a mapping 'class name: {{...}}')",
                          hint="give STDD's label_db/classes_ASKG_<dataset>.yml and classes_xprompt_<dataset>.yml")
    entries = [v for v in raw.values() if isinstance(v, dict)]
    if not any(any(f in v for f in fields) for v in entries):
        looks_other = any(any(f in v for f in other) for v in entries)
        raise FormatError(
            f"{file.path} is not {what}: no class entry has any of {', '.join(fields)}",
            hint=f"this looks like {other_name}; give both files" if looks_other
            else "give STDD's label_db/classes_ASKG_<dataset>.yml and classes_xprompt_<dataset>.yml",
        )
    return raw


class STDDFormat(ImportFormat):
    name = "stdd-askg"
    kind = "askg"
    paper = "STDD (Yu et al., AAAI 2025)"
    repository = "https://github.com/Mia-YatingYu/STDD"
    files = "label_db/classes_ASKG_<dataset>.yml and label_db/classes_xprompt_<dataset>.yml"
    example = "kgen import stdd-askg STDD/label_db/classes_ASKG_hmdb51.yml --dataset hmdb51"
    markers = ("label_db", "zs_label_db")

    def collect(self, paths: list[Path]) -> list[ReleasedFile]:
        if not 1 <= len(paths) <= 2:
            raise InputError(f"stdd-askg reads one ASKG file and its prompt file; got {len(paths)} path(s)",
                             hint="give classes_ASKG_<dataset>.yml (its classes_xprompt_ file is found beside it) or both files")
        roles: dict[str, Path] = {}
        for path in paths:
            name = Path(path).name.casefold()
            role = "xprompt" if "xprompt" in name else "askg" if "askg" in name else self._sniff(Path(path))
            if role in roles:
                raise InputError(f"two {role} files given: {roles[role]} and {path}", hint="give one ASKG file and one xprompt file")
            roles[role] = Path(path)
        if "askg" not in roles:
            roles["askg"] = self._sibling(roles["xprompt"], "xprompt", "ASKG")
        if "xprompt" not in roles:
            roles["xprompt"] = self._sibling(roles["askg"], "ASKG", "xprompt")
        return [read_released(roles[role], role, self.markers) for role in ("askg", "xprompt")]

    @staticmethod
    def _sniff(path: Path) -> str:
        """askg or xprompt, from the fields of a file whose name says neither."""
        file = read_released(path, "unknown")
        raw = file.yaml("an STDD file")
        values = [v for v in raw.values() if isinstance(v, dict)] if isinstance(raw, dict) else []
        if any(any(f in v for f in XPROMPT_FIELDS) for v in values):
            return "xprompt"
        if any(any(f in v for f in ASKG_FIELDS) for v in values):
            return "askg"
        raise FormatError(
            f"{path} is neither an STDD ASKG file nor an STDD xprompt file: it holds {json_type(raw)}"
            + (" whose entries have none of " + ", ".join(ASKG_FIELDS + XPROMPT_FIELDS) if isinstance(raw, dict) else ""),
            hint="give STDD's label_db/classes_ASKG_<dataset>.yml (its classes_xprompt_ file is found beside it)",
        )

    @staticmethod
    def _sibling(path: Path, old: str, new: str) -> Path:
        pattern = re.compile(re.escape(old), re.IGNORECASE)
        if not pattern.search(path.name):
            raise InputError(f"cannot tell where the {new} file of {path} is", hint=f"give the {new} file as a second PATH")
        sibling = path.with_name(pattern.sub(new, path.name, count=1))
        if not sibling.is_file():
            raise InputError(f"{path} needs its {new} file, and {sibling} does not exist",
                             hint=f"give the {new} file as a second PATH")
        return sibling

    def build(self, files: list[ReleasedFile], context: ImportContext) -> BuildResult:
        askg_file, xprompt_file = files
        askg = _mapping_of_classes(askg_file, "an STDD ASKG file", ASKG_FIELDS, XPROMPT_FIELDS, "STDD's xprompt file")
        xprompt = _mapping_of_classes(xprompt_file, "an STDD xprompt file", XPROMPT_FIELDS, ASKG_FIELDS, "STDD's ASKG file")
        dataset, log = context.dataset, context.log
        matcher = ClassMatcher(dataset.classes, renames_for(self.name, dataset.name))

        prompts_by_class: dict[int, tuple[str, dict]] = {}
        for name, value in xprompt.items():
            found = matcher.match(str(name))
            if found is None:
                log.drop(None, "no-class", name, f"the prompt file's class {name!r} names no class of {dataset.name}")
                continue
            if not isinstance(value, dict):
                log.drop(found.entry.name, "malformed-entry", name, "the prompt file's entry is not a mapping")
                continue
            if found.entry.id in prompts_by_class:
                log.drop(found.entry.name, "duplicate-class", name, "a second prompt entry for the class; the first is kept")
                continue
            prompts_by_class[found.entry.id] = (str(name), value)

        classes: list[dict] = []
        matched, unmatched = [], []
        seen: set[int] = set()
        for name, value in askg.items():
            name = str(name)
            found = matcher.match(name)
            if found is None and isinstance(value, dict) and isinstance(value.get("label"), str):
                found = matcher.match(value["label"])
            if found is None:
                unmatched.append(name)
                log.drop(None, "no-class", name, f"names no class of {dataset.name}")
                continue
            entry = found.entry
            if entry.id in seen:
                log.drop(entry.name, "duplicate-class", name, "a second ASKG entry for the class; the first is kept")
                continue
            if not isinstance(value, dict):
                log.drop(entry.name, "malformed-entry", name, "the ASKG entry is not a mapping")
                continue
            seen.add(entry.id)
            matched.append(entry)
            if found.renamed_from:
                log.renamed(entry.name, found.renamed_from)
            classes.append(self._class(entry, name, value, prompts_by_class.get(entry.id), log).model_dump())
        for class_id, (name, _) in prompts_by_class.items():
            if class_id not in seen:
                entry = next(e for e in dataset.classes if e.id == class_id)
                log.drop(entry.name, "no-graph", name, "the prompt file has the class, the ASKG file does not")
        classes.sort(key=lambda c: [e.id for e in dataset.classes].index(c["class_id"]))
        return BuildResult(fields={"k_min": K_MIN, "k_max": K_MAX, "classes": classes}, matched=matched, unmatched=unmatched)

    def _class(self, entry, name: str, value: dict, prompt_entry: tuple[str, dict] | None, log) -> ClassASKG:
        objects = self._entities(entry.name, value, "obj_en_li", "object", log)
        sub_actions = self._entities(entry.name, value, "sub_act_en_li", "sub-action", log)
        object_keys = {concept_key(o) for o in objects}
        sub_keys = {concept_key(s, singularize=False) for s in sub_actions}
        action_keys = {concept_key(n, singularize=False) for n in (entry.name, entry.label, name, str(value.get("label", "")))}
        triples: list[KGTriple] = []
        for field_name, kind in TRIPLE_LISTS:
            items = value.get(field_name)
            if items is None:
                continue
            if not isinstance(items, list):
                log.drop(entry.name, "malformed-triple", items, f"{field_name} is not a list")
                continue
            for raw in items:
                parts, problem, as_list = parse_triple(raw)
                if parts is None:
                    log.drop(entry.name, "malformed-triple", raw, f"{field_name}: {problem}")
                    continue
                subject, predicate, obj = parts
                outside = self._outside(kind, subject, obj, object_keys, sub_keys, action_keys)
                if outside:
                    log.drop(entry.name, "unlisted-entity", raw if isinstance(raw, str) else f"<{', '.join(parts)}>",
                             f"{field_name}: {outside}")
                    continue
                if as_list:
                    log.flag(entry.name, "list-triple", raw, f"{field_name}: written as a YAML list, not <...>; imported")
                triples.append(KGTriple(subject=subject, predicate=predicate, object=obj, kind=kind))  # type: ignore[arg-type]

        prompts: list[TriplePrompt] = []
        if prompt_entry is None:
            log.flag(entry.name, "no-prompts", name, "the prompt file has no entry for the class: it has no prompts")
        else:
            prompt_name, prompt_value = prompt_entry
            if prompt_name != name:
                log.flag(entry.name, "spelling", prompt_name, f"the prompt file spells the class {prompt_name!r}, the ASKG file {name!r}")
            for field_name, prompt_type, triple_field in PROMPT_LISTS:
                items = prompt_value.get(field_name)
                if items is None:
                    items = []
                if not isinstance(items, list):
                    log.drop(entry.name, "malformed-prompt", items, f"{field_name} is not a list")
                    continue
                kept = 0
                for raw in items:
                    if not isinstance(raw, str) or not raw.strip():
                        log.drop(entry.name, "malformed-prompt", raw, f"{field_name}: not a non-empty string")
                        continue
                    clause = " ".join(raw.split()).rstrip(". ")
                    text = f"{SENTENCE_PREFIX.format(action=entry.name)} {clause}."
                    prompts.append(TriplePrompt(triple=None, type=prompt_type, clause=clause, text=text))  # type: ignore[arg-type]
                    kept += 1
                released = value.get(triple_field)
                count = len(released) if isinstance(released, list) else 0
                if kept != count:
                    log.flag(entry.name, "prompt-count", f"{field_name}: {kept}, {triple_field}: {count}",
                             f"{kept} {field_name} prompt(s) for {count} released {triple_field}")
        return ClassASKG(class_id=entry.id, class_name=entry.name, label=name, objects=objects, sub_actions=sub_actions,
                         triples=triples, prompts=prompts)

    @staticmethod
    def _entities(class_name: str, value: dict, field_name: str, what: str, log) -> list[str]:
        items = value.get(field_name)
        if items is None or items == []:
            log.flag(class_name, f"no-{what}s", field_name, f"no {what}s ({field_name} is {'missing' if items is None else 'empty'})")
            return []
        if not isinstance(items, list):
            log.drop(class_name, f"malformed-{what}", items, f"{field_name} is not a list")
            return []
        kept: list[str] = []
        keys: set[str] = set()
        for raw in items:
            if not isinstance(raw, str) or not raw.strip():
                log.drop(class_name, f"malformed-{what}", raw, f"{field_name}: not a non-empty string")
                continue
            key = concept_key(raw, singularize=what == "object")
            if key in keys:
                log.drop(class_name, f"duplicate-{what}", raw, f"{field_name}: repeats an earlier {what}")
                continue
            keys.add(key)
            kept.append(" ".join(raw.split()))
        if not K_MIN <= len(kept) <= K_MAX:
            side = "fewer" if len(kept) < K_MIN else "more"
            log.flag(class_name, f"{what}-count", f"{len(kept)} {what}s", f"{len(kept)} {what}(s), {side} than STDD's {K_MIN} <= K <= {K_MAX}")
        return kept

    @staticmethod
    def _outside(kind: str, subject: str, obj: str, objects: set[str], subs: set[str], actions: set[str]) -> str | None:
        """Why a triple's ends are not entities of the class's graph (None: they are)."""
        def is_object(x: str) -> bool:
            return concept_key(x) in objects

        def is_sub(x: str) -> bool:
            return concept_key(x, singularize=False) in subs

        def is_action(x: str) -> bool:
            return concept_key(x, singularize=False) in actions

        problems = []
        if kind == "object-object":
            problems = [f"{x!r} is not in the object list" for x in (subject, obj) if not is_object(x)]
        elif kind == "action-object":
            if not is_action(subject):
                problems.append(f"{subject!r} is not the action")
            if not is_object(obj):
                problems.append(f"{obj!r} is not in the object list")
        else:
            if not (is_action(subject) or is_sub(subject)):
                problems.append(f"{subject!r} is neither the action nor in the sub-action list")
            if not is_sub(obj):
                problems.append(f"{obj!r} is not in the sub-action list")
        # de-duplicate (an object-object triple may name the same unlisted entity twice)
        return "; ".join(dict.fromkeys(problems)) or None

    def extra_files(self, knowledge: Any, folder: Path) -> list[Path]:
        return write_graph_files(knowledge, folder)

