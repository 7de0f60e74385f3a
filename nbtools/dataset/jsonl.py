"""JSON Lines in and out: UTF-8, one object per line, non-ASCII text kept as is (``ensure_ascii=False``).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "train.jsonl")
    >>> write_jsonl([{"messages": [{"role": "user", "content": "Café?"}]}], path)
    1
    >>> open(path, encoding="utf-8").read()
    '{"messages": [{"role": "user", "content": "Café?"}]}\\n'
    >>> list(read_jsonl(path))
    [{'messages': [{'role': 'user', 'content': 'Café?'}]}]

The reader is strict (it raises at the first bad line, naming file and line); use :func:`nbtools.validate_file`
to get every problem of a file at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import DataFormatError, InputError

__all__ = ["write_jsonl", "read_jsonl"]


def write_jsonl(records: Iterable[Any], path: str | os.PathLike) -> int:
    """Write `records` to `path` (parent folders created, replaced atomically); returns the number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    n = 0
    with partial.open("w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False))
            f.write("\n")
            n += 1
    partial.replace(path)
    return n


def read_jsonl(path: str | os.PathLike) -> Iterator[Any]:
    """Yield the JSON value of every non-blank line of `path` (a UTF-8 BOM is skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise DataFormatError(f"line is not valid UTF-8 (byte {exc.start})", file=str(path),
                                      line=line_no, value=raw[:60]) from None
            except json.JSONDecodeError as exc:
                raise DataFormatError(f"line is not valid JSON: {exc.msg} at column {exc.colno}", file=str(path),
                                      line=line_no, value=raw[:60].decode("utf-8", "replace")) from None
