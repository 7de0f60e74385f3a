"""nbtools: make your own ChatGPT by fine-tuning a chat model on your own support conversations.

Notebooks import everything they use from here. Names load lazily, so ``import nbtools`` stays fast and does not
pull in torch until a name that needs it is used.

Workflow, in module order: corpus (read, clean) → dataset (build, split) → validate → tokens / cost → jobs →
compare → voice → export; the local OpenAI-compatible server lives in ``nbtools.server``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it. Keep sorted by module; every name here is documented in the README.
_EXPORTS: dict[str, str] = {
    # errors
    "NbtoolsError": "nbtools.errors",
    "InputError": "nbtools.errors",
    "DataFormatError": "nbtools.errors",
    "ConfigError": "nbtools.errors",
    "BackendError": "nbtools.errors",
    "JobError": "nbtools.errors",
    "ModelNotFoundError": "nbtools.errors",
    # settings
    "home_dir": "nbtools.settings",
    "mask_secret": "nbtools.settings",
    # tokens
    "TokenCounter": "nbtools.tokens",
    "ExampleTokens": "nbtools.tokens",
    "get_encoding": "nbtools.tokens",
    "encoding_name_for_model": "nbtools.tokens",
    # base models
    "base_model_dir": "nbtools.basemodels",
    "load_tokenizer": "nbtools.basemodels",
    "DEFAULT_BASE_MODEL": "nbtools.basemodels",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nbtools' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
