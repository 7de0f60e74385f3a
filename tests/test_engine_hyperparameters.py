"""resolve_hyperparameters: the cookbook's epoch rule, auto values, and range errors naming the field."""

from __future__ import annotations

import pytest

from nbtools.errors import InputError
from nbtools.server.engine import Hyperparameters, resolve_hyperparameters
from nbtools.server.engine.hyperparameters import BASE_LEARNING_RATE, auto_epochs, learning_rate


def cookbook_epochs(n_train_examples: int) -> int:
    """The OpenAI cookbook's data-preparation notebook, same logic (the reference)."""
    target_epochs, min_target_examples, max_target_examples = 3, 100, 25000
    min_default_epochs, max_default_epochs = 1, 25
    n_epochs = target_epochs
    if n_train_examples * target_epochs < min_target_examples:
        n_epochs = min(max_default_epochs, min_target_examples // n_train_examples)
    elif n_train_examples * target_epochs > max_target_examples:
        n_epochs = max(min_default_epochs, max_target_examples // n_train_examples)
    return n_epochs


@pytest.mark.parametrize("n", [1, 3, 4, 10, 33, 34, 35, 60, 100, 1000, 8333, 8334, 12500, 12501, 30000, 10**6])
def test_auto_epochs_follows_cookbook(n):
    assert auto_epochs(n) == cookbook_epochs(n)
    assert 1 <= auto_epochs(n) <= 25


@pytest.mark.parametrize(
    ("method", "requested", "n", "expected"),
    [
        ("supervised", {}, 60, Hyperparameters(3, 4, 1.0, None)),
        ("supervised", None, 2, Hyperparameters(25, 2, 1.0, None)),
        ("supervised", {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}, 10,
         Hyperparameters(10, 4, 1.0, None)),
        ("supervised", {"n_epochs": 2, "batch_size": 16, "learning_rate_multiplier": 0.5}, 60,
         Hyperparameters(2, 16, 0.5, None)),
        ("supervised", {"n_epochs": 2.0}, 60, Hyperparameters(2, 4, 1.0, None)),
        ("dpo", {}, 40, Hyperparameters(3, 4, 1.0, 0.1)),
        ("dpo", {"beta": 2}, 40, Hyperparameters(3, 4, 1.0, 2.0)),
        ("dpo", {"beta": None, "n_epochs": None}, 40, Hyperparameters(3, 4, 1.0, 0.1)),
    ],
)
def test_resolve(method, requested, n, expected):
    assert resolve_hyperparameters(method, requested, n) == expected


@pytest.mark.parametrize(
    ("method", "requested", "field", "value"),
    [
        ("supervised", {"n_epochs": 0}, "hyperparameters.n_epochs", 0),
        ("supervised", {"n_epochs": 51}, "hyperparameters.n_epochs", 51),
        ("supervised", {"n_epochs": 2.5}, "hyperparameters.n_epochs", 2.5),
        ("supervised", {"n_epochs": "three"}, "hyperparameters.n_epochs", "three"),
        ("supervised", {"n_epochs": True}, "hyperparameters.n_epochs", True),
        ("supervised", {"batch_size": 257}, "hyperparameters.batch_size", 257),
        ("supervised", {"batch_size": 0}, "hyperparameters.batch_size", 0),
        ("supervised", {"learning_rate_multiplier": 0}, "hyperparameters.learning_rate_multiplier", 0),
        ("supervised", {"learning_rate_multiplier": -1}, "hyperparameters.learning_rate_multiplier", -1),
        ("supervised", {"learning_rate_multiplier": float("nan")}, "hyperparameters.learning_rate_multiplier", None),
        ("supervised", {"beta": 0.1}, "hyperparameters.beta", 0.1),
        ("supervised", {"warmup": 3}, "hyperparameters.warmup", 3),
        ("dpo", {"beta": 0}, "hyperparameters.beta", 0),
        ("dpo", {"beta": 2.5}, "hyperparameters.beta", 2.5),
        ("reinforcement", {}, "method.type", "reinforcement"),
    ],
)
def test_bad_values_name_the_field(method, requested, field, value):
    with pytest.raises(InputError) as raised:
        resolve_hyperparameters(method, requested, 50)
    assert raised.value.field == field
    assert field in str(raised.value)
    if value is not None:
        assert raised.value.value == value


def test_empty_file_is_an_input_error():
    with pytest.raises(InputError, match="no examples"):
        resolve_hyperparameters("supervised", {}, 0)


@pytest.mark.parametrize(("method", "multiplier"), [("supervised", 1.0), ("supervised", 2.0), ("dpo", 0.1)])
def test_learning_rate_scales_the_base_rate(method, multiplier):
    assert learning_rate(method, multiplier) == pytest.approx(BASE_LEARNING_RATE[method] * multiplier)
