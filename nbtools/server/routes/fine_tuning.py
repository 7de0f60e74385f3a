"""``/v1/fine_tuning/jobs``: create, list (cursor + metadata filter), retrieve, cancel, pause, resume, events,
checkpoints.

Creating a job checks only the request (ids, purposes, ranges); the files' contents are validated afterwards by the
worker, and a bad file makes the job ``failed`` with a line-level error, as the real service does.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Callable

from fastapi import APIRouter, Query, Request

from .. import ids
from ..errors import bad_request, not_found
from ..lifecycle import TransitionError, cancel_job, create_job, pause_job, resume_job
from ..schemas import (CreateJobBody, DpoHyperparameters, SupervisedHyperparameters, checkpoint_object,
                       cursor_list, event_object, job_object)
from ..state import ServerState, get_state
from ..store import CursorNotFound

__all__ = ["router", "requested_method"]

router = APIRouter()

_METADATA_KEY = re.compile(r"^metadata\[(.+)\]$")


def requested_method(body: CreateJobBody) -> tuple[str, dict[str, Any]]:
    """(method type, hyperparameters as requested) from ``method`` or the legacy top-level ``hyperparameters``."""
    legacy = body.hyperparameters
    if body.method is None:
        return "supervised", (legacy or SupervisedHyperparameters()).model_dump()
    kind = body.method.type
    if kind == "reinforcement":
        raise bad_request("Reinforcement fine-tuning is not supported by the local backend; use method type "
                          "'supervised' or 'dpo'.", param="method.type", code="unsupported_method")
    config = getattr(body.method, kind)
    given = config.hyperparameters if config is not None else None
    if given is not None and legacy is not None:
        raise bad_request(f"Give hyperparameters either in method.{kind}.hyperparameters or in the deprecated "
                          "top-level hyperparameters, not both.", param="hyperparameters")
    if given is None:
        given = DpoHyperparameters(**legacy.model_dump()) if (legacy and kind == "dpo") else legacy
    if given is None:
        given = DpoHyperparameters() if kind == "dpo" else SupervisedHyperparameters()
    return kind, given.model_dump()


def _check_file(state: ServerState, file_id: str, param: str) -> None:
    row = state.store.get("files", file_id)
    if row is None:
        raise bad_request(f"Invalid {param}: no uploaded file has the id {file_id!r}.", param=param)
    if row["purpose"] != "fine-tune":
        raise bad_request(f"Invalid {param}: file {file_id} was uploaded with purpose {row['purpose']!r}; "
                          "fine-tuning needs purpose 'fine-tune'.", param=param)


def _check_model(state: ServerState, model: str) -> None:
    if model in state.config.base_models:
        return
    if model.startswith("ft:"):
        raise bad_request(f"Fine-tuning the fine-tuned model {model!r} again is not supported by the local backend; "
                          "start from a base model.", param="model", code="model_not_available")
    raise bad_request(f"Model {model!r} is not available for fine-tuning on this server; available base models: "
                      f"{', '.join(state.config.base_models)}.", param="model", code="model_not_available")


@router.post("/fine_tuning/jobs")
def create(request: Request, body: CreateJobBody) -> dict:
    """Create a job (status ``validating_files``)."""
    state = get_state(request)
    method, requested = requested_method(body)
    _check_model(state, body.model)
    _check_file(state, body.training_file, "training_file")
    if body.validation_file:
        _check_file(state, body.validation_file, "validation_file")
    if body.integrations:
        raise bad_request("Integrations (Weights & Biases) are not supported by the local backend.",
                          param="integrations")
    suffix = None
    if body.suffix is not None:
        suffix = ids.sanitize_suffix(body.suffix)
        if not suffix:
            raise bad_request("Invalid suffix: it needs at least one letter or digit.", param="suffix")
    row = create_job(state.store, {
        "id": ids.new_id(ids.JOB),
        "model": body.model,
        "training_file": body.training_file,
        "validation_file": body.validation_file,
        "method": method,
        "requested": requested,
        "suffix": suffix,
        "seed": body.seed if body.seed is not None else secrets.randbelow(2**31),
        "metadata": body.metadata,
        "model_id8": ids.short_id(),
    })
    return job_object(row, organization=state.config.organization)


def _metadata_filter(request: Request) -> Callable[[dict], bool] | None:
    """``metadata[k]=v`` pairs (all must match), or ``metadata=null`` for jobs without metadata."""
    wanted: dict[str, str] = {}
    only_null = False
    for key, value in request.query_params.multi_items():
        found = _METADATA_KEY.match(key)
        if found:
            wanted[found.group(1)] = value
        elif key == "metadata" and value == "null":
            only_null = True
    if only_null:
        return lambda row: not row["metadata"]
    if wanted:
        return lambda row: all((row["metadata"] or {}).get(k) == v for k, v in wanted.items())
    return None


@router.get("/fine_tuning/jobs")
def list_jobs(request: Request, after: str | None = None, limit: int = Query(20, ge=1, le=10000)) -> dict:
    """Jobs, newest first, optionally filtered by metadata."""
    state = get_state(request)
    try:
        rows, more = state.store.page("jobs", after=after, limit=limit, descending=True, keep=_metadata_filter(request))
    except CursorNotFound:
        raise bad_request(f"No fine-tuning job with id {after!r} to list after.", param="after") from None
    return cursor_list([job_object(r, organization=state.config.organization) for r in rows], more)


def _job(state: ServerState, job_id: str) -> dict:
    row = state.store.get("jobs", job_id)
    if row is None:
        raise not_found("FineTuningJob", job_id, param="fine_tuning_job_id")
    return row


@router.get("/fine_tuning/jobs/{job_id}")
def retrieve(request: Request, job_id: str) -> dict:
    """One job."""
    state = get_state(request)
    return job_object(_job(state, job_id), organization=state.config.organization)


def _transition(request: Request, job_id: str, change: Callable) -> dict:
    state = get_state(request)
    _job(state, job_id)
    try:
        row = change(state.store, job_id)
    except TransitionError as exc:
        raise bad_request(str(exc), param="fine_tuning_job_id", code="invalid_job_status") from None
    return job_object(row, organization=state.config.organization)


@router.post("/fine_tuning/jobs/{job_id}/cancel")
def cancel(request: Request, job_id: str) -> dict:
    """Cancel an active job."""
    return _transition(request, job_id, cancel_job)


@router.post("/fine_tuning/jobs/{job_id}/pause")
def pause(request: Request, job_id: str) -> dict:
    """Pause a queued or running job."""
    return _transition(request, job_id, pause_job)


@router.post("/fine_tuning/jobs/{job_id}/resume")
def resume(request: Request, job_id: str) -> dict:
    """Resume a paused job (it goes back to the queue)."""
    return _transition(request, job_id, resume_job)


@router.get("/fine_tuning/jobs/{job_id}/events")
def events(request: Request, job_id: str, after: str | None = None, limit: int = Query(20, ge=1, le=10000)) -> dict:
    """The job's events, newest first."""
    state = get_state(request)
    _job(state, job_id)
    try:
        rows, more = state.store.page("events", after=after, limit=limit, where="job_id = ?", params=(job_id,),
                                      descending=True)
    except CursorNotFound:
        raise bad_request(f"No event with id {after!r} in job {job_id} to list after.", param="after") from None
    return cursor_list([event_object(r) for r in rows], more)


@router.get("/fine_tuning/jobs/{job_id}/checkpoints")
def checkpoints(request: Request, job_id: str, after: str | None = None,
                limit: int = Query(10, ge=1, le=10000)) -> dict:
    """The job's checkpoints (one per epoch), newest first."""
    state = get_state(request)
    _job(state, job_id)
    try:
        rows, more = state.store.page("checkpoints", after=after, limit=limit, where="job_id = ? AND kind = 'epoch'",
                                      params=(job_id,), descending=True)
    except CursorNotFound:
        raise bad_request(f"No checkpoint with id {after!r} in job {job_id} to list after.", param="after") from None
    return cursor_list([checkpoint_object(r) for r in rows], more, with_ids=True)
