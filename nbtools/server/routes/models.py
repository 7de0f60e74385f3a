"""``/v1/models``: list, retrieve, delete (fine-tuned models only). Ids contain ``:``; ``/`` is never used."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter, Request

from ..catalog import list_models, resolve_model
from ..errors import APIError, bad_request
from ..schemas import model_object
from ..state import get_state

__all__ = ["router"]

router = APIRouter()

@router.get("/models")
def models(request: Request) -> dict:
    """Base models, fine-tuned models and their checkpoints."""
    return {"object": "list", "data": list_models(get_state(request))}

@router.get("/models/{model_id:path}")
def retrieve(request: Request, model_id: str) -> dict:
    """One model."""
    target = resolve_model(get_state(request), model_id)
    return model_object(target.id, created=target.created, owned_by=target.owned_by)

@router.delete("/models/{model_id:path}")
def delete(request: Request, model_id: str) -> dict:
    """Delete a fine-tuned model and its adapter files; base models and checkpoints cannot be deleted."""
    state = get_state(request)
    if model_id in state.config.base_models:
        raise APIError(403, f"Base model {model_id!r} cannot be deleted; only fine-tuned models can.",
                       param="model", code="model_not_deletable")
    row = state.store.get("models", model_id)
    if row is None:
        resolve_model(state, model_id)  # a checkpoint resolves; anything else is a 404
        raise bad_request(f"{model_id!r} is a checkpoint; checkpoints cannot be deleted on their own, only the "
                          "fine-tuned model of their job.", param="model", code="model_not_deletable")
    state.store.delete("models", model_id)
    adapter = Path(row["adapter_path"])
    in_use = state.store.row("SELECT id FROM checkpoints WHERE path = ?", (str(adapter),))
    if in_use is None and adapter.is_relative_to(state.jobs_dir):
        shutil.rmtree(adapter, ignore_errors=True)
    return {"id": model_id, "object": "model", "deleted": True}
