"""SFT examples from the cleaned message table: multi-turn, system prompt, weights, merges, and nothing lost."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbtools.errors import InputError
from nbtools.dataset import build_sft_examples
from nbtools.validate import validate_records

SYSTEM = "You are Brewtiful Coffee's support assistant."


def table(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    """(conversation_id, turn, role, text) rows in the corpus contract, with row ids and sources."""
    return pd.DataFrame([{"row_id": f"chat_logs.jsonl:{k + 1}", "source": "chat_logs.jsonl", "source_line": k + 1,
                          "conversation_id": c, "turn": t, "role": r, "text": x, "channel": "chat"}
                         for k, (c, t, r, x) in enumerate(rows)],
                        columns=["row_id", "source", "source_line", "conversation_id", "turn", "role", "text", "channel"])


CONVERSATION = [
    ("c1", 0, "user", "Hi, my grinder is noisy."),
    ("c1", 1, "assistant", "Hey there! Sorry to hear that. Which model is it?"),
    ("c1", 2, "user", "The Barista Pro."),
    ("c1", 3, "assistant", "Thanks! Try setting it to 12 and run it empty for 5 seconds.\nStay grounded! ☕"),
]


@pytest.mark.parametrize("train_on,weights", [
    ("all", [None, None]),
    ("last", [0, 1]),
    (lambda text: "Stay grounded! ☕" in text, [0, 1]),
])
def test_multi_turn_example_with_weights(train_on, weights):
    result = build_sft_examples(table(CONVERSATION), system_prompt=SYSTEM, train_on=train_on)
    (example,) = result.examples
    messages = example["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == SYSTEM and messages[4]["content"] == CONVERSATION[3][3]
    assert [m.get("weight") for m in messages if m["role"] == "assistant"] == weights
    assert result.ids == ["c1"] and result.row_ids == [[f"chat_logs.jsonl:{k}" for k in range(1, 5)]]
    assert validate_records(result.examples, min_examples=1).ok


def test_turn_order_not_row_order_decides():
    rows = list(reversed(CONVERSATION))
    (example,) = build_sft_examples(table(rows)).examples
    assert [m["content"] for m in example["messages"]] == [x for _, _, _, x in CONVERSATION]


# (case, rows, expected message roles or reject reason, dropped reasons)
CASES = [
    ("consecutive users merged", [("c", 0, "user", "Hi"), ("c", 1, "user", "Anyone?"), ("c", 2, "assistant", "Hey!")],
     ["user", "assistant"], []),
    ("leading assistant dropped", [("c", 0, "assistant", "An agent will be with you shortly."), ("c", 1, "user", "Hi"),
                                   ("c", 2, "assistant", "Hey!")], ["user", "assistant"],
     ["assistant message before the first user message"]),
    ("trailing user dropped", [("c", 0, "user", "Hi"), ("c", 1, "assistant", "Hey!"), ("c", 2, "user", "Thanks")],
     ["user", "assistant"], ["user message without an assistant reply"]),
    ("empty text dropped", [("c", 0, "user", "Hi"), ("c", 1, "user", "  "), ("c", 2, "assistant", "Hey!")],
     ["user", "assistant"], ["empty text"]),
    ("unknown role dropped", [("c", 0, "user", "Hi"), ("c", 1, "bot", "beep"), ("c", 2, "assistant", "Hey!")],
     ["user", "assistant"], ["unknown role"]),
    ("own system message kept", [("c", 0, "system", "Be terse."), ("c", 1, "user", "Hi"), ("c", 2, "assistant", "Hey")],
     ["system", "user", "assistant"], []),
    ("no assistant", [("c", 0, "user", "Hi"), ("c", 1, "user", "Hello?")], "no assistant reply", []),
    ("no user", [("c", 0, "assistant", "Hi")], "no user message", []),
    ("only empty", [("c", 0, "user", ""), ("c", 1, "assistant", None)],
     "no usable message (all empty or unknown roles)", []),
    ("reply before question", [("c", 0, "assistant", "Hi"), ("c", 1, "user", "Hello")],
     "no assistant reply after a user message", []),
]


@pytest.mark.parametrize("case,rows,expected,dropped", CASES, ids=[c[0] for c in CASES])
def test_conversations_that_need_care(case, rows, expected, dropped):
    result = build_sft_examples(table(rows))
    if isinstance(expected, str):
        assert result.examples == [] and result.rejects["reason"].tolist() == [expected]
        assert result.rejects["n_rows"].tolist() == [len(rows)] and result.dropped_messages.empty
    else:
        assert [m["role"] for m in result.examples[0]["messages"]] == expected
        assert result.dropped_messages["reason"].tolist() == dropped


def test_merged_text_and_count():
    result = build_sft_examples(table(CASES[0][1]))
    assert result.examples[0]["messages"][0]["content"] == "Hi\n\nAnyone?" and result.n_merged == 1


def test_consecutive_messages_rejected_when_not_merging():
    result = build_sft_examples(table(CASES[0][1]), merge_consecutive=False)
    assert result.rejects["reason"].tolist() == ["consecutive user messages"]


def test_predicate_rejecting_every_turn_rejects_the_conversation():
    result = build_sft_examples(table(CONVERSATION), train_on=lambda text: False)
    assert result.rejects["reason"].tolist() == ["no assistant turn passes train_on"]


@pytest.mark.parametrize("bad,match", [(pd.DataFrame({"text": ["x"]}), "lacks required columns"),
                                       ([{"role": "user"}], "DataFrame")])
def test_bad_tables_raise_clear_errors(bad, match):
    with pytest.raises(InputError, match=match):
        build_sft_examples(bad)


def test_bad_train_on_raises():
    with pytest.raises(InputError, match="train_on"):
        build_sft_examples(table(CONVERSATION), train_on="first")


def test_summary_and_frame():
    result = build_sft_examples(table(CONVERSATION + CASES[6][1]), system_prompt=SYSTEM)
    assert result.summary()["examples"] == 1 and result.summary()["rejected_by_reason"] == {"no assistant reply": 1}
    frame = result.to_dataframe()
    assert frame.loc[0, "n_messages"] == 5 and frame.loc[0, "user"] == CONVERSATION[0][3]


ROWS = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 6),
                          st.sampled_from(["system", "user", "assistant", "agent"]),
                          st.one_of(st.none(), st.text(max_size=12))), max_size=30)


@settings(max_examples=150, deadline=None)
@given(ROWS, st.sampled_from(["all", "last"]), st.booleans())
def test_every_row_is_used_dropped_or_rejected_exactly_once(rows, train_on, merge):
    frame = table(rows)
    result = build_sft_examples(frame, system_prompt=SYSTEM, train_on=train_on, merge_consecutive=merge)
    used = [r for ids in result.row_ids for r in ids]
    dropped = result.dropped_messages["row_id"].tolist()
    rejected = [r for ids in result.rejects["row_ids"] for r in ids]
    assert sorted(used + dropped + rejected) == sorted(frame["row_id"])
    assert result.n_rows_in == len(frame)
    if result.examples:
        report = validate_records(result.examples, min_examples=1)
        assert report.ok, [str(i) for i in report.errors]
