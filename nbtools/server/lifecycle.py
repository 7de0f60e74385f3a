"""A fine-tuning job's life in the database: every status change, with the events the real service writes.

validating_files → queued → running → succeeded | failed | cancelled, plus paused. Each change is one transaction
that also writes its event, so the job and its event log never disagree. Both the API process (create, cancel, pause,
resume) and the worker (validate, claim, finish, recover) go through these functions.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from . import ids
from .store import Store

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "MAX_INTERRUPTIONS",
    "TransitionError",
    "add_event",
    "create_job",
    "fail_job",
    "mark_validated",
    "claim_next",
    "cancel_job",
    "pause_job",
    "resume_job",
    "after_pause",
    "recover_interrupted",
    "latest_resumable",
]

ACTIVE = ("validating_files", "queued", "running", "paused")
TERMINAL = ("succeeded", "failed", "cancelled")
MAX_INTERRUPTIONS = 3


class TransitionError(ValueError):
    """The job cannot make this change from its current status (the API answers 400)."""


def _now() -> int:
    return int(time.time())


def add_event(store: Store, job_id: str, message: str, *, level: str = "info", type: str = "message",
              data: dict[str, Any] | None = None, db: sqlite3.Connection | None = None) -> None:
    """Append one event to a job's log."""
    store.insert("events", {"id": ids.new_id(ids.EVENT), "job_id": job_id, "created_at": _now(), "level": level,
                            "type": type, "message": message, "data": data if data is not None else {}}, db=db)


def create_job(store: Store, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a new job in ``validating_files`` with its first two events; returns the stored row."""
    row = {"status": "validating_files", "created_at": _now(), "queued_at": time.time(), **values}
    files = f"Validating training file: {row['training_file']}"
    if row.get("validation_file"):
        files += f" and validation file: {row['validation_file']}"
    with store.transaction() as db:
        store.insert("jobs", row, db=db)
        add_event(store, row["id"], f"Created fine-tuning job: {row['id']}", db=db)
        add_event(store, row["id"], files, db=db)
    return _stored(store, row["id"])


def fail_job(store: Store, job_id: str, *, code: str, message: str, param: str | None,
             status_in: tuple[str, ...] = ACTIVE) -> bool:
    """Mark a job failed with an OpenAI-style error object and an error event; False if it was not in `status_in`."""
    with store.transaction() as db:
        changed = store.update("jobs", job_id, {
            "status": "failed", "error": {"code": code, "message": message, "param": param},
            "finished_at": _now(), "estimated_finish": None, "control": None,
        }, status_in=status_in, db=db)
        if changed:
            add_event(store, job_id, message, level="error", db=db)
    return changed


def mark_validated(store: Store, job_id: str, *, hyperparameters: dict[str, Any], n_examples: int) -> bool:
    """validating_files → queued, with hyperparameters resolved to numbers."""
    with store.transaction() as db:
        changed = store.update("jobs", job_id, {"status": "queued", "hyperparameters": hyperparameters,
                                                "n_examples": n_examples}, status_in=("validating_files",), db=db)
        if changed:
            add_event(store, job_id, "Files validated, moving job to queued state", db=db)
    return changed


def claim_next(store: Store) -> dict[str, Any] | None:
    """The oldest queued job (FIFO by queue time), now ``running``; None when the queue is empty."""
    with store.transaction() as db:
        found = db.execute(
            "SELECT id, resume_from FROM jobs WHERE status = 'queued' AND control IS NULL "
            "ORDER BY queued_at, seq LIMIT 1"
        ).fetchone()
        if found is None:
            return None
        store.update("jobs", found["id"], {"status": "running"}, db=db)
        started = "Fine-tuning job started" if not found["resume_from"] else "Fine-tuning job resumed"
        add_event(store, found["id"], started, db=db)
    return store.get("jobs", found["id"])


def cancel_job(store: Store, job_id: str) -> dict[str, Any]:
    """Any active job → cancelled at once; a running one stops at the worker's next step."""
    with store.transaction() as db:
        job = _job(db, job_id)
        if job["status"] not in ACTIVE:
            raise TransitionError(f"Job {job_id} is already {job['status']}; only an active job can be cancelled.")
        store.update("jobs", job_id, {"status": "cancelled", "finished_at": _now(), "estimated_finish": None,
                                     "control": None}, db=db)
        add_event(store, job_id, "Fine-tuning job cancelled", db=db)
    return _stored(store, job_id)


def pause_job(store: Store, job_id: str) -> dict[str, Any]:
    """queued/running → paused (a running job keeps a resumable checkpoint); pausing a paused job changes nothing."""
    with store.transaction() as db:
        job = _job(db, job_id)
        if job["status"] == "paused":
            return _stored(store, job_id)
        if job["status"] not in ("queued", "running"):
            raise TransitionError(f"Job {job_id} is {job['status']}; only a queued or running job can be paused.")
        control = "pause" if job["status"] == "running" else job["control"]
        store.update("jobs", job_id, {"status": "paused", "control": control, "estimated_finish": None}, db=db)
        add_event(store, job_id, "Fine-tuning job paused", db=db)
    return _stored(store, job_id)


def resume_job(store: Store, job_id: str) -> dict[str, Any]:
    """paused → queued (at the end of the queue); the worker continues from the pause checkpoint."""
    with store.transaction() as db:
        job = _job(db, job_id)
        if job["status"] != "paused":
            raise TransitionError(f"Job {job_id} is {job['status']}; only a paused job can be resumed.")
        store.update("jobs", job_id, {"status": "queued", "queued_at": time.time()}, db=db)
        add_event(store, job_id, "Fine-tuning job resumed, moving job to queued state", db=db)
    return _stored(store, job_id)


def after_pause(store: Store, job_id: str, *, resume_from: Path | None, step: int, shutdown: bool) -> None:
    """The worker stopped a run to pause it: remember where to resume, and settle the status.

    A user's pause leaves the job ``paused`` (or ``queued`` if resumed meanwhile); a server shutdown puts a still
    ``running`` job back in the queue, first in line.
    """
    with store.transaction() as db:
        job = _job(db, job_id)
        values: dict[str, Any] = {"control": None, "estimated_finish": None}
        if resume_from is not None:
            values["resume_from"] = str(resume_from)
        if job["status"] == "running":
            values["status"] = "queued" if shutdown else "paused"
        store.update("jobs", job_id, values, db=db)
        if job["status"] in TERMINAL:  # cancelled while pausing: nothing to announce
            return
        if job["status"] == "running" and shutdown:
            message = f"Server stopping: job paused at step {step}; it resumes when the server starts again"
        elif values.get("status", job["status"]) == "queued":
            message = f"Fine-tuning job paused at step {step}; queued to resume"
        else:
            message = f"Fine-tuning job paused at step {step}; resume it to continue"
        add_event(store, job_id, message, db=db)


def latest_resumable(store: Store, job_id: str) -> tuple[str, int] | None:
    """(directory, step) of the job's recorded checkpoint with the highest step whose directory still has files."""
    for ckpt in store.rows("SELECT * FROM checkpoints WHERE job_id = ? ORDER BY step DESC, seq DESC", (job_id,)):
        path = Path(ckpt["path"])
        if path.is_dir() and any(path.iterdir()):
            return ckpt["path"], ckpt["step"]
    return None


def recover_interrupted(store: Store, *,
                        resumable: Callable[[str], tuple[str, int] | None] | None = None) -> list[str]:
    """Run by a worker as it starts: no job may stay ``running`` (or mid-pause) without a worker.

    Each such job is re-queued to resume from its last complete checkpoint (`resumable(job_id)` -> (dir, step);
    by default the checkpoints recorded in the database), from the start if it has none yet, or failed with the
    reason once it has been interrupted more than MAX_INTERRUPTIONS times. Returns the job ids.
    """
    find = resumable or (lambda job_id: latest_resumable(store, job_id))
    touched = []
    for job in store.rows("SELECT * FROM jobs WHERE status = 'running' OR control IS NOT NULL"):
        found = find(job["id"])
        resume, step = found if found else (None, None)
        if job["status"] != "running":  # a pause request the dead worker never acknowledged
            store.update("jobs", job["id"], {"control": None, "resume_from": resume or job["resume_from"]})
            touched.append(job["id"])
            continue
        count = job["interruptions"] + 1
        if count > MAX_INTERRUPTIONS:
            fail_job(store, job["id"], code="job_interrupted", param=None, status_in=("running",),
                     message=f"The job was interrupted {count} times (the server or its training worker stopped "
                             "while it ran) and will not be retried again.")
        else:
            where = f"from the checkpoint at step {step}" if found else "from the beginning (no checkpoint yet)"
            with store.transaction() as db:
                store.update("jobs", job["id"], {"status": "queued", "resume_from": resume, "control": None,
                                                 "estimated_finish": None, "interruptions": count}, db=db)
                add_event(store, job["id"], f"The job was interrupted (the server stopped while it ran); it will "
                                            f"resume {where}", level="warn", db=db)
        touched.append(job["id"])
    return touched


def _stored(store: Store, job_id: str) -> dict[str, Any]:
    """The job's row as it is stored now (LookupError when it is gone; the callers have just written it)."""
    row = store.get("jobs", job_id)
    if row is None:
        raise LookupError(job_id)
    return row


def _job(db: sqlite3.Connection, job_id: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise LookupError(job_id)
    return row
