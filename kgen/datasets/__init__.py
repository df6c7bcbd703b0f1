"""Dataset class registry: built-in datasets and users' own class lists."""

from kgen.datasets.names import readable_name, slugify
from kgen.datasets.registry import (
    Dataset,
    builtin_names,
    load_builtin,
    load_user_list,
)
from kgen.datasets.resolve import resolve_dataset
from kgen.datasets.spec import ClassEntry, ClassSplit, DatasetSpec, VideoList

__all__ = [
    "ClassEntry",
    "ClassSplit",
    "Dataset",
    "DatasetSpec",
    "VideoList",
    "builtin_names",
    "load_builtin",
    "load_user_list",
    "readable_name",
    "resolve_dataset",
    "slugify",
]
