"""Epochs like the provider's "auto", billed tokens capped per example, dollars and CPU time."""

from __future__ import annotations

import pytest

from nbtools.cost import default_epochs, estimate_training, price_for, resolve_epochs
from nbtools.errors import InputError


def cookbook_epochs(n):
    """The OpenAI cookbook's code for the default epochs, as the reference."""
    target, lo, hi, mn, mx = 3, 1, 25, 100, 25000
    n_epochs = target
    if n * target < mn:
        n_epochs = min(hi, mn // n)
    elif n * target > mx:
        n_epochs = max(lo, mx // n)
    return n_epochs


@pytest.mark.parametrize("n", [1, 3, 4, 5, 10, 33, 34, 50, 100, 1000, 8333, 8334, 9000, 12_500, 25_000, 100_000])
def test_default_epochs_match_the_cookbook(n):
    assert default_epochs(n) == cookbook_epochs(n)


@pytest.mark.parametrize("bad", [0, 51, -1, 2.5, "3", True, None])
def test_bad_epochs_are_refused(bad):
    with pytest.raises(InputError, match="n_epochs"):
        resolve_epochs(bad, 100)


@pytest.mark.parametrize("model", ["gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-3.5-turbo-0125"])
def test_estimate_recomputed_independently(model):
    counts = [120, 80, 20_000, 70_000, 300] * 4  # 70,000 exceeds the 65,536 / 16,385 limits
    est = estimate_training(counts, model=model, n_epochs="auto")
    price = price_for(model)
    capped = sum(min(c, price.max_training_example_tokens) for c in counts)
    epochs = cookbook_epochs(len(counts))
    assert est.n_epochs == epochs
    assert est.billed_tokens == capped * epochs
    assert est.examples_over_limit == sum(c > price.max_training_example_tokens for c in counts)
    assert est.cost_usd == pytest.approx(capped * epochs * price.training_per_1m_tokens / 1e6)
    assert est.cpu_seconds is None


def test_local_model_costs_cpu_time_not_dollars():
    est = estimate_training([500] * 40, model="smollm2-135m-instruct", n_epochs=2)
    rate = price_for("smollm2-135m-instruct").cpu_train_tokens_per_second
    assert est.cost_usd == 0
    assert est.cpu_seconds == pytest.approx(500 * 40 * 2 / rate)


@pytest.mark.parametrize("counts", [[], [-5, 10]])
def test_bad_counts_are_clear_errors(counts):
    with pytest.raises(InputError, match="token"):
        estimate_training(counts, model="gpt-4o-mini")
