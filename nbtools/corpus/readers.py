"""Read raw corpora (CSV, JSONL, plain text, DataFrames) into the canonical message table.

Readers stream records and never crash on a bad one: a line that cannot be parsed, a record without text, a speaker
nobody knows — each becomes a *reject* with its file, line and reason, so nothing is lost silently::

    >>> import pandas as pd
    >>> read = read_corpus(pd.DataFrame({"question": ["Where is my order?"], "answer": ["On its way!"]}))
    >>> read.messages[["conversation_id", "turn", "role", "text"]].values.tolist()
    [['dataframe:1', 0, 'user', 'Where is my order?'], ['dataframe:1', 1, 'assistant', 'On its way!']]
    >>> read.detected[0].layout
    'qa'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Generator, Iterable, Iterator, Mapping, Sequence

import pandas as pd

from ..csvfiles import ENCODING, iter_csv_rows
from ..errors import DataFormatError, JsonlError
from ..jsonl import iter_records
from .schema import CANONICAL_COLUMNS, ColumnMapping, DetectedFormat, guess_column, role_for

__all__ = ["CorpusRead", "CorpusStream", "ReadChunk", "read_corpus", "read_corpora", "REJECT_COLUMNS"]

REJECT_COLUMNS = ("row_id", "source", "source_line", "conversation_id", "step", "reason", "text")
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CorpusRead:
    """What reading produced: canonical messages, rejects (unreadable records), and what was detected."""

    messages: pd.DataFrame
    rejects: pd.DataFrame
    detected: tuple[DetectedFormat, ...]

    def detected_frame(self) -> pd.DataFrame:
        """One row per source: format, layout, counts and the columns used."""
        return pd.DataFrame([{**{k: v for k, v in vars(d).items() if k not in ("mapping", "columns", "notes")},
                              "columns used": {k: v for k, v in d.mapping.items() if v},
                              "notes": "; ".join(d.notes)} for d in self.detected])


@dataclass
class _Collector:
    source: str
    messages: list[dict]
    rejects: list[dict]
    seen_ids: dict[str, int] = field(default_factory=dict)  # Q/A rows: how often each conversation id came up
    emitted: int = 0  # messages emitted so far (a streaming reader takes them out of `messages` as it goes)

    def unique_id(self, cid: str) -> str:
        """`cid`, or ``cid#2``, ``cid#3`` … when a Q/A export repeats an id (each row is its own conversation)."""
        n = self.seen_ids[cid] = self.seen_ids.get(cid, 0) + 1
        return cid if n == 1 else f"{cid}#{n}"

    def reject(self, line: int, reason: str, text: Any = "", conversation_id: str = "", key: str = "") -> None:
        self.rejects.append({"row_id": f"{self.source}:{line}{':' + key if key else ''}", "source": self.source,
                             "source_line": line, "conversation_id": conversation_id, "step": "read",
                             "reason": reason, "text": str(text)[:500]})

    def message(self, line: int, key: str, conversation_id: str, turn: int, role: str, text: str,
                extra: Mapping[str, Any]) -> None:
        self.emitted += 1
        self.messages.append({**extra, "row_id": f"{self.source}:{line}:{key}", "source": self.source,
                              "source_line": line, "conversation_id": conversation_id, "turn": turn, "role": role,
                              "text": text})


def _text(value: Any) -> str | None:
    """A cell as text; None for missing cells (NaN, None), so empty replies are kept as "" and filtered later."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else str(value)


# ---- streaming record sources ------------------------------------------------------------------------------------

def _sniff_binary(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if b"\x00" in head:
        raise DataFormatError("binary file (NUL bytes), not text: export it as CSV, JSONL or plain text",
                              file=str(path))


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict | str]]:
    """(line, record) per non-blank line; a string instead of a record says why the line is unreadable."""
    for number, record in iter_records(path, errors="report"):
        yield number, record.reason if isinstance(record, JsonlError) else record


_TRANSCRIPT_LINE = re.compile(r"^\s*([A-Za-z][\w .-]{0,30}?)\s*:\s?(.*)$")


def _iter_text_blocks(path: Path) -> Iterator[tuple[int, list[tuple[int, str, str]]]]:
    """Blocks separated by blank lines, each a list of (line, label, text); unlabelled lines continue the last."""
    block: list[list] = []
    start = 0
    with open(path, encoding=ENCODING, errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                if block:
                    yield start, [tuple(x) for x in block]
                    block = []
                continue
            match = _TRANSCRIPT_LINE.match(line)
            if match:
                if not block:
                    start = number
                block.append([number, match.group(1), match.group(2)])
            elif block:
                block[-1][2] += "\n" + line
            else:
                yield number, [(number, "", line)]
    if block:
        yield start, [tuple(x) for x in block]


# ---- layouts ----------------------------------------------------------------------------------------------------

def _resolve(mapping: ColumnMapping, columns: Sequence[str]) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {}
    for kind in ("question", "answer", "speaker", "text", "turn", "timestamp", "conversation_id"):
        given = getattr(mapping, kind)
        if given is not None and given not in columns:
            raise DataFormatError(f"mapped column {given!r} not in the source's columns {list(columns)}",
                                  field=kind, value=given)
        taken = [v for v in chosen.values() if v]
        chosen[kind] = given or guess_column(columns, kind, exclude=taken)
    return chosen


def _drain(steps: Generator[None, None, DetectedFormat]) -> DetectedFormat:
    """Run a record-by-record reader to the end and return what it detected."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def _thread_sizes(records: Iterable[tuple[int, dict | str]], column: str, source: str) -> dict[str, int]:
    """{conversation id: rows} of a message-per-row source (a first pass, so threads can be emitted once whole)."""
    sizes: dict[str, int] = {}
    for line, record in records:
        if isinstance(record, dict):
            cid = _text(record.get(column)) or f"{source}:{line}"
            sizes[cid] = sizes.get(cid, 0) + 1
    return sizes


def _emit_records(records: Iterable[tuple[int, dict | str]], out: _Collector, mapping: ColumnMapping,
                  file_format: str, columns_hint: Sequence[str] | None = None,
                  reopen: Callable[[], Iterable[tuple[int, dict | str]]] | None = None
                  ) -> Generator[None, None, DetectedFormat]:
    """Emit messages and rejects into `out`, yielding after each record (whose conversations are then complete).

    In the message-per-row layout a thread is emitted once its last row is read (`reopen` gives the records again
    for a first pass that counts each thread's rows; without it, threads wait for the end of the source); threads
    come out in the order of their first row either way, so only interleaved threads are held in memory.
    """
    records = iter(records)
    first: list[tuple[int, dict | str]] = []
    columns: list[str] = list(columns_hint or [])
    for item in records:  # look ahead to the first record to detect the layout
        first.append(item)
        if isinstance(item[1], dict):
            columns = columns or list(item[1])
            break
        out.reject(item[0], item[1], conversation_id="")
    first = [f for f in first if isinstance(f[1], dict)]
    chosen = _resolve(mapping, columns)
    if columns and "messages" in columns and mapping.question is None:
        layout = "conversations"
    elif chosen["question"] and chosen["answer"]:
        layout = "qa"
    elif chosen["text"] and chosen["speaker"]:
        layout = "messages"
    else:
        raise DataFormatError(
            "cannot tell the layout: expected question/answer columns, a 'messages' list, or speaker/text columns "
            "(pass ColumnMapping(...) to name them)", file=out.source, field="columns", value=columns)
    used = {k: v for k, v in chosen.items()}
    n_records, n_messages = 0, out.emitted
    pending: dict[str, list] = {}
    remaining: dict[str, int] = {}
    if layout == "messages" and reopen is not None and chosen["conversation_id"]:
        remaining = _thread_sizes(reopen(), chosen["conversation_id"], out.source)
    for line, record in chain(first, records):  # lazily: a list here held the whole file (1.3 GB at 1M rows)
        if isinstance(record, str):
            out.reject(line, record)
            continue
        n_records += 1
        if layout == "qa":
            _emit_qa(line, record, chosen, out)
        elif layout == "conversations":
            _emit_conversation(line, record, mapping, out)
        else:
            cid = _text(record.get(chosen["conversation_id"])) if chosen["conversation_id"] else None
            cid = cid or f"{out.source}:{line}"
            pending.setdefault(cid, []).append((line, record))
            if reopen is not None:
                remaining[cid] = remaining.get(cid, 1) - 1
                while pending and remaining.get(head := next(iter(pending)), 1) <= 0:
                    _emit_thread(head, pending.pop(head), chosen, mapping, out)
                    remaining.pop(head, None)
        yield
    if layout == "messages":
        for cid, rows in pending.items():
            _emit_thread(cid, rows, chosen, mapping, out)
            yield
    notes = []
    repeated = sum(n - 1 for n in out.seen_ids.values())
    if repeated:
        notes.append(f"{repeated} rows repeat an earlier {chosen['conversation_id']!r}: each Q/A row is its own "
                     "conversation, so the repeats are named ID#2, ID#3, …")
    if layout == "messages" and not chosen["conversation_id"]:
        notes.append("no conversation id column: every row is its own conversation")
    if layout == "messages" and not (chosen["turn"] or chosen["timestamp"]):
        notes.append("no turn or timestamp column: file order is the turn order")
    return DetectedFormat(out.source, file_format, layout, tuple(columns), used, n_records,
                          out.emitted - n_messages, len(out.rejects), tuple(notes))


def _extras(record: Mapping[str, Any], text_columns: Iterable[str | None]) -> dict[str, Any]:
    """Source columns that ride along: everything but the message text itself and canonical names."""
    skip = {u for u in text_columns if u} | set(CANONICAL_COLUMNS) | {"messages"}
    return {k: v for k, v in record.items() if k not in skip and not isinstance(v, (list, dict))}


def _emit_qa(line: int, record: dict, chosen: Mapping[str, str | None], out: _Collector) -> None:
    cid = _text(record.get(chosen["conversation_id"])) if chosen["conversation_id"] else None
    cid = out.unique_id(cid or f"{out.source}:{line}")
    extra = _extras(record, (chosen["question"], chosen["answer"]))
    question, answer = _text(record.get(chosen["question"])), _text(record.get(chosen["answer"]))
    if question is None and answer is None:
        out.reject(line, "record has neither a question nor an answer", record, cid)
        return
    out.message(line, "question", cid, 0, "user", question or "", extra)
    out.message(line, "answer", cid, 1, "assistant", answer or "", extra)


def _emit_conversation(line: int, record: dict, mapping: ColumnMapping, out: _Collector) -> None:
    cid = _text(record.get(mapping.conversation_id or "conversation_id")) or f"{out.source}:{line}"
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        out.reject(line, "'messages' is not a non-empty list", messages, cid)
        return
    extra = _extras(record, ())
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            out.reject(line, f"messages[{i}] is not an object", message, cid, key=f"m{i}")
            continue
        role = role_for(message.get("role"), mapping.role_map)
        if role is None:
            out.reject(line, f"messages[{i}].role {message.get('role')!r} is not a known speaker", message, cid,
                       key=f"m{i}")
            continue
        content = message.get("content")
        out.message(line, f"m{i}", cid, i, role, (_text(content) or "") if not isinstance(content, list) else "".join(
            p.get("text", "") for p in content if isinstance(p, dict)), extra)


def _order_key(value: str | None) -> tuple:
    if value is None:
        return (1, 0, "")
    try:
        return (0, float(value), "")
    except ValueError:
        return (0, 0.0, value)


def _emit_thread(cid: str, rows: list, chosen: Mapping[str, str | None], mapping: ColumnMapping,
                 out: _Collector) -> None:
    order = chosen["turn"] or chosen["timestamp"]
    if order:
        rows = sorted(rows, key=lambda r: _order_key(_text(r[1].get(order))))
    turn = 0
    for line, record in rows:
        speaker = record.get(chosen["speaker"])
        role = role_for(speaker, mapping.role_map)
        if role is None:
            out.reject(line, f"speaker {speaker!r} is not a known speaker (map it with ColumnMapping(role_map=...))",
                       record.get(chosen["text"]), cid)
            continue
        out.message(line, "msg", cid, turn, role, _text(record.get(chosen["text"])) or "",
                    _extras(record, (chosen["text"],)))
        turn += 1


# ---- public API ---------------------------------------------------------------------------------------------------

def _frame(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in columns:
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
    ordered = list(columns) + [c for c in frame.columns if c not in columns]
    return frame[ordered].reset_index(drop=True)


def source_name(source: str | os.PathLike[str] | pd.DataFrame, name: str | None = None) -> str:
    """The name a source's rows carry in ``source`` and ``row_id``: the file name, or "dataframe"."""
    return name or ("dataframe" if isinstance(source, pd.DataFrame) else Path(source).name)


def open_source(source: str | os.PathLike[str] | pd.DataFrame, out: _Collector, mapping: ColumnMapping
                ) -> Generator[None, None, DetectedFormat]:
    """Check a source can be read (raising DataFormatError before anything is emitted), then emit it record by
    record into `out` as the returned generator is advanced."""
    if isinstance(source, pd.DataFrame):
        records = ((i + 1, {str(k): v for k, v in row.items()}) for i, row in enumerate(source.to_dict("records")))
        return _emit_records(records, out, mapping, "dataframe", [str(c) for c in source.columns],
                             reopen=lambda: ((i + 1, {str(k): v for k, v in row.items()})
                                             for i, row in enumerate(source.to_dict("records"))))
    path = Path(source)
    if not path.is_file():
        raise DataFormatError("no such file", file=str(path))
    _sniff_binary(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _emit_records(iter_csv_rows(path, errors="replace"), out, mapping, "csv",
                             reopen=lambda: iter_csv_rows(path, errors="replace"))
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _emit_records(_iter_jsonl(path), out, mapping, "jsonl", reopen=lambda: _iter_jsonl(path))
    if suffix in (".txt", ".md", ".text"):
        return _read_text(path, out, mapping)
    raise DataFormatError("unknown corpus format: use .csv, .jsonl or .txt", file=str(path), value=suffix)


def new_collector(source: str | os.PathLike[str] | pd.DataFrame, name: str | None = None) -> _Collector:
    """An empty collector of messages and rejects for `source`."""
    return _Collector(source_name(source, name), [], [])


def read_corpus(source: str | os.PathLike[str] | pd.DataFrame, *, mapping: ColumnMapping | None = None,
                name: str | None = None) -> CorpusRead:
    """Read one source into canonical messages plus rejects; the format is detected from the file name/contents.

    `source`: a ``.csv``, ``.jsonl``/``.json`` (one object per line), ``.txt``/``.md`` (Q:/A: blocks or
    "Speaker: text" transcripts separated by blank lines) file, or a DataFrame. `mapping` overrides detection.
    """
    out = new_collector(source, name)
    detected = _drain(open_source(source, out, mapping or ColumnMapping()))
    detected = replace(detected, n_rejected=len(out.rejects))
    return CorpusRead(_frame(out.messages, CANONICAL_COLUMNS), _frame(out.rejects, REJECT_COLUMNS), (detected,))


def _read_text(path: Path, out: _Collector, mapping: ColumnMapping) -> Generator[None, None, DetectedFormat]:
    n_records = 0
    labels: set[str] = set()
    for start, block in _iter_text_blocks(path):
        n_records += 1
        cid = f"{out.source}:{start}"
        turn = 0
        for line, label, text in block:
            role = role_for(label, mapping.role_map)
            if role is None:
                out.reject(line, "line is not 'Speaker: text' with a known speaker (Q:/A:, User:/Agent:, …)",
                           f"{label}: {text}" if label else text, cid)
                continue
            labels.add(label)
            out.message(line, "msg", cid, turn, role, text.strip(), {})
            turn += 1
        yield
    layout = "qa" if labels and labels <= {"Q", "A", "q", "a"} else "transcript"
    return DetectedFormat(out.source, "text", layout, (), {"speaker": "line prefix", "text": "line"}, n_records,
                          out.emitted, len(out.rejects), ())


def mapping_for(mapping: ColumnMapping | Mapping[str, ColumnMapping] | None, key: Any) -> ColumnMapping | None:
    """The mapping for one source: the one mapping for all, or the dict's entry for the source's file name."""
    return mapping.get(key) if isinstance(mapping, Mapping) else mapping


def read_corpora(sources: Sequence[str | os.PathLike[str] | pd.DataFrame], *,
                 mapping: ColumnMapping | Mapping[str, ColumnMapping] | None = None) -> CorpusRead:
    """Read several sources into one table; `mapping` is one mapping for all or a dict by source name."""
    reads = []
    for source in sources:
        key = source if isinstance(source, pd.DataFrame) else Path(source).name
        chosen = mapping_for(mapping, key)
        reads.append(read_corpus(source, mapping=chosen))
    messages = pd.concat([r.messages for r in reads], ignore_index=True) if reads else _frame([], CANONICAL_COLUMNS)
    rejects = pd.concat([r.rejects for r in reads], ignore_index=True) if reads else _frame([], REJECT_COLUMNS)
    duplicated = messages.row_id[messages.row_id.duplicated()]
    if len(duplicated):
        raise DataFormatError("two sources share a name, so their row ids collide; rename one",
                              field="row_id", value=duplicated.iloc[0])
    return CorpusRead(messages, rejects, tuple(d for r in reads for d in r.detected))


# ---- streaming ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadChunk:
    """Whole conversations read from the sources (at least `chunk_rows` messages unless it is the last chunk), and
    the records found unreadable on the way."""

    messages: pd.DataFrame
    rejects: pd.DataFrame


class CorpusStream:
    """Read sources chunk by chunk: :meth:`chunks` yields :class:`ReadChunk` s; `detected` is complete at the end.

    Opening checks every source (missing, binary, unknown format, undetectable layout raise DataFormatError) before
    anything is read further. Chunks end where a conversation ends, so a conversation never spans two chunks (a
    message-per-row file is read twice: first to count each thread's rows, then to emit each thread once whole).

        >>> import pandas as pd
        >>> stream = CorpusStream([pd.DataFrame({"question": ["a?", "b?", "c?"], "answer": ["x", "y", "z"]})])
        >>> [len(c.messages) for c in stream.chunks(chunk_rows=4)], stream.detected[0].n_messages
        ([4, 2], 6)
    """

    def __init__(self, sources: Sequence[str | os.PathLike[str] | pd.DataFrame], *,
                 mapping: ColumnMapping | Mapping[str, ColumnMapping] | None = None) -> None:
        names = [source_name(s) for s in sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise DataFormatError("two sources share a name, so their row ids would collide; rename one",
                                  field="source", value=repeated[0])
        self._open: list[tuple[_Collector, Generator[None, None, DetectedFormat], list[DetectedFormat]]] = []
        for source, name in zip(sources, names):
            out = new_collector(source, name)
            steps = open_source(source, out, mapping_for(mapping, name) or ColumnMapping())
            finished: list[DetectedFormat] = []
            try:
                next(steps)  # the first record: detects the layout, or raises
            except StopIteration as done:
                finished.append(done.value)
            self._open.append((out, steps, finished))
        self.detected: list[DetectedFormat] = []

    def chunks(self, chunk_rows: int = 5000) -> Iterator[ReadChunk]:
        """Chunks of whole conversations, in source and file order."""
        messages: list[dict] = []
        rejects: list[dict] = []
        for out, steps, finished in self._open:
            n_rejected = 0
            while not finished:
                if len(out.messages) + len(messages) >= chunk_rows:
                    messages.extend(out.messages)
                    out.messages.clear()
                    n_rejected += len(out.rejects)
                    rejects.extend(out.rejects)
                    out.rejects.clear()
                    yield _chunk(messages, rejects)
                    messages, rejects = [], []
                try:
                    next(steps)
                except StopIteration as done:
                    finished.append(done.value)
            messages.extend(out.messages)
            out.messages.clear()
            n_rejected += len(out.rejects)
            rejects.extend(out.rejects)
            out.rejects.clear()
            self.detected.append(replace(finished[0], n_rejected=n_rejected))
        if messages or rejects:
            yield _chunk(messages, rejects)


def _chunk(messages: list[dict], rejects: list[dict]) -> ReadChunk:
    return ReadChunk(_frame(messages, CANONICAL_COLUMNS), _frame(rejects, REJECT_COLUMNS))
