"""Statistics of per-example token counts: the one place that computes min / mean / median / p90 / p95 / max.

:func:`token_stats` summarises any list of counts; :class:`TokenStats` holds the counts a validation pass measured
(billed and trained tokens per valid example, with their line numbers) and summarises them with it.

    >>> token_stats([10, 20, 30, 40], limit=35)
    TokenStatsSummary(n=4, total=100, min=10, mean=25.0, median=25.0, p90=37.0, p95=38.5, max=40, over_limit=1, \
limit=35)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["TokenStats", "TokenStatsSummary", "token_stats"]


@dataclass(frozen=True)
class TokenStatsSummary:
    """n, total, min / mean / median / p90 / p95 / max of per-example tokens, and how many exceed `limit`."""

    n: int
    total: int
    min: int
    mean: float
    median: float
    p90: float
    p95: float
    max: int
    over_limit: int
    limit: int | None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-ready)."""
        return dataclasses.asdict(self)


def token_stats(counts: Sequence[int] | np.ndarray, *, limit: int | None = None) -> TokenStatsSummary:
    """Distribution summary of `counts` (one number per example); means and percentiles rounded to 2 places.

    >>> token_stats([5, 1, 9, 3], limit=4).over_limit
    2
    """
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
        p95=round(float(np.percentile(a, 95)), 2),
        max=int(a.max()),
        over_limit=int((a > limit).sum()) if limit else 0,
        limit=limit,
    )


@dataclass(frozen=True, eq=False)
class TokenStats:
    """Per-example token counts (billed total and trained) of the valid examples, with their line numbers.

    >>> stats = TokenStats("o200k_base", "gpt-4o-mini", 100, lines=np.array([1, 2, 4]),
    ...                    totals=np.array([40, 120, 60]), trained=np.array([10, 30, 20]))
    >>> stats.billed_total, stats.trained_total, stats.n_over_limit, stats.summary()["median"]
    (220, 60, 1, 60.0)
    """

    encoding: str | None
    model: str | None
    limit: int | None
    lines: np.ndarray = field(repr=False)
    totals: np.ndarray = field(repr=False)
    trained: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        """Number of counted examples."""
        return int(self.totals.size)

    @property
    def billed_total(self) -> int:
        """Billed tokens of one epoch over every counted example."""
        return int(self.totals.sum(dtype=np.int64))

    @property
    def trained_total(self) -> int:
        """Tokens trained on in one epoch (assistant messages with weight 1, both DPO outputs)."""
        return int(self.trained.sum(dtype=np.int64))

    @property
    def n_over_limit(self) -> int:
        """Examples over the model's per-example limit (0 when the limit is unknown)."""
        return 0 if self.limit is None else int((self.totals > self.limit).sum())

    def summary(self) -> dict[str, Any]:
        """Totals and the distribution (min, mean, median, p90, max) of billed tokens per example."""
        stats: dict[str, Any] = {"encoding": self.encoding, "model": self.model, "limit": self.limit, "n": self.n,
                                 "billed_total": self.billed_total, "trained_total": self.trained_total,
                                 "n_over_limit": self.n_over_limit}
        if self.n:
            billed = token_stats(self.totals)
            stats.update({key: getattr(billed, key) for key in ("min", "mean", "median", "p90", "max")})
        return stats
