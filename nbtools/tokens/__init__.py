"""Token counting with real tokenizers, offline: tiktoken encodings for OpenAI models, the model's own for local ones."""

from .count import ExampleTokens, TokenCounter
from .encodings import LOCAL_TOKENIZER, encoding_name_for_model, get_encoding

__all__ = ["ExampleTokens", "TokenCounter", "LOCAL_TOKENIZER", "encoding_name_for_model", "get_encoding"]
