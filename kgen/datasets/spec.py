"""The dataset file format: what a dataset's classes, class splits and video lists are.

A built-in dataset is a folder under ``knowledge/datasets/<name>/``:

* ``dataset.json``: a :class:`DatasetSpec` (format ``kgen.dataset``): title, aliases, the
  sources of every file, the class splits and the video lists;
* ``classes.csv``: ``id,label,name`` in label order (``label`` is the dataset's own raw label,
  ``name`` its readable form);
* ``lists/*.txt``: video list files (``path label`` per line) as the authors released them.

A class split lists global class ids *in the split's own label order*: label ``i`` of a video list
that uses the split is class ``class_ids[i]`` of the dataset.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kgen.fileformat import VersionedFile


class ClassEntry(BaseModel):
    """One action class: its id (label order), the dataset's raw label and its readable name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=0)
    label: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Source(BaseModel):
    """Where a data file came from."""

    model_config = ConfigDict(extra="forbid")

    what: str
    repository: str
    commit: str
    path: str


class ClassSplit(BaseModel):
    """A subset of a dataset's classes in its own label order (base/novel halves, K600 splits)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    class_ids: list[int]
    source: str = Field(description="'what' of the Source entry this split comes from")


class VideoList(BaseModel):
    """A released list of videos (``path label`` per line)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    file: str = Field(description="path relative to the dataset folder")
    rows: int
    label_space: str | None = Field(
        default=None, description="the class split whose label order the labels use; None: all classes"
    )
    source: str


class DatasetSpec(VersionedFile):
    """Everything kgen knows about a built-in dataset but its classes (those are in classes.csv)."""

    FORMAT = "kgen.dataset"
    VERSION = 1

    name: str
    title: str
    aliases: list[str] = []
    description: str = ""
    num_classes: int
    class_splits: list[ClassSplit] = []
    video_lists: list[VideoList] = []
    sources: list[Source] = []
