"""Exact and near duplicates, with the conversation as the unit (all its rows go, or none), and repeated messages.

Repeated: a message identical (after normalisation) to the one just before it in the same conversation, from the
same role: the export or the customer sent it twice; the repeat goes, the conversation stays. Exact: conversations
whose normalised text (case, whitespace and punctuation folded) is identical. Near: MinHash signatures of word
shingles find candidates with locality-sensitive hashing (datasketch), then the exact Jaccard similarity of the
shingle sets decides against `threshold`. The first conversation seen is kept; later ones record which they
duplicate.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"row_id": ["1", "2", "3", "4"], "conversation_id": ["a", "a", "b", "b"],
    ...                   "turn": [0, 1, 0, 1], "text": ["Where is my order?", "On its way!",
    ...                                                  "where is my order", "On its way !"]})
    >>> out = ExactDuplicates().apply(t)
    >>> out.table.row_id.tolist(), {c.row_id: c.duplicate_of for c in out.changes}
    (['1', '2'], {'3': 'a', '4': 'a'})
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Mapping, Sequence, cast

import numpy as np
import pandas as pd

from ..errors import InputError
from .digests import DigestTable
from .lsh import BandIndex
from .spill import SpilledArrays, SpilledStrings
from .steps import Change, Step, StepOutcome, drop_conversations

__all__ = ["RepeatedMessages", "ExactDuplicates", "NearDuplicates", "ExactIndex", "NearIndex", "NearSignature",
           "conversation_texts", "exact_key", "normalise_for_dedup"]

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise_for_dedup(text: str) -> str:
    """Lower-case, punctuation removed, whitespace collapsed.

    >>> normalise_for_dedup("  Where's   my ORDER?! ")
    'wheres my order'
    """
    return " ".join(_PUNCT.sub("", text.lower()).split())


def conversation_texts(table: pd.DataFrame) -> dict[str, str]:
    """{conversation_id: the conversation's normalised text, turns in order}, in first-seen order."""
    if "turn" not in table or pd.api.types.is_integer_dtype(table.turn):
        return _conversation_texts_by_row(table)
    ordered = table.sort_values(["conversation_id", "turn"], kind="stable") if "turn" in table else table
    texts = {cid: "" for cid in pd.unique(table.conversation_id)}
    for cid, group in ordered.groupby("conversation_id", sort=False):
        texts[cid] = " \n ".join(normalise_for_dedup(t) for t in group.text if isinstance(t, str))
    return texts


def _texts_unless_given(table: pd.DataFrame, given: Mapping | None) -> dict:
    """conversation_texts(table), or, when the keys or signatures were computed from them already (a worker did),
    the same conversations in the same order with no text (the texts are not needed again)."""
    if given is None:
        return conversation_texts(table)
    return {cid: "" for cid in pd.unique(table.conversation_id)}


def _conversation_texts_by_row(table: pd.DataFrame) -> dict[str, str]:
    """conversation_texts for integer (or no) turns, grouping plain lists: the same stable order by turn within
    each conversation as sort_values + groupby; missing ids, which groupby leaves out, keep ""."""
    texts = {cid: "" for cid in pd.unique(table.conversation_id)}
    turns = table.turn.tolist() if "turn" in table else [0] * len(table)
    rows: dict = {}
    for i, (cid, turn, text) in enumerate(zip(table.conversation_id.tolist(), turns, table.text.tolist())):
        if cid is None or cid != cid:
            continue
        rows.setdefault(cid, []).append((turn, i, text))
    for cid, members in rows.items():
        members.sort(key=lambda m: m[:2])
        texts[cid] = " \n ".join(normalise_for_dedup(t) for _, _, t in members if isinstance(t, str))
    return texts


@dataclass(frozen=True)
class RepeatedMessages(Step):
    """Drop a message that repeats the previous message of its conversation (same role, same normalised text).

    >>> t = pd.DataFrame({"row_id": ["1", "2", "3", "4"], "conversation_id": ["a"] * 4, "turn": [0, 1, 2, 3],
    ...                   "role": ["user", "user", "assistant", "user"],
    ...                   "text": ["cancel please", "Cancel please!", "Done.", "cancel please"]})
    >>> out = RepeatedMessages().apply(t)
    >>> out.table.row_id.tolist(), [(c.row_id, c.duplicate_of) for c in out.changes]
    (['1', '3', '4'], [('2', '1')])
    """

    name: ClassVar[str] = "repeated_messages"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        columns = ["row_id", "conversation_id", "role", "text"]
        ordered = table.sort_values(["conversation_id", "turn"], kind="stable") if "turn" in table else table
        changes, dropped = [], set()
        previous: dict[str, tuple] = {}  # conversation -> (role, normalised text, row_id) of its last message kept
        for row_id, cid, role, text in ordered.reindex(columns=columns).itertuples(index=False, name=None):
            text = text if isinstance(text, str) else ""
            key = (role, normalise_for_dedup(text))
            last = previous.get(cid)
            if last is not None and key == last[:2] and key[1]:
                dropped.add(row_id)
                changes.append(Change(row_id, self.name, "dropped", f"repeats the previous message {last[2]}", text,
                                      duplicate_of=last[2]))
                continue
            previous[cid] = (*key, row_id)
        mask = table.row_id.isin(dropped)
        order = {rid: i for i, rid in enumerate(table.row_id)}  # ledger in table order, like the other steps
        return StepOutcome(table[~mask].reset_index(drop=True), tuple(sorted(changes, key=lambda c: order[c.row_id])))


def exact_key(text: str) -> str:
    """The key two conversations share when their normalised texts are identical (a 128-bit BLAKE2b digest)."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class KeptIds:
    """Conversation ids by number, in the order they were kept: strings on disk, other ids (a caller's table may
    hold numbers) in a dict; with `lookup`, also which number holds an id (a 64-bit digest of each string id in
    a :class:`~nbtools.corpus.digests.DigestTable`, checked against the id read back).

    >>> ids = KeptIds(lookup=True)
    >>> ids.append("a"), ids.append(7), ids.append("b")
    (0, 1, 2)
    >>> ids[1], ids[2], ids.number_of("b"), ids.number_of(7), ids.number_of("c")
    (7, 'b', 2, 1, None)
    >>> ids.close()
    """

    def __init__(self, *, lookup: bool = False) -> None:
        self._strings = SpilledStrings()
        self._others: dict[int, object] = {}
        self._digests = DigestTable(np.uint64) if lookup else None
        self._other_numbers: dict[object, int] = {}

    def append(self, cid: object) -> int:
        """Remember `cid` as the next number; that number."""
        return self.extend([cid])

    def extend(self, cids: Sequence[object]) -> int:
        """Remember each of `cids` as the next numbers, in order; the number of the first."""
        first = self._strings.extend([cid if isinstance(cid, str) else "" for cid in cids])
        strings = []
        for number, cid in enumerate(cids, start=first):
            if not isinstance(cid, str):
                self._others[number] = cid
                self._other_numbers.setdefault(cid, number)
            else:
                strings.append((number, cid))
        if self._digests is not None and strings:
            self._digests.add_many(np.array([_digest64(cid) for _, cid in strings], dtype=np.uint64),
                                   np.array([number for number, _ in strings], dtype=np.int32))
        return first

    def numbers_of(self, cids: Sequence[object]) -> list[int | None]:
        """For each of `cids`, the first number holding it (needs `lookup`), or None; one lookup for them all."""
        if self._digests is None:
            raise TypeError("KeptIds(lookup=False) cannot look ids up")
        out: list[int | None] = [self._other_numbers.get(cid) if not isinstance(cid, str) else None for cid in cids]
        strings = [i for i, cid in enumerate(cids) if isinstance(cid, str)]
        if strings:
            numbers, which = self._digests.find(
                np.array([_digest64(cast(str, cids[i])) for i in strings], dtype=np.uint64))
            for number, w in sorted(zip(numbers.tolist(), which.tolist())):
                i = strings[w]
                if out[i] is None and self._strings[number] == cids[i]:
                    out[i] = number
        return out

    def __getitem__(self, number: int) -> object:
        return self._others[number] if number in self._others else self._strings[number]

    def number_of(self, cid: object) -> int | None:
        """The first number holding `cid` (needs `lookup`), or None."""
        return self.numbers_of([cid])[0]

    def close(self) -> None:
        """Delete the file."""
        self._strings.close()


class ExactIndex:
    """The conversations kept so far by ExactDuplicates, as digests only: each key's 128 bits in sorted NumPy runs
    and an array, its conversation id on disk (read back for a duplicate's reason): ~28 bytes of memory a
    conversation, where a dict of key and id strings took ~180.

    >>> index = ExactIndex()
    >>> index.check("a", exact_key("hi")), index.check("b", exact_key("hi"))
    (None, ('exact duplicate of conversation a', 'a'))
    >>> index.close()
    """

    def __init__(self) -> None:
        self._table = DigestTable(np.uint64)  # the key's first 64 bits -> its number
        self._rest = array("Q")  # by number: the key's last 64 bits
        self._cids = KeptIds()  # by number: the conversation that holds the key (on disk)

    def check(self, cid: str, key: str) -> tuple[str, str] | None:
        """(reason, duplicate_of) if `key` (an :func:`exact_key`) was seen before; otherwise remember `cid` as its
        first holder."""
        return self.check_many([(cid, key)])[0]

    def check_many(self, items: Sequence[tuple[str, str]]) -> list[tuple[str, str] | None]:
        """:meth:`check` of each (cid, key) in turn, with one lookup and one insert for the batch."""
        values = []
        for _, key in items:
            value = int(key, 16)
            if value >> 128:
                raise InputError("exact keys are 128-bit hex digests", field="key", value=key)
            values.append(value)
        highs = np.array([v >> 64 for v in values], dtype=np.uint64)
        lows = [v & 0xFFFFFFFFFFFFFFFF for v in values]
        numbers, which = self._table.find(highs)
        earlier: dict[int, int] = {}  # item -> the first number holding its key
        for number, w in sorted(zip(numbers.tolist(), which.tolist())):
            if w not in earlier and self._rest[number] == lows[w]:
                earlier[w] = number
        results: list[tuple[str, str] | None] = []
        first_in_batch: dict[int, int] = {}  # key -> the item of this batch that holds it
        kept: list[int] = []
        for i in range(len(items)):
            if i in earlier:
                first = self._cids[earlier[i]]
            elif values[i] in first_in_batch:
                first = items[first_in_batch[values[i]]][0]
            else:
                first_in_batch[values[i]] = i
                kept.append(i)
                results.append(None)
                continue
            results.append((f"exact duplicate of conversation {first}", cast(str, first)))  # the id as given
        if kept:
            start = self._cids.extend([items[i][0] for i in kept])
            self._rest.extend(lows[i] for i in kept)
            self._table.add_many(highs[kept], np.arange(start, start + len(kept)))
        return results

    def close(self) -> None:
        """Delete the file holding the kept conversations' ids."""
        self._cids.close()


@dataclass(frozen=True)
class ExactDuplicates(Step):
    """Drop conversations identical (after normalisation) to an earlier one."""

    name: ClassVar[str] = "exact_duplicates"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        index = ExactIndex()
        try:
            return self.apply_with(table, index)
        finally:
            index.close()

    def apply_with(self, table: pd.DataFrame, index: ExactIndex,
                   keys: Mapping[str, str] | None = None) -> StepOutcome:
        """Apply against an index carried over from earlier chunks; `keys` are precomputed {cid: exact_key}."""
        texts = _texts_unless_given(table, keys)
        items = [(cid, keys[cid] if keys is not None else exact_key(text)) for cid, text in texts.items()]
        reasons = {cid: found for (cid, _), found in zip(items, index.check_many(items)) if found is not None}
        return drop_conversations(table, reasons, self.name)


@dataclass(frozen=True)
class NearSignature:
    """What near-duplicate detection needs of one conversation: its sorted 64-bit shingle hashes and MinHash."""

    shingles: np.ndarray  # uint64, sorted, unique
    minhash: np.ndarray  # uint64 MinHash hash values (num_perm of them)
    scheme: str  # datasketch's hashing scheme of those values


class NearIndex:
    """The conversations kept so far by NearDuplicates: their MinHash bands (:class:`~nbtools.corpus.lsh.BandIndex`,
    the candidates datasketch's MinHashLSH would give) and their shingle hashes, both on disk but for the band
    digests (no texts; ~0.2 KB of memory a conversation, where MinHashLSH alone took ~5 KB)."""

    def __init__(self, step: "NearDuplicates") -> None:
        self.step = step
        # LSH only proposes candidates; a looser LSH threshold keeps MinHash's estimation error from hiding pairs
        # just above `threshold`, and the exact Jaccard of the shingle sets decides.
        threshold = max(0.05, step.threshold - step.candidate_margin)
        self.lsh = BandIndex(*_lsh_bands(threshold, step.num_perm))
        self._cids = KeptIds(lookup=True)  # by key number, on disk: the conversations in the order they were kept
        self._shingles = SpilledArrays(np.uint64)  # by key number, on disk: read back for candidates only

    def check(self, cid: str, signature: NearSignature | None) -> tuple[str, str] | None:
        """(reason, duplicate_of) if an earlier kept conversation is similar enough; otherwise keep `cid`."""
        return self.check_many([(cid, signature)])[0]

    def check_many(self, items: Sequence[tuple[str, NearSignature | None]]) -> list[tuple[str, str] | None]:
        """:meth:`check` of each (cid, signature) in turn, with one index lookup and one insert for the batch.

        The same answers as checking them one by one: an item is compared with the conversations kept before
        this batch (their candidates found in one :meth:`~nbtools.corpus.lsh.BandIndex.query_many`) and with the
        items of this batch kept before it (candidates from a dict of their band digests, values compared).
        """
        num_perm = self.step.num_perm
        for cid, signature in items:
            if signature is not None and len(signature.minhash) != num_perm:
                raise InputError(f"MinHash of conversation {cid} has {len(signature.minhash)} values",
                                 field="num_perm", value=num_perm)
        results: list[tuple[str, str] | None] = [None] * len(items)
        present = [i for i, (_, signature) in enumerate(items) if signature is not None]
        if not present:
            return results
        lsh = self.lsh
        bands = lsh.bands_of(np.stack([cast(NearSignature, items[i][1]).minhash for i in present]))
        digests = lsh.digests_of(bands)
        earlier = lsh.query_many(bands, digests)  # candidates among the conversations kept before this batch
        held = self._cids.numbers_of([items[i][0] for i in present])
        band_keys = (digests.astype(np.int64) | (np.arange(lsh.bands, dtype=np.int64) << 32)).tolist()
        kept: list[int] = []  # positions in `present` kept so far in this batch
        key_of: dict[int, int] = {}  # such a position -> the key number it gets
        kept_by_band: dict[int, list[int]] = {}
        kept_cids: set = set()
        threshold = self.step.threshold
        for p, i in enumerate(present):
            cid, signature = items[i][0], cast(NearSignature, items[i][1])
            scored = [(_jaccard(self._shingles[k], signature.shingles), k) for k in earlier[p]]
            batch = {q for key in band_keys[p] for q in kept_by_band.get(key, ())}
            for q in sorted(batch):
                if (bands[q] == bands[p]).all(axis=1).any():  # some band's values all equal
                    other = cast(NearSignature, items[present[q]][1])
                    scored.append((_jaccard(other.shingles, signature.shingles), key_of[q]))
            matches = [(j, k) for j, k in scored if j >= threshold]
            if matches:
                similarity, best = max(matches, key=lambda jk: (jk[0], -jk[1]))  # ties: the earliest kept
                first = self._cids[best] if best < lsh.size else items[present[kept[best - lsh.size]]][0]
                results[i] = (f"near duplicate of conversation {first} (Jaccard {similarity:.2f} ≥ "
                              f"{threshold})", cast(str, first))
                continue
            if held[p] is not None or cid in kept_cids:
                raise InputError("conversation id indexed twice", field="conversation_id", value=cid)
            key_of[p] = lsh.size + len(kept)
            kept.append(p)
            kept_cids.add(cid)
            for key in band_keys[p]:
                kept_by_band.setdefault(key, []).append(p)
        if kept:
            first_key = lsh.insert_many(bands[kept], digests[kept])
            if self._cids.extend([items[present[p]][0] for p in kept]) != first_key:
                raise RuntimeError(f"near-duplicate index out of step: band key {first_key}, "
                                   f"id number {len(self._shingles)}")
            self._shingles.extend([cast(NearSignature, items[present[p]][1]).shingles for p in kept])
        return results

    def close(self) -> None:
        """Delete the files holding the kept conversations' band values, shingle hashes and ids."""
        self.lsh.close()
        self._shingles.close()
        self._cids.close()


@dataclass(frozen=True)
class NearDuplicates(Step):
    """Drop conversations whose word-shingle Jaccard similarity to an earlier one reaches `threshold`."""

    threshold: float = 0.8
    shingle_size: int = 3
    num_perm: int = 128
    seed: int = 1
    candidate_margin: float = 0.2  # LSH looks for candidates at threshold - margin; exact Jaccard confirms
    name: ClassVar[str] = "near_duplicates"

    def check_settings(self) -> None:
        """Raise InputError for a threshold or shingle size that cannot work."""
        if not 0.0 < self.threshold <= 1.0:
            raise InputError("threshold must be in (0, 1]", field="threshold", value=self.threshold)
        if self.shingle_size < 1:
            raise InputError("shingle_size must be at least 1", field="shingle_size", value=self.shingle_size)

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        self.check_settings()
        index = NearIndex(self)
        try:
            return self.apply_with(table, index)
        finally:
            index.close()

    def apply_with(self, table: pd.DataFrame, index: NearIndex,
                   signatures: Mapping[str, NearSignature | None] | None = None) -> StepOutcome:
        """Apply against an index carried over from earlier chunks; `signatures` are precomputed {cid: signature}."""
        texts = _texts_unless_given(table, signatures)
        items = [(cid, signatures[cid] if signatures is not None else self.signature(text))
                 for cid, text in texts.items()]
        reasons = {cid: found for (cid, _), found in zip(items, index.check_many(items)) if found is not None}
        return drop_conversations(table, reasons, self.name)

    def signature(self, text: str) -> NearSignature | None:
        """The shingle hashes and MinHash of a normalised conversation text (None when it has no words)."""
        from datasketch import MinHash

        shingles = self.shingles(text)
        if not shingles:
            return None
        # one SHA-1 per shingle: its first 4 bytes (little-endian) are datasketch's sha1_hash32, what MinHash hashes
        # with by default; its first 8 are the shingle's 64-bit hash for the exact Jaccard
        digests = np.frombuffer(b"".join([h.digest() for h in map(hashlib.sha1, map(str.encode, shingles))]),
                                dtype=np.uint8).reshape(-1, 20)
        permutations, scheme = _permutations(self.num_perm, self.seed)
        sig = MinHash(num_perm=self.num_perm, seed=self.seed, permutations=permutations, scheme=scheme, hashfunc=int)
        sig.update_batch(digests[:, :4].copy().view("<u4").ravel().tolist())
        hashes = np.unique(digests[:, :8].copy().view("<u8").ravel().astype(np.uint64))
        return NearSignature(hashes, sig.hashvalues.astype(np.uint64), sig.scheme)

    def shingles(self, text: str) -> frozenset[str]:
        """The word `shingle_size`-grams of a normalised text (the whole text when it is shorter).

        >>> sorted(NearDuplicates(shingle_size=2).shingles("where is my order"))
        ['is my', 'my order', 'where is']
        """
        words = text.split()
        if not words:
            return frozenset()
        if len(words) <= self.shingle_size:
            return frozenset((" ".join(words),))
        return frozenset(map(" ".join, zip(*(words[i:] for i in range(self.shingle_size)))))


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[object, str]:
    """datasketch's permutation parameters and scheme for (`num_perm`, `seed`), drawn once: a MinHash given them
    hashes exactly as one that draws them itself (drawing them took a third of each signature's time)."""
    from datasketch import MinHash

    first = MinHash(num_perm=num_perm, seed=seed)
    return first.permutations, first.scheme


@lru_cache(maxsize=16)
def _lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for `threshold`, worked out once (it integrates numerically: ~0.1 s)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _digest64(text: str) -> int:
    """A 64-bit digest of `text` (BLAKE2b)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    common = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - common
    return common / union if union else 1.0
