"""BandIndex proposes exactly the candidates datasketch's MinHashLSH proposes, for the same bands and rows."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from nbtools.corpus import NearDuplicates
from nbtools.corpus.dedup import NearIndex
from nbtools.corpus.lsh import BandIndex


def _signatures(n: int, num_perm: int, seed: int) -> list[np.ndarray]:
    """MinHashes of random word sets, many of them sharing words (so that bands collide)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch([f"w{w}".encode() for w in rng.integers(0, 40, size=rng.integers(1, 12))])
        out.append(m.hashvalues)
    return out


@pytest.mark.parametrize("bands, rows, merge_every", [(18, 7, 4096), (18, 7, 7), (32, 4, 1), (4, 2, 50)])
def test_candidates_equal_minhash_lsh(bands, rows, merge_every):
    signatures = _signatures(400, 128, seed=bands * rows)
    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    index = BandIndex(bands, rows, merge_every=merge_every)
    hits = 0
    for key, hv in enumerate(signatures):
        lean = LeanMinHash(seed=1, hashvalues=hv, scheme="affine32")
        want = sorted(lsh.query(lean))
        assert index.query(hv) == want
        hits += bool(want)
        lsh.insert(key, lean)
        assert index.insert(hv) == key
    assert hits > 50  # the comparison is not vacuous


def test_near_index_refuses_a_conversation_kept_twice():
    step = NearDuplicates()
    index = NearIndex(step)
    sig = step.signature("a b c d e f")
    other = step.signature("x y z w v u")
    assert index.check("a", sig) is None
    assert index.check("b", sig) == ("near duplicate of conversation a (Jaccard 1.00 ≥ 0.8)", "a")
    with pytest.raises(Exception, match="indexed twice"):
        index.check("a", other)


def test_spilled_arrays_read_back_what_was_appended_between_writes():
    from nbtools.corpus.spill import SpilledArrays

    rng = np.random.default_rng(5)
    store = SpilledArrays(np.uint64)
    written = []
    for n in rng.integers(0, 50, size=300).tolist():
        values = rng.integers(0, 2**63, size=n, dtype=np.uint64)
        assert store.append(values) == len(written)
        written.append(values)
        probe = int(rng.integers(0, len(written)))
        assert np.array_equal(store[probe], written[probe])  # reads interleaved with buffered writes
    assert all(np.array_equal(store[i], w) for i, w in enumerate(written))
    assert store.disk_bytes() == 8 * sum(len(w) for w in written)
    store.close()


@pytest.mark.parametrize("merge_every, max_run", [(1, 1 << 20), (7, 40), (64, 1 << 20)])
def test_digest_table_finds_what_a_dict_of_lists_holds(merge_every, max_run):
    from nbtools.corpus.digests import DigestTable

    rng = np.random.default_rng(merge_every)
    table = DigestTable(np.uint32, merge_every=merge_every, max_run=max_run)
    reference: dict[int, list[int]] = {}
    for number in range(600):
        digests = rng.integers(0, 300, size=rng.integers(1, 4)).tolist()  # small range: many shared digests
        table.add(digests, number)
        for d in digests:
            reference.setdefault(d, []).append(number)
        query = rng.integers(0, 320, size=5)
        numbers, which = table.find(query)
        got = sorted(zip(which.tolist(), numbers.tolist()))
        want = sorted((i, n) for i, d in enumerate(query.tolist()) for n in reference.get(d, []))
        assert got == want
    assert len(table) == sum(map(len, reference.values()))
    if max_run == 40:
        assert len(table._runs) > 1  # the cap keeps several runs


def test_exact_index_tells_keys_apart_that_share_their_first_64_bits():
    from nbtools.corpus.dedup import ExactIndex

    index = ExactIndex()
    a, b = "0123456789abcdef" + "0" * 16, "0123456789abcdef" + "1" * 16
    assert index.check("x", a) is None
    assert index.check("y", b) is None
    assert index.check("z", b) == ("exact duplicate of conversation y", "y")
    assert index.check("w", a) == ("exact duplicate of conversation x", "x")
    index.close()
