"""The default number of epochs, like the provider's ``n_epochs="auto"``.

OpenAI does not publish its rule; its cookbook estimates it as: aim for 3 epochs, but make at least 100 and at most
25,000 example-passes, and keep epochs between 1 and 25.

    >>> [default_epochs(n) for n in (10, 30, 34, 1000, 10_000, 50_000)]
    [10, 3, 3, 3, 2, 1]
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["default_epochs", "resolve_epochs", "TARGET_EPOCHS", "MIN_EXAMPLE_PASSES", "MAX_EXAMPLE_PASSES"]

TARGET_EPOCHS = 3
MIN_EPOCHS, MAX_EPOCHS = 1, 25
MIN_EXAMPLE_PASSES, MAX_EXAMPLE_PASSES = 100, 25_000


def default_epochs(n_examples: int) -> int:
    """Epochs the provider's "auto" would likely pick for `n_examples` training examples."""
    if n_examples <= 0:
        raise InputError("need at least one training example", field="n_examples", value=n_examples)
    epochs = TARGET_EPOCHS
    if n_examples * epochs < MIN_EXAMPLE_PASSES:
        epochs = min(MAX_EPOCHS, MIN_EXAMPLE_PASSES // n_examples)
    elif n_examples * epochs > MAX_EXAMPLE_PASSES:
        epochs = max(MIN_EPOCHS, MAX_EXAMPLE_PASSES // n_examples)
    return epochs


def resolve_epochs(n_epochs: int | str, n_examples: int) -> int:
    """`n_epochs` as a number: "auto" → :func:`default_epochs`; otherwise checked to be an int in 1..50."""
    if n_epochs == "auto":
        return default_epochs(n_examples)
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or not 1 <= n_epochs <= 50:
        raise InputError('n_epochs must be "auto" or an integer from 1 to 50', field="n_epochs", value=n_epochs)
    return n_epochs
