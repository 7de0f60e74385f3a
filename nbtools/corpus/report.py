"""The cleaning report as a figure: how many rows each step kept, changed and dropped."""

from __future__ import annotations

import plotly.graph_objects as go

from .pipeline import CleaningResult

__all__ = ["cleaning_funnel", "cleaning_bars"]


def cleaning_funnel(result: CleaningResult, *, title: str | None = None) -> go.Figure:
    """Funnel of rows left after each step, from everything read to the cleaned table."""
    report = result.report()
    # first bar: every record read (unreadable ones included); then the rows left after each step
    labels = ["records read", *(s.replace("_", " ") for s in report.step.iloc[1:])]
    values = [int(report["in"].iloc[0]), *(int(v) for v in report["out"].iloc[1:])]
    fig = go.Figure(go.Funnel(y=labels, x=values, textinfo="value+percent initial"))
    fig.update_layout(title=title or f"Cleaning: {result.n_input:,} messages in, {len(result.cleaned):,} kept",
                      yaxis_title="after step", xaxis_title="rows (messages)")
    return fig


def cleaning_bars(result: CleaningResult, *, title: str = "What each cleaning step did") -> go.Figure:
    """Grouped bars: rows modified and dropped per step."""
    report = result.report()
    fig = go.Figure([go.Bar(name="modified", x=report.step, y=report.modified),
                     go.Bar(name="dropped", x=report.step, y=report.dropped)])
    fig.update_layout(barmode="group", title=title, xaxis_title="step", yaxis_title="rows (messages)")
    return fig
