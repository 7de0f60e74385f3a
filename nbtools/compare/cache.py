"""The on-disk cache of comparison results: one small JSON file per (backend, set-up, prompt, parameters) key.

A key is the SHA-256 of the canonical JSON of everything that decides the answer: which backend, the model, the
system prompt, the user's prompt and the request parameters. The set-up's label is not part of it, so renaming a
set-up keeps its answers. Entries are written atomically (a whole file or none); an unreadable entry counts as a
miss and is overwritten by the next answer. The cache never holds keys or headers.

    >>> import tempfile
    >>> cache = ResultCache(tempfile.mkdtemp())
    >>> key = cache_key(backend="local", model="m", system="", prompt="Hi", params={"temperature": 0})
    >>> cache.get(key) is None
    True
    >>> cache.put(key, {"output": "Hey there!"})
    >>> cache.get(key)["output"], len(cache)
    ('Hey there!', 1)
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Mapping

from ..settings import home_dir

__all__ = ["ResultCache", "cache_key", "CACHE_DIR"]

CACHE_DIR = ("compare", "cache")  # under the nbtools home


def cache_key(*, backend: str, model: str, system: str, prompt: str, params: Mapping[str, Any]) -> str:
    """The hex SHA-256 naming one answer.

    >>> cache_key(backend="local", model="m", system="", prompt="Hi", params={"a": 1, "b": 2}) == \\
    ...     cache_key(backend="local", model="m", system="", prompt="Hi", params={"b": 2, "a": 1})
    True
    """
    canonical = json.dumps({"backend": backend, "model": model, "system": system, "prompt": prompt,
                            "params": dict(params)}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResultCache:
    """Answers by key in a directory (default ``<nbtools home>/compare/cache``)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else home_dir().joinpath(*CACHE_DIR)

    def __repr__(self) -> str:
        return f"ResultCache({str(self.directory)!r})"

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.is_dir() else 0

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.directory / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer of `key`, or None (missing or unreadable)."""
        try:
            record = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Store `record` as the answer of `key` (replacing any previous one)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")  # threads too
        partial.write_text(json.dumps(dict(record), ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(partial, path)

    def clear(self) -> int:
        """Delete every stored answer; returns how many there were."""
        removed = 0
        for path in self.directory.glob("*.json") if self.directory.is_dir() else ():
            path.unlink(missing_ok=True)
            removed += 1
        return removed
