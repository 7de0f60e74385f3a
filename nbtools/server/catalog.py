"""Which models the server can chat with: base models, fine-tuned models and their checkpoints.

Every model id resolves to a base model plus an optional LoRA adapter directory. Ids never contain ``/`` (the SDK
would send it as ``%2F``); fine-tuned ids contain ``:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..basemodels import BUILTIN_BASE_MODELS
from .errors import model_not_found
from .schemas import model_object
from .state import ServerState

__all__ = ["ModelTarget", "resolve_model", "list_models", "BASE_OWNER"]

BASE_OWNER = "system"
# Release dates of the built-in base models; custom base models use their config.json's modification time.
_BUILTIN_CREATED = {"smollm2-135m-instruct": 1730419200, "gemma3-270m": 1755129600}  # 2024-11-01, 2025-08-14


@dataclass(frozen=True)
class ModelTarget:
    """A chat-able model: `base` is a built-in id or HF directory; `adapter` a PEFT adapter dir or None."""

    id: str
    base: str
    adapter: Path | None
    created: int
    owned_by: str


def _base_target(state: ServerState, model_id: str) -> ModelTarget:
    source = state.config.base_models[model_id]
    created = _BUILTIN_CREATED.get(source, 0)
    if source not in BUILTIN_BASE_MODELS:
        config = Path(source).expanduser() / "config.json"
        created = int(config.stat().st_mtime) if config.is_file() else 0
    return ModelTarget(model_id, source, None, created, BASE_OWNER)


def _checkpoint_rows(state: ServerState, name: str | None = None) -> list[dict[str, Any]]:
    """Public checkpoints usable as models: not pause-only, and not the final one (served as the tuned model)."""
    sql = ("SELECT c.* FROM checkpoints c JOIN jobs j ON j.id = c.job_id WHERE c.kind = 'epoch' "
           "AND (j.fine_tuned_model IS NULL OR c.name != j.fine_tuned_model)")
    params: tuple = ()
    if name is not None:
        sql += " AND c.name = ?"
        params = (name,)
    return state.store.rows(sql + " ORDER BY c.seq", params)


def resolve_model(state: ServerState, model_id: str) -> ModelTarget:
    """The ModelTarget of `model_id`; a 404 ``model_not_found`` APIError when no such model exists."""
    if model_id in state.config.base_models:
        return _base_target(state, model_id)
    org = state.config.organization
    tuned = state.store.get("models", model_id)
    if tuned is not None:
        base = state.config.base_models.get(tuned["base_model"], tuned["base_model"])
        return ModelTarget(model_id, base, Path(tuned["adapter_path"]), tuned["created_at"], f"org-{org}")
    for ckpt in _checkpoint_rows(state, model_id):
        job = state.store.get("jobs", ckpt["job_id"])
        if job is None:  # a checkpoint row whose job is gone serves no model
            continue
        base = state.config.base_models.get(job["model"], job["model"])
        return ModelTarget(model_id, base, Path(ckpt["path"]), ckpt["created_at"], f"org-{org}")
    raise model_not_found(model_id)


def list_models(state: ServerState) -> list[dict[str, Any]]:
    """Model objects: base models, then fine-tuned models and checkpoints in creation order."""
    out = [_base_target(state, model_id) for model_id in state.config.base_models]
    data = [model_object(t.id, created=t.created, owned_by=t.owned_by) for t in out]
    owner = f"org-{state.config.organization}"
    for row in state.store.rows("SELECT id, created_at FROM models ORDER BY seq"):
        data.append(model_object(row["id"], created=row["created_at"], owned_by=owner))
    for ckpt in _checkpoint_rows(state):
        data.append(model_object(ckpt["name"], created=ckpt["created_at"], owned_by=owner))
    return data
