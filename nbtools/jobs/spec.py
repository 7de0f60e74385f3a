"""What to fine-tune and how: one frozen record, checked against the fine-tuning API's ranges before anything is sent.

    >>> spec = JobSpec("smollm2-135m-instruct", "train.jsonl", n_epochs=1, batch_size=4, suffix="brew")
    >>> spec.method_payload()
    {'type': 'supervised', 'supervised': {'hyperparameters': {'n_epochs': 1, 'batch_size': 4}}}
    >>> JobSpec("gpt-4o-mini", "train.jsonl", n_epochs=0)
    Traceback (most recent call last):
    ...
    nbtools.errors.InputError: field n_epochs: must be an integer from 1 to 50, or "auto" (got 0)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from ..errors import InputError

__all__ = ["JobSpec", "Method", "AUTO"]

Method = Literal["supervised", "dpo"]
AUTO = "auto"
_MAX_SEED = 2_147_483_647
_MAX_SUFFIX = 64
_MAX_METADATA_KEYS, _MAX_METADATA_KEY, _MAX_METADATA_VALUE = 16, 64, 512


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if value == AUTO:
        return
    if not _is_number(value) or value != int(value) or not low <= value <= high:
        raise InputError(f'must be an integer from {low} to {high}, or "auto"', field=name, value=value)


def _check_positive(name: str, value: Any, high: float | None = None) -> None:
    if value == AUTO:
        return
    if not _is_number(value) or not value > 0 or (high is not None and value > high):
        bound = f"greater than 0 and at most {high}" if high is not None else "greater than 0"
        raise InputError(f'must be a number {bound}, or "auto"', field=name, value=value)


def _check_metadata(metadata: Mapping[str, str] | None) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping) or len(metadata) > _MAX_METADATA_KEYS:
        raise InputError(f"must be a mapping of at most {_MAX_METADATA_KEYS} string keys to strings",
                         field="metadata", value=metadata)
    for key, value in metadata.items():
        if not isinstance(key, str) or not 0 < len(key) <= _MAX_METADATA_KEY:
            raise InputError(f"keys must be strings of 1 to {_MAX_METADATA_KEY} characters", field="metadata",
                             value=key)
        if not isinstance(value, str) or len(value) > _MAX_METADATA_VALUE:
            raise InputError(f"values must be strings of at most {_MAX_METADATA_VALUE} characters",
                             field=f"metadata[{key}]", value=value)


@dataclass(frozen=True)
class JobSpec:
    """A fine-tuning job to launch: model, local training files, method, hyperparameters, suffix, seed, metadata.

    Hyperparameters left at ``"auto"`` are not sent: the backend resolves them (the local server reports what it
    chose once the job runs). ``beta`` applies to DPO only.
    """

    model: str
    training_file: str | os.PathLike[str]
    validation_file: str | os.PathLike[str] | None = None
    method: Method = "supervised"
    n_epochs: int | str = AUTO
    batch_size: int | str = AUTO
    learning_rate_multiplier: float | str = AUTO
    beta: float | str = AUTO
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise InputError("name the base model to fine-tune", field="model", value=self.model)
        if self.method not in ("supervised", "dpo"):
            raise InputError('must be "supervised" or "dpo"', field="method", value=self.method)
        _check_int("n_epochs", self.n_epochs, 1, 50)
        _check_int("batch_size", self.batch_size, 1, 256)
        _check_positive("learning_rate_multiplier", self.learning_rate_multiplier)
        _check_positive("beta", self.beta, high=2)
        if self.method != "dpo" and self.beta != AUTO:
            raise InputError("beta applies to DPO jobs only (method='dpo')", field="beta", value=self.beta)
        if self.suffix is not None and (not isinstance(self.suffix, str) or not 0 < len(self.suffix) <= _MAX_SUFFIX):
            raise InputError(f"must be 1 to {_MAX_SUFFIX} characters", field="suffix", value=self.suffix)
        if self.seed is not None and (not _is_number(self.seed) or self.seed != int(self.seed)
                                      or not 0 <= self.seed <= _MAX_SEED):
            raise InputError(f"must be an integer from 0 to {_MAX_SEED}", field="seed", value=self.seed)
        _check_metadata(self.metadata)

    @property
    def training_path(self) -> Path:
        """The training file as a Path."""
        return Path(self.training_file)

    @property
    def validation_path(self) -> Path | None:
        """The validation file as a Path, or None."""
        return None if self.validation_file is None else Path(self.validation_file)

    def hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters that were set (not "auto"), as the API names them.

        >>> JobSpec("m", "t.jsonl", method="dpo", beta=0.2).hyperparameters()
        {'beta': 0.2}
        """
        names = ["n_epochs", "batch_size", "learning_rate_multiplier"] + (["beta"] if self.method == "dpo" else [])
        return {name: getattr(self, name) for name in names if getattr(self, name) != AUTO}

    def method_payload(self) -> dict[str, Any]:
        """The ``method`` object of the create-job request."""
        hyper = self.hyperparameters()
        return {"type": self.method, self.method: {"hyperparameters": hyper} if hyper else {}}

    def create_arguments(self, training_file_id: str, validation_file_id: str | None = None) -> dict[str, Any]:
        """Keyword arguments for ``client.fine_tuning.jobs.create`` (unset options left out, as the SDK would).

        >>> args = JobSpec("gpt-4o-mini-2024-07-18", "t.jsonl", suffix="brew", seed=7).create_arguments("file-abc")
        >>> args["training_file"], args["method"], args["suffix"], args["seed"]
        ('file-abc', {'type': 'supervised', 'supervised': {}}, 'brew', 7)
        """
        arguments: dict[str, Any] = {"model": self.model, "training_file": training_file_id}
        if validation_file_id is not None:
            arguments["validation_file"] = validation_file_id
        arguments["method"] = self.method_payload()
        for name in ("suffix", "seed"):
            if getattr(self, name) is not None:
                arguments[name] = getattr(self, name)
        if self.metadata:
            arguments["metadata"] = dict(self.metadata)
        return arguments
