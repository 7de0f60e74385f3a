"""Fault tolerance: kill -9 the server (and, separately, only its worker) in the middle of training.

After a restart no job is left ``running``, no uploaded file is lost, events and checkpoints written before the crash
are still there, and the job resumes from its last complete checkpoint to success.
"""

from __future__ import annotations

import base64
import os
import re
import signal

import pytest

from nbtools.server.launcher import ensure_local_server, stop_local_server
from nbtools.server.store import Store
from server_support import chat_lines, client_for, wait_for, wait_for_status

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(") ")[-1].startswith("Z")


def _worker_pid(data_dir) -> int:
    return wait_for(lambda: (data_dir / "worker.lock").read_text().strip() and int((data_dir / "worker.lock")
                                                                                   .read_text()),
                    timeout=60, what="the worker to start")


def _start_job(client, *, epochs: int):
    train = client.files.create(file=("train.jsonl", chat_lines(12).encode()), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model=BASE, training_file=train.id, seed=5, method={
        "type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs, "batch_size": 4}}})
    return train, job


def _wait_first_checkpoint(client, job_id: str):
    wait_for(lambda: client.fine_tuning.jobs.checkpoints.list(job_id).data, timeout=600,
             what="the first epoch checkpoint")


@pytest.fixture()
def home(tmp_path):
    yield tmp_path
    stop_local_server(tmp_path)


def test_kill_9_of_the_server_during_training_loses_nothing_and_the_job_resumes(home):
    server = ensure_local_server(home=home)
    client = client_for(server, max_retries=0, timeout=120)
    train, job = _start_job(client, epochs=2)
    _wait_first_checkpoint(client, job.id)
    worker = _worker_pid(server.data_dir)
    events_before = {e.id: e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=1000)}
    checkpoints_before = {c.id for c in client.fine_tuning.jobs.checkpoints.list(job.id)}

    os.kill(server.pid, signal.SIGKILL)
    wait_for(lambda: _gone(server.pid), timeout=10, what="the server to die")
    assert wait_for(lambda: _gone(worker), timeout=10, what="the worker to die with it")
    store = Store(server.data_dir / "state.db")
    assert store.get("jobs", job.id)["status"] == "running"  # what the crash left behind
    store.close()

    restarted = ensure_local_server(home=home)
    client = client_for(restarted, max_retries=0, timeout=120)
    done = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"))
    assert done.status == "succeeded", done.error
    assert [j.id for j in client.fine_tuning.jobs.list(limit=100) if j.status == "running"] == []
    assert client.files.content(train.id).read() == chat_lines(12).encode()
    events_after = {e.id: e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=1000)}
    assert events_before.items() <= events_after.items()
    assert checkpoints_before <= {c.id for c in client.fine_tuning.jobs.checkpoints.list(job.id)}
    warning = next(e for e in client.fine_tuning.jobs.list_events(job.id, limit=1000) if e.level == "warn")
    assert re.search(r"interrupted .* resume from the checkpoint at step \d+", warning.message)
    assert [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job.id)] == [6, 3]
    rows = base64.b64decode(client.files.content(done.result_files[0]).read()).decode().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == list(range(1, 7))
    reply = client.chat.completions.create(model=done.fine_tuned_model, max_tokens=5,
                                           messages=[{"role": "user", "content": "Hello?"}])
    assert reply.choices[0].message.content.strip()


def test_a_killed_worker_is_restarted_and_a_graceful_stop_pauses_the_job_for_the_next_start(home):
    server = ensure_local_server(home=home)
    client = client_for(server, max_retries=0, timeout=120)
    _, job = _start_job(client, epochs=3)
    _wait_first_checkpoint(client, job.id)
    worker = _worker_pid(server.data_dir)
    os.kill(worker, signal.SIGKILL)  # the server stays up; its supervisor starts a new worker
    resumed = wait_for(lambda: next((e for e in client.fine_tuning.jobs.list_events(job.id, limit=20)
                                     if e.message == "Fine-tuning job resumed"), None),
                       timeout=300, what="a new worker to resume the job")
    assert _worker_pid(server.data_dir) != worker
    wait_for(lambda: (lambda latest: latest.type == "metrics" and latest.created_at >= resumed.created_at)(
        client.fine_tuning.jobs.list_events(job.id, limit=1).data[0]), timeout=300, what="a step after resuming")

    assert stop_local_server(home) is True  # SIGTERM: the worker pauses the job at its next step
    store = Store(server.data_dir / "state.db")
    row = store.get("jobs", job.id)
    store.close()
    assert row["status"] == "queued" and row["resume_from"]
    restarted = ensure_local_server(home=home)
    client = client_for(restarted, max_retries=0, timeout=120)
    done = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"))
    assert done.status == "succeeded", done.error
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=1000)]
    assert any("interrupted" in m for m in messages)
    assert any(m.startswith("Server stopping: job paused at step") for m in messages)
    assert [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job.id)] == [9, 6, 3]
