"""The Dask engine on a real local cluster of two worker processes gives the local engine's output row for row:
cleaned table, ledger and rejects, in the same order, near-duplicate pairs across chunks included."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nbtools.cli import main
from nbtools.corpus import CorpusStream
from nbtools.corpus.dask_engine import dask_client

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SOURCES = [SAMPLES / "support_tickets.csv", SAMPLES / "faq.txt", SAMPLES / "chat_logs.jsonl"]
CHUNK = 60  # messages per chunk: small enough that some near duplicates lie in different chunks
# The default steps without the slow per-row models (the in-memory equality with every step is in
# test_corpus_streaming.py); the duplicate finders are what the Dask engine must get right across chunks.
STEPS = "fix_unicode,strip_markup,normalize_whitespace,length_filter,repeated_messages,exact_duplicates," \
        "near_duplicates,drop_incomplete_conversations"


@pytest.fixture(scope="module")
def scheduler():
    """One LocalCluster of two single-threaded worker processes for the whole module: its scheduler address."""
    with dask_client(None, 2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        yield client.scheduler.address


def test_dask_engine_equals_the_local_engine_row_for_row(tmp_path, scheduler):
    args = [*map(str, SOURCES), "--steps", STEPS, "--chunk-rows", str(CHUNK), "--no-csv", "--no-progress", "--json"]
    assert main(["clean", *args, "--out", str(tmp_path / "local"), "--workers", "1"]) == 0
    assert main(["clean", *args, "--out", str(tmp_path / "dask"), "--engine", "dask", "--scheduler", scheduler]) == 0
    for name in ("cleaned_messages", "ledger", "rejects"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "local" / f"{name}.parquet"))
    ledger = pd.read_parquet(tmp_path / "local" / "ledger.parquet")
    dropped = ledger.query("action == 'dropped'").step.value_counts()
    assert dropped.get("exact_duplicates", 0) > 0 and dropped.get("near_duplicates", 0) > 0, dropped
    near = ledger.query("step == 'near_duplicates'")
    chunk_of = {}  # row_id and conversation_id -> the chunk that carried it
    for i, chunk in enumerate(CorpusStream(SOURCES).chunks(CHUNK)):
        chunk_of.update(dict.fromkeys([*chunk.messages.row_id, *chunk.messages.conversation_id], i))
    across = [r for r, d in zip(near.row_id, near.duplicate_of) if chunk_of[r] != chunk_of[d]]
    assert across, "the samples should hold near duplicates found across chunks"
