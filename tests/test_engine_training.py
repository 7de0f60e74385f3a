"""train(): per-step metrics, validation, epoch checkpoints, determinism, pause -> resume, cancel (real model).

One tiny run (8 examples, 2 epochs of 4 steps, 128-token cap) is the baseline every other run is compared with.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from engine_support import QUESTIONS, RecordingHooks, chat_example, write_jsonl
from nbtools.errors import InputError
from nbtools.server.engine import ChatEngine, GenerationParams, Hyperparameters, TrainOptions, TrainSpec, train
from nbtools.server.engine.checkpoints import read_marker

pytestmark = pytest.mark.slow

OPTIONS = TrainOptions(max_length=128, valid_every=2)
STEPS_PER_EPOCH, EPOCHS = 4, 2


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine-train")
    return (write_jsonl(root / "train.jsonl", [chat_example(q) for q in QUESTIONS[:8]]),
            write_jsonl(root / "valid.jsonl", [chat_example(q) for q in QUESTIONS[8:]]), root)


def spec_for(files, name: str, **changes) -> TrainSpec:
    train_file, valid_file, root = files
    spec = TrainSpec(job_id=name, method="supervised", base_model="smollm2-135m-instruct", training_file=train_file,
                     validation_file=valid_file, hyperparameters=Hyperparameters(EPOCHS, 2, 1.0), seed=7,
                     output_dir=root / name)
    return dataclasses.replace(spec, **changes)


@pytest.fixture(scope="module")
def baseline(files):
    hooks = RecordingHooks()
    result = train(spec_for(files, "baseline"), hooks, options=OPTIONS)
    return hooks, result


def test_every_step_is_reported_with_validation(baseline):
    hooks, result = baseline
    total = STEPS_PER_EPOCH * EPOCHS
    assert result.status == "succeeded" and result.steps_done == result.total_steps == total
    assert [m.step for m in hooks.steps] == list(range(1, total + 1))
    assert all(m.total_steps == total for m in hooks.steps)
    assert all(0 <= m.train_mean_token_accuracy <= 1 and math.isfinite(m.train_loss) for m in hooks.steps)
    assert hooks.losses[-1] < hooks.losses[0]  # it learns the repeated reply pattern
    # a validation batch every 2 steps, the full validation set at each epoch end
    assert [m.step for m in hooks.steps if m.valid_loss is not None] == [2, 4, 6, 8]
    assert [m.step for m in hooks.steps if m.full_valid_loss is not None] == [4, 8]
    for m in hooks.steps:
        if m.valid_loss is not None:
            assert 0 <= m.valid_mean_token_accuracy <= 1
        if m.full_valid_loss is not None:
            assert 0 <= m.full_valid_mean_token_accuracy <= 1
    assert hooks.steps[-1].full_valid_loss < hooks.steps[3].full_valid_loss


def test_one_complete_checkpoint_per_epoch(baseline):
    hooks, result = baseline
    assert [(c.step, c.epoch) for c in hooks.checkpoints] == [(4, 1), (8, 2)]
    for checkpoint in hooks.checkpoints:
        assert checkpoint.metrics == hooks.steps[checkpoint.step - 1]
        for name in ("adapter_config.json", "adapter_model.safetensors", "optimizer.pt", "scheduler.pt",
                     "rng_state.pth", "trainer_state.json"):
            assert (checkpoint.path / name).is_file(), name
        assert read_marker(checkpoint.path)["kind"] == "epoch"
    assert (result.final_adapter / "adapter_model.safetensors").is_file()


def test_trained_tokens_are_all_example_tokens_times_epochs(baseline, files):
    from nbtools.server.engine.data import tokenize_sft_file
    from nbtools.server.engine.models import load_tokenizer_for

    hooks, result = baseline
    data = tokenize_sft_file(files[0], load_tokenizer_for("smollm2-135m-instruct"), max_length=OPTIONS.max_length)
    assert result.trained_tokens == EPOCHS * data.n_tokens
    assert hooks.tokens == sorted(hooks.tokens) and hooks.tokens[-1] == result.trained_tokens
    assert hooks.tokens[STEPS_PER_EPOCH - 1] == data.n_tokens


def test_pause_then_resume_reproduces_the_uninterrupted_run(baseline, files):
    """Same seed -> same losses; a run paused mid-epoch and resumed ends where the uninterrupted one does."""
    base_hooks, base_result = baseline
    spec = spec_for(files, "paused")
    first = RecordingHooks(plan={3: "pause"})
    paused = train(spec, first, options=OPTIONS)
    assert paused.status == "paused" and paused.steps_done == 3 and paused.final_adapter is None
    assert first.losses == base_hooks.losses[:3]  # bit-identical: deterministic with the seed
    assert paused.resume_checkpoint == spec.output_dir / "checkpoint-3"
    assert read_marker(paused.resume_checkpoint)["kind"] == "pause"
    assert first.checkpoints == []  # a mid-epoch pause is not an epoch checkpoint

    second = RecordingHooks()
    resumed = train(dataclasses.replace(spec, resume_from=paused.resume_checkpoint), second, options=OPTIONS)
    assert resumed.status == "succeeded"
    assert [m.step for m in second.steps] == [4, 5, 6, 7, 8]
    assert second.losses == pytest.approx(base_hooks.losses[3:], rel=1e-5)
    full_valid = [m.full_valid_loss for m in second.steps if m.full_valid_loss is not None]
    assert full_valid == pytest.approx([m.full_valid_loss for m in base_hooks.steps[3:]
                                        if m.full_valid_loss is not None], rel=1e-5)
    assert resumed.trained_tokens == base_result.trained_tokens
    assert [(c.step, c.epoch) for c in second.checkpoints] == [(4, 1), (8, 2)]
    assert not paused.resume_checkpoint.exists()  # pause checkpoints are dropped once the run succeeds


def test_cancel_stops_without_a_checkpoint(baseline, files):
    base_hooks, _ = baseline
    spec = spec_for(files, "cancelled", seed=8, validation_file=None)
    hooks = RecordingHooks(plan={2: "cancel"})
    result = train(spec, hooks, options=OPTIONS)
    assert (result.status, result.steps_done, result.final_adapter) == ("cancelled", 2, None)
    assert len(hooks.steps) == 2 and hooks.checkpoints == []
    assert not list(spec.output_dir.glob("checkpoint-*"))
    assert hooks.losses != base_hooks.losses[:2]  # another seed shuffles differently


def test_epoch_checkpoint_chats_and_differs_from_base(baseline):
    hooks, result = baseline
    engine = ChatEngine()
    messages = [{"role": "system", "content": "You are the support assistant of Brewtiful Coffee Co."},
                {"role": "user", "content": QUESTIONS[0]}]
    params = GenerationParams(temperature=0, max_tokens=24)
    base = engine.generate("smollm2-135m-instruct", None, messages, params)[0]
    tuned = [engine.generate("smollm2-135m-instruct", path, messages, params)[0]
             for path in (hooks.checkpoints[0].path, result.final_adapter)]
    assert all(g.text and g.prompt_tokens == base.prompt_tokens for g in tuned)
    assert tuned[1].text != base.text


def test_resume_from_must_be_a_complete_checkpoint(files, tmp_path):
    with pytest.raises(InputError) as raised:
        train(spec_for(files, "bad", resume_from=tmp_path), RecordingHooks())
    assert raised.value.field == "resume_from"
