"""Compare model outputs: run prompts across set-ups, rate answers blind, summarise win rates, export preferences.

Modules, in workflow order: setups (ModelSetup, the standard set-ups of a fine-tuning job), run (the comparison
table with latency, tokens and cost per 1,000 requests; cached on disk by cache), ratings (blind pairings, the
ratings file, win rates and their chart, DPO export), widgets (the rating view).
"""

from .cache import ResultCache, cache_key
from .ratings import (
    CHOICES,
    DpoExport,
    Pairing,
    Rating,
    blind_pairs,
    export_dpo,
    read_ratings,
    record_rating,
    win_rate_chart,
    win_rates,
)
from .run import comparison_summary, outputs_table, request_cost_usd, run_comparison
from .setups import BASE, FINE_TUNED, INSTRUCTED, ModelSetup, checkpoint_label, job_setups, standard_setups

__all__ = [
    "BASE",
    "CHOICES",
    "FINE_TUNED",
    "INSTRUCTED",
    "CompareWidget",
    "DpoExport",
    "ModelSetup",
    "Pairing",
    "Rating",
    "ResultCache",
    "blind_pairs",
    "cache_key",
    "checkpoint_label",
    "compare_widget",
    "comparison_summary",
    "export_dpo",
    "job_setups",
    "outputs_table",
    "read_ratings",
    "record_rating",
    "request_cost_usd",
    "run_comparison",
    "standard_setups",
    "win_rate_chart",
    "win_rates",
]


def __getattr__(name: str):
    # the widget pulls in ipywidgets: load it only when asked for
    if name in ("CompareWidget", "compare_widget"):
        from . import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'nbtools.compare' has no attribute {name!r}")
