"""Plotly figures for token counts and costs. Functions return figures; they never show them."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from .inference import InferenceComparison

__all__ = ["token_histogram", "training_cost_bar", "break_even_figure"]


def token_histogram(counts: Sequence[int], *, limit: int | None = None, title: str | None = None) -> go.Figure:
    """Histogram of billed tokens per example, with the model's per-example limit marked when given."""
    a = np.asarray(counts)
    fig = px.histogram(x=a, nbins=min(60, max(10, a.size // 5)))
    fig.update_layout(
        title=title or f"Billed tokens per training example (n={a.size})",
        xaxis_title="tokens per example",
        yaxis_title="examples",
        bargap=0.05,
    )
    if limit is not None and a.size and limit <= a.max() * 1.5:
        fig.add_vline(x=limit, line_dash="dash", line_color="red", annotation_text=f"limit {limit:,}")
    return fig


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
