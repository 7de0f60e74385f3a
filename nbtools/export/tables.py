"""Examples as a flat table (CSV, Parquet): one row per example, lossless through JSON columns.

The JSON columns hold the example itself (``messages``, ``tools`` and ``extra`` for chat lines; ``input``,
``preferred_output``, ``non_preferred_output`` and ``extra`` for preference lines; ``extra`` keeps any other
top-level key). Reading uses only those, so a table round-trips exactly. The other columns are for people and
spreadsheets: the system prompt, the user message, the answer, and token counts::

    >>> frame = examples_frame([{"messages": [{"role": "user", "content": "Hi"},
    ...                                       {"role": "assistant", "content": "Hey there!", "weight": 1}]}])
    >>> frame.loc[0, "messages"]
    '[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!", "weight": 1}]'
    >>> list(frame_examples(frame)) == [{"messages": [{"role": "user", "content": "Hi"},
    ...                                               {"role": "assistant", "content": "Hey there!", "weight": 1}]}]
    True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from ..csvfiles import read_csv, write_csv
from ..errors import DataFormatError, InputError
from ..tokens import ExampleTokens
from .records import DPO, SFT, example_kind, summary_texts

__all__ = ["JSON_COLUMNS", "TABLE_SUFFIXES", "examples_frame", "frame_examples", "write_table", "read_table"]

# The columns an example is rebuilt from, per kind, in the order its keys are written back.
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    SFT: ("messages", "tools"),
    DPO: ("input", "preferred_output", "non_preferred_output"),
}
TABLE_SUFFIXES = (".csv", ".parquet")
_CHUNK_ROWS = 10_000


def _json_cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _row(example: Mapping[str, Any], index: int, tokens: ExampleTokens | None) -> dict[str, Any]:
    kind = example_kind(example, line=index + 1)
    keys = JSON_COLUMNS[kind]
    row: dict[str, Any] = {"index": index}
    for key in keys:
        row[key] = _json_cell(example[key]) if key in example else None
    extra = {k: v for k, v in example.items() if k not in keys}
    row["extra"] = _json_cell(extra) if extra else None
    row.update(summary_texts(example))
    if kind == SFT:
        messages = example["messages"]
        row["n_messages"] = len(messages)
        row["has_tool_calls"] = any(m.get("tool_calls") for m in messages)
        row["has_weights"] = any("weight" in m for m in messages)
    row["billed_tokens"] = tokens.total if tokens else None
    row["trained_tokens"] = tokens.trained if tokens else None
    return row


def examples_frame(examples: Sequence[Mapping[str, Any]], *,
                   tokens: Sequence[ExampleTokens] | None = None) -> pd.DataFrame:
    """One row per example (all of one kind); the token columns hold `tokens` (one per example) when given."""
    if tokens is not None and len(tokens) != len(examples):
        raise InputError(f"{len(tokens)} token counts for {len(examples)} examples")
    rows = [_row(example, i, tokens[i] if tokens is not None else None) for i, example in enumerate(examples)]
    kinds = {"messages" in row for row in rows}
    if len(kinds) > 1:
        raise InputError("a table holds chat examples or preference examples, not both")
    frame = pd.DataFrame(rows)
    for column in ("billed_tokens", "trained_tokens"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def _load_cell(value: Any, column: str, file: str | None, line: int) -> tuple[bool, Any]:
    """(present, parsed value) of one JSON cell; empty cells (CSV "" or Parquet null) mean "absent"."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return False, None
    try:
        return True, json.loads(value)
    except (TypeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"cell is not valid JSON ({exc})", file=file, line=line, field=column,
                              value=value) from None


def _example_from_row(row: Mapping[str, Any], keys: tuple[str, ...], file: str | None, line: int) -> dict[str, Any]:
    example: dict[str, Any] = {}
    for key in keys:
        present, value = _load_cell(row.get(key), key, file, line)
        if present:
            example[key] = value
    present, extra = _load_cell(row.get("extra"), "extra", file, line)
    if present:
        if not isinstance(extra, dict):
            raise DataFormatError("must hold a JSON object", file=file, line=line, field="extra", value=extra)
        example.update(extra)
    example_kind(example, file=file, line=line)
    return example


def _kind_keys(columns: Iterable[str], file: str | None) -> tuple[str, ...]:
    columns = set(columns)
    for keys in JSON_COLUMNS.values():
        if keys[0] in columns:
            return keys
    raise DataFormatError("no 'messages' or 'input' column: not an exported examples table", file=file,
                          value=sorted(columns))


def frame_examples(frame: pd.DataFrame, *, file: str | None = None, first_line: int = 2) -> Iterator[dict[str, Any]]:
    """Rebuild the examples of a table from its JSON columns (``first_line``: file line of row 0, for errors)."""
    keys = _kind_keys(frame.columns, file)
    for offset, row in enumerate(frame.to_dict("records")):
        yield _example_from_row(row, keys, file, first_line + offset)


def write_table(examples: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], *,
                tokens: Sequence[ExampleTokens] | None = None) -> int:
    """Write examples as ``.csv`` (UTF-8) or ``.parquet``, chosen by the suffix; returns the row count."""
    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES:
        raise InputError(f"table files end in {' or '.join(TABLE_SUFFIXES)}", file=str(path))
    frame = examples_frame(examples, tokens=tokens)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        write_csv(frame, path)
    else:
        frame.to_parquet(path, index=False)
    return len(frame)


def read_table(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Stream the examples of a ``.csv`` or ``.parquet`` table written by :func:`write_table`."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise DataFormatError(f"not a Parquet file ({exc})", file=str(path)) from None
        keys = _kind_keys(parquet.schema_arrow.names, str(path))
        line = 1
        for batch in parquet.iter_batches(batch_size=_CHUNK_ROWS):
            for row in batch.to_pylist():
                yield _example_from_row(row, keys, str(path), line)
                line += 1
        return
    if path.suffix != ".csv":
        raise InputError(f"table files end in {' or '.join(TABLE_SUFFIXES)}", file=str(path))
    line = 2  # errors count data rows from 2 (the header is row 1); a row with newlines in a cell spans more lines
    for chunk in read_csv(path, chunksize=_CHUNK_ROWS):
        yield from frame_examples(chunk, file=str(path), first_line=line)
        line += len(chunk)
