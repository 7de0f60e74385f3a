"""Language identification of many texts at once: py3langid's model and arithmetic, its byte walk done in NumPy.

py3langid walks each text's UTF-8 bytes through a finite automaton in a Python loop (one state per byte; a state may
emit one feature, a byte n-gram), then scores the feature counts with its naive Bayes tables. That loop is most of
its cost. The automaton of py3langid's shipped model is *synchronising after* :data:`SYNC_BYTES` bytes: from any
state, reading the same 6 bytes leads to the same state (checked once over all 104,583 states and every byte string,
:func:`synchronising_depth`). So the state after byte ``i`` is the state reached from the start over bytes
``i-5 … i`` alone (over fewer bytes near the text's start), and the states of every byte of a whole batch of texts
come out of 6 vectorised steps. The features, their first-occurrence order and counts are then exactly the ones the
loop gives, and each text is scored with py3langid's own expression on them, so languages *and* probabilities are
bit-for-bit those of ``classify`` (:func:`classify_texts` falls back to ``classify`` for any other model).

    >>> texts = ["Where is my order?", "Wo ist meine Bestellung?", ""]
    >>> classify_texts(texts) == [_identifier().classify(t) for t in texts]
    True
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["classify_texts", "synchronising_depth", "SYNC_BYTES"]

SYNC_BYTES = 6
# sha256 of py3langid's data/model.npz.xz whose automaton synchronising_depth() found to synchronise after 6 bytes
# (py3langid 0.4.0); any other model file is classified text by text with py3langid's own loop.
_CHECKED_MODELS = {"f4f4a2c3465ca1f081541037f9cac23021d68151c2f709c55ae5eedfca522963": SYNC_BYTES}


def classify_texts(texts: Sequence[str]) -> list[tuple[str, float]]:
    """py3langid's ``(language, confidence)`` (normalised probabilities) for each text, the same values as
    ``LanguageIdentifier.classify`` text by text; identical texts are classified once."""
    identifier = _identifier()
    walk = _walker(identifier)
    distinct = list(dict.fromkeys(texts))
    if walk is None:
        found = {t: identifier.classify(t) for t in distinct}
    else:
        encoded = [identifier._encode(t) for t in distinct]
        found = dict(zip(distinct, (_decide(identifier, walk.table, e, idx, counts)
                                    for e, (idx, counts) in zip(encoded, walk(encoded)))))
    return [found[t] for t in texts]


def _decide(identifier: Any, table: np.ndarray, encoded: bytes, idx: np.ndarray, counts: np.ndarray
            ) -> tuple[str, float]:
    """py3langid's ``_decide`` + ``classify`` (norm_probs) from the text's features in first-occurrence order."""
    if len(idx):
        scores = np.log1p(counts) @ table[idx] + identifier.nb_pc
    else:
        scores = np.full(len(identifier.nb_classes), 0.0, dtype=np.float32)
    scores *= 1.0 / math.sqrt(len(encoded) or 1)
    np.exp(scores - scores.max(), out=scores)
    scores /= scores.sum()
    for i, j in identifier._alias_pairs:
        scores[i] += scores[j]
        scores[j] = 0.0
    best = int(scores.argmax())
    confidence = float(scores[best])
    if identifier.min_confidence is not None and confidence < identifier.min_confidence:
        return "und", confidence
    return identifier.nb_classes[best], confidence


class _Walker:
    """The automaton's tables as arrays; called on encoded texts, gives each text's (features, counts)."""

    def __init__(self, identifier: Any, depth: int) -> None:
        self.next = np.asarray(identifier.tk_nextmove, dtype=np.int32)
        self.rowbase = np.asarray(identifier._rowbase, dtype=np.int32)
        self.output = np.asarray(identifier.tk_output, dtype=np.int32)
        self.depth = depth
        self.features = int(self.output.max()) + 1
        # the state after any two bytes from the start state, indexed by 256 * first + second
        after_one = self.next[self.rowbase[0] + np.arange(256, dtype=np.int32)]
        self.after_two = self.next[(self.rowbase[after_one][:, None] + np.arange(256, dtype=np.int32)).ravel()]
        self.table = identifier.nb_ptc.astype(np.float32)  # gathered rows cast before, not after: the same values

    def states(self, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The automaton's state after each byte of `data` (texts at `starts`, each walked from the start state)."""
        n, d = len(data), self.depth
        state = np.zeros(n, dtype=np.int32)
        if n >= d:  # every byte from the start state over the d bytes ending at it (exact past a text's first d - 1)
            window = self.after_two[data[: n - d + 1] * 256 + data[1: n - d + 2]]
            for k in range(2, d):
                window = self.next[self.rowbase[window] + data[k: n - d + 1 + k]]
            state[d - 1:] = window
        offset = np.arange(d - 1, dtype=np.int32)  # a text's first d - 1 bytes: walked from the text's start
        lead = (starts[:, None] + offset)[offset < lengths[:, None]]
        begin = np.repeat(starts, np.minimum(lengths, d - 1))
        walked = np.zeros(len(lead), dtype=np.int32)
        for k in range(d - 1):
            step = begin + k <= lead
            walked = np.where(step, self.next[self.rowbase[walked] + data[np.minimum(begin + k, n - 1)]], walked)
        state[lead] = walked
        return state

    def __call__(self, encoded: Sequence[bytes]) -> list[tuple[np.ndarray, np.ndarray]]:
        lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
        empty = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32))
        if not lengths.sum():
            return [empty] * len(encoded)
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int32)
        starts = np.cumsum(lengths) - lengths
        feature = self.output[self.states(data, starts, lengths)]
        emits = np.flatnonzero(feature >= 0)
        text = np.searchsorted(starts, emits, side="right") - 1
        keys = text * self.features + feature[emits]
        unique, first_at, counts = np.unique(keys, return_index=True, return_counts=True)
        order = np.argsort(first_at)  # by text, then by first occurrence (the order of py3langid's Counter)
        unique, counts = unique[order], counts[order]
        idx = (unique % self.features).astype(np.intp)
        counts32 = counts.astype(np.float32)
        bounds = np.searchsorted(unique // self.features, np.arange(len(encoded) + 1))
        return [(idx[a:b], counts32[a:b]) if b > a else empty for a, b in zip(bounds[:-1], bounds[1:])]


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities (loading its model takes ~0.3 s, so once)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1)
def _walker(identifier: Any) -> _Walker | None:
    """The vectorised walk for `identifier`'s model if its synchronising depth was checked, else None."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    digest = hashlib.sha256(Path(MODEL_DIR, MODEL_FILE).read_bytes()).hexdigest()
    depth = _CHECKED_MODELS.get(digest)
    if depth is None or not identifier._norm_probs or len(identifier.nb_classes) != identifier.nb_ptc.shape[1]:
        return None
    return _Walker(identifier, depth)


def synchronising_depth(identifier: Any, limit: int = 12) -> int | None:
    """The least k such that any k bytes lead every state of `identifier`'s automaton to the same state, or None
    if none up to `limit` (the pairs (state from s, state from the start) over all s and byte strings of length k,
    until all are equal; ~1 minute and ~4 GB for py3langid's model, hence recorded in ``_CHECKED_MODELS``)."""
    nxt = np.asarray(identifier.tk_nextmove, dtype=np.int64)
    rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
    n = len(rowbase)
    a, b = np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    every = np.arange(256, dtype=np.int64)
    for k in range(1, limit + 1):
        keep = a != b
        a, b = a[keep], b[keep]  # equal pairs stay equal
        if not len(a):
            return k - 1
        pairs = np.unique(nxt[(rowbase[a][:, None] + every).ravel()] * n + nxt[(rowbase[b][:, None] + every).ravel()])
        a, b = pairs // n, pairs % n
        if (a == b).all():
            return k
    return None

