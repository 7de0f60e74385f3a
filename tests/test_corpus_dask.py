"""The Dask engine on a real local cluster of two worker processes gives the local engine's output row for row:
cleaned table, ledger and rejects, in the same order, near-duplicate pairs across chunks included."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nbtools.cli import main
from nbtools.corpus import read_corpora, stream_clean

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SOURCES = [SAMPLES / "support_tickets.csv", SAMPLES / "faq.txt", SAMPLES / "chat_logs.jsonl"]


def test_dask_engine_equals_the_local_engine_row_for_row(tmp_path):
    local = stream_clean(SOURCES, tmp_path / "local", workers=1, chunk_rows=200, progress=False, csv=False)
    assert main(["clean", *map(str, SOURCES), "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2",
                 "--chunk-rows", "200", "--no-csv", "--no-progress", "--json"]) == 0
    for name in ("cleaned_messages", "ledger", "rejects"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "local" / f"{name}.parquet"))
    near = local.ledger().query("step == 'near_duplicates'")
    position = {rid: i for i, rid in enumerate(read_corpora(SOURCES).messages.row_id)}
    first_row = {}
    for rid, cid in read_corpora(SOURCES).messages[["row_id", "conversation_id"]].itertuples(index=False):
        first_row.setdefault(cid, position[rid])
    # pairs whose kept conversation lies more than a chunk (200 rows, ending at a record) before the dropped one
    across = [r for r, d in zip(near.row_id, near.duplicate_of) if position[r] - first_row[d] > 220]
    assert across, "the samples should hold near duplicates in different chunks"
