"""The base of every kgen file format.

A kgen file is a JSON document (UTF-8, indented, keys in a fixed order so that diffs read
well) whose first two keys say what it is: ``{"format": "kgen.descriptions", "format_version": 1,
...}``. :meth:`VersionedFile.load` refuses a file of another format, a newer version, or broken
JSON with a :class:`~kgen.errors.FormatError` that says what to do; older versions are upgraded
in memory by the ``MIGRATIONS`` a format declares. :meth:`VersionedFile.save` writes atomically
(temporary file, fsync, rename), so a crash never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from kgen.errors import FormatError
from kgen.filemode import make_shareable


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see either the old file or the whole new one."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename).

    An :class:`OSError` (full disk, read-only folder...) leaves the old file as it was, removes the
    temporary file and is re-raised naming ``path``, so that ``cli.run`` can say where it happened.
    """
    path = Path(path)
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            make_shareable(tmp_name, fd=fd)  # mkstemp's 0600 -> what the umask allows
        except BaseException:
            os.close(fd)
            raise
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:
            exc.filename = str(path)
        raise


class VersionedFile(BaseModel):
    """A pydantic model that is also a versioned file format.

    Subclasses set ``FORMAT`` (a dotted name) and ``VERSION`` (an int, bumped on every
    incompatible change) and may declare ``MIGRATIONS[v]``: a function that turns the raw dict of
    version ``v`` into version ``v + 1``.
    """

    model_config = ConfigDict(extra="forbid")

    FORMAT: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    MIGRATIONS: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

    format: str = ""
    format_version: int = 0

    @model_validator(mode="before")
    @classmethod
    def _stamp_format(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("format", cls.FORMAT)
            data.setdefault("format_version", cls.VERSION)
        return data

    @model_validator(mode="after")
    def _check_format(self) -> Self:
        if self.format != self.FORMAT:
            raise ValueError(f"format is {self.format!r}, expected {self.FORMAT!r}")
        if self.format_version != self.VERSION:
            raise ValueError(f"format_version is {self.format_version}, expected {self.VERSION}")
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    def save(self, path: Path) -> Path:
        atomic_write_text(path, self.to_json())
        return path

    @classmethod
    def from_dict(cls, raw: Any, origin: str = "<data>") -> Self:
        if not isinstance(raw, dict):
            raise FormatError(f"{origin} is not a JSON object", hint="regenerate the file with kgen")
        fmt = raw.get("format")
        if fmt != cls.FORMAT:
            raise FormatError(
                f"{origin} has format {fmt!r}, expected {cls.FORMAT!r}",
                hint="check that you gave the right file",
            )
        version = raw.get("format_version")
        if not isinstance(version, int):
            raise FormatError(f"{origin} has no integer format_version", hint="regenerate the file with kgen")
        if version > cls.VERSION:
            raise FormatError(
                f"{origin} is {cls.FORMAT} version {version}, newer than this kgen reads ({cls.VERSION})",
                hint="upgrade kgen",
            )
        while version < cls.VERSION:
            migrate = cls.MIGRATIONS.get(version)
            if migrate is None:
                raise FormatError(
                    f"{origin} is {cls.FORMAT} version {version}; this kgen reads version {cls.VERSION} "
                    "and has no upgrade path from it",
                    hint="regenerate the file with this kgen",
                )
            raw = migrate(raw)
            version += 1
            raw["format_version"] = version
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise FormatError(
                f"{origin} is not a valid {cls.FORMAT} file: {exc.error_count()} problem(s); first: "
                f"{_first_error(exc)}",
                hint="regenerate the file with kgen, or fix it by hand",
            ) from exc

    @classmethod
    def load(cls, path: Path) -> Self:
        path = Path(path)
        if not path.exists():
            raise FormatError(f"{path} does not exist", hint=f"create it first (it holds {cls.FORMAT})")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"{path} is not valid JSON: {exc}", hint="regenerate the file with kgen") from exc
        return cls.from_dict(raw, origin=str(path))


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err.get("loc", ()))
    return f"{where}: {err.get('msg')}" if where else str(err.get("msg"))
