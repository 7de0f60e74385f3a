"""CSV in and out: the one writer and the one reader nbtools uses for CSV files.

Writing: Python's csv writer (which pandas uses) quotes a cell only when it holds the delimiter, the quote character
or a character of the line terminator. With ``"\\n"`` as terminator a cell holding a lone carriage return went out
unquoted, and every reader split the row there. RFC 4180's ``"\\r\\n"`` makes both characters quote their cell.

Reading, one policy for every CSV a user hands nbtools: UTF-8, a byte-order mark skipped (Excel writes one), CRLF or
LF line ends, header names stripped of spaces, every cell a string and an empty cell ``""`` (never NaN, never a
guessed number), bytes that are not UTF-8 refused unless the caller asks to replace them. :func:`read_csv`
gives a DataFrame (or chunks of one); :func:`iter_csv_rows` streams rows and reports a bad row instead of stopping.

>>> import io, pandas as pd
>>> out = io.StringIO()
>>> write_csv(pd.DataFrame({"text": ["a\\rb", "c"], "n": [1, 2]}), out)
>>> read_csv(io.StringIO(out.getvalue())).to_dict("records")
[{'text': 'a\\rb', 'n': '1'}, {'text': 'c', 'n': '2'}]
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Iterator, overload

import pandas as pd

from .errors import DataFormatError

__all__ = ["write_csv", "read_csv", "iter_csv_rows", "ENCODING"]

ENCODING = "utf-8-sig"  # UTF-8; a BOM, when there is one, is skipped
_MAX_FIELD = 10_000_000  # csv field size limit: a 10 MB pasted log still reads


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str] | IO[str], *, append: bool = False) -> None:
    """Write `frame` as UTF-8 CSV without its index, RFC 4180 line ends (``\\r\\n``), cells with CR or LF quoted.

    With `append`, the rows are added to the end of an existing file, without a header (streamed outputs write
    the header once, then append chunk by chunk)."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n", mode="a" if append else "w",
                 header=not append)


@overload
def read_csv(source: str | os.PathLike[str] | IO[str], *, chunksize: None = None,
             errors: str = "strict") -> pd.DataFrame: ...
@overload
def read_csv(source: str | os.PathLike[str] | IO[str], *, chunksize: int,
             errors: str = "strict") -> Iterator[pd.DataFrame]: ...


def read_csv(source: str | os.PathLike[str] | IO[str], *, chunksize: int | None = None, errors: str = "strict"
             ) -> pd.DataFrame | Iterator[pd.DataFrame]:
    """Read a CSV file with a header row (names stripped of spaces): every cell a string, empty cells ``""``; with
    `chunksize`, an iterator of DataFrames of that many rows. `errors` is the decoding policy, as in
    :func:`iter_csv_rows`. A file that is not CSV (or not UTF-8) raises :class:`~nbtools.errors.DataFormatError`
    naming it."""
    file = str(source) if isinstance(source, (str, os.PathLike)) else None
    try:
        frames = pd.read_csv(source, dtype=str, keep_default_na=False, encoding=ENCODING, encoding_errors=errors,
                             chunksize=chunksize)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFormatError(f"not a readable CSV table ({exc})", file=file) from None
    if chunksize is None:
        return _stripped(frames)
    return _chunks(frames, file)


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _chunks(frames: Iterator[pd.DataFrame], file: str | None) -> Iterator[pd.DataFrame]:
    try:
        for frame in frames:
            yield _stripped(frame)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"not a readable CSV table ({exc})", file=file) from None


def iter_csv_rows(path: str | os.PathLike[str], *, errors: str = "strict"
                  ) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Stream (first file line of the row, {header: cell}) per non-empty data row of a CSV file.

    A row that cannot be read (ragged, broken quoting) comes as (line, reason) instead, and reading goes on.
    `errors` is the text decoding policy: ``"strict"`` (a byte that is not UTF-8 raises
    :class:`~nbtools.errors.DataFormatError`) or ``"replace"`` (it becomes U+FFFD, as the corpus reader asks).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "faq.csv")
    >>> _ = open(path, "wb").write(b'\\xef\\xbb\\xbfquestion,answer\\r\\nq1,"a\\r\\nb"\\r\\n\\r\\nq2,a2,extra\\r\\n')
    >>> list(iter_csv_rows(path))
    [(2, {'question': 'q1', 'answer': 'a\\r\\nb'}), (5, 'row has 3 fields, the header has 2')]
    """
    csv.field_size_limit(_MAX_FIELD)
    path = Path(path)
    with open(path, newline="", encoding=ENCODING, errors=errors) as handle:
        try:
            yield from _rows(csv.reader(handle), str(path))
        except UnicodeDecodeError as exc:
            raise DataFormatError(f"not UTF-8 text (byte {exc.start} of a read block); save the file as UTF-8",
                                  file=str(path)) from None


def _rows(reader, file: str) -> Iterator[tuple[int, dict[str, str] | str]]:
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise DataFormatError(f"unreadable CSV header: {exc}", file=file, line=1) from None
    header = [h.strip() for h in header]
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, f"unreadable CSV row: {exc}"
            start = reader.line_num + 1
            continue
        if row and any(cell.strip() for cell in row):
            if len(row) != len(header):
                yield start, f"row has {len(row)} fields, the header has {len(header)}"
            else:
                yield start, dict(zip(header, row))
        start = reader.line_num + 1

