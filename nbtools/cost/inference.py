"""Custom instructions vs fine-tuning, measured: prompt size, cost per 1,000 conversations, break-even.

A base model needs the long "custom instructions" in every request to imitate the brand voice; a fine-tuned model
has learned it and needs only a short prompt, but its tokens may cost more, and training costs once. Both prompts
are measured with the model's real tokenizer over the same user messages.

    >>> c = compare_inference(model="gpt-4o-mini-2024-07-18", long_prompt="word " * 600, short_prompt="Be brief.",
    ...                       user_messages=["Where is my order?"], output_tokens=60, training_cost_usd=1.0)
    >>> round(c.prompt_reduction_pct, 1), c.break_even_requests
    (96.9, 19666)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tokens import TokenCounter
from .breakeven import payback_count
from .prices import price_for

__all__ = [
    "InferenceOption",
    "InferenceComparison",
    "prompt_tokens_per_request",
    "compare_inference",
    "compare_inference_on_examples",
]


@dataclass(frozen=True)
class InferenceOption:
    """One way of serving the voice: a model, the prompt it needs, and what 1,000 conversations cost."""

    label: str
    model: str
    prompt_tokens: float  # mean billed prompt tokens per request
    output_tokens: float  # mean completion tokens per request
    input_per_1m_tokens: float
    output_per_1m_tokens: float
    turns_per_conversation: int

    @property
    def cost_per_request(self) -> float:
        """Dollars per request (one user turn)."""
        return (self.prompt_tokens * self.input_per_1m_tokens + self.output_tokens * self.output_per_1m_tokens) / 1e6

    @property
    def cost_per_1k_conversations(self) -> float:
        """Dollars per 1,000 conversations (each resends its prompt on every turn)."""
        return self.cost_per_request * self.turns_per_conversation * 1000


@dataclass(frozen=True)
class InferenceComparison:
    """Base model + long instructions vs fine-tuned model + short prompt."""

    instructed: InferenceOption
    finetuned: InferenceOption
    training_cost_usd: float

    @property
    def prompt_reduction_pct(self) -> float:
        """How much shorter the fine-tuned model's prompt is, in percent of the instructed prompt."""
        return 100.0 * (1 - self.finetuned.prompt_tokens / self.instructed.prompt_tokens)

    @property
    def saving_per_request(self) -> float:
        """Dollars saved per request by the fine-tune (negative when it costs more)."""
        return self.instructed.cost_per_request - self.finetuned.cost_per_request

    @property
    def break_even_requests(self) -> int | None:
        """Requests after which the training cost is paid back; 0 if there is nothing to pay back; None if never
        (the fine-tune costs as much or more per request)."""
        requests = payback_count(self.training_cost_usd, self.saving_per_request)
        return None if requests is None else math.ceil(requests)

    def cumulative_costs(self, requests: Sequence[int] | np.ndarray) -> pd.DataFrame:
        """Total dollars spent after each number of requests, for both options (training included)."""
        n = np.asarray(requests, dtype=np.int64)
        return pd.DataFrame(
            {
                "requests": n,
                self.instructed.label: n * self.instructed.cost_per_request,
                self.finetuned.label: self.training_cost_usd + n * self.finetuned.cost_per_request,
            }
        )

    def summary(self) -> pd.DataFrame:
        """One row per option: prompt and output tokens per request, cost per request and per 1,000 conversations."""
        rows = []
        for o in (self.instructed, self.finetuned):
            rows.append(
                {
                    "option": o.label,
                    "model": o.model,
                    "prompt_tokens_per_request": round(o.prompt_tokens, 1),
                    "output_tokens_per_request": round(o.output_tokens, 1),
                    "cost_per_request_usd": o.cost_per_request,
                    "cost_per_1k_conversations_usd": o.cost_per_1k_conversations,
                }
            )
        return pd.DataFrame(rows)


def prompt_tokens_per_request(
    system_prompt: str, user_messages: Sequence[str], *, model: str, counter: TokenCounter | None = None
) -> np.ndarray:
    """Billed prompt tokens of ``[system, user]`` for each user message (message overhead included)."""
    if not user_messages:
        raise InputError("need at least one user message to measure prompts", field="user_messages", value=[])
    counter = counter or TokenCounter.for_model(model)
    return np.array(
        [
            counter.count_messages([{"role": "system", "content": system_prompt}, {"role": "user", "content": u}])
            for u in user_messages
        ],
        dtype=np.int64,
    )


def compare_inference(
    *,
    model: str,
    long_prompt: str,
    short_prompt: str,
    user_messages: Sequence[str],
    output_tokens: float | Sequence[int],
    training_cost_usd: float,
    turns_per_conversation: int = 1,
    table: str | os.PathLike[str] | None = None,
) -> InferenceComparison:
    """Measure both prompts on `user_messages` with `model`'s tokenizer and price both options.

    `output_tokens`: mean reply length, or the reply lengths in tokens (their mean is used).
    """
    if turns_per_conversation < 1:
        raise InputError("turns_per_conversation must be at least 1", field="turns_per_conversation",
                         value=turns_per_conversation)
    if training_cost_usd < 0:
        raise InputError("training cost cannot be negative", field="training_cost_usd", value=training_cost_usd)
    price = price_for(model, table=table)
    counter = TokenCounter.for_model(price.model)
    long_tokens = prompt_tokens_per_request(long_prompt, user_messages, model=price.model, counter=counter)
    short_tokens = prompt_tokens_per_request(short_prompt, user_messages, model=price.model, counter=counter)
    out = float(np.mean(np.asarray(output_tokens, dtype=float)))  # a mean length, or the mean of the lengths
    instructed = InferenceOption(
        "base + custom instructions", price.model, float(long_tokens.mean()), out,
        price.input_per_1m_tokens, price.output_per_1m_tokens, turns_per_conversation,
    )
    finetuned = InferenceOption(
        "fine-tuned + short prompt", f"ft:{price.model}", float(short_tokens.mean()), out,
        price.finetuned_input_per_1m_tokens, price.finetuned_output_per_1m_tokens, turns_per_conversation,
    )
    return InferenceComparison(instructed, finetuned, training_cost_usd)


def compare_inference_on_examples(
    examples: Sequence[dict],
    *,
    model: str,
    long_prompt: str,
    short_prompt: str,
    training_cost_usd: float,
    turns_per_conversation: int = 1,
    table: str | os.PathLike[str] | None = None,
) -> InferenceComparison:
    """:func:`compare_inference` measured on chat examples: their first user message is the request and their
    last assistant reply (in `model`'s tokens) the expected output length."""
    users, replies = [], []
    for example in examples:
        messages = example.get("messages", [])
        user = next((m.get("content") for m in messages if m.get("role") == "user"), None)
        reply = next((m.get("content") for m in reversed(messages) if m.get("role") == "assistant"), None)
        if isinstance(user, str) and isinstance(reply, str):
            users.append(user)
            replies.append(reply)
    if not users:
        raise InputError("no example has both a user message and an assistant reply", field="examples",
                         value=len(examples))
    counter = TokenCounter.for_model(price_for(model, table=table).model)
    return compare_inference(
        model=model, long_prompt=long_prompt, short_prompt=short_prompt, user_messages=users,
        output_tokens=[counter.count_text(r) for r in replies], training_cost_usd=training_cost_usd,
        turns_per_conversation=turns_per_conversation, table=table,
    )
