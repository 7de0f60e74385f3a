"""The server's state in one SQLite database (WAL): files, jobs, events, per-step metrics, checkpoints, models.

Both server processes open it: the API process and the training worker. Each write is one transaction, so a crash
leaves either the old or the new state, never half of one. Rows come back as plain dicts with JSON columns decoded.
The schema is versioned with ``PRAGMA user_version``; a database written by a newer nbtools is refused, never altered.

>>> import tempfile, pathlib
>>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "state.db")
>>> store.insert("files", {"id": "file-1", "filename": "a.jsonl", "purpose": "fine-tune", "bytes": 3,
...                        "created_at": 1, "path": "/x"})
>>> store.get("files", "file-1")["filename"]
'a.jsonl'
>>> [r["id"] for r in store.page("files", after=None, limit=10)[0]]
['file-1']
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import ConfigError

__all__ = ["Store", "SCHEMA_VERSION", "CursorNotFound"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    purpose TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    path TEXT NOT NULL
);
CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    model TEXT NOT NULL,
    training_file TEXT NOT NULL,
    validation_file TEXT,
    method TEXT NOT NULL,              -- supervised | dpo
    requested TEXT NOT NULL,           -- JSON: hyperparameters as asked ("auto" allowed)
    hyperparameters TEXT,              -- JSON: resolved numbers, once validated
    suffix TEXT,
    seed INTEGER NOT NULL,
    metadata TEXT,                     -- JSON object or NULL
    status TEXT NOT NULL,
    error TEXT,                        -- JSON {code, message, param} when failed
    model_id8 TEXT NOT NULL,           -- last segment of the future fine-tuned model id
    fine_tuned_model TEXT,
    finished_at INTEGER,
    trained_tokens INTEGER,
    estimated_finish INTEGER,
    result_file TEXT,
    n_examples INTEGER,
    queued_at REAL,                    -- FIFO order of the worker
    control TEXT,                      -- 'pause' while a pause request waits for the worker
    resume_from TEXT,                  -- checkpoint directory to continue from
    interruptions INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_status ON jobs(status, queued_at);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    level TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
);
CREATE INDEX events_job ON events(job_id, seq);
CREATE TABLE metrics (
    job_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, step)
);
CREATE TABLE checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    path TEXT NOT NULL,
    metrics TEXT NOT NULL,
    kind TEXT NOT NULL                 -- 'epoch' (public, usable as a model) | 'pause' (only for resuming)
);
CREATE INDEX checkpoints_job ON checkpoints(job_id, seq);
CREATE INDEX checkpoints_name ON checkpoints(name);
CREATE TABLE models (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    base_model TEXT NOT NULL,
    adapter_path TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""

# Steps from version N to N+1, applied in order on open. Empty while the schema is at version 1.
_MIGRATIONS: dict[int, str] = {}

_JSON_COLUMNS = {"requested", "hyperparameters", "metadata", "error", "data", "metrics"}


class CursorNotFound(LookupError):
    """A pagination cursor (`after`) names no row of the listed collection."""


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    out = {}
    for key in row.keys():
        value = row[key]
        out[key] = json.loads(value) if key in _JSON_COLUMNS and value is not None else value
    out.pop("seq", None)
    return out


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v) if k in _JSON_COLUMNS and v is not None else v) for k, v in values.items()}


class Store:
    """One process's connection to the state database. Thread-safe (one lock around the connection)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"{self.path}: database schema version {version} is newer than this nbtools "
                    f"understands ({SCHEMA_VERSION}); upgrade nbtools or use another data directory"
                )
            if version == 0:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                version = 1
            while version < SCHEMA_VERSION:
                for statement in filter(str.strip, _MIGRATIONS[version].split(";")):
                    db.execute(statement)
                version += 1
            db.execute(f"PRAGMA user_version={version}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``with store.transaction() as db:`` — one write transaction (BEGIN IMMEDIATE … COMMIT / ROLLBACK)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- generic row access -------------------------------------------------------------------------------------

    def rows(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        """All rows of a query, decoded."""
        with self._lock:
            return [_decode(r) for r in self._db.execute(sql, params).fetchall()]

    def row(self, sql: str, params: tuple | list = ()) -> dict[str, Any] | None:
        """The first row of a query, decoded, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def insert(self, table: str, values: dict[str, Any], *, db: sqlite3.Connection | None = None) -> None:
        """Insert one row (inside `db`'s transaction when given, else in its own)."""
        encoded = _encode(values)
        sql = f"INSERT INTO {table} ({', '.join(encoded)}) VALUES ({', '.join('?' * len(encoded))})"
        if db is not None:
            db.execute(sql, list(encoded.values()))
            return
        with self.transaction() as tx:
            tx.execute(sql, list(encoded.values()))

    def get(self, table: str, row_id: str) -> dict[str, Any] | None:
        """The row of `table` with this id, or None."""
        return self.row(f"SELECT * FROM {table} WHERE id = ?", (row_id,))

    def update(self, table: str, row_id: str, values: dict[str, Any], *, status_in: tuple[str, ...] = (),
               db: sqlite3.Connection | None = None) -> bool:
        """Update one row; with `status_in`, only when its status is one of those. True when a row changed."""
        encoded = _encode(values)
        sql = f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in encoded)} WHERE id = ?"
        params: list[Any] = [*encoded.values(), row_id]
        if status_in:
            sql += f" AND status IN ({', '.join('?' * len(status_in))})"
            params += list(status_in)
        if db is not None:
            return db.execute(sql, params).rowcount > 0
        with self.transaction() as tx:
            return tx.execute(sql, params).rowcount > 0

    def delete(self, table: str, row_id: str) -> bool:
        """Delete one row by id; True when it existed."""
        with self.transaction() as tx:
            return tx.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,)).rowcount > 0

    def page(
        self,
        table: str,
        *,
        after: str | None,
        limit: int,
        where: str = "1",
        params: tuple | list = (),
        descending: bool = False,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a cursor list in insertion order (or reversed): (rows, has_more).

        `after` is the id of the last row of the previous page; rows that come after it in this order follow.
        `keep` filters rows in Python (for filters SQL cannot express safely, like metadata keys).
        """
        op = "<" if descending else ">"
        sql = f"SELECT * FROM {table} WHERE ({where})"
        args: list[Any] = list(params)
        if after is not None:
            with self._lock:
                found = self._db.execute(f"SELECT seq FROM {table} WHERE ({where}) AND id = ?",
                                         [*params, after]).fetchone()
            if found is None:
                raise CursorNotFound(after)
            sql += f" AND seq {op} ?"
            args.append(found[0])
        sql += f" ORDER BY seq {'DESC' if descending else 'ASC'}"
        if keep is None:
            sql += " LIMIT ?"
            args.append(limit + 1)
            found_rows = self.rows(sql, args)
        else:
            found_rows = [r for r in self.rows(sql, args) if keep(r)][: limit + 1]
        return found_rows[:limit], len(found_rows) > limit
