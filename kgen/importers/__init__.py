"""``kgen import``: the knowledge papers released, read into kgen knowledge files.

One module per released format (:mod:`stdd`, :mod:`froster`, :mod:`erzsar`, :mod:`ost`), the shared
machinery in :mod:`base`, the run (validate, report, write) in :mod:`run`.
"""

from __future__ import annotations

from kgen.errors import InputError
from kgen.importers.base import ImportFormat
from kgen.importers.erzsar import ERZSARFormat
from kgen.importers.froster import FrosterFormat
from kgen.importers.ost import OSTFormat
from kgen.importers.stdd import STDDFormat

FORMATS: dict[str, ImportFormat] = {f.name: f for f in (STDDFormat(), FrosterFormat(), ERZSARFormat(), OSTFormat())}


def import_format(name: str) -> ImportFormat:
    if name not in FORMATS:
        raise InputError(f"unknown import format {name!r}", hint=f"formats: {', '.join(FORMATS)} (see `kgen import --list-formats`)")
    return FORMATS[name]


__all__ = ["FORMATS", "ImportFormat", "import_format"]
