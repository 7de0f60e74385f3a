"""Launch a fine-tuning job: pre-flight, de-duplicated uploads, create, and a run-log entry.

    record = launch_job(client, JobSpec("smollm2-135m-instruct", "train.jsonl", n_epochs=1), label="04_launch_job")
    record.job_id      # 'ftjob-…', also in the run log: latest_job(kind="local") finds it after a restart
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import BackendError, InputError
from .preflight import Preflight, preflight as run_preflight
from .runlog import JobRecord, RunLog
from .spec import JobSpec
from .upload import UploadedFile, upload_file

__all__ = ["launch_job"]


def _file_entry(uploaded: UploadedFile) -> dict[str, Any]:
    return {"path": uploaded.path, "sha256": uploaded.sha256, "bytes": uploaded.bytes, "file_id": uploaded.file_id,
            "filename": uploaded.filename}


def launch_job(client: Any, spec: JobSpec, *, preflight: Preflight | None = None, confirmed: bool = False,
               label: str | None = None, home: str | os.PathLike[str] | None = None) -> JobRecord:
    """Create the job of `spec` on the backend of `client` and log it; returns the run-log record.

    Runs the pre-flight unless one for this very `spec` is given, and raises InputError listing the failed checks
    when it does not pass (nothing is uploaded then). `confirmed=True` accepts a cost over the threshold.
    `label` (e.g. the notebook's name) is kept in the run log to find the job again.
    """
    import openai

    from ..backend import client_backend

    if preflight is None:
        preflight = run_preflight(spec, confirmed=confirmed)
    elif preflight.spec != spec:
        raise InputError("the pre-flight given was run for another job spec; run preflight(spec) again",
                         field="preflight")
    elif confirmed and not preflight.confirmed:
        preflight = preflight.confirm()
    preflight.raise_for_problems()

    backend = client_backend(client, home=home)
    training = upload_file(client, spec.training_path, home=home)
    validation = upload_file(client, spec.validation_path, home=home) if spec.validation_path is not None else None
    arguments = spec.create_arguments(training.file_id, validation.file_id if validation else None)
    try:
        job = client.fine_tuning.jobs.create(**arguments)
    except openai.APIStatusError as exc:
        raise BackendError(f"the {backend.kind} backend refused the job: {exc.message}") from None
    except openai.APIConnectionError as exc:
        raise BackendError(f"could not reach the {backend.kind} backend at {backend.base_url}: "
                           f"{exc.__cause__ or exc}") from None
    files = {"training": _file_entry(training)}
    if validation is not None:
        files["validation"] = _file_entry(validation)
    record = JobRecord(
        job_id=job.id, backend=backend.kind, base_url=backend.base_url or "", model=spec.model,
        training_file=training.file_id, validation_file=validation.file_id if validation else None,
        method=spec.method, hyperparameters=spec.hyperparameters(),
        suffix=spec.suffix, seed=job.seed if job.seed is not None else spec.seed,
        metadata=dict(spec.metadata) if spec.metadata else None, files=files, label=label,
        created_at=int(job.created_at or 0), status=job.status or "validating_files",
    )
    RunLog(home).record_job(record)
    return record
