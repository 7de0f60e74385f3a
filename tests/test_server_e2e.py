"""End to end, with the real ``openai`` SDK against a real server process that really fine-tunes SmolLM2-135M.

One server serves the whole module (tests/server_support.shared_server); jobs are tiny (12 examples, batches of 4,
1–2 epochs) so that each trains in seconds on 2 cores.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time

import openai
import pytest

from server_support import (chat_lines, client_for, dpo_lines, shared_server, trained_job, wait_for,
                            wait_for_status)

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def client():
    return client_for(shared_server(), max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def trained():
    return trained_job()


def _events(client, job_id: str) -> list:
    """All events of a job, oldest first (the API pages newest first)."""
    return list(client.fine_tuning.jobs.list_events(job_id, limit=100))[::-1]


def _upload(client, text: str, name: str = "train.jsonl") -> str:
    return client.files.create(file=(name, text.encode()), purpose="fine-tune").id


def test_supervised_job_succeeds_with_the_real_services_event_sequence(client, trained):
    job = trained["job"]
    assert job.status == "succeeded", job.error
    assert re.fullmatch(r"ft:smollm2-135m-instruct:local:brew:[A-Za-z0-9]{8}", job.fine_tuned_model)
    assert job.hyperparameters.n_epochs == 2 and job.hyperparameters.batch_size == 4
    assert job.method.supervised.hyperparameters.n_epochs == 2
    assert isinstance(job.hyperparameters.learning_rate_multiplier, float)
    assert job.trained_tokens > 0 and job.finished_at >= job.created_at and job.estimated_finish is None
    assert job.error.code is None and job.seed == 42
    messages = [e.message for e in _events(client, job.id) if e.type == "message"]
    expected = [f"Created fine-tuning job: {job.id}",
                f"Validating training file: {trained['train'].id} and validation file: {trained['valid'].id}",
                "Files validated, moving job to queued state", "Fine-tuning job started",
                f"New fine-tuned model created: {job.fine_tuned_model}", "The job has successfully completed"]
    positions = [messages.index(m) for m in expected]
    assert positions == sorted(positions)
    checkpoint_events = [m for m in messages if m.startswith("Checkpoint created at step")]
    assert checkpoint_events[-1] == f"Checkpoint created at step 6 with Snapshot ID: {job.fine_tuned_model}"


def test_metrics_events_and_the_base64_result_file(client, trained):
    job = trained["job"]
    metrics = [e for e in _events(client, job.id) if e.type == "metrics"]
    assert [e.data["step"] for e in metrics] == [1, 2, 3, 4, 5, 6]
    assert all(e.data["total_steps"] == 6 and e.data["train_loss"] > 0 for e in metrics)
    assert re.fullmatch(r"Step 1/6: training loss=\d+\.\d\d.*", metrics[0].message)
    assert any("full_valid_loss" in e.data for e in metrics)  # the validation file is scored at epoch ends
    (result_id,) = job.result_files
    meta = client.files.retrieve(result_id)
    assert meta.purpose == "fine-tune-results" and meta.filename == "compiled_results.csv"
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(client.files.content(result_id).read()).decode())))
    assert list(rows[0]) == ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [round(float(r["train_loss"]), 5) for r in rows] == [round(e.data["train_loss"], 5) for e in metrics]


def test_checkpoints_per_epoch_newest_first_usable_as_models(client, trained):
    job = trained["job"]
    page = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert [c.step_number for c in page.data] == [6, 3] and page.has_more is False
    final, first = page.data
    assert final.fine_tuned_model_checkpoint == job.fine_tuned_model
    assert re.fullmatch(r"ft:smollm2-135m-instruct:local:brew:[A-Za-z0-9]{8}:ckpt-step-3",
                        first.fine_tuned_model_checkpoint)
    assert first.id.startswith("ftckpt_") and first.metrics.step == 3 and first.metrics.train_loss > 0
    listed = {m.id for m in client.models.list()}
    assert {BASE, job.fine_tuned_model, first.fine_tuned_model_checkpoint} <= listed
    assert client.models.retrieve(first.fine_tuned_model_checkpoint).owned_by == "org-local"


@pytest.mark.parametrize("which", ["fine_tuned", "checkpoint", "base"])
def test_chat_with_fine_tuned_model_checkpoint_and_base(client, trained, which):
    job = trained["job"]
    model = {"fine_tuned": job.fine_tuned_model, "base": BASE,
             "checkpoint": client.fine_tuning.jobs.checkpoints.list(job.id).data[-1].fine_tuned_model_checkpoint}[which]
    reply = client.chat.completions.create(model=model, max_tokens=12, temperature=0, messages=[
        {"role": "system", "content": "You are Brewtiful's support agent."},
        {"role": "user", "content": "Where is my coffee order?"}])
    assert reply.model == model and reply.choices[0].message.content.strip()
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert 0 < reply.usage.completion_tokens <= 12 and reply.usage.prompt_tokens > 10


def test_streamed_reply_matches_the_plain_one_under_greedy_decoding(client, trained):
    model = trained["job"].fine_tuned_model
    request = {"model": model, "max_tokens": 10, "temperature": 0,
               "messages": [{"role": "user", "content": "Can I change my grind size?"}]}
    plain = client.chat.completions.create(**request)
    chunks = list(client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens


def test_the_suite_job_is_found_by_its_metadata(client, trained):
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"suite": "e2e"})] == [trained["job"].id]


def test_auto_paging_in_small_pages_sees_every_job_and_event_once(client, trained):
    created = [client.fine_tuning.jobs.create(model=BASE, training_file=trained["train"].id).id for _ in range(3)]
    for job_id in created:  # only listed here, not trained
        client.fine_tuning.jobs.cancel(job_id)
    listed = [j.id for j in client.fine_tuning.jobs.list(limit=2)]
    assert listed == [j.id for j in client.fine_tuning.jobs.list(limit=1000).data] and len(listed) >= 4
    assert listed[:3] == created[::-1] and len(set(listed)) == len(listed)
    events = [e.id for e in client.fine_tuning.jobs.list_events(trained["job"].id, limit=3)]
    assert events == [e.id for e in client.fine_tuning.jobs.list_events(trained["job"].id, limit=1000).data]


@pytest.mark.parametrize(
    ("text", "method", "code", "needles"),
    [
        (chat_lines(2) + json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "customer",
                                                  "content": "x"}, {"role": "assistant", "content": "Hey!"}]})
         + "\n" + chat_lines(9),
         "supervised", "invalid_training_file", ["line 3", "messages[1].role"]),
        (chat_lines(4) + "{not json\n" + chat_lines(8), "supervised", "invalid_training_file", ["line 5"]),
        (chat_lines(5), "supervised", "invalid_n_examples",
         ["Training file has 5 example(s), but must have at least 10 examples"]),
        (chat_lines(12), "dpo", "invalid_training_file", ["line 1"]),
    ],
)
def test_a_bad_training_file_fails_the_job_with_a_line_level_message(client, text, method, code, needles):
    job = client.fine_tuning.jobs.create(model=BASE, training_file=_upload(client, text), method={"type": method})
    failed = wait_for_status(client, job.id, ("failed", "succeeded", "cancelled"), timeout=120)
    assert failed.status == "failed" and failed.error.code == code and failed.error.param == "training_file"
    for needle in needles:
        assert needle in failed.error.message
    last = client.fine_tuning.jobs.list_events(job.id, limit=1).data[0]
    assert last.level == "error" and last.message == failed.error.message
    assert failed.fine_tuned_model is None and failed.finished_at is not None


def test_cancel_stops_a_running_job_and_the_worker_moves_on(client):
    train = _upload(client, chat_lines(12))
    job = client.fine_tuning.jobs.create(
        model=BASE, training_file=train,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 5, "batch_size": 4}}})
    wait_for(lambda: sum(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(job.id, limit=10)) >= 2,
             timeout=300, what="two training steps")
    running = client.fine_tuning.jobs.retrieve(job.id)
    assert running.status == "running" and running.trained_tokens > 0
    assert running.estimated_finish > time.time() - 5  # from the step timing: the remaining steps lie ahead
    assert running.hyperparameters.n_epochs == 5 and isinstance(running.hyperparameters.learning_rate_multiplier,
                                                                 float)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    # the worker trains one job at a time: once the next job runs, the cancelled one has left the worker
    follower = client.fine_tuning.jobs.create(model=BASE, training_file=train)
    wait_for_status(client, follower.id, ("running", "succeeded", "failed"), timeout=300)
    client.fine_tuning.jobs.cancel(follower.id)
    settled = _events(client, job.id)
    time.sleep(2)
    assert len(_events(client, job.id)) == len(settled)  # nothing more happens to the cancelled job
    final = client.fine_tuning.jobs.retrieve(job.id)
    assert final.status == "cancelled" and final.fine_tuned_model is None and final.result_files == []
    steps = [e.data["step"] for e in settled if e.type == "metrics"]
    assert max(steps) < 15  # stopped long before its 15 steps


def test_pause_keeps_progress_and_resume_continues_to_success(client):
    job = client.fine_tuning.jobs.create(
        model=BASE, training_file=_upload(client, chat_lines(12)), seed=3,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 4}}})
    wait_for(lambda: any(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(job.id, limit=5)),
             timeout=300, what="the first training step")
    assert client.fine_tuning.jobs.pause(job.id).status == "paused"
    ack = wait_for(lambda: next((e for e in client.fine_tuning.jobs.list_events(job.id, limit=10)
                                 if e.message.startswith("Fine-tuning job paused at step")), None),
                   timeout=120, what="the worker to pause the job")
    paused_at = int(re.search(r"step (\d+)", ack.message).group(1))
    time.sleep(3)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    steps_before = [e.data["step"] for e in _events(client, job.id) if e.type == "metrics"]
    assert max(steps_before) == paused_at < 6
    assert client.fine_tuning.jobs.resume(job.id).status == "queued"
    done = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"))
    assert done.status == "succeeded", done.error
    events = _events(client, job.id)
    resumed_at = next(i for i, e in enumerate(events) if e.message == "Fine-tuning job resumed")
    later_steps = [e.data["step"] for e in events[resumed_at:] if e.type == "metrics"]
    assert later_steps == list(range(paused_at + 1, 7))  # continues where it stopped, not from step 1
    assert [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job.id)] == [6, 3]


def test_dpo_job_trains_chats_and_its_model_can_be_deleted(client):
    job = client.fine_tuning.jobs.create(
        model=BASE, training_file=_upload(client, dpo_lines(10), "prefs.jsonl"), suffix="prefs",
        method={"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 1, "batch_size": 4}}})
    done = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"))
    assert done.status == "succeeded", done.error
    assert done.method.type == "dpo" and isinstance(done.method.dpo.hyperparameters.beta, float)
    assert [e.data["step"] for e in _events(client, job.id) if e.type == "metrics"] == [1, 2, 3]
    model = done.fine_tuned_model
    reply = client.chat.completions.create(model=model, max_tokens=8, messages=[
        {"role": "user", "content": "Can I pause my subscription?"}])
    assert reply.choices[0].message.content.strip()
    assert client.models.delete(model).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve(model)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert model not in {m.id for m in client.models.list()}
