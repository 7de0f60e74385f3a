"""OpenAI-style hyperparameters ("auto" or numbers) -> the numbers a local LoRA run uses.

Rules for "auto" (or a missing value):

- ``n_epochs``: the OpenAI cookbook's rule: 3 epochs, raised so that a small file is seen at least 100 times in
  total (``100 // n`` epochs, floored as the cookbook does) and lowered so that a big one is seen at most 25,000
  times, clamped to 1..25. Kept as is, not shortened for
  the CPU, so that token and cost estimates made for OpenAI (trained tokens = file tokens x epochs) match what the
  local server trains. On 2 CPU cores a step of 4 short examples takes ~1.5 s, so the cost grows with the file:
  100 examples x 3 epochs = 75 steps (~2 min), 1,000 examples x 3 epochs = 750 steps (~20 min). Ask for fewer
  epochs explicitly to go faster.
- ``batch_size``: ``min(4, n_examples)``. On a CPU time is proportional to tokens, not steps, so bigger batches
  gain nothing; 4 keeps padding waste low and gives enough optimizer steps on small files.
- ``learning_rate_multiplier``: 1.0, applied to a LoRA base rate: 5e-4 for supervised runs, 5e-5 for DPO
  (preference tuning moves a model with much smaller steps). 5e-4 rather than the common 2e-4 because local runs
  are short: on the sample brand-voice data, 16 steps at 2e-4 left SmolLM2-135M greeting like the brand in only
  some replies and never signing off, while 16 steps at 5e-4 gave the greeting in 8 of 8 held-out replies and the
  sign-off in 7 of 8, with no sign of damage. Lower it with the multiplier for long runs or bigger models.
- ``beta`` (DPO only): 0.1, the DPO paper's and TRL's default.

Ranges follow the OpenAI API schema: n_epochs 1..50, batch_size 1..256, learning_rate_multiplier > 0,
0 < beta <= 2. A bad value raises :class:`~nbtools.errors.InputError` naming the field.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ...cost.epochs import default_epochs
from ...errors import InputError
from .contract import Hyperparameters, Method

__all__ = ["resolve_hyperparameters", "auto_epochs", "learning_rate", "BASE_LEARNING_RATE"]

BASE_LEARNING_RATE: dict[str, float] = {"supervised": 5e-4, "dpo": 5e-5}

_AUTO_BATCH_SIZE = 4
_AUTO_BETA = 0.1
_FIELDS = {"supervised": ("n_epochs", "batch_size", "learning_rate_multiplier"),
           "dpo": ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")}


def auto_epochs(n_examples: int) -> int:
    """The cookbook's default number of epochs for a file of `n_examples` examples (the same rule the cost
    estimates use: :func:`nbtools.cost.epochs.default_epochs`).

    >>> [auto_epochs(n) for n in (10, 30, 34, 100, 8_000, 20_000)]
    [10, 3, 3, 3, 3, 1]
    """
    return default_epochs(n_examples)


def learning_rate(method: Method, multiplier: float) -> float:
    """The optimizer's learning rate for `method` at `multiplier`.

    >>> learning_rate("supervised", 0.4)
    0.0002
    """
    return BASE_LEARNING_RATE[method] * multiplier


def _is_auto(value: Any) -> bool:
    return value is None or value == "auto"


def _integer(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise InputError('must be an integer or "auto"', field=field, value=value)
    if not low <= value <= high:
        raise InputError(f"must be between {low} and {high}", field=field, value=value)
    return int(value)


def _positive(field: str, value: Any, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError('must be a number or "auto"', field=field, value=value)
    if value <= 0 or (high is not None and value > high):
        limit = f"greater than 0 and at most {high}" if high is not None else "greater than 0"
        raise InputError(f"must be {limit}", field=field, value=value)
    return float(value)


def resolve_hyperparameters(method: Method, requested: Mapping[str, Any] | None, n_examples: int) -> Hyperparameters:
    """Requested hyperparameters (each a number, "auto" or missing) -> numbers, for a file of `n_examples`.

    >>> resolve_hyperparameters("supervised", {"n_epochs": "auto"}, 60)
    Hyperparameters(n_epochs=3, batch_size=4, learning_rate_multiplier=1.0, beta=None)
    >>> resolve_hyperparameters("dpo", {"beta": 0.2, "batch_size": 8}, 20)
    Hyperparameters(n_epochs=5, batch_size=8, learning_rate_multiplier=1.0, beta=0.2)
    """
    if method not in _FIELDS:
        raise InputError("method must be supervised or dpo", field="method.type", value=method)
    if n_examples < 1:
        raise InputError("the training file has no examples", field="training_file", value=n_examples)
    requested = dict(requested or {})
    unknown = sorted(set(requested) - set(_FIELDS[method]))
    if unknown:
        raise InputError(f"unknown hyperparameter for {method} jobs", field=f"hyperparameters.{unknown[0]}",
                         value=requested[unknown[0]])

    def get(name: str) -> Any:
        return requested.get(name)

    field = "hyperparameters.{}".format
    n_epochs = auto_epochs(n_examples) if _is_auto(get("n_epochs")) else _integer(
        field("n_epochs"), get("n_epochs"), 1, 50)
    batch_size = min(_AUTO_BATCH_SIZE, n_examples) if _is_auto(get("batch_size")) else _integer(
        field("batch_size"), get("batch_size"), 1, 256)
    multiplier = 1.0 if _is_auto(get("learning_rate_multiplier")) else _positive(
        field("learning_rate_multiplier"), get("learning_rate_multiplier"))
    beta = None
    if method == "dpo":
        beta = _AUTO_BETA if _is_auto(get("beta")) else _positive(field("beta"), get("beta"), high=2.0)
    return Hyperparameters(n_epochs=n_epochs, batch_size=batch_size, learning_rate_multiplier=multiplier, beta=beta)
