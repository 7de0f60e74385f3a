"""One job inside the worker: validate its files, then train it through the engine with database-backed hooks.

:class:`JobHooks` is the worker's side of :class:`nbtools.server.engine.contract.TrainHooks`: each step becomes a
metrics event and a result-file row, each checkpoint a listed checkpoint (usable as a model), and ``control()`` reads
cancel/pause requests the API wrote into the job's row.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import errors
from . import ids
from .config import ServerConfig
from .engine.checkpoints import latest_checkpoint, read_marker
from .engine.contract import CheckpointInfo, Control, Hyperparameters, StepMetrics, TrainResult, TrainSpec
from .lifecycle import add_event, after_pause, fail_job, mark_validated
from .results import RESULT_FILENAME, encode_result
from .store import Store

if TYPE_CHECKING:
    from ..validate.rules import Method

__all__ = ["validate_job", "JobHooks", "run_job", "step_message", "resumable_checkpoint"]

log = logging.getLogger("nbtools.server.worker")

_COUNT_CODES = ("too_few_examples",)


def _check_file(path: Path, method: Method, *, role: str, min_examples: int) -> tuple[str, str] | int:
    """(error code, message) for a bad file, else its number of examples. Messages name the line and field."""
    from ..validate import validate_file

    code = f"invalid_{role}_file"
    prefix = f"The job failed due to an invalid {role} file."
    try:
        report = validate_file(path, method=method, min_examples=min_examples)
    except errors.NbtoolsError as exc:
        return code, f"{prefix} {exc}"
    shape = [issue for issue in report.errors if issue.code not in _COUNT_CODES]
    if shape:
        more = len(report.errors) - 1
        tail = f" ({more} more error{'s' if more > 1 else ''} in the file.)" if more else ""
        return code, f"{prefix} Invalid file format. {shape[0]}{tail}"
    if report.errors:
        if role == "training":
            return ("invalid_n_examples", f"Training file has {report.n_examples} example(s), but must have at "
                                          f"least {min_examples} examples")
        return code, f"{prefix} {report.errors[0]}"
    return report.n_examples


def validate_job(store: Store, config: ServerConfig, job: dict[str, Any]) -> None:
    """Validate a ``validating_files`` job's files and resolve its hyperparameters; queue it or fail it."""
    from .engine import resolve_hyperparameters

    job_id, method = job["id"], job["method"]
    try:
        checks = [("training", job["training_file"], config.min_examples)]
        if job["validation_file"]:
            checks.append(("validation", job["validation_file"], 1))
        n_examples = 0
        for role, file_id, minimum in checks:
            row = store.get("files", file_id)
            if row is None or not Path(row["path"]).is_file():
                fail_job(store, job_id, code=f"invalid_{role}_file", param=f"{role}_file",
                         message=f"The {role} file {file_id} no longer exists.", status_in=("validating_files",))
                return
            found = _check_file(Path(row["path"]), method, role=role, min_examples=minimum)
            if isinstance(found, tuple):
                code, message = found
                fail_job(store, job_id, code=code, message=message, param=f"{role}_file",
                         status_in=("validating_files",))
                return
            if role == "training":
                n_examples = found
        try:
            resolved = resolve_hyperparameters(method, job["requested"], n_examples)
        except errors.InputError as exc:
            fail_job(store, job_id, code="invalid_hyperparameters", param="hyperparameters",
                     message=f"Invalid hyperparameters: {exc}", status_in=("validating_files",))
            return
        values = {k: v for k, v in asdict(resolved).items() if v is not None}
        mark_validated(store, job_id, hyperparameters=values, n_examples=n_examples)
    except Exception as exc:  # a bug must fail the job, not kill the validator thread
        log.exception("validating %s failed", job_id)
        fail_job(store, job_id, code="validation_error", param=None, status_in=("validating_files",),
                 message=f"The files could not be validated: {type(exc).__name__}: {exc}")


def step_message(m: StepMetrics) -> str:
    """The real service's metrics-event text.

    >>> step_message(StepMetrics(step=3, total_steps=9, train_loss=1.234, train_mean_token_accuracy=0.5))
    'Step 3/9: training loss=1.23'
    """
    text = f"Step {m.step}/{m.total_steps}: training loss={m.train_loss:.2f}"
    if m.valid_loss is not None:
        text += f", validation loss={m.valid_loss:.2f}"
    if m.full_valid_loss is not None:
        text += f", full validation loss={m.full_valid_loss:.2f}"
    return text


class JobHooks:
    """TrainHooks writing to the database. `stop` is the worker's shutdown flag (it pauses the job)."""

    def __init__(self, store: Store, config: ServerConfig, job: dict[str, Any], stop: threading.Event) -> None:
        self.store, self.config, self.job, self.stop = store, config, job, stop
        self.job_id = job["id"]
        self.total_steps: int | None = None
        self._clock: tuple[float, int] | None = None  # (time, step) of the first step seen in this run

    def final_model_id(self) -> str:
        """The job's fine-tuned model id (fixed at creation, published on success)."""
        return ids.fine_tuned_model_id(self.job["model"], self.config.organization, self.job["suffix"],
                                       self.job["model_id8"])

    def on_log(self, message: str, level: Literal["info", "warn", "error"] = "info") -> None:
        """Engine progress message → job event."""
        add_event(self.store, self.job_id, message, level=level)

    def on_step(self, metrics: StepMetrics, trained_tokens: int) -> None:
        """Metrics event + result row + running totals and the estimated finish."""
        self.total_steps = metrics.total_steps
        now = time.time()
        if self._clock is None:
            self._clock = (now, metrics.step)
        started, first = self._clock
        finish = None
        if metrics.step > first:
            per_step = (now - started) / (metrics.step - first)
            finish = int(now + per_step * (metrics.total_steps - metrics.step))
        data = {k: v for k, v in asdict(metrics).items() if v is not None}
        with self.store.transaction() as db:
            add_event(self.store, self.job_id, step_message(metrics), type="metrics", data=data, db=db)
            db.execute("INSERT OR REPLACE INTO metrics (job_id, step, data) VALUES (?, ?, ?)",
                       (self.job_id, metrics.step, json.dumps(data)))
            self.store.update("jobs", self.job_id, {"trained_tokens": trained_tokens, "estimated_finish": finish},
                              db=db)

    def on_checkpoint(self, checkpoint: CheckpointInfo) -> None:
        """An epoch checkpoint, complete on disk: listed, and usable as a model (the engine reports only these;
        pause checkpoints come back in the TrainResult)."""
        total = self.total_steps or checkpoint.metrics.total_steps
        if checkpoint.step == total:
            name = self.final_model_id()
        else:
            name = ids.checkpoint_model_id(self.job["model"], self.config.organization, self.job["suffix"],
                                           ids.short_id(), checkpoint.step)
        metrics = {k: v for k, v in asdict(checkpoint.metrics).items() if v is not None}
        with self.store.transaction() as db:
            self.store.insert("checkpoints", {
                "id": ids.new_id(ids.CHECKPOINT), "job_id": self.job_id, "created_at": int(time.time()),
                "name": name, "step": checkpoint.step, "epoch": checkpoint.epoch, "path": str(checkpoint.path),
                "metrics": metrics, "kind": "epoch"}, db=db)
            add_event(self.store, self.job_id,
                      f"Checkpoint created at step {checkpoint.step} with Snapshot ID: {name}", db=db)

    def control(self) -> Control:
        """cancel when the job was cancelled; pause when the user or a server shutdown asks; else continue."""
        row = self.store.row("SELECT status, control FROM jobs WHERE id = ?", (self.job_id,))
        if row is None or row["status"] not in ("running", "paused", "queued"):
            return "cancel"
        if row["control"] == "pause" or self.stop.is_set():
            return "pause"
        return "continue"


def resumable_checkpoint(config: ServerConfig, job_id: str) -> tuple[str, int] | None:
    """(directory, step) of the job's newest complete checkpoint on disk (epoch or pause), for crash recovery."""
    path = latest_checkpoint(config.data_dir / "jobs" / job_id)
    marker = read_marker(path) if path is not None else None  # a complete checkpoint always has its marker
    return (str(path), int(marker["step"])) if marker is not None else None


def _write_result_file(store: Store, config: ServerConfig, job_id: str) -> str:
    """Write the base64 result CSV as a ``fine-tune-results`` file; returns its id."""
    metrics = [r["data"] for r in store.rows("SELECT data FROM metrics WHERE job_id = ? ORDER BY step", (job_id,))]
    content = encode_result(metrics)
    file_id = ids.new_id(ids.FILE)
    path = config.data_dir / "files" / file_id
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, path)
    store.insert("files", {"id": file_id, "filename": RESULT_FILENAME, "purpose": "fine-tune-results",
                           "bytes": len(content), "created_at": int(time.time()), "path": str(path)})
    return file_id


def _succeed(store: Store, config: ServerConfig, hooks: JobHooks, result: TrainResult) -> None:
    job_id = hooks.job_id
    model_id = hooks.final_model_id()
    result_file = _write_result_file(store, config, job_id)
    with store.transaction() as db:
        done = store.update("jobs", job_id, {
            "status": "succeeded", "fine_tuned_model": model_id, "finished_at": int(time.time()),
            "trained_tokens": result.trained_tokens, "result_file": result_file, "estimated_finish": None,
            "control": None}, status_in=("running", "paused", "queued"), db=db)
        if done:
            store.insert("models", {"id": model_id, "job_id": job_id, "base_model": hooks.job["model"],
                                    "adapter_path": str(result.final_adapter), "created_at": int(time.time())}, db=db)
            add_event(store, job_id, f"New fine-tuned model created: {model_id}", db=db)
            add_event(store, job_id, "The job has successfully completed", db=db)
    if not done:  # cancelled at the very end: no model, no result file
        store.delete("files", result_file)
        (config.data_dir / "files" / result_file).unlink(missing_ok=True)


def _train(spec: TrainSpec, hooks: JobHooks, config: ServerConfig, n_examples: int | None) -> TrainResult:
    """Train in this process, or on several processes when the job's batch splits over the cores."""
    import torch

    from . import engine
    from .data_parallel import processes_for, train_data_parallel

    threads = config.resolved_train_threads()
    processes = processes_for(config.train_processes, method=spec.method,
                              batch_size=spec.hyperparameters.batch_size, cores=threads,
                              cuda=torch.cuda.is_available(), steps=None if not n_examples else
                              spec.hyperparameters.n_epochs * -(-n_examples // spec.hyperparameters.batch_size))
    if processes == 1:
        return engine.train(spec, hooks, options=engine.TrainOptions(num_threads=threads,
                                                                     max_length=config.train_max_length))
    per_process = max(1, threads // processes)
    hooks.on_log(f"Training on {processes} processes of {per_process} thread{'s' if per_process > 1 else ''} "
                 f"each (data parallel), batch {spec.hyperparameters.batch_size // processes} per process")
    return train_data_parallel(spec, hooks, processes=processes, threads_per_process=per_process,
                               max_length=config.train_max_length, poll_seconds=config.poll_seconds)


def run_job(store: Store, config: ServerConfig, job: dict[str, Any], stop: threading.Event) -> None:
    """Train one claimed (``running``) job to its end: succeeded, paused, cancelled or failed."""
    job_id = job["id"]
    hooks = JobHooks(store, config, job, stop)
    try:
        training = store.get("files", job["training_file"])
        validation = store.get("files", job["validation_file"]) if job["validation_file"] else None
        if training is None or (job["validation_file"] and validation is None):
            raise errors.InputError("a file of this job was deleted before training started")
        if job["model"] not in config.base_models:
            raise errors.ConfigError(f"base model {job['model']!r} is no longer registered with this server "
                                     "(start it with --base-model ID=PATH)")
        spec = TrainSpec(
            job_id=job_id,
            method=job["method"],
            base_model=config.base_models[job["model"]],
            training_file=Path(training["path"]),
            validation_file=Path(validation["path"]) if validation else None,
            hyperparameters=Hyperparameters(**job["hyperparameters"]),
            seed=job["seed"],
            output_dir=config.data_dir / "jobs" / job_id,
            resume_from=Path(job["resume_from"]) if job["resume_from"] else None,
        )
        result = _train(spec, hooks, config, job["n_examples"])
    except Exception as exc:
        log.exception("job %s failed", job_id)
        fail_job(store, job_id, code="training_failed", param=None, status_in=("running", "paused", "queued"),
                 message=f"Fine-tuning failed: {type(exc).__name__}: {exc}")
        return
    if result.status == "succeeded":
        _succeed(store, config, hooks, result)
    elif result.status == "paused":
        resume = result.resume_checkpoint or latest_checkpoint(spec.output_dir)
        after_pause(store, job_id, resume_from=resume, step=result.steps_done, shutdown=stop.is_set())
    else:
        with store.transaction() as db:
            if store.update("jobs", job_id, {"status": "cancelled", "finished_at": int(time.time()),
                                             "estimated_finish": None, "control": None},
                            status_in=("running", "paused", "queued"), db=db):
                add_event(store, job_id, "Fine-tuning job cancelled", db=db)
