"""Training's optimised paths against the straightforward ones: same examples, labels and masks; losses within
tolerance (length-grouped batches, bfloat16 autocast, the labelled-positions loss through the real trainer)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from engine_support import QUESTIONS, RecordingHooks, chat_example, write_jsonl
from nbtools.errors import InputError
from nbtools.server.engine import Hyperparameters, TrainOptions, TrainSpec, train
from nbtools.server.engine.grouping import LengthGroupedSampler, length_grouped_order, padded_tokens

BASE = "smollm2-135m-instruct"


def _varied_chats():
    """Chats from 1 to 4 turns, so lengths differ as in a real file (and one turn untrained: weight 0)."""
    rows = []
    for i, question in enumerate(QUESTIONS):
        messages = [{"role": "system", "content": "You are Brewtiful's support agent."}]
        for turn in range(1 + i % 4):
            messages += [{"role": "user", "content": question + " Also: " * turn + question.lower() * turn},
                         {"role": "assistant", "content": chat_example(question)["messages"][-1]["content"],
                          **({"weight": 0} if turn == 1 else {})}]
        rows.append({"messages": messages})
    return rows


@pytest.mark.parametrize(("n", "batch_size", "per_group"), [(1, 4, 8), (10, 3, 1), (64, 4, 8), (65, 4, 2)])
def test_grouped_order_is_a_permutation(n, batch_size, per_group):
    lengths = [(i * 37) % 101 for i in range(n)]
    order = length_grouped_order(lengths, batch_size, seed=3, batches_per_group=per_group)
    assert sorted(order) == list(range(n))


def test_grouped_order_depends_on_seed_and_epoch_only():
    lengths = [(i * 37) % 101 for i in range(64)]
    sampler = LengthGroupedSampler(lengths, 4, seed=5)
    first = list(sampler)
    assert list(sampler) == first == length_grouped_order(lengths, 4, seed=5)
    sampler.set_epoch(1)
    assert list(sampler) != first and list(sampler) == length_grouped_order(lengths, 4, seed=6)


def test_grouping_cuts_padding():
    lengths = [(i * 37) % 301 + 20 for i in range(240)]
    random_order = length_grouped_order(lengths, 4, seed=0, batches_per_group=1)  # no grouping: a plain shuffle
    grouped = length_grouped_order(lengths, 4, seed=0)
    assert padded_tokens(lengths, grouped, 4) < 0.8 * padded_tokens(lengths, random_order, 4)


# -- the real trainer ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("speedups")
    return write_jsonl(root / "train.jsonl", _varied_chats()), root


def _spec(files, name: str) -> TrainSpec:
    train_file, root = files
    return TrainSpec(job_id=name, method="supervised", base_model=BASE, training_file=train_file,
                     validation_file=None, hyperparameters=Hyperparameters(1, 3, 1.0), seed=11,
                     output_dir=root / name)


@pytest.fixture(scope="module")
def trainers(files):
    """(grouped trainer, straightforward trainer, tokenized data) built as train() builds them."""
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for
    from nbtools.server.engine.sft import build_sft_trainer
    from nbtools.server.engine.training import _lora_config, _trainer_args

    placement = choose_placement("cpu")
    built = []
    for grouped in (True, False):
        spec = _spec(files, f"trainer-{grouped}")
        built.append(build_sft_trainer(
            model=load_model(BASE, placement), tokenizer=load_tokenizer_for(BASE),
            args=_trainer_args(spec, placement), peft_config=_lora_config(TrainOptions()),
            train_file=spec.training_file, valid_file=None, max_length=256, callbacks=[],
            group_by_length=grouped))
    return built[0][0], built[1][0], built[0][1]


def _rows(loader):
    """Every example of one epoch as (input_ids, labels) without padding, plus the padding seen."""
    rows, padding = [], 0
    for batch in loader:
        for ids, labels, mask in zip(batch["input_ids"], batch["labels"], batch["attention_mask"]):
            keep = mask.bool()
            assert (labels[~keep] == -100).all()  # padding is never trained
            rows.append((tuple(ids[keep].tolist()), tuple(labels[keep].tolist())))
            padding += int((~keep).sum())
    return rows, padding


def test_grouped_batches_hold_the_same_examples_labels_and_masks(trainers):
    grouped, plain, data = trainers
    expected = Counter((tuple(e.input_ids), tuple(e.labels)) for e in data.examples)
    grouped_rows, grouped_padding = _rows(grouped.get_train_dataloader())
    plain_rows, plain_padding = _rows(plain.get_train_dataloader())
    assert Counter(grouped_rows) == expected == Counter(plain_rows)
    assert grouped_padding < plain_padding


@pytest.mark.slow
@pytest.mark.parametrize("autocast", [False, True])
def test_trainer_loss_is_the_plain_models_loss(trainers, autocast):
    import torch

    grouped = trainers[0]
    batch = next(iter(grouped.get_train_dataloader()))
    model = grouped.model
    with torch.no_grad():
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss.item()  # fp32, full logits, transformers' own loss
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            fused = grouped.compute_loss(model, dict(batch)).item()
    assert fused == pytest.approx(reference, abs=2e-2 if autocast else 1e-4)


def test_bf16_is_refused_on_a_cpu_without_native_bf16(files, monkeypatch):
    from nbtools.server.engine import training

    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    with pytest.raises(InputError) as refused:
        train(_spec(files, "refused"), RecordingHooks(), options=TrainOptions(max_length=256, precision="bfloat16"))
    assert (refused.value.field, refused.value.value) == ("precision", "bfloat16")
    assert "no native bfloat16" in str(refused.value)
    assert not any((files[1] / "refused").iterdir())  # refused before the model loads: nothing written


@pytest.mark.slow
def test_bf16_autocast_loss_curve_stays_close_to_float32(files, monkeypatch):
    from nbtools.server.engine import training

    # the numerics under test are autocast's, the same on every CPU; where bf16 is not native (AVX2-only hosts)
    # the engine refuses it for speed (test above), so the check lets it run emulated, only slower
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)
    curves = {}
    for precision in ("float32", "bfloat16"):
        hooks = RecordingHooks()
        train(_spec(files, precision), hooks, options=TrainOptions(max_length=256, precision=precision))
        curves[precision] = hooks.losses
    assert len(curves["float32"]) == len(curves["bfloat16"]) == 4
    # the same weights: the first step's loss agrees closely; Adam's early, sign-like steps then amplify bf16's
    # rounding (measured here: 1.3473 vs 1.3494, then up to 10% apart): the tolerance bf16 training (the default
    # on CPUs with native bf16) is held to
    assert curves["bfloat16"][0] == pytest.approx(curves["float32"][0], rel=0.01)
    for fp32, bf16 in zip(curves["float32"], curves["bfloat16"]):
        assert bf16 == pytest.approx(fp32, rel=0.12)


def test_unknown_precision_is_refused(files):
    with pytest.raises(InputError) as raised:
        train(_spec(files, "bad"), RecordingHooks(), options=dataclasses.replace(TrainOptions(), precision="fp8"))
    assert (raised.value.field, raised.value.value) == ("precision", "fp8")
