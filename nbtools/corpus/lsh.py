"""A compact MinHash LSH index: the candidates datasketch's MinHashLSH gives, in a few hundred bytes a key.

datasketch's ``MinHashLSH`` keeps, for every inserted key and each of its `bands`, a bytes object in a dict of
sets: ~5 KB a conversation, 1.5 GB for the ~300,000 conversations of a million messages (issue 10). Here every
band of every key is one 64-bit digest in one sorted NumPy array (with the key's number beside it), the band values
themselves on disk (:class:`~nbtools.corpus.spill.SpilledArrays`, read back for candidates only); a query looks its band digests up with ``searchsorted`` and keeps only the keys whose
band values are equal to the query's, so the candidates are exactly MinHashLSH's: the keys sharing all `rows`
values of at least one band. Recent inserts wait in a small dict until they are merged into the arrays.

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

from .spill import SpilledArrays

__all__ = ["BandIndex"]

_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime: folds a band's values into one digest
_BAND_SALT = np.uint64(0x9E3779B97F4A7C15)  # keeps equal values in different bands apart (they are checked anyway)


class BandIndex:
    """Keys 0, 1, 2 … (in insertion order) by the `bands` × `rows` first values of their MinHash."""

    def __init__(self, bands: int, rows: int, *, merge_every: int = 4096) -> None:
        self.bands, self.rows, self.merge_every = bands, rows, merge_every
        self._values = SpilledArrays(np.uint64)  # each key's bands × rows values, on disk
        self.size = 0
        self._digests = np.zeros(0, dtype=np.uint64)  # sorted band digests of the merged keys
        self._keys = np.zeros(0, dtype=np.int32)  # the key of each digest
        self._pending: dict[int, list[int]] = {}  # digest -> keys inserted since the last merge
        self._pending_keys = 0
        self._salts = (np.arange(1, bands + 1, dtype=np.uint64) * _BAND_SALT)

    def _bands(self, hashvalues: np.ndarray) -> np.ndarray:
        return np.asarray(hashvalues[:self.bands * self.rows], dtype=np.uint64).reshape(self.bands, self.rows)

    def _digest(self, bands: np.ndarray) -> np.ndarray:
        digest = bands[:, 0].copy()
        for k in range(1, self.rows):
            digest = digest * _MULTIPLIER ^ bands[:, k]
        return digest ^ self._salts

    def query(self, hashvalues: np.ndarray) -> list[int]:
        """The keys that share every value of at least one band with `hashvalues`, in ascending order."""
        if not self.size:
            return []
        bands = self._bands(hashvalues)
        digests = self._digest(bands)
        found: list[np.ndarray] = []
        band_of: list[np.ndarray] = []
        lo = np.searchsorted(self._digests, digests, side="left")
        hi = np.searchsorted(self._digests, digests, side="right")
        for hit in np.flatnonzero(hi > lo).tolist():
            keys = self._keys[lo[hit]:hi[hit]]
            found.append(keys)
            band_of.append(np.full(keys.size, hit))
        for band, digest in enumerate(digests.tolist()):
            keys_list = self._pending.get(digest)
            if keys_list:
                found.append(np.array(keys_list, dtype=np.int32))
                band_of.append(np.full(len(keys_list), band))
        if not found:
            return []
        keys, which = np.concatenate(found), np.concatenate(band_of)
        distinct = np.unique(keys)
        values = np.stack([self._values[k] for k in distinct.tolist()]).reshape(-1, self.bands, self.rows)
        equal = (values[np.searchsorted(distinct, keys), which] == bands[which]).all(axis=1)
        return np.unique(keys[equal]).tolist()

    def insert(self, hashvalues: np.ndarray) -> int:
        """Add a key for `hashvalues`; its number (0 for the first key, then 1, 2 …)."""
        bands = self._bands(hashvalues)
        key = self._values.append(bands.ravel())
        self.size += 1
        for digest in self._digest(bands).tolist():
            self._pending.setdefault(digest, []).append(key)
        self._pending_keys += 1
        if self._pending_keys >= self.merge_every:
            self._merge()
        return key

    def _merge(self) -> None:
        """Move the pending digests into the sorted arrays."""
        pairs = [(digest, key) for digest, keys in self._pending.items() for key in keys]
        digests = np.array([d for d, _ in pairs], dtype=np.uint64)
        keys = np.array([k for _, k in pairs], dtype=np.int32)
        order = np.argsort(digests, kind="stable")
        digests, keys = digests[order], keys[order]
        at = np.searchsorted(self._digests, digests, side="right")
        self._digests = np.insert(self._digests, at, digests)
        self._keys = np.insert(self._keys, at, keys)
        self._pending.clear()
        self._pending_keys = 0

    def nbytes(self) -> int:
        """Bytes held in memory by the arrays (the pending dict aside; the band values are on disk)."""
        return int(self._digests.nbytes + self._keys.nbytes)

    def close(self) -> None:
        """Delete the band values' file."""
        self._values.close()
