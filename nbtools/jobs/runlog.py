"""A small local log of launched jobs and uploaded files, so a job is found again after a kernel restart.

Two append-only JSON Lines files under ``<nbtools home>/runs/``: ``jobs.jsonl`` (one ``created`` line per launch,
then ``update`` lines as the job's status becomes known) and ``uploads.jsonl`` (one line per uploaded file, keyed
by the SHA-256 of its bytes). Keys are never written: only the backend's kind and URL.

    >>> import tempfile
    >>> log = RunLog(tempfile.mkdtemp())
    >>> log.record_job(JobRecord(job_id="ftjob-1", backend="local", base_url="http://127.0.0.1:8765/v1",
    ...                          model="smollm2-135m-instruct", training_file="file-1", created_at=1764000000))
    >>> log.update_job("ftjob-1", status="succeeded", fine_tuned_model="ft:smollm2-135m-instruct:local::abc")
    >>> latest_job(kind="local", status="succeeded", home=log.home).fine_tuned_model
    'ft:smollm2-135m-instruct:local::abc'
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import JobError
from ..jsonl import append_jsonl, iter_records
from ..settings import home_dir

__all__ = ["JobRecord", "RunLog", "find_jobs", "latest_job", "refresh_jobs", "TERMINAL_STATUSES", "RUNS_DIR"]

RUNS_DIR = "runs"
JOBS_FILE, UPLOADS_FILE = "jobs.jsonl", "uploads.jsonl"
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
_UPDATABLE = ("status", "fine_tuned_model", "finished_at", "result_files", "trained_tokens", "hyperparameters",
              "error")


@dataclass(frozen=True)
class JobRecord:
    """One launched job as the run log knows it (the status is the last one seen; see :func:`refresh_jobs`)."""

    job_id: str
    backend: str
    base_url: str
    model: str
    training_file: str
    validation_file: str | None = None
    method: str = "supervised"
    hyperparameters: Mapping[str, Any] = field(default_factory=dict, hash=False)
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] | None = field(default=None, hash=False)
    files: Mapping[str, Any] = field(default_factory=dict, hash=False)  # role -> {path, sha256, bytes, file_id}
    label: str | None = None
    created_at: int = 0
    status: str = "validating_files"
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    result_files: tuple[str, ...] = ()
    trained_tokens: int | None = None
    error: Mapping[str, Any] | None = field(default=None, hash=False)

    @property
    def terminal(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.status in TERMINAL_STATUSES

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        values = dataclasses.asdict(self)
        values["result_files"] = list(self.result_files)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "JobRecord":
        """A record from a run-log line (unknown keys ignored, so older and newer logs both read)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in values.items() if k in names}
        kept["result_files"] = tuple(kept.get("result_files") or ())
        return cls(**kept)


def _error_dict(error: Any) -> dict[str, Any] | None:
    if error is None:
        return None
    values = error.model_dump() if hasattr(error, "model_dump") else dict(error)
    return values if any(values.get(k) for k in ("code", "message", "param")) else None


def job_changes(job: Any) -> dict[str, Any]:
    """The run-log fields of a job object (SDK model or dict) that change while it runs."""
    values = job.model_dump() if hasattr(job, "model_dump") else dict(job)
    changes = {k: values.get(k) for k in _UPDATABLE if k in values}
    changes["result_files"] = list(values.get("result_files") or [])
    changes["error"] = _error_dict(values.get("error"))
    hyperparameters = changes.get("hyperparameters")
    if isinstance(hyperparameters, Mapping):
        changes["hyperparameters"] = {k: v for k, v in hyperparameters.items() if v is not None}
    return changes


class RunLog:
    """The run log of one nbtools home (``$NBTOOLS_HOME`` by default)."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = home_dir(home)
        self.directory = self.home / RUNS_DIR
        self.jobs_path = self.directory / JOBS_FILE
        self.uploads_path = self.directory / UPLOADS_FILE

    def __repr__(self) -> str:
        return f"RunLog({str(self.directory)!r})"

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _append(self, path: Path, line: Mapping[str, Any]) -> None:
        with self._locked(path):
            append_jsonl([line], path, sort_keys=True)

    def _read(self, path: Path) -> Iterator[dict[str, Any]]:
        if path.is_file():
            for _, line in iter_records(path):
                yield line

    # -- jobs ---------------------------------------------------------------------------------------------------------

    def record_job(self, record: JobRecord) -> None:
        """Append a launched job."""
        self._append(self.jobs_path, {"event": "created", "logged_at": int(time.time()), **record.as_dict()})

    def update_job(self, job_id: str, **changes: Any) -> None:
        """Append what changed about a job (status, fine-tuned model, result files, ...)."""
        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"cannot update run-log fields {sorted(unknown)}; allowed: {', '.join(_UPDATABLE)}")
        self._append(self.jobs_path, {"event": "update", "logged_at": int(time.time()), "job_id": job_id,
                                      **changes})

    def jobs(self) -> list[JobRecord]:
        """Every logged job with its updates folded in, oldest launch first."""
        folded: dict[str, dict[str, Any]] = {}
        for line in self._read(self.jobs_path):
            job_id = line.get("job_id", "")
            if line.get("event") == "created":
                folded[job_id] = dict(line)
            elif line.get("event") == "update" and job_id in folded:
                folded[job_id].update({k: v for k, v in line.items() if k in _UPDATABLE})
        return [JobRecord.from_dict(values) for values in folded.values()]

    def job(self, job_id: str) -> JobRecord | None:
        """The logged job `job_id`, or None."""
        return next((r for r in self.jobs() if r.job_id == job_id), None)

    # -- uploads ------------------------------------------------------------------------------------------------------

    def record_upload(self, *, backend: str, base_url: str, sha256: str, bytes: int, file_id: str, filename: str,
                      purpose: str, path: str) -> None:
        """Append an uploaded (or found) file."""
        self._append(self.uploads_path, {"logged_at": int(time.time()), "backend": backend, "base_url": base_url,
                                         "sha256": sha256, "bytes": bytes, "file_id": file_id,
                                         "filename": filename, "purpose": purpose, "path": path})

    def uploads(self, *, backend: str, base_url: str, sha256: str, purpose: str) -> list[dict[str, Any]]:
        """Logged uploads of these bytes to this backend, newest first. Local uploads match whatever the port."""
        same_place = (lambda line: True) if backend == "local" else (lambda line: line.get("base_url") == base_url)
        found = [line for line in self._read(self.uploads_path)
                 if line.get("backend") == backend and same_place(line) and line.get("sha256") == sha256
                 and line.get("purpose") == purpose]
        return found[::-1]


def _matches(record: JobRecord, *, kind: str | None, status: str | tuple[str, ...] | None, model: str | None,
             label: str | None, base_url: str | None) -> bool:
    statuses = (status,) if isinstance(status, str) else status
    return ((kind is None or record.backend == kind) and (statuses is None or record.status in statuses)
            and (model is None or record.model == model) and (label is None or record.label == label)
            and (base_url is None or record.base_url.rstrip("/") == base_url.rstrip("/")))


def refresh_jobs(client: Any, records: list[JobRecord], *, home: str | os.PathLike[str] | None = None
                 ) -> list[JobRecord]:
    """Ask the backend of `client` for the current state of each unfinished record; log and return the updates.

    Records of other backends are returned unchanged; a job the backend no longer knows keeps its last status.
    """
    import openai

    from ..backend import client_backend

    backend = client_backend(client, home=home)
    log = RunLog(home)
    out = []
    for record in records:
        same = record.backend == backend.kind and (backend.kind == "local" or
                                                   record.base_url.rstrip("/") == (backend.base_url or "").rstrip("/"))
        if record.terminal or not same:
            out.append(record)
            continue
        try:
            job = client.fine_tuning.jobs.retrieve(record.job_id)
        except openai.NotFoundError:
            out.append(record)
            continue
        changes = job_changes(job)
        log.update_job(record.job_id, **changes)
        updated: dict[str, Any] = {k: (tuple(v) if k == "result_files" else v) for k, v in changes.items()}
        out.append(dataclasses.replace(record, **updated))
    return out


def find_jobs(*, kind: str | None = None, status: str | tuple[str, ...] | None = None, model: str | None = None,
              label: str | None = None, base_url: str | None = None, client: Any = None,
              home: str | os.PathLike[str] | None = None) -> list[JobRecord]:
    """Logged jobs matching every given filter, newest launch first (empty list when none).

    With `client`, unfinished jobs on that client's backend are refreshed from it first, so a job that finished
    while no one watched is found with its final status.
    """
    records = RunLog(home).jobs()
    if client is not None:
        records = refresh_jobs(client, records, home=home)
    found = [r for r in records if _matches(r, kind=kind, status=status, model=model, label=label, base_url=base_url)]
    order = sorted(enumerate(found), key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
    return [record for _, record in order]


def latest_job(*, kind: str | None = None, status: str | tuple[str, ...] | None = None, model: str | None = None,
               label: str | None = None, base_url: str | None = None, client: Any = None,
               home: str | os.PathLike[str] | None = None) -> JobRecord:
    """The most recently launched logged job matching the filters; raises JobError when there is none."""
    found = find_jobs(kind=kind, status=status, model=model, label=label, base_url=base_url, client=client, home=home)
    if not found:
        wanted = ", ".join(f"{k}={v!r}" for k, v in (("kind", kind), ("status", status), ("model", model),
                                                     ("label", label), ("base_url", base_url)) if v is not None)
        raise JobError(f"no job in the run log {RunLog(home).jobs_path} matches {wanted or 'anything'}; "
                       "launch one first (notebook 04 or nbtools.launch_job)")
    return found[0]
