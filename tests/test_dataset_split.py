"""Train/validation split: seeded, by conversation, no exact or near duplicate across the two sides."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

import nbtools.dataset.split as split_module
from nbtools.dataset import example_text, split_examples
from nbtools.errors import InputError

TOPICS = ["pause my subscription", "change my grind size", "update my card", "ship to Canada", "descale my machine",
          "use a promo code", "return a grinder", "gift a subscription", "switch to decaf", "reset my password"]


def ex(question: str, answer: str) -> dict:
    return {"messages": [{"role": "system", "content": "Be Brewtiful."}, {"role": "user", "content": question},
                         {"role": "assistant", "content": answer}]}


def sentence(rng: random.Random, n: int) -> str:
    words = "bean roast grinder espresso refund parcel decaf latte plan card login promo machine descale gift".split()
    return " ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(n))


def corpus() -> list[dict]:
    rng = random.Random(7)
    examples = [ex(f"How do I {topic}? {sentence(rng, 6)}", f"Hey there! {sentence(rng, 12)}") for topic in TOPICS * 4]
    # near duplicates: typo / punctuation / case variants of two examples, and one exact duplicate
    question, answer = (examples[0]["messages"][k]["content"] for k in (1, 2))
    examples.append(ex(question.replace("pause", "paus").lower(), answer + " ."))
    examples.append(ex(examples[5]["messages"][1]["content"].upper(), examples[5]["messages"][2]["content"] + "!!"))
    examples.append(examples[9])
    return examples


def cross_pairs(result, threshold) -> list[tuple[str, str]]:
    train = [example_text(e) for e in result.train]
    valid = [example_text(e) for e in result.valid]
    scores = process.cdist(train, valid, scorer=fuzz.ratio)
    i, j = np.nonzero(scores >= threshold * 100)
    return [(train[a], valid[b]) for a, b in zip(i, j)]


def test_no_exact_or_near_duplicate_across_and_groups_reported():
    examples = corpus()
    result = split_examples(examples, valid_fraction=0.25, seed=3, near_threshold=0.9)
    assert len(result.train) + len(result.valid) == len(examples)
    assert cross_pairs(result, 0.9) == [] and result.max_cross_similarity() < 0.9
    assert result.n_merged_groups == 3 and result.n_examples_in_merged_groups == 6
    assert result.n_groups == len(examples) - 3
    assert abs(len(result.valid) - 0.25 * len(examples)) <= 2


def test_same_seed_same_split_other_seed_other_split():
    examples = corpus()
    a, b, c = (split_examples(examples, valid_fraction=0.2, seed=s) for s in (1, 1, 2))
    assert a.valid == b.valid and a.valid_ids == b.valid_ids
    assert a.valid_ids != c.valid_ids


def test_examples_of_one_conversation_stay_together():
    rng = random.Random(1)
    examples = [ex(sentence(rng, 8), sentence(rng, 10)) for _ in range(40)]
    ids = [f"conv{i // 4}" for i in range(40)]
    result = split_examples(examples, ids=ids, valid_fraction=0.3, seed=0)
    assert not set(result.train_ids) & set(result.valid_ids)
    assert result.n_merged_groups == 10


def test_lsh_path_for_large_inputs_finds_the_same_near_duplicates(monkeypatch):
    monkeypatch.setattr(split_module, "BRUTE_FORCE_MAX", 0)
    result = split_examples(corpus(), valid_fraction=0.25, seed=3, near_threshold=0.9)
    assert cross_pairs(result, 0.9) == [] and result.n_merged_groups == 3


@pytest.mark.parametrize("kwargs,match", [({"valid_fraction": 1.0}, "valid_fraction"),
                                          ({"near_threshold": 0}, "near_threshold"),
                                          ({"ids": ["a"]}, "ids")])
def test_bad_options(kwargs, match):
    with pytest.raises(InputError, match=match):
        split_examples(corpus(), **kwargs)


def test_dpo_examples_are_keyed_by_prompt_and_preferred_answer():
    pair = {"input": {"messages": [{"role": "user", "content": "Can I pause?"}]},
            "preferred_output": [{"role": "assistant", "content": "Sure!"}],
            "non_preferred_output": [{"role": "assistant", "content": "No."}]}
    assert example_text(pair) == "can i pause sure"


TEXT = st.text(alphabet="abcde ", min_size=0, max_size=25)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=2, max_size=40), st.integers(0, 5),
       st.floats(0.05, 0.5), st.floats(0.6, 1.0))
def test_property_no_leak_and_nothing_lost(pairs, seed, fraction, threshold):
    examples = [ex(q, a) for q, a in pairs]
    result = split_examples(examples, valid_fraction=fraction, seed=seed, near_threshold=threshold)
    assert sorted(map(int, result.train_ids + result.valid_ids)) == list(range(len(examples)))
    assert cross_pairs(result, threshold) == []
