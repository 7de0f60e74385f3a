"""Write the cleaned table, the ledger and the rejects chunk by chunk to Parquet (and CSV), never whole in memory.

The ledger and the rejects have fixed columns, so each goes straight into one Parquet file. The cleaned table carries
whatever extra columns the sources have (a later file may bring new ones), so each chunk goes into a part file and
:meth:`CleanedSink.close` joins the parts into one file with every column, one part at a time. Extra source columns
are written as text (a column that holds numbers in one file and words in another still has one type).
"""

from __future__ import annotations

import shutil
from pathlib import Path
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..csvfiles import write_csv
from .pipeline import LEDGER_COLUMNS, REJECT_ROW_COLUMNS

__all__ = ["TableSink", "CleanedSink", "LEDGER_SCHEMA", "REJECTS_SCHEMA", "CLEANED_TYPES"]

CLEANED_TYPES: dict[str, pa.DataType] = {"row_id": pa.string(), "source": pa.string(), "source_line": pa.int64(),
                                         "conversation_id": pa.string(), "turn": pa.int64(), "role": pa.string(),
                                         "text": pa.string()}
LEDGER_SCHEMA = pa.schema([(c, pa.string()) for c in LEDGER_COLUMNS])
REJECTS_SCHEMA = pa.schema([(c, pa.int64() if c == "source_line" else pa.string()) for c in REJECT_ROW_COLUMNS])


def _as_text(values: pd.Series) -> pa.Array:
    """`values` as Arrow text: missing values (None, NaN, NA) null, the rest ``str(value)``.

    A column that already holds only text (pandas' string dtype, or objects that are all str or missing) converts in
    one call, 20-30x faster than value by value (5,000 rows: ~0.5 ms against ~13 ms a column); mixed columns go
    value by value."""
    if isinstance(values.dtype, pd.StringDtype) or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        array = pa.array(values, type=pa.string(), from_pandas=True)
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return pa.array([None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v)
                     for v in values], type=pa.string())


def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """`frame` as an Arrow table of `schema` (missing columns are null; numbers stay numbers, the rest is text)."""
    arrays = []
    for f in schema:
        values = frame[f.name] if f.name in frame else pd.Series([None] * len(frame), dtype=object)
        if pa.types.is_integer(f.type):
            arrays.append(pa.array(pd.to_numeric(values, errors="coerce").astype("Int64"), type=f.type))
        else:
            text = _as_text(values)
            arrays.append(text if text.type == f.type else text.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


class TableSink:
    """Append frames of fixed columns to a Parquet file (and a CSV copy when `csv_path` is given)."""

    def __init__(self, path: Path, schema: pa.Schema, csv_path: Path | None = None) -> None:
        self.path, self.schema, self.csv_path = path, schema, csv_path
        self.writer = pq.ParquetWriter(path, schema)
        self.rows = 0
        if csv_path is not None:
            write_csv(pd.DataFrame(columns=schema.names), csv_path)

    def write(self, frame: pd.DataFrame) -> None:
        """Append `frame`'s rows (nothing for an empty frame)."""
        if frame.empty:
            return
        table = to_arrow(frame, self.schema)
        self.writer.write_table(table)
        self.rows += len(frame)
        if self.csv_path is not None:
            write_csv(table.to_pandas(), self.csv_path, append=True)

    def close(self) -> None:
        self.writer.close()


class CleanedSink:
    """The cleaned table: parts with each chunk's columns, joined by :meth:`close` into `path` (and `csv_path`)."""

    def __init__(self, path: Path, csv_path: Path | None = None) -> None:
        self.path, self.csv_path = path, csv_path
        self.parts_dir = path.with_name(path.name + ".parts")
        if self.parts_dir.exists():
            shutil.rmtree(self.parts_dir)
        self.parts_dir.mkdir(parents=True)
        self.parts: list[Path] = []
        self.columns: dict[str, pa.DataType] = dict(CLEANED_TYPES)
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        """Store one chunk's kept rows as a part."""
        if frame.empty:
            return
        for column in frame.columns:
            self.columns.setdefault(str(column), pa.string())
        schema = pa.schema([(c, t) for c, t in self.columns.items() if c in frame.columns or c in CLEANED_TYPES])
        part = self.parts_dir / f"part-{len(self.parts):06d}.parquet"
        pq.write_table(to_arrow(frame, schema), part)
        self.parts.append(part)
        self.rows += len(frame)

    def close(self) -> None:
        """Join the parts into one Parquet file (every column, in first-seen order), one part in memory at a time."""
        schema = pa.schema(list(self.columns.items()))
        with pq.ParquetWriter(self.path, schema) as writer:
            if self.csv_path is not None:
                write_csv(pd.DataFrame(columns=schema.names), self.csv_path)
            for part in self.parts:
                table = _widen(pq.read_table(part), schema)
                writer.write_table(table)
                if self.csv_path is not None:
                    write_csv(table.to_pandas(), self.csv_path, append=True)
        shutil.rmtree(self.parts_dir)

    def discard(self) -> None:
        """Remove the parts (after a failure)."""
        shutil.rmtree(self.parts_dir, ignore_errors=True)


def _widen(table: pa.Table, schema: pa.Schema) -> pa.Table:
    arrays = [table.column(f.name) if f.name in table.column_names else pa.nulls(len(table), f.type)
              for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)

