"""Job status changes and their events; crash recovery of jobs a dead worker left behind."""

from __future__ import annotations

import pytest

from nbtools.server import lifecycle as lc
from nbtools.server.store import Store


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "state.db")
    yield s
    s.close()


def _new(store: Store, job_id: str, *, validation: str | None = None) -> dict:
    return lc.create_job(store, {"id": job_id, "model": "smollm2-135m-instruct", "training_file": "file-t",
                                 "validation_file": validation, "method": "supervised",
                                 "requested": {"n_epochs": "auto"}, "seed": 7, "model_id8": "AbCd1234"})


def _queued(store: Store, job_id: str) -> dict:
    _new(store, job_id)
    lc.mark_validated(store, job_id, hyperparameters={"n_epochs": 2, "batch_size": 4,
                                                      "learning_rate_multiplier": 1.0}, n_examples=12)
    return store.get("jobs", job_id)


def _messages(store: Store, job_id: str) -> list[str]:
    return [e["message"] for e in store.rows("SELECT message FROM events WHERE job_id = ? ORDER BY seq", (job_id,))]


def _checkpoint(store: Store, job_id: str, step: int, path, kind: str = "epoch") -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "adapter_model.safetensors").write_bytes(b"x")
    store.insert("checkpoints", {"id": f"ftckpt_{job_id}{step}", "job_id": job_id, "created_at": 1,
                                 "name": f"ft:m:local::x:ckpt-step-{step}", "step": step, "epoch": 1,
                                 "path": str(path), "metrics": {"step": step}, "kind": kind})


@pytest.mark.parametrize(
    ("validation", "second_event"),
    [(None, "Validating training file: file-t"),
     ("file-v", "Validating training file: file-t and validation file: file-v")],
)
def test_create_writes_the_real_services_first_events(store, validation, second_event):
    job = _new(store, "ftjob-a", validation=validation)
    assert job["status"] == "validating_files"
    assert _messages(store, "ftjob-a") == ["Created fine-tuning job: ftjob-a", second_event]


def test_validated_job_queues_and_claims_in_fifo_order(store):
    for name in ("ftjob-1", "ftjob-2", "ftjob-3"):
        _queued(store, name)
    assert store.get("jobs", "ftjob-1")["hyperparameters"]["n_epochs"] == 2
    claimed = [lc.claim_next(store)["id"] for _ in range(3)]
    assert claimed == ["ftjob-1", "ftjob-2", "ftjob-3"]
    assert lc.claim_next(store) is None
    assert _messages(store, "ftjob-1")[-2:] == ["Files validated, moving job to queued state",
                                                "Fine-tuning job started"]


@pytest.mark.parametrize("status_path", [(), ("queued",), ("queued", "running"), ("queued", "running", "paused")])
def test_cancel_works_from_every_active_status(store, status_path):
    _new(store, "ftjob-c")
    if "queued" in status_path:
        lc.mark_validated(store, "ftjob-c", hyperparameters={"n_epochs": 1}, n_examples=10)
    if "running" in status_path:
        lc.claim_next(store)
    if "paused" in status_path:
        lc.pause_job(store, "ftjob-c")
    job = lc.cancel_job(store, "ftjob-c")
    assert job["status"] == "cancelled" and job["finished_at"] is not None and job["control"] is None
    with pytest.raises(lc.TransitionError, match="already cancelled"):
        lc.cancel_job(store, "ftjob-c")


def test_failed_job_carries_error_object_and_error_event(store):
    _new(store, "ftjob-f")
    assert lc.fail_job(store, "ftjob-f", code="invalid_n_examples", param="training_file",
                       message="Training file has 3 example(s), but must have at least 10 examples")
    job = store.get("jobs", "ftjob-f")
    assert job["status"] == "failed"
    assert job["error"] == {"code": "invalid_n_examples", "param": "training_file",
                            "message": "Training file has 3 example(s), but must have at least 10 examples"}
    last = store.row("SELECT * FROM events WHERE job_id = 'ftjob-f' ORDER BY seq DESC LIMIT 1")
    assert last["level"] == "error" and "3 example(s)" in last["message"]
    assert lc.fail_job(store, "ftjob-f", code="x", param=None, message="again") is False


def test_pause_of_a_queued_job_needs_no_worker(store):
    _queued(store, "ftjob-p")
    paused = lc.pause_job(store, "ftjob-p")
    assert paused["status"] == "paused" and paused["control"] is None
    assert lc.claim_next(store) is None  # a paused job is not trained
    assert lc.resume_job(store, "ftjob-p")["status"] == "queued"
    assert lc.claim_next(store)["id"] == "ftjob-p"


def test_pause_of_a_running_job_waits_for_the_worker(store, tmp_path):
    _queued(store, "ftjob-r")
    lc.claim_next(store)
    paused = lc.pause_job(store, "ftjob-r")
    assert paused["status"] == "paused" and paused["control"] == "pause"
    assert lc.pause_job(store, "ftjob-r")["status"] == "paused"  # idempotent
    lc.after_pause(store, "ftjob-r", resume_from=tmp_path / "ckpt", step=4, shutdown=False)
    job = store.get("jobs", "ftjob-r")
    assert job["status"] == "paused" and job["control"] is None and job["resume_from"] == str(tmp_path / "ckpt")
    assert _messages(store, "ftjob-r")[-1] == "Fine-tuning job paused at step 4; resume it to continue"


def test_resume_before_the_worker_stopped_is_not_trained_twice(store, tmp_path):
    _queued(store, "ftjob-q")
    lc.claim_next(store)
    lc.pause_job(store, "ftjob-q")
    assert lc.resume_job(store, "ftjob-q")["status"] == "queued"
    assert lc.claim_next(store) is None  # still held: the worker has not acknowledged the pause yet
    lc.after_pause(store, "ftjob-q", resume_from=tmp_path / "c", step=2, shutdown=False)
    claimed = lc.claim_next(store)
    assert claimed["id"] == "ftjob-q" and claimed["resume_from"] == str(tmp_path / "c")
    assert _messages(store, "ftjob-q")[-1] == "Fine-tuning job resumed"


def test_shutdown_pause_requeues_first_in_line(store, tmp_path):
    _queued(store, "ftjob-s")
    _queued(store, "ftjob-later")
    lc.claim_next(store)
    lc.after_pause(store, "ftjob-s", resume_from=tmp_path / "c", step=3, shutdown=True)
    assert store.get("jobs", "ftjob-s")["status"] == "queued"
    assert lc.claim_next(store)["id"] == "ftjob-s"


@pytest.mark.parametrize("status", ["validating_files", "succeeded", "failed", "cancelled"])
def test_pause_and_resume_refuse_other_statuses(store, status):
    _new(store, "ftjob-x")
    store.update("jobs", "ftjob-x", {"status": status})
    with pytest.raises(lc.TransitionError):
        lc.pause_job(store, "ftjob-x")
    with pytest.raises(lc.TransitionError):
        lc.resume_job(store, "ftjob-x")


def test_recovery_requeues_running_job_from_its_last_complete_checkpoint(store, tmp_path):
    _queued(store, "ftjob-k")
    lc.claim_next(store)
    _checkpoint(store, "ftjob-k", 3, tmp_path / "ck3")
    _checkpoint(store, "ftjob-k", 6, tmp_path / "ck6")
    (tmp_path / "ck6" / "adapter_model.safetensors").unlink()  # the crash hit while step 6 was written
    assert lc.recover_interrupted(store) == ["ftjob-k"]
    job = store.get("jobs", "ftjob-k")
    assert job["status"] == "queued" and job["resume_from"] == str(tmp_path / "ck3") and job["interruptions"] == 1
    event = store.row("SELECT * FROM events WHERE job_id = 'ftjob-k' ORDER BY seq DESC LIMIT 1")
    assert event["level"] == "warn" and "step 3" in event["message"]


def test_recovery_without_checkpoint_restarts_from_the_beginning(store):
    _queued(store, "ftjob-n")
    lc.claim_next(store)
    lc.recover_interrupted(store)
    job = store.get("jobs", "ftjob-n")
    assert job["status"] == "queued" and job["resume_from"] is None
    assert "from the beginning" in _messages(store, "ftjob-n")[-1]


def test_recovery_gives_up_after_repeated_interruptions(store):
    _queued(store, "ftjob-z")
    for _ in range(lc.MAX_INTERRUPTIONS):
        lc.claim_next(store)
        lc.recover_interrupted(store)
    assert store.get("jobs", "ftjob-z")["status"] == "queued"
    lc.claim_next(store)
    lc.recover_interrupted(store)
    job = store.get("jobs", "ftjob-z")
    assert job["status"] == "failed" and job["error"]["code"] == "job_interrupted"
    assert "interrupted 4 times" in job["error"]["message"]


def test_recovery_clears_a_pause_the_dead_worker_never_acknowledged(store, tmp_path):
    _queued(store, "ftjob-u")
    lc.claim_next(store)
    _checkpoint(store, "ftjob-u", 2, tmp_path / "p2", kind="pause")
    lc.pause_job(store, "ftjob-u")
    lc.recover_interrupted(store)
    job = store.get("jobs", "ftjob-u")
    assert job["status"] == "paused" and job["control"] is None and job["resume_from"] == str(tmp_path / "p2")
    assert store.rows("SELECT id FROM jobs WHERE status = 'running'") == []
