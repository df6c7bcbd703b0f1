"""The response cache: every crawl and every LLM answer kgen pays for is kept here.

A thin layer over :mod:`diskcache` (SQLite underneath, safe across threads and processes, each
write its own transaction): a killed run loses nothing it already stored, and a rerun asks for
nothing it already has. Keys are ``"<namespace>:<sha256 of the canonical JSON of the key parts>"``,
so a key names its source and query without leaking long texts into the key column; values are
JSON-serialisable objects (stored as JSON text, readable with any SQLite tool).

Only *valid* answers are stored: callers validate first and store second, so bad input or a
malformed answer never poisons the cache.

Safety and damage (see docs/llm.md, "The response cache"):

* Nothing is ever unpickled. diskcache's default ``Disk`` unpickles any row marked as pickled, so
  a tampered or shared ``cache.db`` could run code; kgen's :class:`JSONTextDisk` stores and reads
  text only. A pickled, binary or otherwise undecodable row, and a value that is not JSON, is a
  miss (logged once per namespace), never executed and never a crash. A value file named outside
  the cache folder is neither read nor deleted.
* A damaged cache (not an SQLite file, truncated, a foreign database, a cache path that is a file)
  is detected when it is opened: :class:`CacheDamaged`, one message and the hint to run
  ``kgen cache clear``, which moves the damaged files aside (:func:`move_aside`) and starts fresh.
* A read-only cache folder is used read-only: cached answers are served, new ones are not kept
  (said once per run).
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import diskcache
from diskcache.core import MODE_PICKLE, MODE_RAW, MODE_TEXT, UNKNOWN

from kgen import paths
from kgen.console import warn_once
from kgen.errors import FormatError, StorageError
from kgen.hashing import sha256_json
from kgen.storage import storage_error

DB_NAME = "cache.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
# The key diskcache gives a row whose key column is not plain text (kgen writes text keys only).
UNREADABLE_KEY = "(unreadable)"
# Value files as diskcache names them: two levels of two hex digits, 28 hex digits, ".val".
_VALUE_FILE = re.compile(r"^[0-9a-f]{2}[/\\][0-9a-f]{2}[/\\][0-9a-f]{28}\.val$")
# The SQLite settings diskcache keeps in its Settings table (it runs ``PRAGMA <name> = <value>``
# for each on every connection, so a tampered table is refused before diskcache sees it).
_KNOWN_PRAGMAS = {"sqlite_auto_vacuum", "sqlite_cache_size", "sqlite_journal_mode", "sqlite_mmap_size", "sqlite_synchronous"}
_PRAGMA_VALUE = re.compile(r"^-?[A-Za-z0-9_]{1,32}$")


class CacheDamaged(FormatError):
    """The cache's database is not readable: not SQLite, truncated, foreign or tampered."""


def damaged(directory: Path, problem: str) -> CacheDamaged:
    return CacheDamaged(
        f"the response cache at {directory} is damaged: {problem}",
        hint="run `kgen cache clear` to move the damaged files aside and start a fresh cache "
        "(cached answers are then paid for again), or point --cache-dir at another folder",
    )


@dataclass(frozen=True)
class Unreadable:
    """What :class:`JSONTextDisk` returns for a row it will not decode (instead of unpickling it)."""

    reason: str


class JSONTextDisk(diskcache.Disk):
    """A diskcache ``Disk`` for text keys and text values only: it never pickles or unpickles.

    Text is stored exactly as diskcache's default ``Disk`` stores it (short values inline, long ones
    in ``.val`` files), so caches written by earlier kgen versions keep hitting. Anything else read
    back (a pickled row, bytes, an unknown mode, a value file outside the cache folder) comes back
    as :class:`Unreadable`.
    """

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError(f"cache keys are text, got {type(key).__name__}")
        return key, True

    def get(self, key: Any, raw: bool) -> Any:
        return key if raw and isinstance(key, str) else UNREADABLE_KEY

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> tuple[int, int, str | None, Any]:
        if read or type(value) is not str:
            raise TypeError(f"cache values are JSON text, got {type(value).__name__}")
        return super().store(value, read, key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == MODE_RAW:
            return value if isinstance(value, str) else Unreadable("a binary value")
        if mode == MODE_TEXT:
            path = self.value_path(filename)
            if path is None:
                return Unreadable(f"a value file outside the cache ({filename!r})")
            try:
                return path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                return Unreadable("a value file that is not UTF-8 text")
        if mode == MODE_PICKLE:
            return Unreadable("a pickled value (kgen never unpickles)")
        return Unreadable(f"a value of storage mode {mode}")

    def remove(self, file_path: str) -> None:
        if self.value_path(file_path) is not None:
            super().remove(file_path)

    def value_path(self, filename: Any) -> Path | None:
        """The value file ``filename`` inside the cache folder, or None for any other name."""
        if not isinstance(filename, str) or not _VALUE_FILE.match(filename):
            return None
        return Path(self._directory) / filename


class ResponseCache:
    """A persistent, namespaced key-value store of paid-for answers."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else paths.cache_dir()
        self.read_only = False
        self._store: diskcache.Cache | ReadOnlyStore = self._open()

    # ------------------------------------------------------------------ opening
    def _open(self) -> diskcache.Cache | ReadOnlyStore:
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            raise damaged(directory, "the cache path is a file, not a folder")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, directory, doing="create the response cache") from exc
        db = directory / DB_NAME
        if db.exists():
            inspect_database(db)
        if not _writable(directory, db):
            self.read_only = True
            warn_once(
                f"cache-read-only:{directory}",
                f"the response cache at {directory} is read-only: cached answers are used, new ones are not kept",
            )
            return ReadOnlyStore(directory)
        try:
            # size_limit: answers are small; keep up to 8 GiB before diskcache evicts anything.
            return diskcache.Cache(str(directory), size_limit=8 << 30, eviction_policy="none", disk=JSONTextDisk)
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "open") from exc
        except (AttributeError, TypeError, KeyError, ValueError) as exc:  # diskcache tripping over damaged rows
            raise damaged(directory, f"diskcache cannot read it ({type(exc).__name__}: {exc})") from exc

    def _sqlite_error(self, exc: sqlite3.Error, doing: str) -> Exception:
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if primary == sqlite3.SQLITE_FULL:
            return storage_error(OSError(errno.ENOSPC, "no space", str(self.directory / DB_NAME)), doing="write")
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM) or (
            primary == sqlite3.SQLITE_CANTOPEN and not _writable(self.directory, self.directory / DB_NAME)
        ):
            return StorageError(
                f"cannot {doing} the response cache at {self.directory}: it is not writable ({exc})",
                hint="make the folder writable, or point --cache-dir at another folder",
            )
        if primary == sqlite3.SQLITE_IOERR:
            return StorageError(
                f"cannot {doing} the response cache at {self.directory}: the disk reported an I/O error ({exc})",
                hint="check the disk, then rerun",
            )
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StorageError(
                f"the response cache at {self.directory} is locked by another process ({exc})",
                hint="wait for the other kgen run to finish, then rerun",
            )
        return damaged(self.directory, str(exc))

    # ------------------------------------------------------------------ keys and values
    @staticmethod
    def make_key(namespace: str, **parts: Any) -> str:
        """A key for ``parts`` (any JSON-serialisable values) under ``namespace``."""
        if ":" in namespace:
            raise ValueError("a cache namespace may not contain ':'")
        return f"{namespace}:{sha256_json(parts)}"

    def get(self, key: str) -> Any | None:
        """The cached value of ``key``; None when absent or unreadable (then logged once)."""
        try:
            raw = self._store.get(key)
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "read") from exc
        if raw is None:
            return None
        if isinstance(raw, Unreadable):
            self._ignored(key, raw.reason)
            return None
        try:
            return json.loads(raw)
        except (TypeError, ValueError) as exc:
            self._ignored(key, f"a value that is not JSON ({exc})")
            return None

    def _ignored(self, key: str, reason: str) -> None:
        namespace = key.split(":", 1)[0]
        warn_once(
            f"cache-unreadable:{self.directory}:{namespace}",
            f"ignored an unreadable cached answer in namespace {namespace!r} ({reason}): it counts as missing "
            f"and is fetched again; `kgen cache info` counts such rows",
        )

    def set(self, key: str, value: Any) -> None:
        if self.read_only:
            return
        text = json.dumps(value, ensure_ascii=False)
        try:
            self._store.set(key, text)
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "write to") from exc
        except OSError as exc:
            raise storage_error(exc, self.directory, doing="write to the response cache") from exc

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def delete(self, key: str) -> bool:
        self._refuse_if_read_only("delete from")
        try:
            return bool(self._store.delete(key))
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "delete from") from exc

    def _keys(self) -> Iterator[str]:
        try:
            yield from (str(key) for key in self._store.iterkeys())
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "read") from exc

    def count_by_namespace(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for key in self._keys():
            if key != UNREADABLE_KEY:  # counted by unreadable_rows()
                counts[key.split(":", 1)[0]] += 1
        return dict(sorted(counts.items()))

    def unreadable_rows(self) -> int:
        """Rows kgen will not decode: pickled, binary or unknown values and non-text keys."""
        return self._store_count(
            "SELECT COUNT(*) FROM Cache WHERE raw != 1 OR typeof(key) != 'text' "
            "OR mode NOT IN (?, ?) OR (mode = ? AND typeof(value) != 'text')",
            (MODE_RAW, MODE_TEXT, MODE_RAW),
        )

    def integrity_problem(self) -> str | None:
        """SQLite's quick check of the whole database (reads every page): None when healthy."""
        try:
            rows = _connection(self._store).execute("PRAGMA quick_check(1)").fetchall()
        except sqlite3.Error as exc:
            return str(exc)
        result = rows[0][0] if rows else "no answer"
        return None if result == "ok" else str(result)

    def _store_count(self, query: str, args: tuple[Any, ...]) -> int:
        try:
            return int(_connection(self._store).execute(query, args).fetchone()[0])
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "read") from exc

    def clear(self, namespace: str | None = None) -> int:
        self._refuse_if_read_only("clear")
        try:
            if namespace is None:
                return int(self._store.clear())
            removed = 0
            for key in list(self._keys()):
                if key.split(":", 1)[0] == namespace:
                    removed += bool(self._store.delete(key))
            return removed
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "clear") from exc

    def _refuse_if_read_only(self, doing: str) -> None:
        if self.read_only:
            raise StorageError(
                f"cannot {doing} the response cache at {self.directory}: it is read-only",
                hint="make the folder writable, or point --cache-dir at another folder",
            )

    def volume_bytes(self) -> int:
        try:
            return int(self._store.volume())
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, "read") from exc

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReadOnlyStore:
    """The reading half of ``diskcache.Cache`` over a read-only folder (same tables, same decoding)."""

    def __init__(self, directory: Path) -> None:
        self._disk = JSONTextDisk(str(directory))
        db = directory / DB_NAME
        self.con: sqlite3.Connection | None = None
        if db.exists() and db.stat().st_size > 0:
            self.con = connect_read_only(db)

    def get(self, key: str) -> Any:
        if self.con is None:
            return None
        row = self.con.execute(
            "SELECT mode, filename, value FROM Cache WHERE key = ? AND raw = 1 "
            "AND (expire_time IS NULL OR expire_time > ?)",
            (key, time.time()),
        ).fetchone()
        if row is None:
            return None
        try:
            return self._disk.fetch(row[0], row[1], row[2], False)
        except OSError:
            return None  # a value file that is gone: a miss, as diskcache treats it

    def iterkeys(self) -> Iterator[Any]:
        if self.con is None:
            return
        for key, raw in self.con.execute("SELECT key, raw FROM Cache ORDER BY rowid"):
            yield self._disk.get(key, raw)

    def volume(self) -> int:
        if self.con is None:
            return 0
        (page_count,) = self.con.execute("PRAGMA page_count").fetchone()
        (page_size,) = self.con.execute("PRAGMA page_size").fetchone()
        (files,) = self.con.execute("SELECT COALESCE(SUM(size), 0) FROM Cache").fetchone()
        return int(page_count * page_size + files)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def _connection(store: diskcache.Cache | ReadOnlyStore) -> sqlite3.Connection:
    if isinstance(store, ReadOnlyStore):
        if store.con is None:
            return sqlite3.connect(":memory:")  # an absent database: an empty, healthy one
        return store.con
    return store._con  # noqa: SLF001 - diskcache's connection of this thread


def connect_read_only(db: Path) -> sqlite3.Connection:
    """A read-only connection to ``db`` that writes nothing next to it.

    ``mode=ro`` first; a WAL database in a folder where SQLite may not create its ``-shm`` file
    cannot be opened that way, and is opened ``immutable`` instead (nothing else writes it: the
    folder is read-only).
    """
    base = f"file:{quote(str(db.absolute()))}"
    try:
        con = sqlite3.connect(f"{base}?mode=ro", uri=True)
        con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        con = sqlite3.connect(f"{base}?mode=ro&immutable=1", uri=True)
        con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return con


def inspect_database(db: Path) -> None:
    """Refuse, with :class:`CacheDamaged`, a ``cache.db`` that is not a healthy diskcache database.

    Cheap (the 100-byte header and the small Settings table; no full scan): garbage, a truncated
    file, a foreign SQLite database, and settings diskcache would run as PRAGMAs that it never
    writes itself.
    """
    directory = db.parent
    if db.is_dir():
        raise damaged(directory, f"{DB_NAME} is a folder")
    try:
        size = db.stat().st_size
        with open(db, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise storage_error(exc, db, doing="read") from exc
    if size == 0:
        return  # SQLite treats an empty file as an empty database; diskcache sets it up
    if not header.startswith(SQLITE_MAGIC):
        raise damaged(directory, f"{DB_NAME} is not an SQLite database")
    if len(header) < 100:
        raise damaged(directory, f"{DB_NAME} is truncated ({size} bytes)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    # The page count in the header is valid when its "version-valid-for" matches the change counter.
    # While another process checkpoints its write-ahead log, page 1 (the header) can be written
    # before the file grows: with a live log, or if a second look disagrees, SQLite's own reads judge.
    wal = db.with_name(DB_NAME + "-wal")
    live_log = wal.exists() and wal.stat().st_size > 0
    if valid_for == change_counter and page_count and size < page_count * page_size and not live_log:
        time.sleep(0.05)
        if db.stat().st_size < page_count * page_size:
            raise damaged(directory, f"{DB_NAME} is truncated ({size} of {page_count * page_size} bytes)")
    try:
        con = connect_read_only(db)
    except sqlite3.Error as exc:
        if not os.access(db, os.R_OK):
            raise StorageError(f"cannot read the response cache {db}: permission denied",
                               hint="fix its permissions, or point --cache-dir at another folder") from exc
        raise damaged(directory, str(exc)) from exc
    try:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and not {"Settings", "Cache"} <= tables:
            raise damaged(directory, f"{DB_NAME} is an SQLite database, but not a kgen response cache")
        if "Settings" in tables:
            for key, value in con.execute("SELECT key, value FROM Settings"):
                if not isinstance(key, str) or not isinstance(value, (str, int, float)):
                    raise damaged(directory, f"its settings hold an unreadable row ({key!r} = {value!r})")
                if key.startswith("sqlite_") and (
                    key not in _KNOWN_PRAGMAS or not _PRAGMA_VALUE.match(str(value))
                ):
                    raise damaged(directory, f"its settings hold an unexpected SQLite setting {key!r} = {value!r}")
    except sqlite3.Error as exc:
        raise damaged(directory, str(exc)) from exc
    finally:
        con.close()


def _writable(directory: Path, db: Path) -> bool:
    """Whether kgen may write in ``directory`` and to ``db`` (a probe file, removed at once)."""
    try:
        with tempfile.TemporaryFile(prefix=".kgen-probe-", dir=directory):
            pass
        if db.exists():
            with open(db, "r+b"):
                pass
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return False
        raise storage_error(exc, directory, doing="write to the response cache in") from exc
    return True


def move_aside(directory: Path) -> Path:
    """Move a damaged cache out of the way (nothing is deleted); the cache path is then free.

    A cache path that is a file is renamed to ``<path>.damaged-<time>``. A cache folder is renamed
    the same way as a whole (its database and value files stay together); where the folder cannot
    be renamed (a mount point), its ``cache.db*`` files move into ``<folder>/damaged-<time>/``.
    Returns where the damaged files are now.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = directory.with_name(f"{directory.name}.damaged-{stamp}")
    try:
        os.rename(directory, target)
        return target
    except OSError as exc:
        if not directory.is_dir():
            raise storage_error(exc, directory, doing="move aside") from exc
    inner = directory / f"damaged-{stamp}"
    try:
        inner.mkdir()
        for path in directory.glob(f"{DB_NAME}*"):
            os.rename(path, inner / path.name)
    except OSError as exc:
        raise storage_error(exc, directory, doing="move aside the damaged files of") from exc
    return inner
