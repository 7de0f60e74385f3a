"""Custom instructions vs fine-tuning: cost per 1,000 conversations over volumes, break-even, chart."""

from __future__ import annotations

import math

import pytest

from nbtools.errors import InputError
from nbtools.cost import (
    OptionCost,
    break_even_monthly_volume,
    cost_per_1000_by_volume,
    options_from_comparison,
    volume_cost_chart,
    volume_range,
)

LONG = OptionCost("base + long instructions", per_conversation=0.0005)
TUNED = OptionCost("fine-tuned + short prompt", per_conversation=0.0002, fixed=9.0)


def test_cost_per_1000_spreads_the_fixed_cost_over_the_horizon():
    table = cost_per_1000_by_volume([LONG, TUNED], [100, 10_000], months=6)
    assert len(table) == 4
    for row in table.itertuples():
        option = LONG if row.option == LONG.label else TUNED
        conversations = row.monthly_volume * 6
        assert row.total_cost == pytest.approx(option.fixed + option.per_conversation * conversations)
        assert row.cost_per_1000 == pytest.approx(1000 * row.total_cost / conversations)
    assert table[table.option == LONG.label]["cost_per_1000"].nunique() == 1  # no fixed cost: flat


@pytest.mark.parametrize("months", [1, 6, 12, 36])
def test_break_even_is_where_the_costs_cross(months):
    found = break_even_monthly_volume(LONG, TUNED, months=months)
    assert found.monthly_volume == pytest.approx(9.0 / (0.0003 * months), abs=0.01)
    below, above = cost_per_1000_by_volume([LONG, TUNED], [found.monthly_volume * 0.9, found.monthly_volume * 1.1],
                                 months=months).groupby("monthly_volume")
    costs_below = below[1].set_index("option")["cost_per_1000"]
    costs_above = above[1].set_index("option")["cost_per_1000"]
    assert costs_below[TUNED.label] > costs_below[LONG.label]
    assert costs_above[TUNED.label] < costs_above[LONG.label]


@pytest.mark.parametrize(
    "first, second, volume, says",
    [
        (LONG, OptionCost("dearer per call", 0.0006, fixed=9.0), None, "never breaks even"),
        (LONG, OptionCost("same per call", 0.0005, fixed=1.0), None, "never breaks even"),
        (LONG, OptionCost("free training", 0.0002), 0.0, "never more expensive"),
        (OptionCost("a", 0.001, fixed=5.0), OptionCost("b", 0.0005, fixed=2.0), 0.0, "never more expensive"),
    ],
)
def test_break_even_edge_cases_are_honest(first, second, volume, says):
    found = break_even_monthly_volume(first, second)
    assert found.monthly_volume == volume and says in found.reason


def test_chart_marks_the_break_even_on_a_log_axis():
    found = break_even_monthly_volume(LONG, TUNED)
    fig = volume_cost_chart(cost_per_1000_by_volume([LONG, TUNED], volume_range(100, 100_000, 13)), break_even=found)
    assert [t.name for t in fig.data] == [LONG.label, TUNED.label]
    assert fig.layout.xaxis.type == "log" and "USD" in fig.layout.yaxis.title.text and fig.layout.title.text
    (line,) = fig.layout.shapes
    assert line.x0 == pytest.approx(found.monthly_volume)
    (note,) = fig.layout.annotations
    assert note.x == pytest.approx(math.log10(found.monthly_volume))  # annotations use log units on log axes
    assert not volume_cost_chart(cost_per_1000_by_volume([LONG], [100])).layout.shapes


@pytest.mark.parametrize(
    "call",
    [lambda: OptionCost("x", -1.0), lambda: OptionCost("x", float("nan")), lambda: cost_per_1000_by_volume([LONG], [0]),
     lambda: cost_per_1000_by_volume([LONG], [10], months=0), lambda: volume_range(10, 5)],
)
def test_bad_inputs_are_refused(call):
    with pytest.raises(InputError):
        call()


@pytest.mark.parametrize("turns", [1, 3])
def test_options_from_the_cost_comparison_agree_with_its_break_even(turns):
    from nbtools.cost import compare_inference

    comparison = compare_inference(
        model="gpt-4o-mini-2024-07-18", long_prompt="Always greet warmly and end with our sign-off. " * 60,
        short_prompt="You are Brewtiful Coffee's support assistant.",
        user_messages=["Where is my order?", "Can I pause my plan?"], output_tokens=60, training_cost_usd=0.5,
        turns_per_conversation=turns,
    )
    instructed, tuned = options_from_comparison(comparison)
    assert tuned.fixed == 0.5 and instructed.fixed == 0
    huge = cost_per_1000_by_volume([instructed, tuned], [1e12]).set_index("option")["cost_per_1000"]
    assert huge[instructed.label] == pytest.approx(comparison.instructed.cost_per_1k_conversations)
    assert huge[tuned.label] == pytest.approx(comparison.finetuned.cost_per_1k_conversations, rel=1e-6)
    found = break_even_monthly_volume(instructed, tuned, months=12)
    requests = found.monthly_volume * 12 * turns  # conversations over the horizon, times turns each
    assert requests == pytest.approx(comparison.break_even_requests, abs=turns + 1)


@pytest.mark.parametrize(
    "extra, saving, expected",
    [(6.0, 0.0003, 20_000.0), (0.0, 0.0003, 0.0), (-1.0, 0.0, 0.0), (6.0, 0.0, None), (6.0, -0.0001, None),
     (0.0, -0.0001, None)],
)
def test_payback_count_is_the_one_break_even_formula(extra, saving, expected):
    from nbtools.cost import payback_count

    found = payback_count(extra, saving)
    assert found == (pytest.approx(expected) if expected else expected)
    if found:  # after that many uses the savings equal what was paid once
        assert found * saving == pytest.approx(extra)
