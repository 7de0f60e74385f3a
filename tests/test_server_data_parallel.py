"""One job trained on two CPU processes (nbtools.server.data_parallel), against the real engine and model.

What it shows: two processes train the same steps as one process (same trained tokens, same first-step loss and a
curve within bf16 tolerance, same step count); pause through the control file stops both at a checkpoint a second
run resumes to success; cancel stops them; a failing rank gives an error naming the rank and quoting its log; a
killed parent (the worker) leaves no training process behind; and the real server, told to use two processes,
reports it and trains a job through pause and resume to success.

Kept small for CI: a dozen short examples at 64 tokens, batch size 2 (one example per process per step); pause and
cancel train four epochs, so their requests land mid-run on a fast host.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine_support import QUESTIONS, RecordingHooks, chat_example, write_jsonl
from nbtools.errors import InputError
from nbtools.server.data_parallel import TrainingProcessError, processes_for, train_data_parallel
from nbtools.server.engine import Hyperparameters, TrainOptions, TrainSpec, train
from nbtools.server.engine.launch import relay_event
from server_support import chat_lines, client_for, wait_for, wait_for_status

BASE = "smollm2-135m-instruct"
MAX_LENGTH = 64
# enough steps that a request polled every 0.5 s arrives mid-run: one epoch of six steps took under a second on a
# Zen 5 host, and both requests then came after the last step
EPOCHS = 4


def _spec(tmp_path: Path, name: str, *, examples: int = 4, epochs: int = 1, training_file: Path | None = None,
          resume_from: Path | None = None) -> TrainSpec:
    train_file = training_file or write_jsonl(tmp_path / f"{name}.jsonl",
                                              [chat_example(q) for q in QUESTIONS[:examples]])
    return TrainSpec(job_id=name, method="supervised", base_model=BASE, training_file=train_file,
                     validation_file=None, hyperparameters=Hyperparameters(epochs, 2, 1.0), seed=11,
                     output_dir=tmp_path / name, resume_from=resume_from)


def _launched(marker: str) -> list[int]:
    """PIDs of live training processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if "nbtools.server.engine.launch" in cmdline and marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_the_automatic_setting_needs_a_long_enough_supervised_cpu_job_with_an_even_batch():
    auto = dict(method="supervised", cores=2, cuda=False)
    assert processes_for(None, batch_size=4, steps=60, **auto) == 2
    assert processes_for(None, batch_size=4, steps=6, **auto) == 1  # start-up would cost more than it saves
    assert processes_for(None, batch_size=1, steps=60, **auto) == 1  # nothing to split
    assert processes_for(1, batch_size=4, steps=60, **auto) == 1  # the server set to one process
    assert processes_for(2, batch_size=4, steps=2, **auto) == 2  # a set value ignores the step count
    assert processes_for(2, batch_size=5, steps=60, **auto) == 1  # the job's batch size is kept as asked


def test_an_unknown_event_from_a_training_process_is_an_error_naming_it():
    with pytest.raises(InputError) as raised:
        relay_event('{"event": "explode"}', RecordingHooks())
    assert (raised.value.field, raised.value.value) == ("event", "explode")


@pytest.mark.slow
def test_two_processes_train_the_same_steps_as_one(tmp_path):
    one, two = RecordingHooks(), RecordingHooks()
    single = train(_spec(tmp_path, "one"), one, options=TrainOptions(num_threads=2, max_length=MAX_LENGTH))
    parallel = train_data_parallel(_spec(tmp_path, "two"), two, processes=2, max_length=MAX_LENGTH)
    assert (parallel.status, single.status) == ("succeeded", "succeeded")
    assert (parallel.steps_done, parallel.total_steps) == (single.steps_done, single.total_steps) == (2, 2)
    # the same examples in the same batches: the same tokens, and losses within bf16 autocast's tolerance
    assert parallel.trained_tokens == single.trained_tokens and two.tokens == one.tokens
    assert two.losses[0] == pytest.approx(one.losses[0], rel=0.02)
    assert two.losses == pytest.approx(one.losses, rel=0.05)
    assert (parallel.final_adapter / "adapter_model.safetensors").is_file()
    assert [(c.step, c.epoch) for c in two.checkpoints] == [(2, 1)]


@pytest.mark.slow
def test_pause_stops_both_processes_at_a_checkpoint_that_resumes_to_success(tmp_path):
    hooks = RecordingHooks(plan={1: "pause"})
    paused = train_data_parallel(_spec(tmp_path, "job", examples=12, epochs=EPOCHS), hooks, processes=2,
                                 max_length=MAX_LENGTH)
    assert paused.status == "paused" and paused.final_adapter is None
    # the parent polls every 0.5 s, so the ranks read the request a few steps after it
    assert 1 <= paused.steps_done < paused.total_steps == 6 * EPOCHS
    assert paused.resume_checkpoint.name == f"checkpoint-{paused.steps_done}"
    assert (paused.resume_checkpoint / "nbtools_checkpoint.json").is_file()

    resumed_hooks = RecordingHooks()
    resumed = train_data_parallel(_spec(tmp_path, "job", examples=12, epochs=EPOCHS, training_file=tmp_path / "job.jsonl",
                                        resume_from=paused.resume_checkpoint),
                                  resumed_hooks, processes=2, max_length=MAX_LENGTH)
    assert (resumed.status, resumed.steps_done) == ("succeeded", 6 * EPOCHS)
    assert [m.step for m in resumed_hooks.steps] == list(range(paused.steps_done + 1, 6 * EPOCHS + 1))


@pytest.mark.slow
def test_cancel_stops_both_processes_without_a_model(tmp_path):
    cancelled = train_data_parallel(_spec(tmp_path, "job", examples=12, epochs=EPOCHS),
                                    RecordingHooks(plan={1: "cancel"}), processes=2, max_length=MAX_LENGTH)
    assert cancelled.status == "cancelled" and cancelled.final_adapter is None
    assert cancelled.steps_done < cancelled.total_steps
    assert not _launched(str(tmp_path))


def test_a_failing_rank_is_named_with_the_end_of_its_log(tmp_path):
    spec = _spec(tmp_path, "job", training_file=tmp_path / "missing.jsonl")
    with pytest.raises(TrainingProcessError) as raised:
        train_data_parallel(spec, RecordingHooks(), processes=2, max_length=MAX_LENGTH)
    message = str(raised.value)
    assert "training process" in message and "exited with code" in message
    assert "rank-" in message and "missing.jsonl" in message  # the log's end says what went wrong
    assert not _launched(str(tmp_path))


@pytest.mark.slow
def test_a_killed_parent_leaves_no_training_process_behind(tmp_path):
    spec = _spec(tmp_path, "job", examples=12, epochs=3)
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from nbtools.server.data_parallel import train_data_parallel
        from nbtools.server.engine import Hyperparameters, TrainSpec

        class Quiet:
            def on_log(self, message, level="info"): pass
            def on_step(self, metrics, trained_tokens): print("step", metrics.step, flush=True)
            def on_checkpoint(self, checkpoint): pass
            def control(self): return "continue"

        spec = TrainSpec(job_id="job", method="supervised", base_model={BASE!r},
                         training_file=Path({str(spec.training_file)!r}), validation_file=None,
                         hyperparameters=Hyperparameters(3, 2, 1.0), seed=11, output_dir=Path({str(spec.output_dir)!r}))
        train_data_parallel(spec, Quiet(), processes=2, max_length={MAX_LENGTH})
    """))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().startswith("step 1"), "the training processes did not start"
        ranks = _launched(str(tmp_path))
        assert len(ranks) == 2
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        wait_for(lambda: not _launched(str(tmp_path)), timeout=15, what="the training processes to exit")
    finally:
        for pid in _launched(str(tmp_path)):
            os.kill(pid, signal.SIGKILL)
        parent.kill()


@pytest.mark.slow
def test_the_server_set_to_two_processes_trains_a_job_through_pause_and_resume(tmp_path):
    from nbtools.server.launcher import ensure_local_server, stop_local_server

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.json").write_text(json.dumps({"train_processes": 2}))
    server = ensure_local_server(data_dir=data_dir)
    try:
        client = client_for(server, max_retries=0, timeout=120)
        train_file = client.files.create(file=("train.jsonl", chat_lines(12).encode()), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id, seed=5, method={
            "type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 2}}})

        def messages() -> list[str]:
            return [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100).data]

        wait_for(lambda: any(m.startswith("Step ") for m in messages()), timeout=300, what="the first step")
        client.fine_tuning.jobs.pause(job.id)
        paused = wait_for_status(client, job.id, ("paused", "succeeded", "failed"), timeout=300)
        assert paused.status == "paused", paused.error
        client.fine_tuning.jobs.resume(job.id)
        done = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"), timeout=600)
        assert done.status == "succeeded", done.error
        log = messages()
        assert sum("Training on 2 processes of 1 thread each (data parallel), batch 1 per process" in m
                   for m in log) == 2  # the first run and the resumed one
        steps = sorted({int(m.split()[1].split("/")[0]) for m in log if m.startswith("Step ")})
        assert steps == list(range(1, 13))  # 12 steps (6 per epoch), each reported once
        reply = client.chat.completions.create(model=done.fine_tuned_model, max_tokens=8, temperature=0,
                                               messages=[{"role": "user", "content": "Where is my order?"}])
        assert reply.choices[0].message.content
    finally:
        stop_local_server(data_dir=data_dir)
