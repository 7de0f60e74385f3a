"""What a model id of the local server is made of: its base model, its LoRA adapter, the job that trained it.

Ids resolve as the server resolves them (:func:`nbtools.server.catalog.resolve_model`): a base model id, a
fine-tuned model ``ft:BASE:ORG:SUFFIX:ID`` or one of its epoch checkpoints ``…:ckpt-step-N``. Only reading happens
here: the server's database is opened, never written.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelNotFoundError

__all__ = ["ExportSource", "TrainingFile", "resolve_source", "sha256_file"]


@dataclass(frozen=True)
class TrainingFile:
    """A file a model was trained on: its name as uploaded, its SHA-256 and size."""

    role: str  # "training" | "validation"
    filename: str
    sha256: str
    bytes: int
    path: Path


@dataclass(frozen=True)
class ExportSource:
    """A model to export: `base` (built-in id or HF directory), `base_dir` (its HF directory), `adapter` (None for a
    base model), and for a fine-tune the job's id, method, hyperparameters and training files."""

    model_id: str
    base: str
    base_dir: Path
    adapter: Path | None
    job_id: str | None = None
    method: str | None = None
    hyperparameters: dict[str, Any] | None = None
    training_files: tuple[TrainingFile, ...] = ()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks.

    >>> import tempfile; p = tempfile.mktemp(); _ = open(p, "wb").write(b"abc")
    >>> sha256_file(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _training_files(store, job: dict[str, Any]) -> tuple[TrainingFile, ...]:
    out = []
    for role in ("training", "validation"):
        file_id = job.get(f"{role}_file")
        row = store.get("files", file_id) if file_id else None
        if row is not None and Path(row["path"]).is_file():
            out.append(TrainingFile(role, row["filename"], sha256_file(row["path"]), int(row["bytes"]),
                                    Path(row["path"])))
    return tuple(out)


def _job_of(store, model_id: str, adapter: Path) -> dict[str, Any] | None:
    tuned = store.get("models", model_id)
    if tuned is not None:
        return store.get("jobs", tuned["job_id"])
    row = store.row("SELECT job_id FROM checkpoints WHERE name = ? AND path = ?", (model_id, str(adapter)))
    return store.get("jobs", row["job_id"]) if row else None


def resolve_source(model_id: str, *, home: str | os.PathLike[str] | None = None,
                   data_dir: str | os.PathLike[str] | None = None) -> ExportSource:
    """The :class:`ExportSource` of `model_id` on the local server of `home` (or `data_dir`).

    Raises :class:`~nbtools.errors.ModelNotFoundError` naming the known ids when the server lists no such model.
    The base model's directory is this process's (``$NBTOOLS_HOME``/``$NBTOOLS_MODEL_CACHE``), as for the chat engine.
    """
    from ..basemodels import base_model_dir
    from ..server.catalog import list_models, resolve_model
    from ..server.config import default_data_dir, load_config
    from ..server.errors import APIError
    from ..server.state import ServerState

    directory = Path(data_dir) if data_dir is not None else default_data_dir(home)
    if not (directory / "state.db").is_file():
        raise ModelNotFoundError(f"unknown model {model_id!r}: the local server at {directory} has no models yet "
                                 "(no state.db): fine-tune one first")
    state = ServerState(load_config(directory, worker=False))
    try:
        try:
            target = resolve_model(state, model_id)
        except APIError as error:
            known = [m["id"] for m in list_models(state)]
            raise ModelNotFoundError(f"unknown model {model_id!r}: the local server at {directory} lists "
                                     f"{known}") from error
        if target.adapter is not None and not (target.adapter / "adapter_config.json").is_file():
            raise ModelNotFoundError(f"model {model_id!r}: its adapter directory {target.adapter} is missing "
                                     "or has no adapter_config.json")
        job = _job_of(state.store, model_id, target.adapter) if target.adapter is not None else None
        return ExportSource(
            model_id=model_id, base=target.base, base_dir=base_model_dir(target.base),
            adapter=target.adapter, job_id=job["id"] if job else None, method=job["method"] if job else None,
            hyperparameters=job["hyperparameters"] if job else None,
            training_files=_training_files(state.store, job) if job else ())
    finally:
        state.close()
