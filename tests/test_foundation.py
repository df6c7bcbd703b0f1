"""The shared foundation: versioned files, atomic writes, the response cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kgen.cache import ResponseCache
from kgen.errors import FormatError
from kgen.fileformat import VersionedFile


class Example(VersionedFile):
    FORMAT = "kgen.test-example"
    VERSION = 2
    MIGRATIONS = {1: lambda raw: {"format": raw["format"], "format_version": 1, "count": len(raw["items"])}}

    count: int


def test_versioned_file_round_trip_and_stamp(tmp_path: Path) -> None:
    path = Example(count=3).save(tmp_path / "x.json")
    raw = json.loads(path.read_text())
    assert list(raw)[:2] == ["format", "format_version"] and raw["format_version"] == 2
    assert Example.load(path).count == 3


def test_versioned_file_migrates_older_versions(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "kgen.test-example", "format_version": 1, "items": [1, 2]}))
    assert Example.load(path).count == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken", "not valid JSON"),
        ('{"format": "other", "format_version": 2, "count": 1}', "has format 'other'"),
        ('{"format": "kgen.test-example", "format_version": 9, "count": 1}', "newer than this kgen reads"),
        ('{"format": "kgen.test-example", "format_version": 0, "count": 1}', "no upgrade path"),
        ('{"format": "kgen.test-example", "format_version": 2, "count": "x"}', "not a valid kgen.test-example"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_versioned_file_refuses_bad_files_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        Example.load(path)


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="does not exist"):
        Example.load(tmp_path / "nope.json")


def test_atomic_save_keeps_the_old_file_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "files"
    path = Example(count=1).save(folder / "x.json")

    def crash_at_rename(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("kgen.fileformat.os.replace", crash_at_rename)
    with pytest.raises(OSError):
        Example(count=2).save(path)
    assert Example.load(path).count == 1
    assert [p.name for p in folder.iterdir()] == ["x.json"]  # no temporary file left behind


def test_cache_keys_are_stable_and_namespaced(tmp_path: Path) -> None:
    key = ResponseCache.make_key("wikipedia", titles=["a", "b"], lang="en")
    assert key == ResponseCache.make_key("wikipedia", lang="en", titles=["a", "b"])
    assert key.startswith("wikipedia:") and key != ResponseCache.make_key("wiktionary", titles=["a", "b"], lang="en")
    with pytest.raises(ValueError):
        ResponseCache.make_key("bad:name")


def test_cache_persists_across_instances_and_clears_by_namespace(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c") as cache:
        cache.set("a:1", {"text": "héllo"})
        cache.set("b:1", [1, 2])
    with ResponseCache(tmp_path / "c") as cache:
        assert cache.get("a:1") == {"text": "héllo"} and "b:1" in cache
        assert cache.count_by_namespace() == {"a": 1, "b": 1}
        assert cache.clear("a") == 1
        assert cache.get("a:1") is None and cache.get("b:1") == [1, 2]
