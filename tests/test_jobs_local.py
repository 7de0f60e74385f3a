"""Launch and watch against the REAL local server (a detached process that really fine-tunes SmolLM2-135M):
de-duplicated upload, pre-flight, launch → run log → watch to success, events, checkpoints, the result file,
launch through the panel and cancel through the watcher's button, and a fresh process that finds the job in the run log and resumes watching.

One tiny job trains (12 short examples, 1 epoch of 3 steps); a second one is cancelled before it trains.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2
import numpy as np
import openai
import pytest

from backend_support import ServerLookups
from nbtools.backend import client_backend, connect
from nbtools.errors import JobError
from nbtools.jobs import (JobSpec, cancel_job, find_jobs, launch_job, launch_panel, list_checkpoints, preflight,
                          read_result_file, upload_file, watch_job)
from server_support import chat_lines, shared_server, wait_for

pytestmark = pytest.mark.slow

LABEL = "test_jobs_local"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server():
    return shared_server()


@pytest.fixture(scope="module")
def home(server):
    return server.data_dir.parent  # the server keeps its state in <home>/server


@pytest.fixture(scope="module")
def client(home):
    return connect("local", env_file=None, environ={}, home=home, max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs-local")
    (folder / "train.jsonl").write_text(chat_lines(12), encoding="utf-8")
    (folder / "valid.jsonl").write_text(chat_lines(4, reply="Hey there! Sure thing. Stay grounded! ☕"),
                                        encoding="utf-8")
    return JobSpec("smollm2-135m-instruct", folder / "train.jsonl", validation_file=folder / "valid.jsonl",
                   n_epochs=1, batch_size=4, suffix="jobs-test", seed=7, metadata={"suite": LABEL})


@pytest.fixture(scope="module")
def finished(client, spec, home):
    """The job launched and watched to the end, with every progress update the watch reported, and what the launch
    spent finding its backend (server.json reads, health checks)."""
    updates = []
    with pytest.MonkeyPatch.context() as patch:
        lookups = ServerLookups(patch)
        record = launch_job(client, spec, label=LABEL, home=home)
    result = watch_job(client, record.job_id, poll_seconds=0.5, timeout=900, progress_bar=False, home=home,
                       on_update=lambda state, events: updates.append((state, len(events))))
    return {"record": record, "result": result, "updates": updates, "lookups": lookups.calls}


def test_the_same_bytes_are_uploaded_once(client, spec, home):
    first = upload_file(client, spec.training_path, home=home)
    second = upload_file(client, spec.training_path, home=home)
    assert second.file_id == first.file_id and second.reused and second.found_by == "run log"
    named = [f for f in client.files.list(purpose="fine-tune") if f.filename == first.filename]
    assert [f.id for f in named] == [first.file_id] and named[0].bytes == spec.training_path.stat().st_size


def test_preflight_passes_for_the_local_model(spec):
    result = preflight(spec)
    assert result.ok, result.to_frame()
    severities = {f.check: f.severity for f in result.findings}
    assert severities == {"training file": "ok", "validation file": "ok", "cost": "ok", "model": "ok"}
    assert result.estimate.cost_usd == 0 and result.estimate.cpu_seconds > 0 and result.estimate.n_epochs == 1


def test_launch_logs_the_job_and_the_watch_sees_it_succeed(client, finished, home):
    record, result = finished["record"], finished["result"]
    assert result.succeeded, result.job.get("error")
    assert record.status == "validating_files" and record.backend == "local" and record.label == LABEL
    assert finished["lookups"] == []  # the connection knew its backend: no server.json read, no GET /v1/models
    logged = find_jobs(label=LABEL, status="succeeded", home=home)
    assert [r.job_id for r in logged] == [record.job_id]
    assert logged[0].fine_tuned_model == result.fine_tuned_model and logged[0].result_files == result.result_files
    assert logged[0].hyperparameters["n_epochs"] == 1 and logged[0].seed == 7
    assert client.models.retrieve(result.fine_tuned_model).id == result.fine_tuned_model


def test_the_watch_reported_live_progress(finished):
    states = [state for state, _ in finished["updates"]]
    steps = [s.step for s in states]
    assert steps == sorted(steps) and steps[-1] == 3 and states[-1].fraction == 1.0
    assert {s.status for s in states} >= {"running", "succeeded"}
    assert len({n for _, n in finished["updates"]}) > 3  # events arrived over several polls, not all at the end


def test_events_and_metrics_frames(finished):
    result = finished["result"]
    events = result.events_frame()
    assert events["id"].is_unique and events["time"].is_monotonic_increasing
    messages = events.loc[events["type"] == "message", "message"].tolist()
    assert messages[0] == f"Created fine-tuning job: {result.job['id']}"
    assert messages[-1] == "The job has successfully completed"
    metrics = result.metrics_frame()
    assert metrics["step"].tolist() == [1, 2, 3] and metrics["total_steps"].tolist() == [3, 3, 3]
    assert metrics["train_loss"].notna().all() and metrics["valid_loss"].notna().any()
    assert metrics.loc[2, "train_loss"] < metrics.loc[0, "train_loss"]  # it learned something
    figure = result.figure()
    assert figure.layout.title.text.endswith("succeeded") and len(figure.data) >= 2


def test_the_result_file_matches_the_metrics_events(client, finished):
    result = finished["result"]
    table = read_result_file(client, result.result_files[0])
    metrics = result.metrics_frame()
    assert table["step"].tolist() == metrics["step"].tolist()
    np.testing.assert_allclose(table["train_loss"], metrics["train_loss"], atol=1e-5)
    np.testing.assert_allclose(table["train_accuracy"], metrics["train_mean_token_accuracy"], atol=1e-5)


def test_checkpoints_are_listed_with_the_final_model(client, finished):
    result = finished["result"]
    checkpoints = list_checkpoints(client, result.job["id"])
    assert checkpoints.equals(result.checkpoints)
    assert checkpoints["step"].iloc[-1] == 3 and checkpoints["model"].iloc[-1] == result.fine_tuned_model


def test_launch_panel_then_cancel_through_the_watchers_button(client, spec, home, finished):
    panel = launch_panel(client, spec, label=LABEL + "-cancel", home=home)
    assert panel.check.ok and not panel.launch_button.disabled
    panel.launch_button.click()
    record, watcher = panel.record, panel.below.children[0]
    assert watcher.job_id == record.job_id and find_jobs(label=LABEL + "-cancel", home=home)[0].job_id == record.job_id
    wait_for(lambda: watcher.status.value.split(" · ")[0] in ("validating_files", "queued", "running"),
             timeout=120, what="the watcher's first poll")
    watcher.cancel_button.click()
    result = watcher.wait(timeout=300)
    assert result.status == "cancelled" and watcher.bar.bar_style == "warning"
    assert "Cancel requested" in watcher.message.value and watcher.cancel_button.disabled
    assert find_jobs(label=LABEL + "-cancel", home=home)[0].status == "cancelled"
    with pytest.raises(JobError, match="cannot be cancelled"):
        cancel_job(client, record.job_id, home=home)
    with pytest.raises(JobError, match="ended cancelled"):
        watch_job(client, record.job_id, progress_bar=False, home=home)


def test_a_fresh_process_finds_the_job_and_resumes_watching(finished, home):
    code = (
        "import nbtools\n"
        f"record = nbtools.latest_job(kind='local', status='succeeded', label={LABEL!r})\n"
        "client = nbtools.connect('local', env_file=None)\n"
        "result = nbtools.watch_job(client, record.job_id, progress_bar=False)\n"
        "print(record.job_id, result.status, result.fine_tuned_model, len(result.metrics_frame()))\n"
    )
    env = {**os.environ, "NBTOOLS_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    result = finished["result"]
    assert out.stdout.split() == [result.job["id"], "succeeded", result.fine_tuned_model, "3"]


def test_the_local_backend_gets_the_local_key_never_the_openai_key(server, home):
    sent = []
    recording = httpx2.Client(event_hooks={"request": [lambda request: sent.append(request)]})
    openai_key = "-".join(["sk", "proj", "MUSTnotREACHtheLOCALserver000000000000"])
    client = connect("local", env_file=None, environ={"OPENAI_API_KEY": openai_key, "NBTOOLS_BACKEND": "local"},
                     home=home, http_client=recording)
    assert client.models.list().data
    assert [r.headers["authorization"] for r in sent] == [f"Bearer {server.api_key}"]
    assert all(r.url.host == "127.0.0.1" for r in sent)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_plain_client_of_the_running_server_is_classified_local_without_a_request(server, home, monkeypatch, host):
    sent = []
    plain = openai.OpenAI(base_url=server.base_url.replace("127.0.0.1", host), api_key=server.api_key,
                          http_client=httpx2.Client(event_hooks={"request": [sent.append]}))
    lookups = ServerLookups(monkeypatch)
    backend = client_backend(plain, home=home)
    assert (backend.kind, backend.key_source) == ("local", "client") and server.api_key not in repr(backend)
    assert lookups.calls == ["server.json read"] and sent == []  # the record read once, no health check
    assert client_backend(plain, home=home) is backend and lookups.calls == ["server.json read"]
