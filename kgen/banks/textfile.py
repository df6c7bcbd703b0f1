"""``texts.jsonl``: every text of a bank, one JSON object a line, in row order.

Each line is ``{"class_id": 12, "text": "a photo of a brush hair."}``, with ``"type": "spatial"``
added when the knowledge kind tags its texts (``text_types``). Line ``i`` is row ``i`` of the
tensors. The file is written without spaces, UTF-8, keys in that order, ``\\n`` after every line,
so the same texts always give the same bytes; ``manifest.json`` records its SHA-256, size and line
count.

Version-1 banks kept their texts in ``manifest.json``: :class:`TextTable` hides where the texts
come from (a file read on first use, or lists already in memory).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kgen.errors import FormatError


class TextsFileInfo(BaseModel):
    """What ``manifest.json`` records about ``texts.jsonl``."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="file name inside the bank directory")
    sha256: str
    bytes: int = Field(ge=0)
    count: int = Field(ge=0, description="number of lines (texts)")
    has_types: bool = Field(description="whether each line carries a 'type' (the manifest's text_types)")


def text_lines(
    texts: Sequence[str], text_types: Sequence[str] | None, class_ids: Sequence[int], class_offsets: Sequence[int]
) -> Iterator[bytes]:
    """The lines of ``texts.jsonl`` (each ending in a newline)."""
    for k, class_id in enumerate(class_ids):
        for i in range(class_offsets[k], class_offsets[k + 1]):
            record: dict[str, object] = {"class_id": class_id, "text": texts[i]}
            if text_types is not None:
                record["type"] = text_types[i]
            yield json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def write_texts_file(
    path: Path, texts: Sequence[str], text_types: Sequence[str] | None, class_ids: Sequence[int], class_offsets: Sequence[int]
) -> TextsFileInfo:
    """Write ``texts.jsonl`` (streamed, never the whole file in memory) and return what the manifest records."""
    digest = hashlib.sha256()
    size = count = 0
    with open(path, "wb") as handle:
        buffer: list[bytes] = []
        for line in text_lines(texts, text_types, class_ids, class_offsets):
            buffer.append(line)
            digest.update(line)
            size += len(line)
            count += 1
            if len(buffer) >= 4096:
                handle.write(b"".join(buffer))
                buffer.clear()
        handle.write(b"".join(buffer))
        handle.flush()
        _fsync(handle.fileno())
    return TextsFileInfo(file=path.name, sha256=digest.hexdigest(), bytes=size, count=count, has_types=text_types is not None)


def read_texts_file(path: Path, info: TextsFileInfo, lines_per_parse: int = 65536) -> tuple[list[str], list[str] | None, list[int], str]:
    """``(texts, text_types or None, class id of each line, sha256 of the bytes read)``.

    Raises FormatError when the file is missing, is not JSON lines of the expected shape, or has
    another number of lines than the manifest says. The caller compares the hash. Lines are parsed
    ``lines_per_parse`` at a time as one JSON array (one call into the C parser, not one per line).
    """
    digest = hashlib.sha256()
    texts: list[str] = []
    types: list[str] = []
    class_ids: list[int] = []

    def parse(block: list[bytes], first_line: int) -> None:
        try:
            records = json.loads(b"[" + b",".join(block) + b"]")
        except (json.JSONDecodeError, UnicodeDecodeError):
            records = None
        if records is None or len(records) != len(block):
            for offset, line in enumerate(block):  # find the line that is wrong
                try:
                    json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise FormatError(f"{path} line {first_line + offset} is not a bank text record ({exc})", hint="encode the bank again") from exc
            raise FormatError(f"{path} near line {first_line} is not one JSON object a line", hint="encode the bank again")
        for offset, record in enumerate(records):
            try:
                text, class_id = record["text"], record["class_id"]
                kind = record["type"] if info.has_types else ""
            except (KeyError, TypeError) as exc:
                raise FormatError(f"{path} line {first_line + offset} is not a bank text record (no {exc})", hint="encode the bank again") from exc
            if not isinstance(text, str) or not isinstance(class_id, int) or not isinstance(kind, str):
                raise FormatError(f"{path} line {first_line + offset} holds a text, class id or type of the wrong type", hint="encode the bank again")
            texts.append(text)
            class_ids.append(class_id)
            if info.has_types:
                types.append(kind)

    try:
        with open(path, "rb") as handle:
            block: list[bytes] = []
            first_line = 1
            for line in handle:
                digest.update(line)
                if line.strip():
                    block.append(line)
                else:
                    raise FormatError(f"{path} line {first_line + len(block)} is empty", hint="encode the bank again")
                if len(block) >= lines_per_parse:
                    parse(block, first_line)
                    first_line += len(block)
                    block = []
            parse(block, first_line)
    except FileNotFoundError as exc:
        raise FormatError(f"the bank's texts file {path} is missing", hint="the bank is incomplete: encode it again") from exc
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions") from exc
    if len(texts) != info.count:
        raise FormatError(
            f"{path} holds {len(texts)} texts, the manifest says {info.count} (the file was cut or edited)",
            hint="encode the bank again",
        )
    return texts, (types if info.has_types else None), class_ids, digest.hexdigest()


class TextTable:
    """A bank's texts: lists in memory, or ``texts.jsonl`` read (and checked) on first use."""

    def __init__(
        self,
        texts: Sequence[str] | None = None,
        text_types: Sequence[str] | None = None,
        *,
        path: Path | None = None,
        info: TextsFileInfo | None = None,
    ) -> None:
        if texts is None and (path is None or info is None):
            raise ValueError("a TextTable needs texts or a file")
        self._texts = list(texts) if texts is not None else None
        self._types = list(text_types) if text_types is not None else None
        self.path = path
        self.info = info
        self.file_sha256: str | None = None  # the hash of the bytes read, once read
        self.line_class_ids: list[int] | None = None

    @property
    def loaded(self) -> bool:
        return self._texts is not None

    def _load(self) -> None:
        if self._texts is None:
            assert self.path is not None and self.info is not None
            texts, types, class_ids, digest = read_texts_file(self.path, self.info)
            if digest != self.info.sha256:
                raise FormatError(
                    f"{self.path} does not match the hash its manifest records: the texts were changed after encoding",
                    hint="encode the bank again",
                )
            self._texts, self._types, self.line_class_ids, self.file_sha256 = texts, types, class_ids, digest

    @property
    def texts(self) -> list[str]:
        self._load()
        assert self._texts is not None
        return self._texts

    @property
    def text_types(self) -> list[str] | None:
        self._load()
        return self._types

    def __len__(self) -> int:
        if self._texts is not None:
            return len(self._texts)
        assert self.info is not None
        return self.info.count


def _fsync(fd: int) -> None:
    import os

    try:
        os.fsync(fd)
    except OSError:  # some filesystems (e.g. some FUSE mounts) do not support fsync
        pass
