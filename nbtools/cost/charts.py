"""Plotly figures of costs: training cost by model, cumulative cost to break-even, cost per 1,000 conversations by
monthly volume. Functions return figures; they never show them (the token histogram is in :mod:`nbtools.tokens`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from ..errors import InputError
from .breakeven import BreakEven
from .inference import InferenceComparison

__all__ = ["training_cost_bar", "break_even_figure", "volume_cost_chart"]


def training_cost_bar(estimates: pd.DataFrame, *, title: str = "Training cost by model") -> go.Figure:
    """Bar chart of `cost_usd` per model from :func:`nbtools.cost.training.estimate_training_table`."""
    fig = px.bar(estimates, x="model", y="cost_usd", text_auto=".3f")
    fig.update_layout(title=title, xaxis_title="model", yaxis_title="training cost (US dollars)")
    return fig


def break_even_figure(
    comparison: InferenceComparison, *, max_requests: int | None = None, points: int = 200
) -> go.Figure:
    """Cumulative cost of both options against the number of requests, with the break-even point marked."""
    be = comparison.break_even_requests
    top = max_requests or (int(be * 2) if be else 100_000)
    frame = comparison.cumulative_costs(np.linspace(0, top, points).astype(np.int64))
    long = frame.melt(id_vars="requests", var_name="option", value_name="cost_usd")
    fig = px.line(long, x="requests", y="cost_usd", color="option")
    fig.update_layout(
        title=f"Custom instructions vs fine-tuning ({comparison.instructed.model}): cumulative cost",
        xaxis_title="requests (one user turn each)",
        yaxis_title="cumulative cost (US dollars)",
    )
    if be:
        cost = comparison.training_cost_usd + be * comparison.finetuned.cost_per_request
        fig.add_trace(go.Scatter(x=[be], y=[cost], mode="markers+text", name="break-even",
                                 text=[f"break-even at {be:,} requests"], textposition="top left",
                                 marker={"size": 10, "color": "black"}))
    return fig


def volume_cost_chart(
    table: pd.DataFrame, *, break_even: BreakEven | None = None, months: int = 12, title: str | None = None
) -> go.Figure:
    """Cost per 1,000 conversations vs monthly volume (log axis), one line per option, the break-even marked."""
    needed = {"monthly_volume", "option", "cost_per_1000"}
    if not needed <= set(table.columns):
        raise InputError(f"not a cost_per_1000_by_volume table: missing {sorted(needed - set(table.columns))}")
    fig = go.Figure()
    for option, rows in table.groupby("option", sort=False):
        fig.add_scatter(x=rows["monthly_volume"], y=rows["cost_per_1000"], mode="lines", name=str(option),
                        hovertemplate="%{x:,.0f} a month: $%{y:.4f} per 1,000<extra>" + str(option) + "</extra>")
    if break_even is not None and break_even.monthly_volume:
        # Shapes take data units but annotations on a log axis take log10 units (plotly.py issue #2580).
        fig.add_vline(x=break_even.monthly_volume, line_dash="dash", line_color="grey")
        fig.add_annotation(x=math.log10(break_even.monthly_volume), xref="x", y=1.0, yref="paper",
                           yanchor="bottom", showarrow=False,
                           text=f"break-even ≈ {break_even.monthly_volume:,.0f} a month")
    fig.update_layout(
        title=title or f"Cost per 1,000 conversations over {months} months",
        xaxis_title="conversations per month (log scale)",
        yaxis_title="cost per 1,000 conversations (USD)",
        xaxis_type="log",
        legend_title="option",
    )
    return fig
