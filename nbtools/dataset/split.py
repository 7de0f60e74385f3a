"""Seeded train/validation split with no exact or near duplicate across the two sides.

Examples are grouped before splitting: examples with the same id (one conversation), the same normalised
prompt + answer text, or a similar one (rapidfuzz ``fuzz.ratio`` at or above ``near_threshold``) form one group,
and a group goes wholly to train or wholly to validation. Up to a few thousand examples every pair is compared;
beyond that, MinHash LSH (datasketch) proposes candidate pairs and rapidfuzz confirms them::

    >>> ex = lambda q, a: {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
    >>> examples = [ex(f"Question number {i}?", f"Answer {i}.") for i in range(8)]
    >>> examples += [ex("Question number 0 ?", "Answer 0!")]  # near duplicate of the first
    >>> result = split_examples(examples, valid_fraction=0.25, seed=1)
    >>> len(result.train) + len(result.valid), result.n_merged_groups
    (9, 1)
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from ..errors import InputError

__all__ = ["SplitResult", "split_examples", "example_text"]

BRUTE_FORCE_MAX = 3000  # up to this many examples every pair is compared exactly
_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def _texts(messages: Any, roles: tuple[str, ...]) -> list[str]:
    out = []
    for message in messages or []:
        if isinstance(message, dict) and message.get("role") in roles:
            content = message.get("content")
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return out


def example_text(example: dict) -> str:
    """The normalised user prompt + answer of an example (casefolded, NFKC, no punctuation, single spaces).

    >>> example_text({"messages": [{"role": "system", "content": "Be nice"}, {"role": "user", "content": "Hi,  THERE!"},
    ...               {"role": "assistant", "content": "Hey."}]})
    'hi there hey'
    """
    if "messages" in example:
        parts = _texts(example["messages"], ("user", "assistant"))
    else:
        parts = _texts((example.get("input") or {}).get("messages"), ("user",))
        parts += _texts(example.get("preferred_output"), ("assistant",))
    text = unicodedata.normalize("NFKC", " ".join(parts)).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


@dataclass(frozen=True, eq=False)
class SplitResult:
    """Train and validation examples (with their ids), and how the grouping went."""

    train: list[dict]
    valid: list[dict]
    train_ids: list[str]
    valid_ids: list[str]
    n_groups: int
    n_merged_groups: int  # groups holding more than one example (same conversation, duplicate or near duplicate)
    n_examples_in_merged_groups: int
    near_threshold: float
    seed: int

    def max_cross_similarity(self) -> float:
        """The highest similarity (0-1, rapidfuzz ``fuzz.ratio``) between any train and any validation example:
        below ``near_threshold`` when nothing leaks (compares every pair: seconds for thousands of examples)."""
        if not self.train or not self.valid:
            return 0.0
        scores = process.cdist([example_text(e) for e in self.train], [example_text(e) for e in self.valid],
                               scorer=fuzz.ratio, workers=1)
        return float(scores.max()) / 100

    def summary(self) -> dict[str, Any]:
        """Counts for display."""
        return {"train": len(self.train), "valid": len(self.valid), "groups": self.n_groups,
                "merged_groups": self.n_merged_groups, "examples_in_merged_groups": self.n_examples_in_merged_groups,
                "near_threshold": self.near_threshold, "seed": self.seed}


class _Groups:
    """Union-find over example indices."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _similar_pairs(texts: list[str], threshold: float) -> list[tuple[int, int]]:
    cutoff = threshold * 100
    if len(texts) <= BRUTE_FORCE_MAX:
        scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8)
        first, second = np.nonzero(np.triu(scores, k=1) >= cutoff)
        return list(zip(first.tolist(), second.tolist()))
    from datasketch import MinHash, MinHashLSH

    # a looser Jaccard threshold than the ratio threshold, so that LSH misses few true pairs
    lsh = MinHashLSH(threshold=max(0.3, threshold - 0.4), num_perm=128)
    pairs: list[tuple[int, int]] = []
    for i, text in enumerate(texts):
        signature = MinHash(num_perm=128, seed=1)
        for k in range(max(1, len(text) - 4)):
            signature.update(text[k:k + 5].encode("utf-8"))
        for j in lsh.query(signature):
            if fuzz.ratio(texts[j], text) >= cutoff:
                pairs.append((j, i))
        lsh.insert(i, signature)
    return pairs


def split_examples(examples: Sequence[dict], *, ids: Sequence[str] | None = None, valid_fraction: float = 0.1,
                   seed: int = 0, near_threshold: float = 0.9) -> SplitResult:
    """Split `examples` into train and validation, keeping each group of related examples on one side.

    `ids` (one per example, e.g. conversation ids) keep examples of the same conversation together;
    `near_threshold` is the rapidfuzz similarity (0-1) from which two examples count as near duplicates.
    """
    n = len(examples)
    ids = [str(i) for i in range(n)] if ids is None else [str(i) for i in ids]
    if len(ids) != n:
        raise InputError(f"got {len(ids)} ids for {n} examples", field="ids")
    if not 0 <= valid_fraction < 1:
        raise InputError("valid_fraction must be in [0, 1)", field="valid_fraction", value=valid_fraction)
    if not 0 < near_threshold <= 1:
        raise InputError("near_threshold must be in (0, 1]", field="near_threshold", value=near_threshold)
    groups = _Groups(n)
    first_by_key: dict[tuple[str, str], int] = {}
    texts = [example_text(example) for example in examples]
    for i, (example_id, text) in enumerate(zip(ids, texts)):
        for key in (("id", example_id), ("text", text)):
            groups.union(first_by_key.setdefault(key, i), i)
    for i, j in _similar_pairs(texts, near_threshold):
        groups.union(i, j)
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(groups.find(i), []).append(i)
    order = list(members.values())
    random.Random(seed).shuffle(order)
    target = round(valid_fraction * n)
    if valid_fraction > 0 and n >= 2:
        target = max(1, target)
    train_idx: list[int] = []
    valid_idx: list[int] = []
    for group in order:
        (valid_idx if len(valid_idx) + len(group) <= target else train_idx).extend(group)
    merged = [g for g in order if len(g) > 1]
    return SplitResult(
        train=[examples[i] for i in train_idx], valid=[examples[i] for i in valid_idx],
        train_ids=[ids[i] for i in train_idx], valid_ids=[ids[i] for i in valid_idx],
        n_groups=len(order), n_merged_groups=len(merged), n_examples_in_merged_groups=sum(map(len, merged)),
        near_threshold=near_threshold, seed=seed,
    )
