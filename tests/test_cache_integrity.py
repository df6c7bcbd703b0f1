"""A damaged, read-only or foreign response cache: found at open, one clear message, repairable.

Also: caches written before the JSON-only disk still hit, and a cached value that is not JSON is a
miss (logged), never a crash.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import diskcache
import pytest
from unprivileged import make_read_only, make_writable, run_kgen

from kgen.cache import CacheDamaged, ResponseCache


def _populated(directory: Path, rows: int = 3) -> Path:
    with ResponseCache(directory) as cache:
        for index in range(rows):
            cache.set(f"llm:{index}", {"answer": "x" * 300, "index": index})
        cache.set("wikipedia:long", "y" * 40_000)
    return directory / "cache.db"


def test_a_cache_written_with_diskcaches_default_disk_still_hits(tmp_path: Path) -> None:
    # kgen before the JSON-only disk: diskcache.Cache with the default Disk, JSON text values.
    directory = tmp_path / "old"
    old = diskcache.Cache(str(directory), size_limit=8 << 30, eviction_policy="none")
    old.set("wikipedia:abc", json.dumps({"title": "Fencing", "text": "é" * 10}, ensure_ascii=False))
    old.set("llm:long", json.dumps({"answer": "z" * 50_000}))  # above 32 kB: kept in a .val file
    old.close()
    with ResponseCache(directory) as cache:
        assert cache.get("wikipedia:abc") == {"title": "Fencing", "text": "é" * 10}
        assert cache.get("llm:long") == {"answer": "z" * 50_000}
        assert cache.count_by_namespace() == {"llm": 1, "wikipedia": 1} and cache.unreadable_rows() == 0


def test_a_cached_value_that_is_not_json_is_a_logged_miss(tmp_path: Path, capsys) -> None:
    with ResponseCache(tmp_path / "c") as cache:
        cache._store.set("llm:broken", "{not json")  # written by another program
        cache.set("llm:fine", [1, 2])
        assert cache.get("llm:broken") is None and "llm:broken" not in cache
        assert cache.get("llm:fine") == [1, 2]
        cache.set("llm:broken", {"now": "valid"})
        assert cache.get("llm:broken") == {"now": "valid"}
    assert "ignored an unreadable cached answer in namespace 'llm' (a value that is not JSON" in capsys.readouterr().err


def test_a_value_file_named_outside_the_cache_is_neither_read_nor_deleted(tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text('"a file of the user"')
    db = _populated(tmp_path / "cache")
    con = sqlite3.connect(db)
    con.execute("UPDATE Cache SET filename = ? WHERE key = 'wikipedia:long'", (str(outside),))
    con.execute("UPDATE Cache SET mode = 3, filename = '../secret.txt', value = NULL WHERE key = 'llm:0'")
    con.commit()
    con.close()
    with ResponseCache(tmp_path / "cache") as cache:
        assert cache.get("wikipedia:long") is None and cache.get("llm:0") is None
    assert run_cli("cache", "clear", "--yes").exit_code == 0
    assert outside.read_text() == '"a file of the user"'


def _garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database" * 100)


def _truncated(db: Path) -> None:
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])


def _foreign(db: Path) -> None:
    db.unlink()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes (text TEXT)")
    con.commit()
    con.close()


def _tampered_settings(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("INSERT OR REPLACE INTO Settings VALUES ('sqlite_temp_store_directory', '''/tmp''')")
    con.commit()
    con.close()


def _interior_damage(db: Path) -> None:
    data = bytearray(db.read_bytes())
    for offset in range(4096, len(data) - 4096, 4096):  # every page but the first: the header stays valid
        data[offset + 8 : offset + 200] = b"\xde\xad" * 96
    db.write_bytes(bytes(data))


def _path_is_a_file(db: Path) -> None:
    directory = db.parent
    for child in sorted(directory.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    directory.rmdir()
    directory.write_text("a file where the cache folder should be")


DAMAGES = {
    "garbage": (_garbage, "not an SQLite database"),
    "truncated": (_truncated, "truncated"),
    "foreign": (_foreign, "not a kgen response cache"),
    "tampered-settings": (_tampered_settings, "unexpected SQLite setting"),
    "interior": (_interior_damage, "malformed|damaged"),
    "path-is-a-file": (_path_is_a_file, "the cache path is a file"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_cache_is_reported_and_cleared(tmp_path: Path, run_cli, damage: str) -> None:
    spoil, message = DAMAGES[damage]
    directory = tmp_path / "cache"  # the test's KGEN_CACHE_DIR
    spoil(_populated(directory, rows=400))
    # info reports it: one message, a hint, exit code 3, no traceback
    info = run_cli("cache", "info")
    assert info.exit_code == 3, info.stderr
    assert "damaged" in info.stdout + info.stderr and "kgen cache clear" in info.stderr
    assert "Traceback" not in info.stderr
    as_json = run_cli("cache", "info", "--json")
    assert as_json.exit_code == 3 and json.loads(as_json.stdout)["status"] == "damaged"
    # a command that would pay for answers stops before any work, with the same message
    classes = tmp_path / "mine.txt"
    classes.write_text("fencing\n")
    crawl = run_cli("crawl", "--classes", str(classes), "--offline")
    if damage != "interior":  # interior damage shows only when a damaged page is read
        assert crawl.exit_code == 3 and "response cache at" in crawl.stderr and "kgen cache clear" in crawl.stderr
        assert not (tmp_path / "workspace" / "knowledge" / "mine" / "descriptions.json").exists()
    assert "Traceback" not in crawl.stderr
    # --namespace cannot be cleared from a damaged cache; clear moves it aside and starts afresh
    if damage != "interior":
        one = run_cli("cache", "clear", "--namespace", "llm", "--yes")
        assert one.exit_code == 2 and "without --namespace" in one.stderr
    cleared = run_cli("cache", "clear", "--yes")
    assert cleared.exit_code == 0, cleared.stderr
    assert "moved the damaged cache to" in cleared.stderr
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("cache.damaged-")]
    assert len(aside) == 1  # nothing deleted: the damaged files are kept aside
    again = run_cli("cache", "info", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "ok"
    with ResponseCache(directory) as cache:
        cache.set("llm:new", 1)
        assert cache.get("llm:new") == 1


def test_opening_a_damaged_cache_raises_one_error(tmp_path: Path) -> None:
    _garbage(_populated(tmp_path / "c"))
    with pytest.raises(CacheDamaged, match="is damaged: cache.db is not an SQLite database") as caught:
        ResponseCache(tmp_path / "c")
    assert "kgen cache clear" in (caught.value.hint or "")


def test_a_read_only_cache_is_used_read_only(tmp_path: Path) -> None:
    directory = tmp_path / "ro-cache"
    db = _populated(directory)
    value_dirs = [p for p in directory.rglob("*") if p.is_dir()]
    env = {"KGEN_CACHE_DIR": str(directory), "KGEN_ROOT": str(tmp_path)}
    make_read_only(db, *value_dirs, directory)
    try:
        info = run_kgen("cache", "info", "--json", env=env)
        assert info.returncode == 0, info.stderr
        report = json.loads(info.stdout)
        assert report["status"] == "read-only" and report["namespaces"] == {"llm": 3, "wikipedia": 1}
        assert "is read-only: cached answers are used, new ones are not kept" in info.stderr
        code = (
            "from kgen.cache import ResponseCache\n"
            "with ResponseCache() as c:\n"
            "    assert c.get('llm:1')['index'] == 1 and c.get('wikipedia:long') == 'y' * 40000\n"
            "    c.set('llm:new', 5)\n"
            "    assert c.get('llm:new') is None\n"
            "print('ok')\n"
        )
        used = run_kgen(env=env, python_code=code)
        assert used.returncode == 0 and used.stdout.strip() == "ok", used.stderr
        clear = run_kgen("cache", "clear", "--yes", env=env)
        assert clear.returncode == 6 and "it is read-only" in clear.stderr and "Traceback" not in clear.stderr
    finally:
        make_writable(directory, *value_dirs, db)
    assert sorted(p.name for p in directory.iterdir() if p.is_file()) == ["cache.db"]  # nothing written
