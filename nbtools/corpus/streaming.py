"""Clean corpora of any size: chunks of whole conversations flow through the steps, results are written as they come.

The same steps as :class:`~nbtools.corpus.CleaningPipeline`, with the same result (cleaned rows, ledger, rejects),
in bounded memory: the reader yields chunks of whole conversations; the conversation-local steps run on each chunk in
worker processes (``engine="local"``) or on a Dask cluster (``engine="dask"``); the duplicate finders then run chunk
after chunk in input order in this process, remembering earlier conversations only as digests and MinHash
signatures; the cleaned table, ledger and rejects go to Parquet (and CSV) chunk by chunk. The books are checked
after every step of every chunk and at the end: kept + dropped = read.

    >>> import tempfile, pandas as pd
    >>> raw = pd.DataFrame({"question": ["Where is my order?", "Where is my order?"],
    ...                     "answer": ["On its way, since Monday!", "On its way, since Monday!"]})
    >>> result = stream_clean([raw], tempfile.mkdtemp(), workers=1, progress=False, csv=False)
    >>> result.n_input, result.kept, result.dropped, result.rejects().reason.tolist()
    (4, 2, 2, ['exact duplicate of conversation dataframe:1', 'exact duplicate of conversation dataframe:1'])
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import pandas as pd
from tqdm.auto import tqdm

from ..errors import InputError
from .dedup import ExactDuplicates, ExactIndex, NearDuplicates, NearIndex
from .pipeline import LEDGER_COLUMNS, AccountingError, checked_apply, default_steps, rejects_for
from .readers import CorpusStream, ReadChunk
from .schema import ColumnMapping, DetectedFormat
from .sinks import LEDGER_SCHEMA, REJECTS_SCHEMA, CleanedSink, TableSink
from .steps import Step, StepOutcome
from .workers import ChunkOutcome, ChunkPlan, clean_chunk, ordered_map, plan_steps

__all__ = ["stream_clean", "StreamedCleaning", "ENGINES", "OUTPUT_FILES"]

ENGINES = ("local", "dask")
WORKER_PRELOAD = ("nbtools.corpus.warm",)  # the models, loaded once in the forkserver the workers are forked from
OUTPUT_FILES = {"cleaned": "cleaned_messages", "ledger": "ledger", "rejects": "rejects"}


@dataclass(frozen=True)
class StreamedCleaning:
    """What a streamed cleaning run wrote to `out`, with its counts (the tables stay on disk)."""

    out: Path
    n_input: int
    kept: int
    dropped: int
    unreadable: int
    modified_rows: int
    step_counts: tuple[dict, ...]
    settings: tuple[dict, ...]
    detected: tuple[DetectedFormat, ...]
    engine: str
    workers: int
    chunk_rows: int
    seconds: float

    def report(self) -> pd.DataFrame:
        """Counts per step: rows in, modified, dropped, out (the first row is reading, with unreadable records)."""
        return pd.DataFrame(list(self.step_counts))

    def summary(self) -> dict:
        """Machine-readable totals, the per-step table and the run (the same keys as CleaningResult.summary)."""
        return {"input_rows": self.n_input, "kept": self.kept, "dropped": self.dropped,
                "unreadable_records": self.unreadable, "modified_rows": self.modified_rows,
                "steps": list(self.step_counts), "settings": list(self.settings),
                "detected": [d.describe() for d in self.detected], "engine": self.engine, "workers": self.workers,
                "chunk_rows": self.chunk_rows, "seconds": round(self.seconds, 3),
                "messages_per_second": round(self.n_input / self.seconds, 1) if self.seconds else None,
                "out": str(self.out)}

    def path(self, kind: str, suffix: str = ".parquet") -> Path:
        """The file of `kind` (cleaned, ledger, rejects) in `out`."""
        return self.out / f"{OUTPUT_FILES[kind]}{suffix}"

    def cleaned(self) -> pd.DataFrame:
        """The cleaned table, read back from Parquet (whole: for small runs and tests)."""
        return pd.read_parquet(self.path("cleaned"))

    def ledger(self) -> pd.DataFrame:
        """The ledger, read back from Parquet."""
        return pd.read_parquet(self.path("ledger"))

    def rejects(self) -> pd.DataFrame:
        """The rejects, read back from Parquet."""
        return pd.read_parquet(self.path("rejects"))


class _Books:
    """Running per-step counts over all chunks."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.read: dict[str, Any] = {"step": "read", "in": 0, "modified": 0, "dropped": 0, "out": 0}
        self.steps: list[dict[str, Any]] = [{"step": s.name, "in": 0, "modified": 0, "dropped": 0, "out": 0}
                                            for s in steps]
        self.modified_rows = 0

    def add(self, chunk: ReadChunk, counts: Sequence[dict], modified_rows: int) -> None:
        n = len(chunk.messages)
        for key, value in (("in", n + len(chunk.rejects)), ("dropped", len(chunk.rejects)), ("out", n)):
            self.read[key] += value
        for total, count in zip(self.steps, counts):
            for key in ("in", "modified", "dropped", "out"):
                total[key] += count[key]
        self.modified_rows += modified_rows


class _OrderedSteps:
    """The plan's ordered steps with the duplicate finders' memory of every earlier chunk."""

    def __init__(self, plan: ChunkPlan) -> None:
        self.plan = plan
        self.indexes: dict[int, ExactIndex | NearIndex] = {}
        for i, step in enumerate(plan.ordered):
            if isinstance(step, NearDuplicates):
                step.check_settings()
                self.indexes[i] = NearIndex(step)
            elif isinstance(step, ExactDuplicates):
                self.indexes[i] = ExactIndex()

    def run(self, outcome: ChunkOutcome) -> tuple[pd.DataFrame, list, list[dict]]:
        table, changes, counts = outcome.table, list(outcome.changes), list(outcome.counts)
        for i, step in enumerate(self.plan.ordered):
            apply: Callable[[pd.DataFrame], StepOutcome] | None = None
            index = self.indexes.get(i)
            if isinstance(step, NearDuplicates) and isinstance(index, NearIndex):
                given = outcome.signatures if step is self.plan.near else None
                apply = partial(step.apply_with, index=index, signatures=given)
            elif isinstance(step, ExactDuplicates) and isinstance(index, ExactIndex):
                keys = outcome.exact_keys if step is self.plan.exact else None
                apply = partial(step.apply_with, index=index, keys=keys)
            result, count = checked_apply(step, table, apply)
            table = result.table
            changes.extend(result.changes)
            counts.append(count)
        return table, changes, counts

    def close(self) -> None:
        """Delete the duplicate finders' files."""
        for index in self.indexes.values():
            index.close()


def _check(engine: str, workers: int, chunk_rows: int, steps: Sequence[Step]) -> None:
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}", field="engine", value=engine)
    if workers < 1:
        raise InputError("workers must be at least 1", field="workers", value=workers)
    if chunk_rows < 1:
        raise InputError("chunk_rows must be at least 1", field="chunk_rows", value=chunk_rows)
    for step in steps:
        if isinstance(step, NearDuplicates):
            step.check_settings()


@contextmanager
def _mapper(engine: str, workers: int, scheduler: str | None
            ) -> Iterator[Callable[[Callable, Iterable[ReadChunk]], Iterator[tuple[ReadChunk, ChunkOutcome]]]]:
    if engine == "local":
        yield lambda fn, items: ordered_map(fn, items, workers=workers, preload=WORKER_PRELOAD)
        return
    from .dask_engine import dask_client, dask_map

    with dask_client(scheduler, workers) as client:
        yield lambda fn, items: dask_map(client, fn, items)


def stream_clean(sources: Sequence[str | os.PathLike[str] | pd.DataFrame], out: str | os.PathLike[str], *, steps: Sequence[Step] | None = None,
                 engine: str = "local", workers: int | None = None, scheduler: str | None = None,
                 chunk_rows: int = 5000, mapping: ColumnMapping | Mapping[str, ColumnMapping] | None = None,
                 progress: bool = True, csv: bool = True) -> StreamedCleaning:
    """Clean `sources` into `out` chunk by chunk: cleaned_messages, ledger and rejects (.parquet, and .csv unless
    `csv` is False) and cleaning_report.json. `engine` "local" runs the conversation-local steps in `workers`
    processes (default: every core; 1: in this process); "dask" runs them on the Dask `scheduler` (an address), or
    on a local cluster of `workers` processes. An unreadable source raises DataFormatError before anything is
    written; unreadable records become rejects and the run goes on.
    """
    started = time.perf_counter()
    steps = list(default_steps() if steps is None else steps)
    workers = workers or os.cpu_count() or 1
    _check(engine, workers, chunk_rows, steps)
    stream = CorpusStream(sources, mapping=mapping)  # raises for an unreadable source, before any output
    plan = plan_steps(steps)
    ordered = _OrderedSteps(plan)
    books = _Books(steps)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = (lambda kind: folder / f"{OUTPUT_FILES[kind]}.csv") if csv else (lambda kind: None)
    cleaned = CleanedSink(folder / f"{OUTPUT_FILES['cleaned']}.parquet", csv_path("cleaned"))
    ledger_sink = TableSink(folder / f"{OUTPUT_FILES['ledger']}.parquet", LEDGER_SCHEMA, csv_path("ledger"))
    rejects_sink = TableSink(folder / f"{OUTPUT_FILES['rejects']}.parquet", REJECTS_SCHEMA, csv_path("rejects"))
    try:
        with _mapper(engine, workers, scheduler) as mapper, \
                tqdm(desc=f"cleaning ({engine})", unit="msg", disable=not progress) as bar:
            for chunk, outcome in mapper(partial(_clean_read_chunk, plan), stream.chunks(chunk_rows)):
                table, changes, counts = ordered.run(outcome)
                ledger = pd.DataFrame([vars(c) for c in changes], columns=list(LEDGER_COLUMNS))
                dropped = rejects_for(ledger, chunk.messages.set_index("row_id", drop=False))
                if len(table) + len(dropped) != len(chunk.messages):
                    raise AccountingError(f"chunk of {len(chunk.messages)} rows: {len(table)} kept + "
                                          f"{len(dropped)} dropped")
                cleaned.write(table)
                ledger_sink.write(ledger)
                rejects_sink.write(pd.concat([chunk.rejects, dropped], ignore_index=True)
                                   if len(chunk.rejects) else dropped)
                books.add(chunk, counts, ledger.row_id[ledger.action == "modified"].nunique())
                bar.update(len(chunk.messages))
        ledger_sink.close()
        rejects_sink.close()
        cleaned.close()
    except BaseException:
        cleaned.discard()
        raise
    finally:
        ordered.close()
    dropped_total = int(sum(s["dropped"] for s in books.steps))
    if cleaned.rows + dropped_total != books.read["out"]:
        raise AccountingError(f"{books.read['out']} rows read but {cleaned.rows} kept + {dropped_total} dropped")
    result = StreamedCleaning(folder, books.read["out"], cleaned.rows, dropped_total, books.read["dropped"],
                              books.modified_rows, (books.read, *books.steps),
                              tuple({"step": s.name, **s.settings()} for s in steps), tuple(stream.detected), engine,
                              workers, chunk_rows, time.perf_counter() - started)
    (folder / "cleaning_report.json").write_text(json.dumps(result.summary(), indent=2, default=str),
                                                 encoding="utf-8")
    return result


def _clean_read_chunk(plan: ChunkPlan, chunk: ReadChunk) -> ChunkOutcome:
    """`clean_chunk` on a read chunk's messages (a module-level function, so worker processes can unpickle it)."""
    return clean_chunk(plan, chunk.messages)
