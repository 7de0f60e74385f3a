"""JSON Lines in and out: the one reader (and writer) every part of nbtools uses for ``.jsonl`` files.

One policy for every reader — the validator, the server's upload check, the training engine, the run log, the
corpus readers, ratings, proposals and importers — so a file that passes one passes them all:

- bytes are UTF-8; a UTF-8 byte-order mark (BOM) at the start of the file is skipped;
- a line ends at ``\\n``; a ``\\r`` before it (Windows CRLF) and any other whitespace around the JSON are ignored;
- blank lines are skipped (line numbers still count them, so they match an editor's);
- a line that is not valid UTF-8, not valid JSON, holds binary data, is not a JSON object, or is longer than
  :data:`MAX_LINE_BYTES` is a :class:`~nbtools.errors.JsonlError` naming the file, the line and the reason
  (``code`` says which, for programs). Strict readers raise it; ``errors="report"`` yields it in place of the
  record, for readers that collect bad lines instead of stopping.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "train.jsonl")
    >>> write_jsonl([{"messages": [{"role": "user", "content": "Café?"}]}], path)
    1
    >>> open(path, encoding="utf-8").read()
    '{"messages": [{"role": "user", "content": "Café?"}]}\\n'
    >>> _ = open(path, "wb").write(b'\\xef\\xbb\\xbf{"a": 1}\\r\\n\\r\\n{"a": 2}\\r\\n[3]\\r\\n')
    >>> list(iter_records(path, errors="report"))[:2]
    [(1, {'a': 1}), (3, {'a': 2})]
    >>> list(read_jsonl(path))
    Traceback (most recent call last):
    ...
    nbtools.errors.JsonlError: ...train.jsonl, line 4: line is a JSON array, not an object (got [3])

:func:`iter_lines` is the layer below: raw lines of a byte range, bounded in memory, for the validator's
two-process scan; :func:`parse_line` turns one raw line into its value with the same policy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Literal

import orjson

from .errors import InputError, JsonlError

__all__ = [
    "BOM",
    "MAX_LINE_BYTES",
    "BLANK",
    "iter_lines",
    "parse_line",
    "iter_records",
    "read_jsonl",
    "write_jsonl",
    "append_jsonl",
]

BOM = b"\xef\xbb\xbf"
# No valid training example comes near this: 65,536 tokens is a few hundred kB of text. Larger lines (a pasted
# log, a binary blob) are refused and skipped without being held in memory.
MAX_LINE_BYTES = 16 * 1024 * 1024
_SKIP_PIECE = 1024 * 1024
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


class _Blank:
    def __repr__(self) -> str:
        return "BLANK"


BLANK: Any = _Blank()
"""What :func:`parse_line` returns for a blank (whitespace-only) line."""


def iter_lines(f: IO[bytes], start: int = 0, end: int | None = None, *, max_line_bytes: int = MAX_LINE_BYTES
               ) -> Iterator[tuple[bytes | None, int]]:
    """Yield (raw line, or None when longer than `max_line_bytes`; its size in bytes) for lines starting in
    [start, end) of an open binary file. Nothing is decoded or stripped (the BOM, if any, is in the first line).

    >>> import io
    >>> list(iter_lines(io.BytesIO(b'{"a": 1}\\r\\n' + b"x" * 20 + b"\\n{}"), max_line_bytes=10))
    [(b'{"a": 1}\\r\\n', 10), (None, 21), (b'{}', 2)]
    """
    f.seek(start)
    position = start
    limit = max_line_bytes + 1
    while end is None or position < end:
        raw = f.readline(limit)
        if not raw:
            return
        size = len(raw)
        if size == limit and not raw.endswith(b"\n"):  # too long: skip the rest in pieces, never hold it whole
            while not raw.endswith(b"\n"):
                raw = f.readline(_SKIP_PIECE)
                if not raw:
                    break
                size += len(raw)
            position += size
            yield None, size
            continue
        position += size
        yield raw, size


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type.

    >>> json_type([1]), json_type("x"), json_type(None)
    ('array', 'string', 'null')
    """
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _diagnose(raw: bytes, exc: Exception, where: dict[str, Any]) -> JsonlError:
    """Say why a line did not parse: binary bytes, not UTF-8, or broken JSON (with the parser's position)."""
    if b"\x00" in raw:
        return JsonlError("line holds binary data (NUL bytes), not JSON text", code="binary_content",
                          value=raw[:40], **where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return JsonlError(f"line is not valid UTF-8 (byte {bad.start})", code="not_utf8",
                          value=raw[max(0, bad.start - 20):bad.start + 20], **where)
    text = text.strip()
    try:  # the standard library words JSON errors for people ("Expecting ',' delimiter: column 41")
        json.loads(text)
        reason = str(exc)  # valid for json but not for orjson (NaN, a lone surrogate, a huge integer)
    except json.JSONDecodeError as bad:
        if bad.pos >= len(text) or bad.msg.startswith("Unterminated string"):
            reason = f"the line ends at column {len(text) + 1} before the JSON value does (cut short?)"
        else:
            reason = f"{bad.msg} at column {bad.colno}"
    except RecursionError:
        reason = "nested too deeply"
    return JsonlError(f"line is not valid JSON: {reason}", code="invalid_json", value=text[:200], **where)


def parse_line(raw: bytes | None, *, size: int = 0, first: bool = False, file: str | None = None,
               line: int | None = None) -> Any:
    """The JSON value of one raw line from :func:`iter_lines` (None: a line too long to read, `size` bytes).

    `first`: the file's first line, whose BOM is skipped. Returns :data:`BLANK` for a blank line; raises
    :class:`~nbtools.errors.JsonlError` (naming `file` and `line`) for a line that cannot be read. Any JSON value
    is returned: whether it must be an object is the caller's rule (:func:`iter_records` requires one).

    >>> parse_line(b'\\xef\\xbb\\xbf{"a": 1}\\r\\n', first=True)
    {'a': 1}
    >>> parse_line(b"  \\r\\n")
    BLANK
    >>> parse_line(b'{"a": 1', file="x.jsonl", line=3)
    Traceback (most recent call last):
    ...
    nbtools.errors.JsonlError: x.jsonl, line 3: line is not valid JSON: the line ends at column 8 before the JSON value does (cut short?) (got '{"a": 1')
    """
    if raw is None:
        raise JsonlError(f"line is {size / 2**20:,.1f} MiB, over the {MAX_LINE_BYTES / 2**20:,.0f} MiB a line may "
                         "hold; no training example is this long", code="line_too_long", value=size, file=file,
                         line=line)
    if first and raw.startswith(BOM):
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not raw.strip():
            return BLANK
        raise _diagnose(raw, exc, {"file": file, "line": line}) from None


def iter_records(path: str | os.PathLike[str], *, errors: Literal["raise", "report"] = "raise",
                 name: str | None = None, max_line_bytes: int = MAX_LINE_BYTES
                 ) -> Iterator[tuple[int, Any]]:
    """Stream (1-based line number, JSON object) for every non-blank line of a JSONL file.

    A line that is not a JSON object raises :class:`~nbtools.errors.JsonlError`; with ``errors="report"`` the
    error is yielded in place of the record and reading goes on. Errors name the file as `name` (default: the path).
    """
    path = Path(path)
    file = str(path) if name is None else name
    if not path.is_file():
        raise InputError("no such file", file=file)
    with open(path, "rb") as f:
        for number, (raw, size) in enumerate(iter_lines(f, max_line_bytes=max_line_bytes), start=1):
            try:
                value = parse_line(raw, size=size, first=number == 1, file=file, line=number)
                if value is BLANK:
                    continue
                if not isinstance(value, dict):
                    raise JsonlError(f"line is a JSON {json_type(value)}, not an object", code="not_an_object",
                                     value=value, file=file, line=number)
            except JsonlError as problem:
                if errors == "raise":
                    raise
                yield number, problem
                continue
            yield number, value


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the object of every non-blank line of `path`; the first bad line raises, naming file and line.

    Use :func:`nbtools.validate_file` to get every problem of a file at once.
    """
    for _, record in iter_records(path):
        yield record


def _line(record: Any, sort_keys: bool) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=sort_keys) + "\n"


def write_jsonl(records: Iterable[Any], path: str | os.PathLike[str]) -> int:
    """Write `records` to `path` (parent folders created, replaced atomically); returns the number written.

    UTF-8 without BOM, ``\\n`` line ends, non-ASCII text kept as is (``ensure_ascii=False``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    n = 0
    with partial.open("w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(_line(record, False))
            n += 1
    partial.replace(path)
    return n


def append_jsonl(records: Iterable[Any], path: str | os.PathLike[str], *, sort_keys: bool = False) -> int:
    """Append `records` to `path` (created with its folders if missing), one line each; returns how many.

    A file whose last line has no line end gets one first, so the new record starts its own line.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [_line(record, sort_keys) for record in records]
    with open(path, "ab") as f:
        if f.tell() > 0:
            with open(path, "rb") as tail:
                tail.seek(-1, os.SEEK_END)
                if tail.read(1) != b"\n":
                    f.write(b"\n")
        f.write("".join(lines).encode("utf-8"))
    return len(lines)
