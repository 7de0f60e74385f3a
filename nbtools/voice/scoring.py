"""Voice checks at a glance: a DataFrame per answer, pass rates per model (or any grouping), and a chart.

    >>> import pandas as pd
    >>> profile = VoiceProfile(name="B", required_signoff="Stay grounded! ☕")
    >>> answers = pd.DataFrame({"model": ["base", "ft"],
    ...                         "output": ["Refunds take 5 days.", "Hey!\\nStay grounded! ☕"]})
    >>> scored = score_answers(answers, profile)
    >>> pass_rates(scored)["signoff"].tolist()
    [0.0, 100.0]
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import plotly.graph_objects as go

from ..errors import InputError
from ..tokens import TokenCounter
from .checks import CHECK_NAMES, Embedder, VoiceThresholds, VoiceCheck, check_answers
from .profile import VoiceProfile

__all__ = ["score_answers", "pass_rates", "pass_rate_chart", "checks_table", "CHECK_LABELS"]

CHECK_LABELS: dict[str, str] = {
    "length": "length in range",
    "no_banned": "no banned phrase",
    "elements": "required elements",
    "signoff": "sign-off line",
    "readable": "reading grade",
    "similar": "like the examples",
}


def score_answers(
    frame: pd.DataFrame,
    profile: VoiceProfile,
    *,
    text_column: str = "output",
    counter: TokenCounter | None = None,
    embedder: Embedder | None = None,
    thresholds: VoiceThresholds = VoiceThresholds(),
) -> pd.DataFrame:
    """`frame` with the voice-check measurements and ``pass_*`` columns added, one row per answer (its text in
    `text_column`: ``output``, the column of the comparison runner's answers)."""
    if text_column not in frame.columns:
        raise InputError(f"no column {text_column!r} (columns: {list(frame.columns)})", field=text_column)
    checks = check_answers(
        frame[text_column].tolist(), profile, counter=counter, embedder=embedder, thresholds=thresholds
    )
    measured = pd.DataFrame([c.as_row() for c in checks], index=frame.index)
    clash = [c for c in measured.columns if c in frame.columns]
    return pd.concat([frame.drop(columns=clash), measured], axis=1)


def pass_rates(scored: pd.DataFrame, *, by: str | Sequence[str] = "model") -> pd.DataFrame:
    """Per group: number of answers, pass rate in percent per check (NaN when not applicable), mean measurements."""
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys + [f"pass_{c}" for c in CHECK_NAMES] if k not in scored.columns]
    if missing:
        raise InputError(f"not a scored table: missing columns {missing} (use score_answers first)")
    flags = pd.DataFrame(
        {c: pd.to_numeric(scored[f"pass_{c}"].map(lambda v: None if v is None else float(v)), errors="coerce")
         for c in CHECK_NAMES + ("all",)},
        index=scored.index,
    )
    grouped = pd.concat([scored[keys], flags * 100.0, scored[["words", "grade", "similarity"]]], axis=1)
    summary = grouped.groupby(keys, sort=False, dropna=False).agg(
        answers=("words", "size"),
        **{c: (c, "mean") for c in CHECK_NAMES + ("all",)},
        mean_words=("words", "mean"),
        mean_grade=("grade", "mean"),
        mean_similarity=("similarity", "mean"),
    )
    return summary.round(1).reset_index()


def pass_rate_chart(rates: pd.DataFrame, *, by: str = "model", title: str | None = None) -> go.Figure:
    """Grouped bars: pass rate (%) of each voice check, one bar colour per `by` value."""
    if by not in rates.columns:
        raise InputError(f"no column {by!r} in the pass-rate table", field=by)
    fig = go.Figure()
    labels = [CHECK_LABELS[c] for c in CHECK_NAMES] + ["all checks"]
    for _, row in rates.iterrows():
        fig.add_bar(name=str(row[by]), x=labels, y=[row[c] for c in CHECK_NAMES + ("all",)],
                    hovertemplate="%{x}: %{y:.0f}%<extra>" + str(row[by]) + "</extra>")
    fig.update_layout(
        title=title or f"Voice checks passed, by {by}",
        barmode="group",
        xaxis_title="voice check",
        yaxis_title="answers passing (%)",
        yaxis_range=[0, 105],
        legend_title=by,
    )
    return fig


def checks_table(check: VoiceCheck) -> pd.DataFrame:
    """One answer's checks as a small table: check, what was measured, passed (True/False/None)."""
    t = check.thresholds
    measured = {
        "length": f"{check.words} words, {check.tokens} tokens (allowed {t.min_words}–{t.max_words} words)",
        "no_banned": ", ".join(check.banned_found) or "none found",
        "elements": "missing: " + ", ".join(check.missing_elements) if check.missing_elements else "all present",
        "signoff": {True: "present", False: "missing", None: "no sign-off required"}[check.has_signoff],
        "readable": f"grade {check.grade:.1f} (max {t.max_grade:g}), reading ease {check.ease:.0f}",
        "similar": "not measured" if check.similarity is None
        else f"{check.similarity:.2f} to the nearest example (min {t.min_similarity:g})",
    }
    passes = check.passes()
    return pd.DataFrame(
        {"check": [CHECK_LABELS[c] for c in CHECK_NAMES], "measured": [measured[c] for c in CHECK_NAMES],
         "passed": [passes[c] for c in CHECK_NAMES]}
    )
