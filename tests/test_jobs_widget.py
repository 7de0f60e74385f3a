"""The watcher widget as a thin view, driven in plain pytest: feed it updates, click its button, read its widgets.

The widget receives the functions it calls (watch, cancel); here they are plain functions over recorded event
shapes, so that each view rule is checked on its own. The same widget wired to the real local server is tested in
test_jobs_local.py.
"""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from nbtools.errors import JobError
from nbtools.jobs import JobWatcher, WatchResult
from nbtools.jobs.events import metrics_frame, progress

JOB = "ftjob-widget"


def _event(i: int, message: str, **metrics) -> dict:
    kind = "metrics" if metrics else "message"
    return {"id": f"ftevent-{i:03d}", "object": "fine_tuning.job.event", "created_at": 1795000000 + i,
            "level": "info", "type": kind, "message": message, "data": metrics}


EVENTS = [_event(0, f"Created fine-tuning job: {JOB}"), _event(1, "Fine-tuning job started")] + [
    _event(1 + s, f"Step {s}/4: training loss={3 - s / 2:.2f}", step=s, total_steps=4, train_loss=3 - s / 2,
           train_mean_token_accuracy=0.2 * s) for s in range(1, 5)]
DONE = {"id": JOB, "status": "succeeded", "fine_tuned_model": "ft:smollm2-135m-instruct:local:brew:abcd1234",
        "result_files": ["file-r"], "error": None}


def _chart_steps(watcher: JobWatcher) -> list[list[int]]:
    """The x values (steps) of each trace in the chart the widget shows, from its plotly mime bundle."""
    assert len(watcher.chart.outputs) == 1
    figure = watcher.chart.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    steps = []
    for trace in figure["data"]:
        x = trace["x"]
        if isinstance(x, dict):  # plotly sends numeric arrays as base64 typed arrays
            x = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"])
        steps.append([int(v) for v in x])
    return steps


def _never(*args, **kwargs):
    raise AssertionError("not expected to be called")


def test_an_update_moves_the_bar_and_redraws_the_chart_when_due():
    watcher = JobWatcher(JOB, watch=_never, cancel=_never, redraw_seconds=3600)
    running = {"id": JOB, "status": "running", "error": None}
    watcher.update(progress(running, EVENTS[:4]), EVENTS[:4])
    assert (watcher.bar.value, watcher.bar.max, watcher.bar.bar_style) == (2, 4, "info")
    assert watcher.status.value == "running · step 2/4 · train loss 2.000"
    assert "Step 2/4" in watcher.events.value and not watcher.cancel_button.disabled
    assert _chart_steps(watcher) == [[1, 2], [1, 2]]  # loss and accuracy so far
    watcher.update(progress(running, EVENTS[:5]), EVENTS[:5])  # within redraw_seconds: the chart waits
    assert _chart_steps(watcher) == [[1, 2], [1, 2]]
    watcher.update(progress(DONE, EVENTS), EVENTS)  # the end is always drawn
    assert _chart_steps(watcher) == [[1, 2, 3, 4], [1, 2, 3, 4]]
    assert (watcher.bar.value, watcher.bar.bar_style, watcher.cancel_button.disabled) == (4, "success", True)
    assert "ft:smollm2-135m-instruct:local:brew:abcd1234" in watcher.status.value


def test_the_events_table_shows_the_latest_events_only():
    many = [_event(i, f"message number {i}") for i in range(20)]
    watcher = JobWatcher(JOB, watch=_never, cancel=_never)
    watcher.update(progress({"id": JOB, "status": "running"}, many), many)
    assert "message number 19" in watcher.events.value and "message number 11" not in watcher.events.value


@pytest.mark.parametrize("answer, shown, enabled_after", [
    ({"id": JOB, "status": "cancelled"}, "Cancel requested: the job is now cancelled.", False),
    (JobError(f"job {JOB} cannot be cancelled: Job {JOB} has already succeeded."), "already succeeded", True),
])
def test_the_cancel_button_calls_cancel_and_shows_the_outcome(answer, shown, enabled_after):
    calls = []

    def cancel(job_id):
        calls.append(job_id)
        if isinstance(answer, Exception):
            raise answer
        return answer

    watcher = JobWatcher(JOB, watch=_never, cancel=cancel)
    watcher.cancel_button.click()
    assert calls == [JOB]
    assert shown in watcher.message.value and watcher.cancel_button.disabled is not enabled_after


def _result(events) -> WatchResult:
    checkpoints = pd.DataFrame([{"step": 4, "model": DONE["fine_tuned_model"], "train_loss": 1.0, "valid_loss": 1.2}])
    return WatchResult(DONE, tuple(events), checkpoints, progress(DONE, events), timed_out=False)


def test_watching_runs_in_the_background_and_wait_returns_the_result():
    seen = []

    def watch(job_id, *, on_update):
        for n in range(3, len(EVENTS) + 1):
            on_update(progress({"id": job_id, "status": "running"}, EVENTS[:n]), EVENTS[:n])
            seen.append(n)
        return _result(EVENTS)

    watcher = JobWatcher(JOB, watch=watch, cancel=_never).start()
    result = watcher.wait(timeout=30)
    assert seen == [3, 4, 5, 6] and result.succeeded and watcher.result is result
    assert "Checkpoints" in watcher.checkpoints.value and DONE["fine_tuned_model"] in watcher.checkpoints.value
    assert metrics_frame(result.events)["step"].tolist() == [1, 2, 3, 4]
    assert watcher.bar.value == 4


def test_an_error_while_watching_is_shown_and_raised_by_wait():
    def watch(job_id, *, on_update):
        raise JobError(f"the backend knows no job {job_id!r}")

    watcher = JobWatcher(JOB, watch=watch, cancel=_never).start()
    with pytest.raises(JobError, match="knows no job"):
        watcher.wait(timeout=30)
    assert "knows no job" in watcher.message.value


# -- the launch panel --------------------------------------------------------------------------------------------------

@pytest.fixture
def train_file(tmp_path):
    from server_support import chat_lines

    path = tmp_path / "train.jsonl"
    path.write_text(chat_lines(12), encoding="utf-8")
    return path


def _check(train_file, **options):
    import datetime as dt

    from nbtools.jobs import JobSpec, preflight

    return preflight(JobSpec(options.pop("model", "gpt-4o-mini-2024-07-18"), train_file),
                     on=dt.date(2026, 11, 25), **options)


def _record(job_id="ftjob-panel"):
    from nbtools.jobs import JobRecord

    return JobRecord(job_id=job_id, backend="openai", base_url="https://api.openai.com/v1",
                     model="gpt-4o-mini-2024-07-18", training_file="file-1")


def test_the_panel_launches_a_passing_preflight(train_file):
    from nbtools.jobs import LaunchPanel

    given, shown = [], []
    panel = LaunchPanel(_check(train_file), launch=lambda check: given.append(check) or _record(),
                        after_launch=lambda record: shown.append(record) or JobWatcher(record.job_id, watch=_never,
                                                                                       cancel=_never))
    assert panel.confirm_button.layout.display == "none" and not panel.launch_button.disabled
    assert "training file" in panel.findings.value and "train.jsonl: 12 valid sft examples" in panel.findings.value
    panel.launch_button.click()
    assert len(given) == 1 and given[0].ok and panel.record.job_id == "ftjob-panel"
    assert "Launched <code>ftjob-panel</code>" in panel.message.value and panel.launch_button.disabled
    assert [r.job_id for r in shown] == ["ftjob-panel"] and isinstance(panel.below.children[0], JobWatcher)


def test_the_panel_waits_for_the_confirm_button(train_file):
    from nbtools.jobs import LaunchPanel

    given = []
    panel = LaunchPanel(_check(train_file, model="gpt-4o-2024-08-06", max_usd=0.0001),
                        launch=lambda check: given.append(check) or _record())
    assert panel.launch_button.disabled and panel.confirm_button.layout.display is None
    assert "confirm it to launch" in panel.message.value
    panel.confirm_button.click()
    assert not panel.launch_button.disabled and panel.confirm_button.layout.display == "none"
    panel.launch_button.click()
    assert given[0].confirmed and given[0].ok


def test_the_panel_refuses_a_failing_preflight_and_shows_launch_errors(train_file, tmp_path):
    from nbtools.jobs import LaunchPanel

    broken = tmp_path / "broken.jsonl"
    broken.write_text(train_file.read_text().replace('"role": "user"', '"role": "customer"', 1))
    failing = LaunchPanel(_check(broken), launch=_never)
    assert failing.launch_button.disabled and "Fix the problems above" in failing.message.value

    def refuse(check):
        raise JobError("the openai backend refused the job: Invalid suffix")

    panel = LaunchPanel(_check(train_file), launch=refuse)
    panel.launch_button.click()
    assert "Invalid suffix" in panel.message.value and not panel.launch_button.disabled and panel.record is None
