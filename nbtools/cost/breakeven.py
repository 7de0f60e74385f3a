"""Custom instructions or fine-tuning? Cost per 1,000 conversations over a range of monthly volumes, and where the
fine-tune's one-off training cost is paid back.

An option costs a fixed amount once (training; 0 for custom instructions) plus a price per conversation (prompt and
reply tokens at the model's prices). Over a horizon of `months` at a monthly volume V, its cost per 1,000
conversations is ``1000 × (per_conversation + fixed / (V × months))``: the fixed cost is spread over every
conversation of the horizon. The per-conversation figures come from :mod:`.inference` (measured token counts
times the price table); this module only spreads and compares them, and :func:`payback_count` is the one
break-even formula (:attr:`.InferenceComparison.break_even_requests` uses it too). The chart is in :mod:`.charts`.

    >>> instructions = OptionCost("base + long instructions", per_conversation=0.0004)
    >>> fine_tune = OptionCost("fine-tuned + short prompt", per_conversation=0.0001, fixed=6.0)
    >>> break_even_monthly_volume(instructions, fine_tune, months=12)
    BreakEven(monthly_volume=1666.67, reason='fine-tuned + short prompt is cheaper from 1,667 conversations a month')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .inference import InferenceComparison

__all__ = [
    "OptionCost",
    "BreakEven",
    "cost_per_1000_by_volume",
    "break_even_monthly_volume",
    "payback_count",
    "volume_range",
    "options_from_comparison",
]


@dataclass(frozen=True)
class OptionCost:
    """One way to get the voice: dollars per conversation, plus a one-off cost (e.g. training)."""

    label: str
    per_conversation: float
    fixed: float = 0.0

    def __post_init__(self) -> None:
        for name in ("per_conversation", "fixed"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                raise InputError("costs must be numbers ≥ 0", field=name, value=value)


@dataclass(frozen=True)
class BreakEven:
    """The monthly volume above which the second option is cheaper over the horizon (None: never), and why."""

    monthly_volume: float | None
    reason: str


def options_from_comparison(comparison: "InferenceComparison") -> tuple[OptionCost, OptionCost]:
    """The two options of a :func:`nbtools.cost.compare_inference` result: dollars per conversation (every turn
    resends the prompt) and, for the fine-tune, its training cost once."""
    instructed, finetuned = comparison.instructed, comparison.finetuned
    return (
        OptionCost(instructed.label, per_conversation=instructed.cost_per_1k_conversations / 1000),
        OptionCost(finetuned.label, per_conversation=finetuned.cost_per_1k_conversations / 1000,
                   fixed=comparison.training_cost_usd),
    )


def volume_range(low: int = 100, high: int = 1_000_000, points: int = 41) -> np.ndarray:
    """Monthly volumes spaced evenly on a log scale, for charts.

    >>> volume_range(10, 1000, 3).tolist()
    [10.0, 100.0, 1000.0]
    """
    if not 0 < low < high:
        raise InputError("need 0 < low < high", field="low", value=(low, high))
    return np.logspace(math.log10(low), math.log10(high), points)


def cost_per_1000_by_volume(
    options: Sequence[OptionCost], volumes: Sequence[float], *, months: int = 12
) -> pd.DataFrame:
    """Long table: monthly_volume, option, cost_per_1000 (dollars), total_cost over `months` (dollars)."""
    if months < 1:
        raise InputError("the horizon must be at least one month", field="months", value=months)
    rows = []
    for volume in volumes:
        if volume <= 0:
            raise InputError("monthly volumes must be > 0", field="volumes", value=volume)
        conversations = volume * months
        for option in options:
            total = option.fixed + option.per_conversation * conversations
            rows.append({"monthly_volume": float(volume), "option": option.label,
                         "cost_per_1000": 1000.0 * total / conversations, "total_cost": total})
    return pd.DataFrame(rows, columns=["monthly_volume", "option", "cost_per_1000", "total_cost"])


def payback_count(extra: float, saving: float) -> float | None:
    """How many uses pay back `extra` dollars paid once when each use saves `saving` dollars: 0 when nothing needs
    paying back, None when it never is.

    >>> payback_count(6.0, 0.0003), payback_count(0.0, 0.0003), payback_count(6.0, -0.0001)
    (20000.0, 0.0, None)
    """
    if extra <= 0 and saving >= 0:
        return 0.0
    if saving <= 0:
        return None
    return extra / saving


def break_even_monthly_volume(first: OptionCost, second: OptionCost, *, months: int = 12) -> BreakEven:
    """From which monthly volume `second` costs less than `first` over `months` (honest about "never")."""
    if months < 1:
        raise InputError("the horizon must be at least one month", field="months", value=months)
    saving = first.per_conversation - second.per_conversation  # per conversation, by choosing `second`
    conversations = payback_count(second.fixed - first.fixed, saving)
    if conversations == 0:
        return BreakEven(0.0, f"{second.label} is never more expensive")
    if conversations is None:
        return BreakEven(None, f"{second.label} never breaks even: it costs as much or more per conversation "
                               f"(${second.per_conversation:.6f} vs ${first.per_conversation:.6f})")
    volume = conversations / months
    return BreakEven(round(volume, 2), f"{second.label} is cheaper from {volume:,.0f} conversations a month")
