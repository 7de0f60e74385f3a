"""Eval results as tables and charts: pass rate per check per set-up, a score per set-up, the eval's choice in a pair.

All functions take the eval table (:attr:`EvalResult.table`: one row per answer and check).

    >>> table = pd.DataFrame({"case_id": ["a", "a", "b", "b"], "setup": ["tuned"] * 4, "check": ["stopped", "fact"] * 2,
    ...                       "passed": [True, True, True, False]})
    >>> eval_summary(table).to_dict("records")
    [{'setup': 'tuned', 'answers': 2, 'stopped': 100.0, 'fact': 50.0, 'all checks': 50.0}]
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from ..errors import InputError
from .checks import CHECK_ORDER

__all__ = ["eval_summary", "eval_scores", "eval_chart", "eval_choice", "best_setup"]

_NEEDED = ("case_id", "setup", "check", "passed")


def _checked(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _NEEDED if c not in getattr(table, "columns", ())]
    if missing:
        raise InputError("not an eval table (run_eval(...).table)", field="columns", value=missing)
    return table


def _order(values: pd.Series, known: tuple[str, ...] = ()) -> list[str]:
    seen = list(dict.fromkeys(values))
    return [v for v in known if v in seen] + [v for v in seen if v not in known]


def eval_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per set-up: answers checked, the pass rate (%) of each check, and of all checks together.

    A check that applies to some questions only (the fact check) is rated over those questions.
    """
    table = _checked(table)
    checks = _order(table["check"], CHECK_ORDER)
    rows = []
    for setup in _order(table["setup"]):
        part = table[table["setup"] == setup]
        row: dict[str, Any] = {"setup": setup, "answers": part["case_id"].nunique()}
        for check in checks:
            mine = part[part["check"] == check]
            row[check] = 100.0 * mine["passed"].mean() if len(mine) else float("nan")
        row["all checks"] = 100.0 * part.groupby("case_id")["passed"].all().mean()
        rows.append(row)
    return pd.DataFrame(rows)


def eval_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Per set-up: checks passed (%), answers passing every check (%), best first (ties keep set-up order)."""
    table = _checked(table)
    rows = []
    for setup in _order(table["setup"]):
        part = table[table["setup"] == setup]
        model = part["model"].iloc[0] if "model" in part.columns else None
        rows.append({"setup": setup, "model": model, "checks_passed_pct": 100.0 * part["passed"].mean(),
                     "answers_passing_all_pct": 100.0 * part.groupby("case_id")["passed"].all().mean()})
    frame = pd.DataFrame(rows)
    return frame.sort_values(["checks_passed_pct", "answers_passing_all_pct"], ascending=False,
                             kind="stable").reset_index(drop=True)


def best_setup(table: pd.DataFrame, *, among: Sequence[str] | None = None) -> dict[str, Any]:
    """The set-up with the highest share of checks passed: ``{"setup", "model", "checks_passed_pct", ...}``.

    `among` limits the choice to these set-up labels (for example the fine-tuned model and its checkpoints).

    >>> table = pd.DataFrame({"case_id": ["a", "a", "a"], "setup": ["step 3", "step 6", "base"],
    ...                       "model": ["m3", "m6", "m"], "check": ["stopped"] * 3, "passed": [False, True, True]})
    >>> best_setup(table)["model"], best_setup(table, among=["step 3", "step 6"])["model"]
    ('m6', 'm6')
    """
    table = _checked(table)
    if among is not None:
        unknown = [label for label in among if label not in set(table["setup"])]
        if unknown or not among:
            raise InputError("no such set-up in the eval table", field="among", value=unknown or list(among))
        table = table[table["setup"].isin(list(among))]
    return eval_scores(table).iloc[0].to_dict()


def eval_chart(table: pd.DataFrame, *, title: str | None = None):
    """Grouped bars: the pass rate (%) of each check (x) for each set-up (colour), as a plotly Figure."""
    import plotly.graph_objects as go

    summary = eval_summary(table)
    checks = [c for c in summary.columns if c not in ("setup", "answers")]
    figure = go.Figure()
    for row in summary.to_dict("records"):
        figure.add_bar(x=checks, y=[row[c] for c in checks], name=row["setup"],
                       hovertemplate="%{x}: %{y:.0f}% passed<extra>" + row["setup"] + "</extra>")
    figure.update_layout(barmode="group", title=title or "Eval: pass rate per check and set-up",
                         xaxis_title="check", yaxis_title="answers passing (%)", yaxis_range=[0, 100],
                         legend_title_text="set-up")
    return figure


def eval_choice(table: pd.DataFrame, pairing: Any) -> str:
    """The eval's verdict on a blind pair (:class:`nbtools.Pairing`): ``left`` or ``right`` for the side whose
    answer passed more checks, ``tie`` when both passed as many.

    >>> from types import SimpleNamespace as P
    >>> table = pd.DataFrame({"case_id": ["a"] * 4, "question": ["Hi?"] * 4, "setup": ["x", "x", "y", "y"],
    ...                       "check": ["stopped", "voice"] * 2, "passed": [True, True, True, False]})
    >>> eval_choice(table, P(prompt="Hi?", left_setup="y", right_setup="x"))
    'right'
    """
    table = _checked(table)
    mine = table[table["question"] == pairing.prompt]

    def passed(setup: str) -> int:
        rows = mine[mine["setup"] == setup]
        if rows.empty:
            raise InputError("the eval has no answer of this set-up to this question", field="pairing",
                             value=f"{setup}: {pairing.prompt}")
        return int(rows["passed"].sum())

    left, right = passed(pairing.left_setup), passed(pairing.right_setup)
    return "tie" if left == right else "left" if left > right else "right"
