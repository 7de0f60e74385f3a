"""The token-count chart: a histogram of billed tokens per example. It returns the figure; it never shows it."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

__all__ = ["token_histogram"]


def token_histogram(counts: Sequence[int], *, limit: int | None = None, title: str | None = None) -> go.Figure:
    """Histogram of billed tokens per example, with the model's per-example limit marked when given.

    >>> token_histogram([10, 20, 30, 500], limit=400).layout.xaxis.title.text
    'tokens per example'
    """
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
