"""A job's events and checkpoints as tables, its progress, and its live loss/accuracy chart.

Events are plain dicts as the API returns them (``id``, ``created_at``, ``level``, ``type``, ``message``, ``data``);
``metrics`` events carry the step's numbers in ``data``. Everything here except the two fetch functions is pure.

    >>> events = [{"id": "e1", "created_at": 1, "level": "info", "type": "message", "message": "started", "data": {}},
    ...           {"id": "e2", "created_at": 2, "level": "info", "type": "metrics", "message": "Step 1/4",
    ...            "data": {"step": 1, "total_steps": 4, "train_loss": 2.5, "train_mean_token_accuracy": 0.4}}]
    >>> progress({"id": "ftjob-1", "status": "running"}, events).label()
    'running · step 1/4 · train loss 2.500'
    >>> metrics_frame(events)[["step", "train_loss"]].to_dict("records")
    [{'step': 1, 'train_loss': 2.5}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping

from .runlog import TERMINAL_STATUSES

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = [
    "Progress",
    "as_record",
    "poll_events",
    "events_frame",
    "metrics_frame",
    "progress",
    "metrics_figure",
    "list_checkpoints",
    "METRIC_COLUMNS",
]

METRIC_COLUMNS = ("step", "total_steps", "train_loss", "train_mean_token_accuracy", "valid_loss",
                  "valid_mean_token_accuracy", "full_valid_loss", "full_valid_mean_token_accuracy")
_EVENT_COLUMNS = ("time", "level", "type", "message", "id")
_PAGE = 100


def as_record(obj: Any) -> dict[str, Any]:
    """An SDK object (pydantic model) or a mapping as a plain dict."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return dict(obj)


def poll_events(client: Any, job_id: str, *, known: Collection[str] = (), page_size: int = _PAGE
                ) -> list[dict[str, Any]]:
    """The job's events whose ids are not in `known`, oldest first.

    The API lists events newest first and ``after=<id>`` pages towards older ones, so this reads pages from the
    newest until it meets a known id (or the first event), following the ``after`` cursor between pages.
    """
    new: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.fine_tuning.jobs.list_events(job_id, limit=page_size, **({"after": after} if after else {}))
        items = [as_record(e) for e in page.data]
        for item in items:
            if item["id"] in known:
                return new[::-1]
            new.append(item)
        if not items or not page.has_more:
            return new[::-1]
        after = items[-1]["id"]


def events_frame(events: Iterable[Mapping[str, Any]]) -> "pd.DataFrame":
    """One row per event, oldest first: time (UTC), level, type, message, id, and the metrics of metrics events."""
    import pandas as pd

    rows = []
    for event in events:
        row = {"time": event.get("created_at"), "level": event.get("level"), "type": event.get("type"),
               "message": event.get("message"), "id": event.get("id")}
        if event.get("type") == "metrics":
            row.update({k: v for k, v in (event.get("data") or {}).items() if k in METRIC_COLUMNS})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(_EVENT_COLUMNS) + list(METRIC_COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    return frame.astype({"step": "Int64", "total_steps": "Int64"})


def metrics_frame(events: Iterable[Mapping[str, Any]]) -> "pd.DataFrame":
    """One row per training step from the metrics events (the last report of a step wins), sorted by step."""
    import pandas as pd

    rows = [{k: (e.get("data") or {}).get(k) for k in METRIC_COLUMNS} for e in events if e.get("type") == "metrics"]
    frame = pd.DataFrame(rows, columns=list(METRIC_COLUMNS)).dropna(subset=["step"])
    frame = frame.drop_duplicates("step", keep="last").sort_values("step", kind="stable").reset_index(drop=True)
    floats = {c: "float64" for c in METRIC_COLUMNS[2:]}
    return frame.astype({"step": "int64", "total_steps": "Int64", **floats})


@dataclass(frozen=True)
class Progress:
    """Where a job stands: status, step of total, the last message, and the tuned model once there is one."""

    job_id: str
    status: str
    step: int
    total_steps: int | None
    train_loss: float | None
    message: str | None
    fine_tuned_model: str | None
    error: str | None

    @property
    def terminal(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.status in TERMINAL_STATUSES

    @property
    def fraction(self) -> float | None:
        """Share of steps done (0..1), or None while the number of steps is unknown."""
        if self.status == "succeeded":
            return 1.0
        return None if not self.total_steps else min(1.0, self.step / self.total_steps)

    def label(self) -> str:
        """A one-line status for people."""
        parts = [self.status]
        if self.total_steps:
            parts.append(f"step {self.step}/{self.total_steps}")
        if self.train_loss is not None:
            parts.append(f"train loss {self.train_loss:.3f}")
        if self.fine_tuned_model:
            parts.append(self.fine_tuned_model)
        if self.error:
            parts.append(self.error)
        return " · ".join(parts)


def progress(job: Any, events: Iterable[Mapping[str, Any]]) -> Progress:
    """The Progress of `job` (SDK object or dict) given its events so far (oldest first)."""
    values = as_record(job)
    events = list(events)
    metrics = [e.get("data") or {} for e in events if e.get("type") == "metrics"]
    last = metrics[-1] if metrics else {}
    total = last.get("total_steps")
    step = int(last.get("step") or 0)
    if values.get("status") == "succeeded" and total:
        step = int(total)
    error = values.get("error")
    error = as_record(error) if error is not None else {}
    return Progress(
        job_id=values.get("id", ""), status=values.get("status") or "unknown", step=step,
        total_steps=int(total) if total else None, train_loss=last.get("train_loss"),
        message=events[-1].get("message") if events else None, fine_tuned_model=values.get("fine_tuned_model"),
        error=error.get("message") or None,
    )


def metrics_figure(metrics: "pd.DataFrame", *, title: str = "Training progress") -> "go.Figure":
    """Loss (top) and token accuracy (bottom) per training step: training, validation batch, full validation."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("Loss", "Token accuracy"))
    series = (("train", "train_loss", "train_mean_token_accuracy", "lines+markers"),
              ("validation batch", "valid_loss", "valid_mean_token_accuracy", "markers"),
              ("full validation", "full_valid_loss", "full_valid_mean_token_accuracy", "markers"))
    colors = ("#1f77b4", "#ff7f0e", "#2ca02c")
    for (name, loss, accuracy, mode), color in zip(series, colors):
        for row, column in ((1, loss), (2, accuracy)):
            if column in metrics and metrics[column].notna().any():
                shown = metrics[metrics[column].notna()]
                fig.add_trace(go.Scatter(x=shown["step"], y=shown[column], mode=mode, name=name,
                                         legendgroup=name, showlegend=row == 1, line={"color": color},
                                         marker={"color": color}), row=row, col=1)
    waiting = " (waiting for the first step)" if metrics.empty else ""
    fig.update_layout(title=title + waiting, height=520, legend={"orientation": "h", "y": -0.12})
    fig.update_xaxes(title_text="training step (one batch)", row=2, col=1)
    fig.update_yaxes(title_text="loss (cross-entropy, nats/token)", row=1, col=1)
    fig.update_yaxes(title_text="accuracy (share of tokens)", range=[0, 1], row=2, col=1)
    return fig


def list_checkpoints(client: Any, job_id: str) -> "pd.DataFrame":
    """The job's checkpoints, lowest step first: step, checkpoint model name, time, and its metrics."""
    import pandas as pd

    rows = []
    for item in client.fine_tuning.jobs.checkpoints.list(job_id, limit=100):
        values = as_record(item)
        metrics = {k: v for k, v in (values.get("metrics") or {}).items() if k != "step"}
        rows.append({"step": values["step_number"], "model": values["fine_tuned_model_checkpoint"],
                     "created_at": values["created_at"], "id": values["id"], **metrics})
    frame = pd.DataFrame(rows, columns=["step", "model", "created_at", "id", *METRIC_COLUMNS[2:]])
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame.sort_values("step").reset_index(drop=True)
