"""Launch and watch fine-tuning jobs on any OpenAI-compatible backend (the local server by default).

Modules, in workflow order: spec (JobSpec: what to tune and how), preflight (validate, estimate, confirm),
upload (de-duplicated by content hash), launch (create the job, log it), runlog (find jobs again after a restart),
events (events/metrics/checkpoints as tables, progress, chart), watch (block until the end; cancel),
widget (the watcher view), panel (pre-flight, confirm, launch view), results (the result file as a table and a chart).
"""

from .events import Progress, events_frame, list_checkpoints, metrics_figure, metrics_frame, poll_events, progress
from .launch import launch_job
from .preflight import Finding, Preflight, preflight
from .results import parse_result_file, read_result_file, result_figure
from .runlog import JobRecord, RunLog, find_jobs, latest_job, refresh_jobs
from .spec import JobSpec
from .upload import UploadedFile, content_hash, hashed_filename, upload_file
from .watch import WatchResult, cancel_job, watch_job

__all__ = [
    "Finding",
    "JobRecord",
    "JobSpec",
    "Preflight",
    "Progress",
    "RunLog",
    "UploadedFile",
    "WatchResult",
    "cancel_job",
    "content_hash",
    "events_frame",
    "find_jobs",
    "hashed_filename",
    "latest_job",
    "launch_job",
    "list_checkpoints",
    "metrics_figure",
    "metrics_frame",
    "parse_result_file",
    "poll_events",
    "preflight",
    "progress",
    "read_result_file",
    "refresh_jobs",
    "result_figure",
    "upload_file",
    "watch_job",
    "watch_widget",
    "JobWatcher",
    "launch_panel",
    "LaunchPanel",
]

_WIDGETS = {"watch_widget": "widget", "JobWatcher": "widget", "launch_panel": "panel", "LaunchPanel": "panel"}


def __getattr__(name: str):
    # the widgets pull in ipywidgets: load them only when asked for
    if name in _WIDGETS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WIDGETS[name]}"), name)
    raise AttributeError(f"module 'nbtools.jobs' has no attribute {name!r}")
