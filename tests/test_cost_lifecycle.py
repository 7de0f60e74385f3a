"""Lifecycle warnings from the table's dates (OpenAI: last new fine-tuning jobs 2027-01-06, shutdowns 2027-01-14)."""

from __future__ import annotations

import datetime as dt

import pytest

from nbtools.cost import fine_tuning_status


@pytest.mark.parametrize(
    "model, on, can_tune, served, n_warnings",
    [
        ("gpt-4o-mini", dt.date(2026, 6, 1), True, True, 0),
        ("gpt-4o-mini", dt.date(2026, 11, 25), True, True, 2),  # both deadlines within 90 days
        ("gpt-4o-mini", dt.date(2027, 1, 6), True, True, 2),  # the last day still counts
        ("gpt-4o-mini", dt.date(2027, 1, 7), False, True, 2),
        ("gpt-4o-mini", dt.date(2027, 1, 14), False, False, 1),
        ("gpt-3.5-turbo-0125", dt.date(2026, 11, 25), False, False, 1),
        ("gpt-4.1-nano", dt.date(2026, 11, 25), True, True, 1),  # no shutdown date published
        ("smollm2-135m-instruct", dt.date(2030, 1, 1), True, True, 0),  # ours never retires
    ],
)
def test_status(model, on, can_tune, served, n_warnings):
    s = fine_tuning_status(model, on=on)
    assert (s.can_fine_tune, s.is_served, len(s.warnings)) == (can_tune, served, n_warnings)
    assert s.ok == (can_tune and served)
    for w in s.warnings:
        assert s.model in w
