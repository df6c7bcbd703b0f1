"""Provenance of knowledge that a paper released and ``kgen import`` read (``source: imported``).

Generated knowledge records the LLM, prompts and sampling that made it (:mod:`llm_provenance`);
imported knowledge records where its text came from instead: the import format, the source
repository and the commit or release the user named (``--source-ref``), and every file read, with
its path and SHA-256. What the import dropped or flagged, class by class, is kept in ``problems``,
so that the file itself says how it differs from the released text.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kgen.knowledge.base import Provenance
from kgen.knowledge.llm_provenance import LLMProvenance

# The variant name under which kgen's own (generated or crawled) knowledge of a kind is known.
GENERATED_VARIANT = "kgen"


class SourceFile(BaseModel):
    """One released file that an import read."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="what the file holds for the format, e.g. 'askg', 'xprompt', 'spatial'")
    path: str = Field(description="the path as given to kgen import")
    repo_path: str | None = Field(default=None, description="the path inside the source repository, when recognisable")
    sha256: str


class ImportProblem(BaseModel):
    """Something of the released file that was not imported as it stands, or that is flagged."""

    model_config = ConfigDict(extra="forbid")

    class_name: str | None = Field(description="the dataset class it concerns (None: the file, or an entry that names no class)")
    code: str = Field(description="short name of the problem, e.g. 'malformed-triple', 'no-class', 'over-77-tokens'")
    entry: str = Field(description="the released entry, as written (shortened when long)")
    action: Literal["dropped", "kept", "renamed"] = Field(
        description="dropped: not imported; kept: imported as released but flagged; renamed: matched through the rename table"
    )
    reason: str


class ImportProvenance(Provenance):
    """Provenance of an imported knowledge file."""

    source: Literal["imported"] = "imported"
    import_format: str = Field(description="the kgen import format, e.g. 'stdd-askg'")
    variant: str = Field(description="the variant name the file is stored and encoded under")
    repository: str = Field(description="where the released files come from, e.g. https://github.com/Mia-YatingYu/STDD")
    ref: str | None = Field(default=None, description="commit or release of the repository (--source-ref); None: not given")
    paper: str = ""
    files: list[SourceFile] = Field(min_length=1)
    problems: list[ImportProblem] = []


# What a kind's ``provenance`` field accepts: LLM-made or imported. The two models share no
# required field (``backend``/``model`` against ``source``/``files``), so validation picks the
# right one without a tag.
GeneratedOrImported = Annotated[LLMProvenance | ImportProvenance, Field(union_mode="smart")]
