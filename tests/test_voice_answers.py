"""Held-out questions from chat examples, and set-up validation (the model calls: tests/test_voice_live.py)."""

from __future__ import annotations

import pytest

from nbtools.errors import InputError
from nbtools.voice import VoiceSetup, collect_answers
from nbtools.voice.answers import user_questions


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


def test_setup_labels_must_be_unique():
    setups = [VoiceSetup("same", "m1"), VoiceSetup("same", "m2")]
    with pytest.raises(InputError, match="labels must be unique"):
        collect_answers(object(), ["Hi"], setups)
