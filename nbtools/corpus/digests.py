"""Digests to record numbers in sorted NumPy runs: the duplicate finders' lookup tables in ~12 bytes an entry.

A Python dict of a million-message corpus's ~250,000 kept conversations (a key string, a conversation id, a slot)
takes ~180 bytes an entry; here an entry is its digest and its record number in sorted arrays. New entries wait in a
small dict; every `merge_every` entries they become a sorted run, and runs of similar size are merged (as in a
log-structured merge tree), up to `max_run` entries a run, so a merge never copies more than that at once and a
lookup searches a few runs. A digest may map to several numbers (callers check what a number holds).

    >>> import numpy as np
    >>> table = DigestTable(np.uint64, merge_every=2)
    >>> for number, digest in enumerate([7, 3, 7, 9]):
    ...     table.add([digest], number)
    >>> table.find(np.array([7, 5, 9], dtype=np.uint64))
    (array([0, 2, 3], dtype=int32), array([0, 0, 2]))
    >>> len(table), table.numbers_of(3)
    (4, [1])
    >>> table.add_many(np.array([5, 7], dtype=np.uint64), np.array([4, 5]))
    >>> table.numbers_of(7), table.numbers_of(5)
    ([0, 2, 5], [4])
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["DigestTable"]


class DigestTable:
    """A multi-map from digests (of `dtype`, an unsigned integer type) to record numbers (int32)."""

    def __init__(self, dtype: npt.DTypeLike = np.uint64, *, merge_every: int = 1024, max_run: int = 1 << 20) -> None:
        self.dtype = np.dtype(dtype)
        self.merge_every, self.max_run = merge_every, max_run
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted digests, their numbers), largest first
        self._pending: dict[int, list[int]] = {}
        self._pending_entries = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, digests: Iterable[int], number: int) -> None:
        """Map each of `digests` to `number`."""
        for digest in digests:
            self._pending.setdefault(digest, []).append(number)
            self._pending_entries += 1
            self._size += 1
        if self._pending_entries >= self.merge_every:
            self._flush()

    def add_many(self, digests: np.ndarray, numbers: np.ndarray) -> None:
        """Map ``digests[i]`` to ``numbers[i]`` for every i (a batch: one sorted run, no per-entry work)."""
        digests = np.asarray(digests, dtype=self.dtype).ravel()
        numbers = np.asarray(numbers, dtype=np.int32).ravel()
        if digests.shape != numbers.shape:
            raise ValueError(f"{digests.size} digests for {numbers.size} numbers")
        if not digests.size:
            return
        self._flush()  # the pending entries first: runs stay in the order entries came
        order = np.argsort(digests, kind="stable")
        self._size += digests.size
        self._push_run(digests[order], numbers[order])

    def numbers_of(self, digest: int) -> list[int]:
        """The numbers `digest` maps to, in ascending order."""
        return sorted(self.find(np.array([digest], dtype=self.dtype))[0].tolist())

    def find(self, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(numbers, which): every number some query digest maps to, and the position of that digest in `digests`."""
        digests = np.asarray(digests, dtype=self.dtype)
        numbers: list[np.ndarray] = []
        which: list[np.ndarray] = []
        for run, run_numbers in self._runs:
            lo = run.searchsorted(digests)
            hits = np.flatnonzero(run[np.minimum(lo, run.size - 1)] == digests)  # most queries miss: one pass
            if hits.size:
                starts = lo[hits]
                counts = run.searchsorted(digests[hits], side="right") - starts
                # every position start..stop-1 of every hit, in one go
                offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
                numbers.append(run_numbers[np.repeat(starts, counts) + offsets])
                which.append(np.repeat(hits, counts))
        if self._pending:
            for position, digest in enumerate(digests.tolist()):
                found = self._pending.get(digest)
                if found:
                    numbers.append(np.array(found, dtype=np.int32))
                    which.append(np.full(len(found), position))
        if not numbers:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        return np.concatenate(numbers), np.concatenate(which)

    def _flush(self) -> None:
        """The pending entries become a sorted run; the smallest runs are merged while they are of similar size."""
        pairs = [(digest, number) for digest, numbers in self._pending.items() for number in numbers]
        self._pending.clear()
        self._pending_entries = 0
        if not pairs:
            return
        digests = np.fromiter((d for d, _ in pairs), dtype=self.dtype, count=len(pairs))
        numbers = np.fromiter((n for _, n in pairs), dtype=np.int32, count=len(pairs))
        order = np.argsort(digests, kind="stable")
        self._push_run(digests[order], numbers[order])

    def _push_run(self, digests: np.ndarray, numbers: np.ndarray) -> None:
        """Append a sorted run; merge the smallest runs while they are of similar size."""
        self._runs.append((digests, numbers))
        while len(self._runs) >= 2:
            (a, a_numbers), (b, b_numbers) = self._runs[-2], self._runs[-1]
            if a.size > 2 * b.size or a.size + b.size > self.max_run:
                break
            merged = np.concatenate([a, b])
            order = np.argsort(merged, kind="stable")  # two sorted runs: timsort merges them in linear time
            self._runs[-2:] = [(merged[order], np.concatenate([a_numbers, b_numbers])[order])]

    def nbytes(self) -> int:
        """Bytes held by the sorted runs (the pending dict aside)."""
        return int(sum(d.nbytes + n.nbytes for d, n in self._runs))
