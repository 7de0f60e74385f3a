"""Local-model counts are exact: what the local engine tokenizes for training, through the model's chat template."""

from __future__ import annotations

import pytest

from nbtools.basemodels import load_tokenizer
from nbtools.server.engine.data import tokenize_chat
from nbtools.tokens import TokenCounter

MODEL = "smollm2-135m-instruct"
SYSTEM = {"role": "system", "content": "You are Brewtiful Coffee's support assistant."}
USER = {"role": "user", "content": "Can I pause my subscription while I'm travelling?"}
REPLY = {"role": "assistant", "content": "Hey there! Go to Account > Subscriptions > Pause.\n\nStay grounded! ☕"}


@pytest.fixture(scope="module")
def counter():
    return TokenCounter.for_model(MODEL)


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(MODEL)


@pytest.mark.parametrize(
    "messages",
    [
        [SYSTEM, USER, REPLY],
        [USER, REPLY],  # no system message: the template adds its default one, and so does training
        [SYSTEM, USER, {**REPLY, "weight": 0}, {"role": "user", "content": "Thanks a latte!"}, REPLY],
        [SYSTEM, {"role": "user", "content": "Ünïcödé ☕ and emoji 🎉 survive"}, REPLY],
    ],
    ids=["single-turn", "no-system", "multi-turn-weight-0", "unicode"],
)
def test_chat_example_counts_equal_the_engines_training_tokens(counter, tokenizer, messages):
    trained = tokenize_chat(tokenizer, messages, max_length=10**6)
    assert counter.count_example({"messages": messages}).total == len(trained.input_ids)


def test_a_prompt_counts_its_reply_priming(counter, tokenizer):
    ids = tokenizer.apply_chat_template([SYSTEM, USER], tokenize=True, add_generation_prompt=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    assert counter.count_messages([SYSTEM, USER]) == len(ids)


def test_dpo_outputs_count_what_they_add_after_the_prompt(counter, tokenizer):
    chosen, rejected = REPLY, {"role": "assistant", "content": "Per our policy, check your account."}
    example = {"input": {"messages": [SYSTEM, USER]}, "preferred_output": [chosen], "non_preferred_output": [rejected]}
    full_chosen = len(tokenize_chat(tokenizer, [SYSTEM, USER, chosen], max_length=10**6).input_ids)
    full_rejected = len(tokenize_chat(tokenizer, [SYSTEM, USER, rejected], max_length=10**6).input_ids)
    counts = counter.count_example(example)
    prompt_with_priming = counter.count_messages([SYSTEM, USER])
    assert counts.trained == (full_chosen - prompt_with_priming) + (full_rejected - prompt_with_priming)
    assert counts.total == prompt_with_priming + counts.trained
