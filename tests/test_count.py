"""Billing counts equal the cookbook's rule computed with tiktoken on real encodings."""

from __future__ import annotations

import pytest

from nbtools.tokens import TokenCounter, get_encoding


def cookbook_count(messages, encoding):
    """OpenAI cookbook's num_tokens_from_messages, verbatim in logic (the reference)."""
    n = 0
    for message in messages:
        n += 3
        for key, value in message.items():
            n += len(encoding.encode(value))
            if key == "name":
                n += 1
    return n + 3


CONVERSATIONS = [
    [{"role": "user", "content": "Where is my order #4412?"}, {"role": "assistant", "content": "On its way! ☕"}],
    [
        {"role": "system", "content": "You are Brewtiful Coffee's support bot. Keep it short and punny."},
        {"role": "user", "content": "Can I pause my subscription?"},
        {"role": "assistant", "content": "Absolutely, just espresso your wish in Settings → Plan."},
        {"role": "user", "content": "Thanks!"},
        {"role": "assistant", "content": "Any thyme. Stay grounded!", "name": "barista_bot"},
    ],
    [{"role": "user", "content": "Ünïcödé — 日本語?"}, {"role": "assistant", "content": ""}],
]


@pytest.mark.parametrize("encoding_name", ["cl100k_base", "o200k_base"])
@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_count_matches_cookbook(encoding_name, messages):
    counter = TokenCounter.for_encoding(encoding_name)
    assert counter.count_messages(messages) == cookbook_count(messages, get_encoding(encoding_name))


def test_weight_is_not_billed_and_weight_zero_is_not_trained():
    counter = TokenCounter.for_encoding("o200k_base")
    enc = get_encoding("o200k_base")
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Old answer we do not want", "weight": 0},
        {"role": "user", "content": "Again?"},
        {"role": "assistant", "content": "New answer", "weight": 1},
    ]
    stats = counter.count_example({"messages": messages})
    unweighted = [{k: v for k, v in m.items() if k != "weight"} for m in messages]
    assert stats.total == cookbook_count(unweighted, enc)
    assert stats.trained == len(enc.encode("New answer"))
    assert stats.n_messages == 4


def test_dpo_counts_input_and_both_outputs():
    counter = TokenCounter.for_encoding("o200k_base")
    enc = get_encoding("o200k_base")
    line = {
        "input": {"messages": [{"role": "user", "content": "Refund please"}]},
        "preferred_output": [{"role": "assistant", "content": "Of course, brewing it now."}],
        "non_preferred_output": [{"role": "assistant", "content": "No."}],
    }
    stats = counter.count_example(line)
    prompt = cookbook_count(line["input"]["messages"], enc)
    outputs = sum(cookbook_count(line[k], enc) - 3 for k in ("preferred_output", "non_preferred_output"))
    assert stats.total == prompt + outputs
    assert stats.trained == outputs
