"""Writing DataFrames to CSV so that every cell reads back as written.

Python's csv writer (which pandas uses) quotes a cell only when it holds the delimiter, the quote character or a
character of the line terminator. With ``"\\n"`` as terminator a cell holding a lone carriage return went out
unquoted, and every reader split the row there. RFC 4180's ``"\\r\\n"`` makes both characters quote their cell.

>>> import io, pandas as pd
>>> out = io.StringIO()
>>> write_csv(pd.DataFrame({"text": ["a\\rb", "c"], "n": [1, 2]}), out)
>>> pd.read_csv(io.StringIO(out.getvalue()), keep_default_na=False).to_dict("records")
[{'text': 'a\\rb', 'n': 1}, {'text': 'c', 'n': 2}]
"""

from __future__ import annotations

import os
from typing import IO

import pandas as pd

__all__ = ["write_csv"]


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str] | IO[str]) -> None:
    """Write `frame` as UTF-8 CSV without its index, RFC 4180 line ends (``\\r\\n``), cells with CR or LF quoted."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
