"""Settings of one local server: where its state lives, where it listens, which base models it offers.

Outside input (the CLI, an optional ``config.json`` in the data directory) enters through the pydantic model
:class:`ServerConfig`; everything after that reads the frozen model. The API key is a ``SecretStr`` so that it never
shows in a repr or a log line.

>>> cfg = ServerConfig(data_dir="/tmp/nbtools-doc-server", base_models={"tiny": "/models/tiny"})
>>> cfg.base_models["smollm2-135m-instruct"], cfg.base_models["tiny"]
('smollm2-135m-instruct', '/models/tiny')
>>> cfg.host, cfg.api_key
('127.0.0.1', None)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from ..basemodels import available_base_models
from ..errors import ConfigError
from ..settings import home_dir

__all__ = ["ServerConfig", "default_data_dir", "load_config", "parse_base_model", "CONFIG_FILE", "DEFAULT_PORT"]

CONFIG_FILE = "config.json"
DEFAULT_PORT = 8765
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def default_data_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """The server's state directory: ``<nbtools home>/server``."""
    return home_dir(home) / "server"


class ServerConfig(BaseModel):
    """Everything one server process needs to know. Frozen; build a new one to change a setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=0, le=65535)
    api_key: SecretStr | None = None
    max_upload_bytes: int = Field(512 * 1024 * 1024, ge=1)
    # model id -> built-in model id or a Hugging Face causal LM directory
    base_models: dict[str, str] = Field(default_factory=dict, validate_default=True)
    organization: str = "local"
    min_examples: int = Field(10, ge=1)
    default_max_tokens: int = Field(256, ge=1)
    # torch threads of the training worker; None = every core. The API stays fast anyway (benchmarks/api_latency.py:
    # p95 10 ms while 2 threads train on 2 cores); chat requests during training share the CPU with it.
    train_threads: int | None = Field(None, ge=1)
    # training processes of one job (data parallel, nbtools.server.data_parallel); None = automatic: one per core
    # for supervised jobs of at least 20 steps on a CPU-only machine whose batch splits evenly (2 processes of 1
    # thread step ~1.6x faster than 1 process of 2 threads on 2 cores, after a ~14 s start-up); the worker's threads
    # are shared out among them
    train_processes: int | None = Field(None, ge=1)
    # weights' precision for chat completions (nbtools.server.engine.quantize). "auto" (nbtools.server.chat_precision):
    # weight-only int8 on a CPU with AVX-512 (2.4-3.4x float32's tokens/s there, the same eval pass rates), else
    # float32. Exports are always checked against a float32 engine of their own, whatever the server decodes in.
    chat_precision: Literal["auto", "float32", "bfloat16", "int8"] = "auto"
    train_max_length: int = Field(512, ge=16)  # tokens per training example; longer ones are cut at the end
    worker: bool = True  # start the training worker process (tests of the HTTP layer alone turn it off)
    poll_seconds: float = Field(0.5, gt=0)
    # a vLLM server (its root or /v1 URL) that answers the chat completions; None: our own engine (nbtools.serving)
    vllm_url: str | None = Field(None, pattern=r"^https?://")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return Path(value).expanduser().resolve()

    @field_validator("base_models")
    @classmethod
    def _with_default(cls, value: dict[str, str]) -> dict[str, str]:
        for model_id in value:
            if not _MODEL_ID.match(model_id):
                raise ValueError(f"base model id {model_id!r} must be letters, digits, '.', '_', '-' (no '/' or ':')")
        default, *optional = available_base_models()  # optional: gemma3-270m once its package is installed
        return {default: default, **value, **{m: m for m in optional if m not in value}}

    def resolved_train_threads(self) -> int:
        """Torch threads for the worker: the setting, else every core."""
        return self.train_threads or max(1, os.cpu_count() or 1)

    def key(self) -> str | None:
        """The plain API key (None when the server is open)."""
        return self.api_key.get_secret_value() if self.api_key else None


def parse_base_model(text: str) -> tuple[str, str]:
    """``ID=PATH`` from the command line -> (id, path).

    >>> parse_base_model("tiny=/models/tiny-llama")
    ('tiny', '/models/tiny-llama')
    """
    model_id, sep, path = text.partition("=")
    if not sep or not model_id or not path:
        raise ConfigError(f"--base-model expects ID=PATH (got {text!r})")
    return model_id.strip(), path.strip()


def load_config(data_dir: str | os.PathLike[str] | None = None, **overrides: Any) -> ServerConfig:
    """A :class:`ServerConfig` from ``<data_dir>/config.json`` (if present) updated with `overrides`.

    ``None`` overrides are ignored; ``base_models`` overrides are merged into the file's.
    """
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    values: dict[str, Any] = {}
    path = directory / CONFIG_FILE
    if path.is_file():
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not readable as JSON: {exc}") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: expected a JSON object of settings")
    base_models = {**dict(values.get("base_models") or {}), **dict(overrides.pop("base_models", None) or {})}
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["base_models"] = base_models
    values["data_dir"] = directory
    try:
        return ServerConfig(**values)
    except ValidationError as exc:
        raise ConfigError(f"invalid server settings: {exc}") from exc
