"""Held-out questions from chat examples (the set-ups answering them are the compare room's: tests/test_voice_live.py
runs them against the real server)."""

from __future__ import annotations

import pytest

from nbtools.voice import user_questions


def chat(*pairs):
    return {"messages": [{"role": role, "content": text} for role, text in pairs]}


@pytest.mark.parametrize(
    "examples, n, expected",
    [
        ([chat(("system", "S"), ("user", "Q1"), ("assistant", "A"))], None, ["Q1"]),
        ([chat(("user", "Q1"), ("assistant", "A"), ("user", "Q2"), ("assistant", "B"))], None, ["Q1"]),
        ([chat(("user", "Q1")), chat(("user", "Q1")), chat(("user", "Q2"))], None, ["Q1", "Q2"]),
        ([chat(("user", "Q1")), chat(("user", "Q2")), chat(("user", "Q3"))], 2, ["Q1", "Q2"]),
        ([{"input": {"messages": []}}, chat(("assistant", "A")), chat(("user", "  ")), {"messages": None}], None, []),
        ([chat(("user", "Q1"), ("tool", "{}"), ("assistant", "A"))], None, ["Q1"]),
    ],
)
def test_user_questions(examples, n, expected):
    assert user_questions(examples, n=n) == expected
