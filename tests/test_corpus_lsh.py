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


@pytest.mark.parametrize("bands, rows", [(18, 7), (32, 4), (4, 2)])
def test_candidates_equal_minhash_lsh(bands, rows):
    signatures = _signatures(400, 128, seed=bands * rows)
    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    index = BandIndex(bands, rows)
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


def _near_texts(n: int, seed: int) -> list[str]:
    """Conversation texts from a small vocabulary, a third of them edited copies of earlier ones (near duplicates
    across and within batches)."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(60)]
    texts: list[str] = []
    for _ in range(n):
        base = texts[int(rng.integers(0, len(texts)))].split() if texts else []
        if base and rng.random() < 0.5:
            k = int(rng.integers(0, len(base)))
            texts.append(" ".join(base[:k] + [words[int(rng.integers(0, 60))]] + base[k + 1:]))
        else:
            texts.append(" ".join(words[int(i)] for i in rng.integers(0, 60, size=rng.integers(0, 30))))
    return texts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_index_in_batches_answers_as_one_by_one(seed):
    step = NearDuplicates(threshold=0.7)
    items = [(f"c{i}", step.signature(t)) for i, t in enumerate(_near_texts(300, seed))]
    one_by_one, batched = NearIndex(step), NearIndex(step)
    want = [one_by_one.check(cid, sig) for cid, sig in items]
    rng = np.random.default_rng(seed)
    got, start, batch_of = [], 0, {}
    while start < len(items):
        size = int(rng.integers(1, 80))
        got += batched.check_many(items[start:start + size])
        batch_of.update({cid: start for cid, _ in items[start:start + size]})
        start += size
    assert got == want
    found = [(cid, w[1]) for (cid, _), w in zip(items, want) if w]
    assert len(found) > 40 and sum(batch_of[a] == batch_of[b] for a, b in found) > 10  # within batches too
    assert sum(w is None for w in want) > 100 and len({w[1] for w in want if w}) > 10  # many kept, many originals
    # the two indexes hold the same conversations: the next query gets the same answer
    probe = ("probe", step.signature(" ".join(_near_texts(300, seed)[5].split()[:-1] + ["w1"])))
    assert batched.check(*probe) == one_by_one.check(*probe)
    one_by_one.close()
    batched.close()


def test_exact_index_in_batches_answers_as_one_by_one():
    from nbtools.corpus.dedup import ExactIndex

    rng = np.random.default_rng(3)
    prefixes = [f"{int(p):016x}" for p in rng.integers(0, 2**62, size=8)]  # few first halves: shared 64 bits
    keys = [prefixes[int(rng.integers(0, 8))] + f"{int(rng.integers(0, 40)):016x}" for _ in range(400)]
    items = [(f"c{i}", k) for i, k in enumerate(keys)]
    one_by_one, batched = ExactIndex(), ExactIndex()
    want = [one_by_one.check(cid, key) for cid, key in items]
    got = []
    for start in range(0, len(items), 57):
        got += batched.check_many(items[start:start + 57])
    assert got == want
    assert 100 < sum(w is not None for w in want) < 400
    one_by_one.close()
    batched.close()


def test_digest_table_batches_find_what_single_adds_find():
    from nbtools.corpus.digests import DigestTable

    rng = np.random.default_rng(11)
    singles, batches = DigestTable(np.uint32, merge_every=5), DigestTable(np.uint32, merge_every=5)
    number = 0
    for _ in range(60):
        digests = rng.integers(0, 200, size=rng.integers(0, 20))
        numbers = np.arange(number, number + digests.size)
        number += digests.size
        for d, n in zip(digests.tolist(), numbers.tolist()):
            singles.add([d], n)
        if rng.random() < 0.3:  # mixed with single adds on the batch side too
            for d, n in zip(digests.tolist(), numbers.tolist()):
                batches.add([d], n)
        else:
            batches.add_many(digests, numbers)
    query = np.arange(0, 210, dtype=np.uint32)
    assert sorted(zip(*[a.tolist() for a in singles.find(query)])) == \
        sorted(zip(*[a.tolist() for a in batches.find(query)]))
    assert len(singles) == len(batches) == number


def test_kept_ids_look_up_many_ids_at_once():
    from nbtools.corpus.dedup import KeptIds

    ids = KeptIds(lookup=True)
    assert ids.extend(["a", 3, "b"]) == 0
    assert ids.append("a") == 3  # a second holder: the first number is the answer
    assert ids.extend(["Zoë"]) == 4
    assert ids.numbers_of(["b", "a", 3, "Zoë", "c", 4]) == [2, 0, 1, 4, None, None]
    assert [ids[n] for n in range(5)] == ["a", 3, "b", "a", "Zoë"]
    ids.close()
