"""Maximum tokens per training example, per model.

The price table of :mod:`nbtools.cost` (column ``max_training_example_tokens``) is the source when it knows the
model; otherwise a small map of families, longest prefix first. Fine-tuned ids (``ft:BASE:ORG:SUFFIX:ID``) use
their base model's limit::

    >>> token_limit_for("gpt-4o-mini-2024-07-18")
    65536
    >>> token_limit_for("ft:gpt-3.5-turbo-0125:acme::abc")
    16385
    >>> token_limit_for("smollm2-135m-instruct")
    8192
    >>> token_limit_for("some-unknown-model") is None
    True
"""

from __future__ import annotations

import importlib.util

from ..errors import ModelNotFoundError

__all__ = ["token_limit_for", "FALLBACK_LIMITS"]

# Published limits of the fine-tunable families (OpenAI fine-tuning guide), and our local model's training length.
FALLBACK_LIMITS: tuple[tuple[str, int], ...] = (
    ("gpt-4o-mini", 65_536),
    ("gpt-4o", 65_536),
    ("gpt-4.1", 65_536),
    ("gpt-3.5-turbo", 16_385),
    ("smollm2", 8_192),
)


def _base_model(model: str) -> str:
    return model.split(":")[1] if model.startswith("ft:") and model.count(":") >= 1 else model


def _from_price_table(model: str) -> int | None:
    if importlib.util.find_spec("nbtools.cost") is None:
        return None
    from .. import cost

    price_for = getattr(cost, "price_for", None)
    if price_for is None:
        return None
    try:
        row = price_for(model)
    except ModelNotFoundError:
        return None
    value = row.get("max_training_example_tokens") if isinstance(row, dict) else getattr(
        row, "max_training_example_tokens", None)
    try:
        return int(value) if value is not None and value == value else None  # value == value: not NaN
    except (TypeError, ValueError):
        return None


def token_limit_for(model: str) -> int | None:
    """Max billed tokens of one training example for `model`, or None when nothing is known about it."""
    limit = _from_price_table(model)
    if limit is not None:
        return limit
    base = _base_model(model).lower()
    for prefix, value in FALLBACK_LIMITS:
        if base.startswith(prefix):
            return value
    return None
