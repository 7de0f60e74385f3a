"""Clean chunks of whole conversations with the conversation-local steps, in this process or in worker processes.

Every step but the duplicate finders decides within one conversation (a row, or a conversation's rows), so a chunk
that holds whole conversations can go through those steps anywhere, in any order of chunks. The steps from the first
duplicate finder on need the chunks in input order and the memory of earlier chunks: the main process runs them
(:mod:`nbtools.corpus.streaming`). Workers also compute what the duplicate finders need of each conversation (its
exact key, its MinHash signature), which is most of their cost.

    >>> import pandas as pd
    >>> from nbtools.corpus import ExactDuplicates, LengthFilter
    >>> plan = plan_steps([LengthFilter(min_chars_by_role={}), ExactDuplicates()])
    >>> [s.name for s in plan.local], [s.name for s in plan.ordered]
    (['length_filter'], ['exact_duplicates'])
    >>> chunk = pd.DataFrame({"row_id": ["1", "2"], "conversation_id": ["a", "a"], "turn": [0, 1],
    ...                       "role": ["user", "assistant"], "text": ["Hi", ""]})
    >>> outcome = clean_chunk(plan, chunk)
    >>> outcome.table.row_id.tolist(), outcome.counts[0]["dropped"], list(outcome.exact_keys)
    (['1'], 1, ['a'])
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import pandas as pd

from .dedup import ExactDuplicates, NearDuplicates, NearSignature, conversation_texts, exact_key
from .pipeline import checked_apply
from .steps import Change, Step

__all__ = ["ChunkPlan", "ChunkOutcome", "plan_steps", "clean_chunk", "ordered_map"]

GLOBAL_STEPS = (ExactDuplicates, NearDuplicates)  # the steps that need every earlier chunk

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ChunkPlan:
    """The steps split in two: `local` ones run on each chunk anywhere; `ordered` ones (from the first duplicate
    finder on) run chunk after chunk in input order. `exact` / `near`: the duplicate finders whose inputs the
    workers precompute (only those with nothing but other duplicate finders before them in `ordered`)."""

    local: tuple[Step, ...]
    ordered: tuple[Step, ...]
    exact: ExactDuplicates | None = None
    near: NearDuplicates | None = None


def plan_steps(steps: Sequence[Step]) -> ChunkPlan:
    """Split `steps` at the first duplicate finder."""
    cut = next((i for i, s in enumerate(steps) if isinstance(s, GLOBAL_STEPS)), len(steps))
    ordered = tuple(steps[cut:])
    exact = near = None
    for step in ordered:
        if not isinstance(step, GLOBAL_STEPS):
            break  # a step that changes text comes first: its output is only known in order
        if isinstance(step, ExactDuplicates) and exact is None:
            exact = step
        if isinstance(step, NearDuplicates) and near is None:
            near = step
    return ChunkPlan(tuple(steps[:cut]), ordered, exact, near)


@dataclass(frozen=True)
class ChunkOutcome:
    """A chunk after the local steps: kept rows, the changes, per-step counts and the duplicate finders' inputs."""

    table: pd.DataFrame
    changes: tuple[Change, ...]
    counts: tuple[dict, ...]
    exact_keys: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, NearSignature | None] = field(default_factory=dict)


def clean_chunk(plan: ChunkPlan, chunk: pd.DataFrame) -> ChunkOutcome:
    """Run the plan's local steps on one chunk of whole conversations (books checked after each step)."""
    table, changes, counts = python_strings(chunk), list[Change](), list[dict]()
    for step in plan.local:
        outcome, count = checked_apply(step, table)
        table = outcome.table
        changes.extend(outcome.changes)
        counts.append(count)
    texts = conversation_texts(table) if plan.exact or plan.near else {}
    keys = {cid: exact_key(text) for cid, text in texts.items()} if plan.exact else {}
    signatures = {cid: plan.near.signature(text) for cid, text in texts.items()} if plan.near else {}
    return ChunkOutcome(table, tuple(changes), tuple(counts), keys, signatures)


def python_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its string columns as Python objects: the steps read rows one by one, and materialising each
    Arrow-backed string once here costs less than every step doing it again (the values are unchanged)."""
    strings = {c: object for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)}
    return frame.astype(strings) if strings else frame


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int = 1,
                preload: Sequence[str] = ()) -> Iterator[tuple[T, R]]:
    """(item, fn(item)) in input order; with `workers` > 1 the calls run in a pool of spawned processes, at most
    2 × `workers` items in flight (so memory stays bounded however long `items` is). A single item runs here: starting
    processes would cost more than it saves. With `preload` (module names), the processes are forked from a
    forkserver that imported those modules first, so what they load is shared between the workers' memory."""
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        for item in chain(head, items):
            yield item, fn(item)
        return
    context: multiprocessing.context.BaseContext = multiprocessing.get_context("spawn")
    if preload:
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(list(preload))
        context = forkserver
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from windowed(pool.submit, fn, chain(head, items), window=2 * workers)


def windowed(submit: Callable[..., Future], fn: Callable[[T], R], items: Iterable[T], *,
             window: int) -> Iterator[tuple[T, R]]:
    """Submit `fn(item)` for each item through `submit`, keep `window` in flight, yield results in input order."""
    pending: deque[tuple[T, Future]] = deque()
    for item in items:
        pending.append((item, submit(fn, item)))
        if len(pending) >= window:
            first, future = pending.popleft()
            yield first, future.result()
    while pending:
        first, future = pending.popleft()
        yield first, future.result()


def chunk_cleaner(plan: ChunkPlan) -> Callable[[pd.DataFrame], ChunkOutcome]:
    """`clean_chunk` bound to `plan`, picklable for worker processes."""
    return partial(clean_chunk, plan)
