"""Summary statistics of per-example token counts.

    >>> token_stats([10, 20, 30, 40], limit=35)
    TokenStatsSummary(n=4, total=100, min=10, mean=25.0, median=25.0, p90=37.0, max=40, over_limit=1, limit=35)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["TokenStatsSummary", "token_stats"]


@dataclass(frozen=True)
class TokenStatsSummary:
    """min / mean / median / p90 / max of per-example tokens, and how many exceed `limit`."""

    n: int
    total: int
    min: int
    mean: float
    median: float
    p90: float
    max: int
    over_limit: int
    limit: int | None


def token_stats(counts: Sequence[int] | np.ndarray, *, limit: int | None = None) -> TokenStatsSummary:
    """Distribution summary of `counts` (one number per example)."""
    a = np.asarray(counts, dtype=np.int64)
    if a.size == 0:
        raise InputError("no token counts to summarise", field="counts", value=[])
    return TokenStatsSummary(
        n=int(a.size),
        total=int(a.sum()),
        min=int(a.min()),
        mean=round(float(a.mean()), 2),
        median=float(np.median(a)),
        p90=round(float(np.percentile(a, 90)), 2),
        max=int(a.max()),
        over_limit=int((a > limit).sum()) if limit else 0,
        limit=limit,
    )
