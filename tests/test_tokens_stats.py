"""Token statistics (nbtools.tokens.stats) against Python's statistics module, and the token histogram."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from nbtools.errors import InputError
from nbtools.tokens import TokenStats, token_histogram, token_stats


@pytest.mark.parametrize(
    "counts, limit",
    [([5, 1, 9, 3], 4), ([41, 19, 131, 60, 75], None), ([7], 7), (list(range(1, 1001)), 900), ([0, 0, 3], 1)],
)
def test_token_stats_match_the_statistics_module(counts, limit):
    s = token_stats(counts, limit=limit)
    quantiles = statistics.quantiles(counts, n=20, method="inclusive") if len(counts) > 1 else [counts[0]] * 19
    assert (s.n, s.total, s.min, s.max) == (len(counts), sum(counts), min(counts), max(counts))
    assert s.mean == pytest.approx(statistics.fmean(counts), abs=0.005)
    assert s.median == statistics.median(counts)
    assert s.p90 == pytest.approx(quantiles[17], abs=0.005) and s.p95 == pytest.approx(quantiles[18], abs=0.005)
    assert s.over_limit == (sum(c > limit for c in counts) if limit else 0) and s.limit == limit
    assert s.as_dict()["p95"] == s.p95


def test_no_counts_is_a_clear_error():
    with pytest.raises(InputError, match="no token counts"):
        token_stats([])


def test_validation_token_counts_summarise_with_the_same_statistics():
    totals = np.array([40, 120, 60, 75], dtype=np.uint32)
    stats = TokenStats("o200k_base", "gpt-4o-mini", 100, lines=np.array([1, 2, 4, 5]), totals=totals,
                       trained=np.array([10, 30, 20, 5], dtype=np.uint32))
    summary, reference = stats.summary(), token_stats(totals, limit=100)
    assert (summary["billed_total"], summary["trained_total"], summary["n_over_limit"]) == (295, 65, 1)
    assert {k: summary[k] for k in ("min", "mean", "median", "p90", "max")} == {
        k: getattr(reference, k) for k in ("min", "mean", "median", "p90", "max")}
    empty = TokenStats(None, None, None, lines=np.array([]), totals=np.array([]), trained=np.array([]))
    assert empty.summary()["n"] == 0 and "median" not in empty.summary()


@pytest.mark.parametrize("limit, marked", [(400, True), (None, False), (10_000, False)])
def test_histogram_is_titled_labelled_and_marks_a_near_limit(limit, marked):
    fig = token_histogram([10, 20, 30, 500], limit=limit)
    assert fig.layout.title.text and fig.layout.xaxis.title.text == "tokens per example"
    assert bool(fig.layout.shapes) is marked
