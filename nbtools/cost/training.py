"""What a fine-tune costs: billed training tokens, dollars, or CPU time for local models.

Billing follows the provider: every example is billed for its tokens (message overhead included, as counted by
:class:`nbtools.tokens.TokenCounter`), capped at the model's maximum tokens per training example (longer examples are
truncated, not rejected), times the number of epochs.

    >>> est = estimate_training([100, 200, 300] * 10, model="gpt-4o-mini-2024-07-18", n_epochs=3)
    >>> est.billed_tokens_per_epoch, est.billed_tokens, round(est.cost_usd, 4)
    (6000, 18000, 0.054)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from .epochs import resolve_epochs
from .prices import price_for

__all__ = ["TrainingEstimate", "estimate_training", "estimate_training_table"]


@dataclass(frozen=True)
class TrainingEstimate:
    """A training estimate for one model. `cost_usd` is 0 and `cpu_seconds` set for local models."""

    model: str
    n_examples: int
    n_epochs: int
    billed_tokens_per_epoch: int
    billed_tokens: int
    examples_over_limit: int
    max_training_example_tokens: int
    cost_usd: float
    cpu_seconds: float | None
    price_as_of: str

    def summary(self) -> dict:
        """Plain dict for tables and JSON output."""
        return dict(vars(self))


def estimate_training(
    token_counts: Sequence[int] | np.ndarray,
    *,
    model: str,
    n_epochs: int | str = "auto",
    table: str | os.PathLike[str] | None = None,
) -> TrainingEstimate:
    """Training estimate from per-example billed token counts (e.g. ``ValidationReport.tokens.totals``)."""
    counts = np.asarray(token_counts, dtype=np.int64)
    if counts.ndim != 1 or counts.size == 0:
        raise InputError("token_counts must be a non-empty list of per-example token counts", field="token_counts",
                         value=list(counts.ravel()[:5]))
    if (counts < 0).any():
        raise InputError("token counts cannot be negative", field="token_counts", value=int(counts.min()))
    price = price_for(model, table=table)
    epochs = resolve_epochs(n_epochs, int(counts.size))
    limit = price.max_training_example_tokens
    per_epoch = int(np.minimum(counts, limit).sum())
    billed = per_epoch * epochs
    cpu_seconds = None
    if price.is_local and price.cpu_train_tokens_per_second:
        cpu_seconds = billed / price.cpu_train_tokens_per_second
    return TrainingEstimate(
        model=price.model,
        n_examples=int(counts.size),
        n_epochs=epochs,
        billed_tokens_per_epoch=per_epoch,
        billed_tokens=billed,
        examples_over_limit=int((counts > limit).sum()),
        max_training_example_tokens=limit,
        cost_usd=billed / 1_000_000 * price.training_per_1m_tokens,
        cpu_seconds=cpu_seconds,
        price_as_of=price.as_of.isoformat(),
    )


def estimate_training_table(
    token_counts_by_model: dict[str, Sequence[int]],
    *,
    n_epochs: int | str = "auto",
    table: str | os.PathLike[str] | None = None,
):
    """One estimate row per model (counts per model, since tokenizers differ) as a DataFrame."""
    import pandas as pd

    rows = [estimate_training(c, model=m, n_epochs=n_epochs, table=table).summary()
            for m, c in token_counts_by_model.items()]
    return pd.DataFrame(rows)
