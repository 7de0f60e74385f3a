"""Token counting with real tokenizers, offline (tiktoken encodings for OpenAI models, the model's own for local ones),
and the statistics of per-example counts (stats) with their histogram (charts)."""

from .count import ExampleTokens, TokenCounter
from .encodings import LOCAL_TOKENIZER, encoding_name_for_model, get_encoding
from .stats import TokenStats, TokenStatsSummary, token_stats

__all__ = [
    "ExampleTokens",
    "TokenCounter",
    "TokenStats",
    "TokenStatsSummary",
    "LOCAL_TOKENIZER",
    "encoding_name_for_model",
    "get_encoding",
    "token_histogram",
    "token_stats",
]


def __getattr__(name: str):
    # the chart pulls in plotly: load it only when asked for (counting and validating do not need it)
    if name == "token_histogram":
        from .charts import token_histogram

        return token_histogram
    raise AttributeError(f"module 'nbtools.tokens' has no attribute {name!r}")
