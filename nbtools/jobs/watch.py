"""Watch a job until it ends: poll status and new events, report progress, log the outcome; cancel a job.

``watch_job`` blocks (with a tqdm bar) and returns a frozen WatchResult; ``on_update`` is called after every poll so
that a view (see :mod:`nbtools.jobs.widget`) can redraw. Watching starts from the job's first event, so it can be
resumed at any time, for example after a kernel restart with the job id from :func:`nbtools.jobs.latest_job`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from tqdm.auto import tqdm

from ..errors import BackendError, JobError
from .events import Progress, as_record, events_frame, list_checkpoints, metrics_figure, metrics_frame, poll_events
from .events import progress as job_progress
from .runlog import RunLog, job_changes

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["WatchResult", "watch_job", "cancel_job", "DEFAULT_POLL_SECONDS"]

DEFAULT_POLL_SECONDS = 2.0
OnUpdate = Callable[[Progress, list], None]


@dataclass(frozen=True, eq=False)
class WatchResult:
    """The job as last seen, every event (oldest first), its checkpoints, and whether the
    watch stopped at the timeout rather than at the end of the job."""

    job: dict[str, Any]
    events: tuple[dict[str, Any], ...]
    checkpoints: "pd.DataFrame"
    progress: Progress
    timed_out: bool

    @property
    def status(self) -> str:
        """The job's last status."""
        return self.progress.status

    @property
    def succeeded(self) -> bool:
        """True when the job succeeded."""
        return self.status == "succeeded"

    @property
    def fine_tuned_model(self) -> str | None:
        """The tuned model's id (None unless the job succeeded)."""
        return self.job.get("fine_tuned_model")

    @property
    def result_files(self) -> tuple[str, ...]:
        """Ids of the job's result files."""
        return tuple(self.job.get("result_files") or ())

    def events_frame(self) -> "pd.DataFrame":
        """Every event as a table (see :func:`nbtools.jobs.events.events_frame`)."""
        return events_frame(self.events)

    def metrics_frame(self) -> "pd.DataFrame":
        """One row per training step."""
        return metrics_frame(self.events)

    def figure(self) -> "go.Figure":
        """The loss/accuracy chart of the whole run."""
        return metrics_figure(self.metrics_frame(), title=f"Fine-tuning {self.job.get('id')}: {self.status}")


def _retrieve(client: Any, job_id: str) -> dict[str, Any]:
    import openai

    try:
        return as_record(client.fine_tuning.jobs.retrieve(job_id))
    except openai.NotFoundError:
        raise JobError(f"the backend knows no job {job_id!r} (is the client pointing at the backend it was "
                       "launched on?)") from None


def watch_job(client: Any, job_id: str, *, poll_seconds: float = DEFAULT_POLL_SECONDS, timeout: float | None = None,
              on_update: OnUpdate | None = None, progress_bar: bool = True, check: bool = True,
              home: str | os.PathLike[str] | None = None) -> WatchResult:
    """Poll `job_id` every `poll_seconds` until it succeeds, fails or is cancelled (or `timeout` seconds pass).

    Each poll reads the job, then the events it has not seen (the ``after`` cursor pages back to them), updates
    the progress bar and calls ``on_update(progress, events)``. At the end the run log gets the final status, the
    checkpoints are listed, and with `check` a failed or cancelled job raises JobError with the backend's reason.
    """
    import openai

    deadline = None if timeout is None else time.monotonic() + timeout
    events: list[dict[str, Any]] = []
    known: set[str] = set()
    timed_out = False
    with tqdm(total=None, desc=job_id, unit="step", disable=not progress_bar) as bar:
        while True:
            try:
                job = _retrieve(client, job_id)
                new = poll_events(client, job_id, known=known)
            except openai.APIConnectionError as exc:
                raise BackendError(f"lost the backend while watching {job_id}: {exc.__cause__ or exc}; watch again "
                                   "with watch_job(client, job_id) once it is back") from None
            events.extend(new)
            known.update(e["id"] for e in new)
            state = job_progress(job, events)
            if state.total_steps and bar.total != state.total_steps:
                bar.total = state.total_steps
            bar.n = state.step
            bar.set_postfix_str(state.label(), refresh=False)
            bar.refresh()
            if on_update is not None:
                on_update(state, list(events))
            if state.terminal:
                break
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                break
            time.sleep(poll_seconds)
    log = RunLog(home)
    if log.job(job_id) is not None:
        log.update_job(job_id, **job_changes(job))
    checkpoints = list_checkpoints(client, job_id)
    result = WatchResult(job, tuple(events), checkpoints, state, timed_out)
    if check and state.terminal and not result.succeeded:
        reason = f": {state.error}" if state.error else ""
        raise JobError(f"fine-tuning job {job_id} ended {state.status}{reason}")
    return result


def cancel_job(client: Any, job_id: str, *, home: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Ask the backend to cancel `job_id`; returns the job. Raises JobError when it has already ended."""
    import openai

    try:
        job = as_record(client.fine_tuning.jobs.cancel(job_id))
    except openai.BadRequestError as exc:
        raise JobError(f"job {job_id} cannot be cancelled: {exc.message}") from None
    except openai.NotFoundError:
        raise JobError(f"the backend knows no job {job_id!r}") from None
    log = RunLog(home)
    if log.job(job_id) is not None:
        log.update_job(job_id, **job_changes(job))
    return job
