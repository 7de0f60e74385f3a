"""The job watcher widget: a thin ipywidgets view over :func:`watch_job` and :func:`cancel_job`.

It receives the functions it calls (``watch``, ``cancel``), runs ``watch`` in a background thread so that the
notebook stays free (and the Cancel button works while no cell runs), and redraws on every update: progress bar,
status line, the loss/accuracy chart (re-rendered into an Output at most every ``redraw_seconds``: plotly's
FigureWidget needs the extra anywidget package), the latest events and, at the end, the checkpoints. Errors from
the functions it calls are shown in the widget. ``wait()`` blocks until the watch ends and returns its result.

    watcher = watch_widget(client, record.job_id)   # display it; it starts watching at once
    result = watcher.wait()                          # WatchResult, as watch_job returns it
"""

from __future__ import annotations

import functools
import html
import threading
import time
from typing import Any, Callable

import ipywidgets as w

from ..widget_errors import error_html
from .events import Progress, events_frame, metrics_figure, metrics_frame
from .watch import WatchResult, cancel_job, watch_job

__all__ = ["JobWatcher", "watch_widget"]

_EVENT_ROWS = 8
_TABLE_STYLE = "font-size: 12px; max-height: 220px; overflow: auto"


def _table(frame) -> str:
    return f'<div style="{_TABLE_STYLE}">{frame.to_html(index=False, na_rep="", border=0)}</div>'


class JobWatcher(w.VBox):
    """Progress, live chart, events and a Cancel button for one job; see the module docstring."""

    def __init__(self, job_id: str, *, watch: Callable[..., WatchResult], cancel: Callable[[str], Any],
                 redraw_seconds: float = 3.0) -> None:
        self.job_id = job_id
        self._watch, self._cancel = watch, cancel
        self.redraw_seconds = redraw_seconds
        self.result: WatchResult | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._last_draw: float | None = None  # monotonic time of the last chart; None until the first
        self.title = w.HTML(f"<b>Fine-tuning job</b> <code>{html.escape(job_id)}</code>")
        self.bar = w.IntProgress(value=0, min=0, max=1, description="steps", bar_style="info")
        self.status = w.Label("waiting for the first poll…")
        self.cancel_button = w.Button(description="Cancel job", button_style="danger", icon="stop")
        self.cancel_button.on_click(self._on_cancel)
        self.chart = w.Output()
        self.events = w.HTML()
        self.checkpoints = w.HTML()
        self.message = w.HTML()
        super().__init__([self.title, w.HBox([self.bar, self.status]), self.cancel_button, self.message, self.chart,
                          self.events, self.checkpoints])

    # -- drawing (called from the watch thread or directly) -----------------------------------------------------------

    def update(self, state: Progress, events: list) -> None:
        """Redraw for a new poll: bar, status line, events table, and the chart when due (or at the end)."""
        if state.total_steps:
            self.bar.max = state.total_steps
        self.bar.value = min(state.step, self.bar.max)
        self.status.value = state.label()
        self.bar.bar_style = {"succeeded": "success", "failed": "danger", "cancelled": "warning"}.get(
            state.status, "info")
        self.cancel_button.disabled = state.terminal
        recent = events_frame(events[-_EVENT_ROWS:])[["time", "level", "message"]]
        self.events.value = "<b>Latest events</b>" + _table(recent)
        now = time.monotonic()
        if state.terminal or self._last_draw is None or now - self._last_draw >= self.redraw_seconds:
            self._last_draw = now
            self.draw_chart(events, state)

    def draw_chart(self, events: list, state: Progress) -> None:
        """Replace the chart with one of every step so far."""
        import plotly.io as pio

        figure = metrics_figure(metrics_frame(events), title=f"Fine-tuning {state.job_id}: {state.status}")
        # plotly's mime bundle, whatever the session's default renderer (JupyterLab draws it with jupyterlab-plotly)
        bundle = pio.renderers["plotly_mimetype"].to_mimebundle(figure.to_dict())
        bundle["text/plain"] = f"<loss and accuracy chart of {state.job_id}: {len(events)} events>"
        self.chart.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)

    def show_error(self, exc: BaseException) -> None:
        """Show an error from a called function in the widget."""
        self.message.value = error_html(exc)

    def finish(self, result: WatchResult) -> None:
        """Show the final state and the checkpoints."""
        self.result = result
        self.update(result.progress, list(result.events))
        if result.timed_out:
            self.message.value = "Stopped watching at the time limit; the job goes on (watch it again to resume)."
        if not result.checkpoints.empty:
            shown = result.checkpoints[["step", "model", "train_loss", "valid_loss"]]
            self.checkpoints.value = "<b>Checkpoints</b>" + _table(shown)

    # -- actions ------------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self.finish(self._watch(self.job_id, on_update=self.update))
        except Exception as exc:  # shown in the widget and re-raised by wait()
            self.error = exc
            self.show_error(exc)

    def start(self) -> "JobWatcher":
        """Start watching in a background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"watch-{self.job_id}", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> WatchResult:
        """Block until the watch ends; returns its result or raises its error."""
        thread = self.start()._thread
        assert thread is not None  # start() made it
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"still watching {self.job_id} after {timeout} s; call wait() again")
        if self.error is not None:
            raise self.error
        assert self.result is not None  # the watch ended without an error: finish() kept its result
        return self.result

    def _on_cancel(self, _button: Any = None) -> None:
        self.cancel_button.disabled = True
        try:
            job = self._cancel(self.job_id)
        except Exception as exc:  # shown to the person who clicked; the library raised a clear message
            self.show_error(exc)
            self.cancel_button.disabled = False
            return
        status = job.get("status") if isinstance(job, dict) else getattr(job, "status", None)
        self.message.value = f"Cancel requested: the job is now {html.escape(str(status))}."


def watch_widget(client: Any, job_id: str, *, start: bool = True, redraw_seconds: float = 3.0,
                 **watch_options: Any) -> JobWatcher:
    """A JobWatcher for `job_id` on the backend of `client`, wired to :func:`watch_job` and :func:`cancel_job`.

    `watch_options` go to ``watch_job`` (``poll_seconds``, ``timeout``, ``home``); failures are reported by
    ``wait()`` rather than raised inside the thread, so ``check`` is off here.
    """
    home = watch_options.get("home")
    watch = functools.partial(watch_job, client, progress_bar=False, check=False, **watch_options)
    cancel = functools.partial(cancel_job, client, home=home)
    watcher = JobWatcher(job_id, watch=watch, cancel=cancel, redraw_seconds=redraw_seconds)
    return watcher.start() if start else watcher
