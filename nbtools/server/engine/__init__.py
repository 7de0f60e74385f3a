"""Training and generation on open models (transformers + peft + TRL), free of HTTP and database concerns.

The server's worker calls :func:`train` with a :class:`TrainSpec` and a :class:`TrainHooks` implementation; the
server's chat endpoint calls a :class:`ChatEngine`. See ``contract.py`` for the shapes both sides agree on.
Importing this package is cheap: torch, transformers, peft and TRL load on first use.
"""

from __future__ import annotations

import importlib
import os

# torch's OpenMP threads spin while waiting by default; on a CPU shared with other work (the API server, other
# processes) that spinning made training steps up to 10x slower here. Sleeping waiters degrade gracefully. Only
# effective when set before torch is first imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from typing import Any

from .checkpoints import latest_checkpoint
from .contract import (
    ChatEngineProtocol,
    CheckpointInfo,
    Control,
    Generated,
    GenerationParams,
    Hyperparameters,
    Method,
    StepMetrics,
    StreamDelta,
    TrainHooks,
    TrainResult,
    TrainSpec,
)
from .hyperparameters import resolve_hyperparameters

__all__ = [
    "train",
    "TrainOptions",
    "resolve_hyperparameters",
    "ChatEngine",
    "latest_checkpoint",
    "ChatEngineProtocol",
    "CheckpointInfo",
    "Control",
    "Generated",
    "GenerationParams",
    "Hyperparameters",
    "Method",
    "StepMetrics",
    "StreamDelta",
    "TrainHooks",
    "TrainResult",
    "TrainSpec",
]

_LAZY = {"train": ".training", "TrainOptions": ".training", "ChatEngine": ".generate"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
