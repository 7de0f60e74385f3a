"""The Dask engine on a real local cluster of two worker processes gives the local engine's output row for row:
cleaned table, ledger and rejects, in the same order, near-duplicate pairs across chunks included."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nbtools.cli import main
from nbtools.corpus import CorpusStream, stream_clean

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SOURCES = [SAMPLES / "support_tickets.csv", SAMPLES / "faq.txt", SAMPLES / "chat_logs.jsonl"]
CHUNK = 60  # messages per chunk: small enough that some near duplicates lie in different chunks


def test_dask_engine_equals_the_local_engine_row_for_row(tmp_path):
    local = stream_clean(SOURCES, tmp_path / "local", workers=1, chunk_rows=CHUNK, progress=False, csv=False)
    assert main(["clean", *map(str, SOURCES), "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2",
                 "--chunk-rows", str(CHUNK), "--no-csv", "--no-progress", "--json"]) == 0
    for name in ("cleaned_messages", "ledger", "rejects"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "local" / f"{name}.parquet"))
    near = local.ledger().query("step == 'near_duplicates'")
    chunk_of = {}  # row_id and conversation_id -> the chunk that carried it
    for i, chunk in enumerate(CorpusStream(SOURCES).chunks(CHUNK)):
        chunk_of.update(dict.fromkeys([*chunk.messages.row_id, *chunk.messages.conversation_id], i))
    across = [r for r, d in zip(near.row_id, near.duplicate_of) if chunk_of[r] != chunk_of[d]]
    assert across, "the samples should hold near duplicates found across chunks"
