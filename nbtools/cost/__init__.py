"""Token and cost estimation: the price table (data), epochs, training cost, inference comparison, lifecycle."""

from .charts import break_even_figure, token_histogram, training_cost_bar
from .epochs import default_epochs, resolve_epochs
from .inference import (
    InferenceComparison,
    InferenceOption,
    compare_inference,
    compare_inference_on_examples,
    prompt_tokens_per_request,
)
from .lifecycle import LifecycleStatus, fine_tuning_status
from .prices import ModelPrice, load_price_table, price_for
from .stats import TokenStatsSummary, token_stats
from .training import TrainingEstimate, estimate_training, estimate_training_table

__all__ = [
    "InferenceComparison",
    "InferenceOption",
    "LifecycleStatus",
    "ModelPrice",
    "TokenStatsSummary",
    "TrainingEstimate",
    "break_even_figure",
    "compare_inference",
    "compare_inference_on_examples",
    "default_epochs",
    "estimate_training",
    "estimate_training_table",
    "fine_tuning_status",
    "load_price_table",
    "price_for",
    "prompt_tokens_per_request",
    "resolve_epochs",
    "token_histogram",
    "token_stats",
    "training_cost_bar",
]
