"""A compact MinHash LSH index: the candidates datasketch's MinHashLSH gives, in a few hundred bytes a key.

datasketch's ``MinHashLSH`` keeps, for every inserted key and each of its `bands`, a bytes object in a dict of
sets: ~5 KB a conversation, 1.5 GB for the ~300,000 conversations of a million messages (issue 10). Here every
band of every key is one 32-bit digest in sorted NumPy runs (:class:`~nbtools.corpus.digests.DigestTable`, with the
key's number beside it: 8 bytes a band), the band values themselves on disk
(:class:`~nbtools.corpus.spill.SpilledArrays`, read back for candidates only); a query looks its band digests up
with ``searchsorted`` and keeps only the keys whose band values are equal to the query's, so the candidates are
exactly MinHashLSH's: the keys sharing all `rows` values of at least one band (a digest shared by chance only costs
a read).

    >>> import numpy as np
    >>> index = BandIndex(bands=2, rows=2)
    >>> index.insert(np.array([1, 2, 3, 4], dtype=np.uint64))
    0
    >>> index.insert(np.array([1, 2, 9, 9], dtype=np.uint64))
    1
    >>> index.query(np.array([7, 7, 3, 4], dtype=np.uint64)), index.query(np.array([1, 2, 0, 0], dtype=np.uint64))
    ([0], [0, 1])
"""

from __future__ import annotations

import numpy as np

from .digests import DigestTable
from .spill import SpilledArrays

__all__ = ["BandIndex"]

_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime: folds a band's values into one digest
_BAND_SALT = np.uint64(0x9E3779B97F4A7C15)  # keeps equal values in different bands apart (they are checked anyway)


class BandIndex:
    """Keys 0, 1, 2 … (in insertion order) by the `bands` × `rows` first values of their MinHash."""

    def __init__(self, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows
        self._values = SpilledArrays(np.uint64)  # each key's bands × rows values, on disk
        self.size = 0
        # each band as a 32-bit digest (8 bytes an entry with its key): a digest only proposes, the band values decide;
        # keys arrive in batches (insert_many), each one sorted run
        self._table = DigestTable(np.uint32)
        self._salts = (np.arange(1, bands + 1, dtype=np.uint64) * _BAND_SALT)

    def bands_of(self, hashvalues: np.ndarray) -> np.ndarray:
        """[n, bands, rows] band values of n MinHashes ([n, >= bands × rows] or one 1-D MinHash: n = 1)."""
        values = np.atleast_2d(np.asarray(hashvalues, dtype=np.uint64))
        if values.shape[1] < self.bands * self.rows:
            raise ValueError(f"MinHashes of {values.shape[1]} values for {self.bands} bands of {self.rows} rows")
        return values[:, :self.bands * self.rows].reshape(-1, self.bands, self.rows)

    def digests_of(self, bands: np.ndarray) -> np.ndarray:
        """[n, bands] 32-bit digests of [n, bands, rows] band values (each band salted apart)."""
        digest = bands[..., 0].copy()
        for k in range(1, self.rows):
            digest = digest * _MULTIPLIER ^ bands[..., k]
        digest ^= self._salts
        return (digest ^ (digest >> np.uint64(32))).astype(np.uint32)

    def query_many(self, bands: np.ndarray, digests: np.ndarray | None = None) -> list[list[int]]:
        """For each of n band sets ([n, bands, rows], with their :meth:`digests_of` if known): the keys that share
        every value of at least one band with it, in ascending order (one lookup for the whole batch)."""
        n = bands.shape[0]
        if not self.size or not n:
            return [[] for _ in range(n)]
        digests = self.digests_of(bands) if digests is None else digests
        keys, where = self._table.find(digests.ravel())
        if not keys.size:
            return [[] for _ in range(n)]
        item, band = np.divmod(where, self.bands)
        distinct = np.unique(keys)
        values = np.stack([self._values[k] for k in distinct.tolist()]).reshape(-1, self.bands, self.rows)
        equal = (values[np.searchsorted(distinct, keys), band] == bands[item, band]).all(axis=1)
        found = np.unique(item[equal] * np.int64(self.size) + keys[equal])  # by item, then key
        out: list[list[int]] = [[] for _ in range(n)]
        for i, key in zip(*np.divmod(found, self.size)):
            out[i].append(key)
        return [list(map(int, k)) for k in out]

    def insert_many(self, bands: np.ndarray, digests: np.ndarray | None = None) -> int:
        """Add keys for n band sets ([n, bands, rows]), numbered in order; the number of the first."""
        first = self.size
        n = bands.shape[0]
        if not n:
            return first
        digests = self.digests_of(bands) if digests is None else digests
        if self._values.extend(list(bands.reshape(n, -1))) != first:
            raise RuntimeError(f"band values out of step: {len(self._values)} stored for {first} keys")
        self._table.add_many(digests.ravel(), np.repeat(np.arange(first, first + n), self.bands))
        self.size += n
        return first

    def query(self, hashvalues: np.ndarray) -> list[int]:
        """The keys that share every value of at least one band with `hashvalues`, in ascending order."""
        return self.query_many(self.bands_of(hashvalues))[0]

    def insert(self, hashvalues: np.ndarray) -> int:
        """Add a key for `hashvalues`; its number (0 for the first key, then 1, 2 …)."""
        return self.insert_many(self.bands_of(hashvalues))

    def nbytes(self) -> int:
        """Bytes held in memory by the sorted digests (the pending ones aside; the band values are on disk)."""
        return self._table.nbytes()

    def close(self) -> None:
        """Delete the band values' file."""
        self._values.close()
