"""The response cache: every crawl and every LLM answer kgen pays for is kept here.

A thin layer over :mod:`diskcache` (SQLite underneath, safe across threads and processes, each
write its own transaction): a killed run loses nothing it already stored, and a rerun asks for
nothing it already has. Keys are ``"<namespace>:<sha256 of the canonical JSON of the key parts>"``,
so a key names its source and query without leaking long texts into the key column; values are
JSON-serialisable objects (stored as JSON text, readable with any SQLite tool).

Only *valid* answers are stored: callers validate first and store second, so bad input or a
malformed answer never poisons the cache.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import diskcache

from kgen import paths
from kgen.hashing import sha256_json


class ResponseCache:
    """A persistent, namespaced key-value store of paid-for answers."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else paths.cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        # size_limit: answers are small; keep up to 8 GiB before diskcache evicts anything.
        self._store = diskcache.Cache(str(self.directory), size_limit=8 << 30, eviction_policy="none")

    @staticmethod
    def make_key(namespace: str, **parts: Any) -> str:
        """A key for ``parts`` (any JSON-serialisable values) under ``namespace``."""
        if ":" in namespace:
            raise ValueError("a cache namespace may not contain ':'")
        return f"{namespace}:{sha256_json(parts)}"

    def get(self, key: str) -> Any | None:
        raw = self._store.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        self._store.set(key, json.dumps(value, ensure_ascii=False))

    def __contains__(self, key: str) -> bool:
        return key in self._store

    def delete(self, key: str) -> bool:
        return bool(self._store.delete(key))

    def count_by_namespace(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for key in self._store.iterkeys():
            counts[str(key).split(":", 1)[0]] += 1
        return dict(sorted(counts.items()))

    def clear(self, namespace: str | None = None) -> int:
        if namespace is None:
            return int(self._store.clear())
        removed = 0
        for key in list(self._store.iterkeys()):
            if str(key).split(":", 1)[0] == namespace:
                removed += bool(self._store.delete(key))
        return removed

    def volume_bytes(self) -> int:
        return int(self._store.volume())

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
