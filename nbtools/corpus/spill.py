"""Arrays kept on disk and read back by number: what the duplicate finders remember of each kept conversation.

A million-message corpus keeps ~300,000 conversations; their MinHash band values and shingle hashes (~1.2 KB each)
are only read again for the few candidates a query finds, so they go to an anonymous temporary file (deleted when
closed or when the process ends) and memory holds 8 bytes a record: where it ends in the file.

    >>> import numpy as np
    >>> store = SpilledArrays(np.uint64)
    >>> store.append(np.array([3, 1, 2], dtype=np.uint64)), store.append(np.array([], dtype=np.uint64))
    (0, 1)
    >>> store[0].tolist(), store[1].tolist(), len(store)
    ([3, 1, 2], [], 2)
    >>> store.extend([np.array([5], dtype=np.uint64), np.array([6, 7], dtype=np.uint64)])
    2
    >>> store[3].tolist(), len(store)
    ([6, 7], 4)
    >>> store.close()
"""

from __future__ import annotations

import os
import tempfile
from array import array
from typing import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["SpilledArrays", "SpilledStrings"]


class SpilledArrays:
    """Append-only 1-D arrays of one `dtype` in a temporary file; ``store[i]`` reads the i-th back (a copy)."""

    def __init__(self, dtype: npt.DTypeLike, *, directory: str | None = None) -> None:
        self.dtype = np.dtype(dtype)
        self._file = tempfile.TemporaryFile(prefix="nbtools-spill-", dir=directory)
        self._ends = array("q")  # byte offset where each record ends
        self._dirty = False

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, values: np.ndarray) -> int:
        """Write `values` (cast to the store's dtype) as the next record; its number."""
        return self.extend([values])

    def extend(self, records: Sequence[np.ndarray]) -> int:
        """Write each of `records` as the next record, in one write; the number of the first."""
        first = len(self._ends)
        if not records:
            return first
        parts = [np.ascontiguousarray(r, dtype=self.dtype).ravel() for r in records]
        end = self._ends[-1] if self._ends else 0
        self._ends.extend((end + np.cumsum([p.nbytes for p in parts])).tolist())
        self._file.write(np.concatenate(parts).tobytes())
        self._dirty = True
        return first

    def __getitem__(self, number: int) -> np.ndarray:
        start, end = (self._ends[number - 1] if number else 0), self._ends[number]
        if self._dirty:
            self._file.flush()
            self._dirty = False
        data = os.pread(self._file.fileno(), end - start, start)
        if len(data) != end - start:
            raise OSError(f"spill file {self._file.name}: read {len(data)} of {end - start} bytes at {start}")
        return np.frombuffer(data, dtype=self.dtype).copy()

    def disk_bytes(self) -> int:
        """Bytes written to the file so far."""
        return self._ends[-1] if self._ends else 0

    def close(self) -> None:
        """Delete the file."""
        self._file.close()


class SpilledStrings:
    """Append-only strings in a temporary file (UTF-8, lone surrogates kept); ``store[i]`` reads the i-th back.

    >>> names = SpilledStrings()
    >>> names.append("T-1"), names.append("Zoë")
    (0, 1)
    >>> names[1], len(names)
    ('Zoë', 2)
    >>> names.close()
    """

    def __init__(self, *, directory: str | None = None) -> None:
        self._bytes = SpilledArrays(np.uint8, directory=directory)

    def __len__(self) -> int:
        return len(self._bytes)

    def append(self, text: str) -> int:
        """Write `text` as the next record; its number."""
        return self.extend([text])

    def extend(self, texts: Sequence[str]) -> int:
        """Write each of `texts` as the next record, in one write; the number of the first."""
        return self._bytes.extend([np.frombuffer(t.encode("utf-8", "surrogatepass"), dtype=np.uint8) for t in texts])

    def __getitem__(self, number: int) -> str:
        return self._bytes[number].tobytes().decode("utf-8", "surrogatepass")

    def close(self) -> None:
        """Delete the file."""
        self._bytes.close()
