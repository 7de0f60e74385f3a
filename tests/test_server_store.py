"""The SQLite store: schema versioning, atomic transactions, cursor pages, sharing between connections."""

from __future__ import annotations

import sqlite3

import pytest

from nbtools.errors import ConfigError
from nbtools.server.store import SCHEMA_VERSION, CursorNotFound, Store


def _file(i: int, purpose: str = "fine-tune") -> dict:
    return {"id": f"file-{i}", "filename": f"f{i}.jsonl", "purpose": purpose, "bytes": i, "created_at": 100 + i,
            "path": f"/data/file-{i}"}


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "state.db")
    for i in range(5):
        s.insert("files", _file(i, "fine-tune" if i % 2 == 0 else "batch"))
    yield s
    s.close()


def test_fresh_database_gets_current_schema_version_and_wal(tmp_path):
    Store(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused_not_altered(tmp_path):
    Store(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="newer"):
        Store(tmp_path / "s.db")
    assert sqlite3.connect(tmp_path / "s.db").execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_reopening_keeps_rows(tmp_path, store):
    store.close()
    again = Store(tmp_path / "state.db")
    assert again.get("files", "file-3")["bytes"] == 3


def test_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            store.insert("files", _file(9), db=db)
            raise RuntimeError("crash in the middle")
    assert store.get("files", "file-9") is None


def test_json_columns_round_trip(store):
    store.insert("jobs", {"id": "ftjob-1", "created_at": 1, "model": "m", "training_file": "file-0",
                          "method": "supervised", "requested": {"n_epochs": "auto"}, "seed": 1,
                          "metadata": {"team": "voice"}, "status": "queued", "model_id8": "abcdefgh"})
    job = store.get("jobs", "ftjob-1")
    assert job["requested"] == {"n_epochs": "auto"} and job["metadata"] == {"team": "voice"} and job["error"] is None


@pytest.mark.parametrize(
    ("after", "limit", "descending", "where", "expected_ids", "expected_more"),
    [
        (None, 2, False, "1", ["file-0", "file-1"], True),
        ("file-1", 2, False, "1", ["file-2", "file-3"], True),
        ("file-3", 2, False, "1", ["file-4"], False),
        (None, 2, True, "1", ["file-4", "file-3"], True),
        ("file-3", 10, True, "1", ["file-2", "file-1", "file-0"], False),
        (None, 10, True, "purpose = 'fine-tune'", ["file-4", "file-2", "file-0"], False),
        ("file-2", 1, True, "purpose = 'fine-tune'", ["file-0"], False),
    ],
)
def test_cursor_pages(store, after, limit, descending, where, expected_ids, expected_more):
    rows, more = store.page("files", after=after, limit=limit, descending=descending, where=where)
    assert [r["id"] for r in rows] == expected_ids
    assert more is expected_more


def test_cursor_outside_the_filtered_collection_is_reported(store):
    with pytest.raises(CursorNotFound):
        store.page("files", after="file-1", limit=5, where="purpose = 'fine-tune'")


def test_python_filter_pages_stop_at_limit_plus_one(store):
    rows, more = store.page("files", after=None, limit=1, keep=lambda r: r["bytes"] >= 3)
    assert [r["id"] for r in rows] == ["file-3"] and more is True


def test_update_with_status_guard(store):
    store.insert("jobs", {"id": "ftjob-2", "created_at": 1, "model": "m", "training_file": "file-0",
                          "method": "supervised", "requested": {}, "seed": 1, "status": "cancelled",
                          "model_id8": "abcdefgh"})
    assert store.update("jobs", "ftjob-2", {"status": "succeeded"}, status_in=("running",)) is False
    assert store.get("jobs", "ftjob-2")["status"] == "cancelled"
    assert store.update("jobs", "ftjob-2", {"status": "failed"}, status_in=("cancelled",)) is True


def test_two_connections_see_each_others_commits(tmp_path, store):
    other = Store(tmp_path / "state.db")
    other.insert("files", _file(7))
    assert store.get("files", "file-7")["filename"] == "f7.jsonl"
    other.close()
