"""Scoring tables and the chart: per answer, per model, recomputed independently from the checks."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from nbtools.errors import InputError
from nbtools.voice import CHECK_NAMES, VoiceProfile, check_answer, checks_table, pass_rate_chart, pass_rates
from nbtools.voice import score_answers

PROFILE = VoiceProfile(name="B", banned_phrases=("per our policy",), required_signoff="Stay grounded! ☕",
                       required_elements=("Hey there",))
ANSWERS = pd.DataFrame(
    {
        "model": ["base", "base", "base", "ft", "ft"],
        "variant": ["long", "long", "none", "short", "short"],
        "output": [
            "Hey there! Your beans ship Monday.\nStay grounded! ☕",
            "Per our policy your beans ship Monday.",
            "ok",
            "Hey there! Refunds take 5 days.\nStay grounded! ☕",
            "Hey there! Pause any time in your account.\nStay grounded! ☕",
        ],
    },
    index=[10, 11, 12, 13, 14],
)


def test_score_answers_adds_one_row_of_checks_per_answer():
    scored = score_answers(ANSWERS, PROFILE)
    assert list(scored.index) == list(ANSWERS.index)
    assert scored[["model", "variant", "output"]].equals(ANSWERS)
    for index, answer in ANSWERS["output"].items():
        expected = check_answer(answer, PROFILE).as_row()
        assert {k: scored.at[index, k] for k in expected} == expected
    assert {f"pass_{c}" for c in CHECK_NAMES} <= set(scored.columns)


@pytest.mark.parametrize("by", ["model", ["model", "variant"]])
def test_pass_rates_equal_a_direct_recount(by):
    scored = score_answers(ANSWERS, PROFILE)
    rates = pass_rates(scored, by=by)
    keys = [by] if isinstance(by, str) else by
    for _, row in rates.iterrows():
        mask = (ANSWERS[keys] == row[keys].values).all(axis=1)
        checks = [check_answer(a, PROFILE) for a in ANSWERS.loc[mask, "output"]]
        assert row["answers"] == len(checks)
        for name in CHECK_NAMES:
            flags = [c.passes()[name] for c in checks if c.passes()[name] is not None]
            expected = round(100 * sum(flags) / len(flags), 1) if flags else math.nan
            assert row[name] == pytest.approx(expected, nan_ok=True)
        assert row["all"] == pytest.approx(round(100 * sum(c.passed for c in checks) / len(checks), 1))
        assert row["mean_words"] == pytest.approx(round(sum(c.words for c in checks) / len(checks), 1))
    assert math.isnan(rates["mean_similarity"].iloc[0])  # no embedder: not measured


def test_chart_has_one_bar_series_per_model_and_labelled_axes():
    rates = pass_rates(score_answers(ANSWERS, PROFILE))
    fig = pass_rate_chart(rates)
    assert [t.name for t in fig.data] == ["base", "ft"]
    assert len(fig.data[0].x) == len(CHECK_NAMES) + 1
    assert list(fig.data[1].y[:4]) == [rates.iloc[1][c] for c in CHECK_NAMES[:4]]
    assert fig.layout.title.text and "%" in fig.layout.yaxis.title.text and fig.layout.xaxis.title.text


def test_checks_table_is_one_row_per_check():
    check = check_answer("Per our policy it ships Monday.", PROFILE)
    table = checks_table(check)
    assert len(table) == len(CHECK_NAMES)
    assert table.set_index("check")["passed"].to_dict()["no banned phrase"] is False
    assert "per our policy" in table.set_index("check")["measured"]["no banned phrase"]


def test_wrong_tables_are_named():
    with pytest.raises(InputError, match="no column 'reply'"):
        score_answers(ANSWERS, PROFILE, text_column="reply")
    with pytest.raises(InputError, match="not a scored table"):
        pass_rates(ANSWERS)
