"""Cost estimation: the price table (data), epochs, training cost, custom instructions vs fine-tuning (per request and
per 1,000 conversations), the break-even arithmetic, their charts, and model lifecycle.

Token statistics and the token histogram live in :mod:`nbtools.tokens`.
"""

from .breakeven import (
    BreakEven,
    OptionCost,
    break_even_monthly_volume,
    cost_per_1000_by_volume,
    options_from_comparison,
    payback_count,
    volume_range,
)
from .charts import break_even_figure, training_cost_bar, volume_cost_chart
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
from .training import TrainingEstimate, estimate_training, estimate_training_table

__all__ = [
    "BreakEven",
    "InferenceComparison",
    "InferenceOption",
    "LifecycleStatus",
    "ModelPrice",
    "OptionCost",
    "TrainingEstimate",
    "break_even_figure",
    "break_even_monthly_volume",
    "compare_inference",
    "compare_inference_on_examples",
    "cost_per_1000_by_volume",
    "default_epochs",
    "estimate_training",
    "estimate_training_table",
    "fine_tuning_status",
    "load_price_table",
    "options_from_comparison",
    "payback_count",
    "price_for",
    "prompt_tokens_per_request",
    "resolve_epochs",
    "training_cost_bar",
    "volume_cost_chart",
    "volume_range",
]
