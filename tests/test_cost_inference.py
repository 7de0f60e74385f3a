"""Custom instructions vs fine-tuning: prompt reduction and break-even, recomputed by hand."""

from __future__ import annotations

import math

import pytest

from nbtools.cost import compare_inference, price_for
from nbtools.cost.charts import break_even_figure
from nbtools.tokens import get_encoding

LONG = "You are Brewtiful Coffee's support assistant. " * 40
SHORT = "You are Brewtiful Coffee's support assistant."
USERS = ["Where is my order?", "Can I pause my plan for two weeks?", "My grinder squeaks."]


def billed(system, user, enc):
    # cookbook: 3 per message + encoded values (role and content) + 3 reply priming
    return 3 + len(enc.encode("system")) + len(enc.encode(system)) + 3 + len(enc.encode("user")) + len(
        enc.encode(user)) + 3


def test_prompts_are_measured_with_the_real_tokenizer():
    c = compare_inference(model="gpt-4o-mini", long_prompt=LONG, short_prompt=SHORT, user_messages=USERS,
                          output_tokens=[50, 70], training_cost_usd=2.0)
    enc = get_encoding("o200k_base")
    long_mean = sum(billed(LONG, u, enc) for u in USERS) / len(USERS)
    short_mean = sum(billed(SHORT, u, enc) for u in USERS) / len(USERS)
    assert c.instructed.prompt_tokens == pytest.approx(long_mean)
    assert c.finetuned.prompt_tokens == pytest.approx(short_mean)
    assert c.prompt_reduction_pct == pytest.approx(100 * (1 - short_mean / long_mean))
    p = price_for("gpt-4o-mini")
    per_base = (long_mean * p.input_per_1m_tokens + 60 * p.output_per_1m_tokens) / 1e6
    per_ft = (short_mean * p.finetuned_input_per_1m_tokens + 60 * p.finetuned_output_per_1m_tokens) / 1e6
    assert c.instructed.cost_per_1k_conversations == pytest.approx(per_base * 1000)
    assert c.break_even_requests == math.ceil(2.0 / (per_base - per_ft))
    frame = c.cumulative_costs([0, c.break_even_requests])
    assert frame.iloc[1, 2] <= frame.iloc[1, 1] + 1e-12  # fine-tune is no dearer at break-even


def test_never_breaks_even_when_the_fine_tune_costs_more_per_request():
    # a short "long" prompt: fine-tuned tokens cost twice as much, so there is nothing to save
    c = compare_inference(model="gpt-4o-mini", long_prompt=SHORT, short_prompt=SHORT, user_messages=USERS,
                          output_tokens=60, training_cost_usd=1.0)
    assert c.saving_per_request < 0 and c.break_even_requests is None
    assert break_even_figure(c, max_requests=1000).layout.title.text


def test_free_training_breaks_even_at_once_and_turns_multiply_cost():
    c = compare_inference(model="smollm2-135m-instruct", long_prompt=LONG, short_prompt=SHORT, user_messages=USERS,
                          output_tokens=60, training_cost_usd=0.0, turns_per_conversation=3)
    assert c.break_even_requests == 0 and c.prompt_reduction_pct > 80
    c2 = compare_inference(model="gpt-4o-mini", long_prompt=LONG, short_prompt=SHORT, user_messages=USERS,
                           output_tokens=60, training_cost_usd=1.0, turns_per_conversation=3)
    assert c2.instructed.cost_per_1k_conversations == pytest.approx(3 * 1000 * c2.instructed.cost_per_request)


def test_break_even_chart_is_titled_and_labelled():
    c = compare_inference(model="gpt-4o-mini", long_prompt=LONG, short_prompt=SHORT, user_messages=USERS,
                          output_tokens=60, training_cost_usd=1.0)
    fig = break_even_figure(c)
    assert "US dollars" in fig.layout.yaxis.title.text and any(t.name == "break-even" for t in fig.data)


def test_on_examples_uses_first_user_and_last_reply():
    from nbtools.cost import compare_inference_on_examples
    from nbtools.tokens import TokenCounter

    examples = [{"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": u},
                              {"role": "assistant", "content": f"Hey there! Reply to {u}"}]} for u in USERS]
    examples.append({"messages": [{"role": "user", "content": "no reply"}]})  # skipped: nothing to measure
    c = compare_inference_on_examples(examples, model="gpt-4o-mini", long_prompt=LONG, short_prompt=SHORT,
                                      training_cost_usd=1.0)
    counter = TokenCounter.for_model("gpt-4o-mini")
    replies = [counter.count_text(f"Hey there! Reply to {u}") for u in USERS]
    assert c.instructed.output_tokens == pytest.approx(sum(replies) / len(replies))
    ref = compare_inference(model="gpt-4o-mini", long_prompt=LONG, short_prompt=SHORT, user_messages=USERS,
                            output_tokens=replies, training_cost_usd=1.0)
    assert c == ref
