"""``ost``: OST's spatial and temporal descriptors (tomchen-ctj/OST, ``descriptors/``).

Two JSON files per dataset and N, each ``{"class index": [N descriptors]}``:
``descriptors/<dataset>/spatio_descriptors/<N>_descriptors.json`` and
``.../temporal_descriptors/<N>_descriptors.json`` (Kinetics-600 splits:
``descriptors/k600/split<k>/{spatio,temporal}_<N>_descriptors.json``). Given one, kgen finds the
other beside it.

The files name no class: OST pairs entry ``i`` with class ``i`` (its code zips the file's entries
with its label list). kgen does the same: the keys must be 0..K-1 for the K classes of the dataset,
or of ``--split`` (in the split's label order: the Kinetics-600 split files index their split).
A file with another number of entries is refused. Checked by eye against the released files:
HMDB51's entries follow the sorted class order of the video lists and of kgen (entry 20 is
``kick``, 21 ``kick ball``; 44 ``sword``, 45 ``sword exercise``), not the order of OST's own
``hmdb_51_labels.csv``, which swaps those two pairs.

They become the ``descriptors`` kind; the variant is named ``ost-n<N>`` (``ost-n4`` is the one
OST's configs use).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from kgen.errors import FormatError, InputError
from kgen.importers.base import (
    BuildResult,
    ImportContext,
    ImportFormat,
    ReleasedFile,
    json_type,
    read_released,
)

ROLES = ("spatial", "temporal")
_SPATIAL_WORD = re.compile(r"spatio|spatial", re.IGNORECASE)
_TEMPORAL_WORD = re.compile(r"temporal", re.IGNORECASE)


def role_of(path: Path) -> str | None:
    """spatial/temporal from OST's file or folder name, None when it says neither."""
    for part in (path.name, path.parent.name):
        if _SPATIAL_WORD.search(part):
            return "spatial"
        if _TEMPORAL_WORD.search(part):
            return "temporal"
    return None


def sibling(path: Path, role: str) -> Path | None:
    """The file of the other role beside ``path`` (OST's layouts), None when there is none."""
    other = "temporal" if role == "spatial" else "spatio"
    pattern = _SPATIAL_WORD if role == "spatial" else _TEMPORAL_WORD
    if pattern.search(path.name):
        candidate = path.with_name(pattern.sub(other, path.name, count=1))
    elif pattern.search(path.parent.name):
        candidate = path.parent.with_name(pattern.sub(other, path.parent.name, count=1)) / path.name
    else:
        return None
    return candidate if candidate.is_file() else None


class OSTFormat(ImportFormat):
    name = "ost"
    kind = "descriptors"
    paper = "OST (Chen et al., CVPR 2024)"
    repository = "https://github.com/tomchen-ctj/OST"
    files = "descriptors/<dataset>/{spatio,temporal}_descriptors/<N>_descriptors.json (N = 2, 4, 8)"
    example = "kgen import ost OST/descriptors/ucf/spatio_descriptors/4_descriptors.json --dataset ucf101"
    markers = ("descriptors",)
    matches_by_name = False

    def collect(self, paths: list[Path]) -> list[ReleasedFile]:
        if not 1 <= len(paths) <= 2:
            raise InputError(f"ost reads a spatial and a temporal descriptor file; got {len(paths)} path(s)", hint=self.example)
        roles: dict[str, Path] = {}
        for index, path in enumerate(paths):
            role = role_of(Path(path))
            if role is None:
                if len(paths) == 2:
                    role = ROLES[index]  # no name to go by: the order given (spatial, then temporal)
                else:
                    raise InputError(f"cannot tell whether {path} holds spatial or temporal descriptors",
                                     hint="give both files, spatial first, or keep OST's file names")
            if role in roles:
                raise InputError(f"two {role} descriptor files given: {roles[role]} and {path}", hint="give one spatial and one temporal file")
            roles[role] = Path(path)
        for role in ROLES:
            if role not in roles:
                other = "temporal" if role == "spatial" else "spatial"
                found = sibling(roles[other], other)
                if found is None:
                    raise InputError(f"{roles[other]} needs its {role} descriptor file, and none lies beside it",
                                     hint=f"give the {role} file as a second PATH")
                roles[role] = found
        return [read_released(roles[role], role, self.markers) for role in ROLES]

    def _lists(self, file: ReleasedFile) -> dict[int, list]:
        what = "an OST descriptor file"
        raw = file.json(what)
        if not isinstance(raw, dict) or not raw:
            raise FormatError(f"{file.path} holds {json_type(raw)} in JSON, not {what} ({{\"class index\": [descriptors]}})",
                              hint="give OST's descriptors/<dataset>/{spatio,temporal}_descriptors/<N>_descriptors.json")
        bad_keys = [k for k in raw if not str(k).strip().isdigit()]
        if bad_keys:
            raise FormatError(f"{file.path} is not {what}: its keys are not class indices (e.g. {bad_keys[0]!r})",
                              hint="OST's files map '0', '1', ... to lists of descriptors; a file keyed by class names is another format")
        if not all(isinstance(v, list) for v in raw.values()):
            raise FormatError(f"{file.path} is not {what}: not every value is a list of descriptors", hint="give OST's released file")
        return {int(k): v for k, v in raw.items()}

    def build(self, files: list[ReleasedFile], context: ImportContext) -> BuildResult:
        dataset, log = context.dataset, context.log
        scope = f"{dataset.name}" + (f" split {context.split}" if context.split else "")
        lists = {file.role: self._lists(file) for file in files}
        count = len(dataset.classes)
        for file in files:
            keys = lists[file.role]
            if sorted(keys) != list(range(count)):
                missing = sorted(set(range(count)) - set(keys))
                extra = sorted(set(keys) - set(range(count)))
                detail = "; ".join(filter(None, [
                    f"no entry for index {', '.join(map(str, missing[:5]))}" if missing else "",
                    f"index {', '.join(map(str, extra[:5]))} beyond its {count} classes" if extra else "",
                ]))
                raise InputError(
                    f"{file.path} has {len(keys)} entries (indices {min(keys)}..{max(keys)}); {scope} has {count} classes: {detail}",
                    hint="OST's entries are class indices: give the dataset (or --split) the file was written for",
                )
            if list(keys) != sorted(keys):
                log.flag(None, "key-order", file.path.name, "entries are not in index order; OST's code pairs them with classes by "
                         "position, kgen by index")
        lengths = Counter(len(v) for role in ROLES for v in lists[role].values())
        n = lengths.most_common(1)[0][0]
        classes = []
        for index, entry in enumerate(dataset.classes):
            item: dict = {"class_id": entry.id, "class_name": entry.name, "label": entry.label}
            for role in ROLES:
                kept = []
                for raw in lists[role][index]:
                    if not isinstance(raw, str) or not raw.strip():
                        log.drop(entry.name, "malformed-descriptor", raw, f"{role} [{index}]: not a non-empty string")
                        continue
                    kept.append(" ".join(raw.split()))
                if len(lists[role][index]) != n:
                    log.flag(entry.name, "descriptor-count", f"{len(lists[role][index])} {role}",
                             f"{len(lists[role][index])} {role} descriptors where the file has {n} for most classes")
                item[role] = kept
            classes.append(item)
        return BuildResult(fields={"n": n, "classes": classes}, matched=list(dataset.classes), variant=f"ost-n{n}")
