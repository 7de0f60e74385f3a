"""Exact and near duplicates, with the conversation as the unit (all its rows go, or none).

Exact: conversations whose normalised text (case, whitespace and punctuation folded) is identical. Near: MinHash
signatures of word shingles, compared with locality-sensitive hashing (datasketch) at a Jaccard `threshold`, then
confirmed with the estimated Jaccard. The first conversation seen is kept; later ones record which they duplicate.

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
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from ..errors import InputError
from .steps import Step, StepOutcome, drop_conversations

__all__ = ["ExactDuplicates", "NearDuplicates", "conversation_texts", "normalise_for_dedup"]

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise_for_dedup(text: str) -> str:
    """Lower-case, punctuation removed, whitespace collapsed.

    >>> normalise_for_dedup("  Where's   my ORDER?! ")
    'wheres my order'
    """
    return " ".join(_PUNCT.sub("", text.lower()).split())


def conversation_texts(table: pd.DataFrame) -> dict[str, str]:
    """{conversation_id: the conversation's normalised text, turns in order}, in first-seen order."""
    ordered = table.sort_values(["conversation_id", "turn"], kind="stable") if "turn" in table else table
    texts = {cid: "" for cid in pd.unique(table.conversation_id)}
    for cid, group in ordered.groupby("conversation_id", sort=False):
        texts[cid] = " \n ".join(normalise_for_dedup(t) for t in group.text if isinstance(t, str))
    return texts


@dataclass(frozen=True)
class ExactDuplicates(Step):
    """Drop conversations identical (after normalisation) to an earlier one."""

    name: ClassVar[str] = "exact_duplicates"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        seen: dict[str, str] = {}
        reasons = {}
        for cid, text in conversation_texts(table).items():
            key = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            if key in seen:
                reasons[cid] = (f"exact duplicate of conversation {seen[key]}", seen[key])
            else:
                seen[key] = cid
        return drop_conversations(table, reasons, self.name)


@dataclass(frozen=True)
class NearDuplicates(Step):
    """Drop conversations whose word-shingle Jaccard similarity to an earlier one reaches `threshold`."""

    threshold: float = 0.8
    shingle_size: int = 3
    num_perm: int = 128
    seed: int = 1
    name: ClassVar[str] = "near_duplicates"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        if not 0.0 < self.threshold <= 1.0:
            raise InputError("threshold must be in (0, 1]", field="threshold", value=self.threshold)
        if self.shingle_size < 1:
            raise InputError("shingle_size must be at least 1", field="shingle_size", value=self.shingle_size)
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        signatures: dict[str, MinHash] = {}
        reasons = {}
        for cid, text in conversation_texts(table).items():
            words = text.split()
            shingles = {" ".join(words[i:i + self.shingle_size])
                        for i in range(max(1, len(words) - self.shingle_size + 1))} if words else set()
            if not shingles:
                continue
            sig = MinHash(num_perm=self.num_perm, seed=self.seed)
            sig.update_batch([s.encode() for s in shingles])
            matches = [m for m in lsh.query(sig) if signatures[m].jaccard(sig) >= self.threshold]
            if matches:
                best = max(matches, key=lambda m: signatures[m].jaccard(sig))
                reasons[cid] = (f"near duplicate of conversation {best} (Jaccard ≈ "
                                f"{signatures[best].jaccard(sig):.2f} ≥ {self.threshold})", best)
                continue
            lsh.insert(cid, sig)
            signatures[cid] = sig
        return drop_conversations(table, reasons, self.name)
