"""One training run of one job: :func:`train` (supervised or DPO, LoRA on any Hugging Face causal LM).

Built on the transformers Trainer through TRL's SFTTrainer and DPOTrainer, with PEFT LoRA on every linear
projection, so the same code runs on a CPU, a GPU, or several GPUs under ``accelerate launch`` (the Trainer reads
the distributed environment that launcher sets up).

``trained_tokens`` is the number of tokens the model actually processed in training forward passes: every
non-padding token of every example in every step (prompt and reply alike, after truncation), summed over epochs. It
matches OpenAI's billing definition (tokens in the file x epochs) when nothing is truncated. For DPO each example
counts as prompt + preferred reply plus prompt + rejected reply, since both sequences go through the model. It is
the Trainer's ``num_input_tokens_seen`` (non-padding), which its checkpoints save and restore.

Determinism: the same spec (seed included), data, thread count and hardware give the same losses: LoRA weights are
initialised after ``set_seed(seed)``, each epoch's shuffle is seeded from (seed, epoch), and a resumed run restores
the optimizer, scheduler and RNG states and skips the batches already done.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...errors import InputError
from .callbacks import HooksCallback
from .checkpoints import is_complete, read_marker
from .contract import TrainHooks, TrainResult, TrainSpec
from .hyperparameters import learning_rate
from .models import (Placement, choose_placement, cpu_has_native_bf16, hold_frozen_linears_in, load_model,
                     load_tokenizer_for, set_threads)

__all__ = ["TrainOptions", "train", "FINAL_ADAPTER_DIR"]

FINAL_ADAPTER_DIR = "final"


@dataclass(frozen=True)
class TrainOptions:
    """Engine settings that are not OpenAI hyperparameters.

    `max_length`: tokens per example (longer ones are cut at the end). `num_threads`: torch threads (None: torch's
    default, one per core). `device`: "cpu" or "cuda" (None: CUDA when available). `valid_every`: steps between
    validation-batch evaluations (None: about 10 per run). LoRA: rank, alpha, dropout, on all linear projections.
    `group_by_length`: supervised batches of similar-length examples (less padding; see :mod:`.grouping`).
    `precision`: "auto" (bfloat16 autocast on a GPU that supports it and on CPUs that compute bf16 natively:
    AVX512-BF16 or AMX, for supervised runs; float32 elsewhere and for DPO on the CPU), "float32", or "bfloat16". On a 2-core AVX512-BF16 CPU a step runs in
    ~0.55x the float32 time; with the same seed the first step's loss agrees with float32 within 0.2% and the curve
    stays within the tolerance `tests/test_engine_speedups.py` checks (Adam's first, sign-like steps amplify bf16's
    rounding into a few percent). `labelled_head`: the LM head on labelled positions only (see :mod:`.labelled_loss`;
    the same loss, less work). `bf16_frozen_weights`: under bf16 autocast with float32 weights (the CPU), store the
    frozen base projections in bfloat16 (:func:`~.models.hold_frozen_linears_in`: the same products as autocast's
    per-step casts, without them; adapters, optimizer state, embeddings and norms stay float32). `attention`:
    "auto" (eager on the CPU: on a 2-core AVX512-BF16 CPU SDPA's CPU flash kernel, backward especially, cost ~15%
    more per step on chat-length batches; transformers' default elsewhere), "eager" or "sdpa".
    """

    max_length: int = 512
    num_threads: int | None = None
    device: str | None = None
    valid_every: int | None = None
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    group_by_length: bool = True
    precision: str = "auto"
    labelled_head: bool = True
    bf16_frozen_weights: bool = True
    attention: str = "auto"


def _lora_config(options: TrainOptions):
    from peft import LoraConfig

    return LoraConfig(r=options.lora_rank, lora_alpha=options.lora_alpha, lora_dropout=options.lora_dropout,
                      target_modules="all-linear", task_type="CAUSAL_LM")


def _autocast_bf16(options: TrainOptions, placement: Placement, method: str = "supervised") -> bool:
    """Whether training runs under bfloat16 autocast (see TrainOptions.precision; CPU "auto": supervised only)."""
    if options.precision not in ("auto", "float32", "bfloat16"):
        raise InputError("must be 'auto', 'float32' or 'bfloat16'", field="precision", value=options.precision)
    if options.precision == "auto":
        return placement.bf16 or (placement.device == "cpu" and method == "supervised" and cpu_has_native_bf16())
    if options.precision == "bfloat16" and placement.device == "cpu" and not cpu_has_native_bf16():
        raise InputError("this CPU has no native bfloat16 (AVX512-BF16 or AMX): bf16 would be emulated and slow",
                         field="precision", value=options.precision)
    return options.precision == "bfloat16"


def _attention(options: TrainOptions, placement: Placement) -> str | None:
    """transformers' attention implementation for training (see TrainOptions.attention)."""
    if options.attention not in ("auto", "eager", "sdpa"):
        raise InputError("must be 'auto', 'eager' or 'sdpa'", field="attention", value=options.attention)
    if options.attention == "auto":
        return "eager" if placement.device == "cpu" else None
    return options.attention


def _trainer_args(spec: TrainSpec, placement: Placement) -> dict:
    """TrainingArguments shared by both methods."""
    hp = spec.hyperparameters
    world = int(os.environ.get("WORLD_SIZE", "1"))
    per_device = max(1, math.ceil(hp.batch_size / world))  # keep the job's batch size across processes
    return dict(
        output_dir=str(spec.output_dir),
        num_train_epochs=hp.n_epochs,
        per_device_train_batch_size=per_device,
        per_device_eval_batch_size=per_device,
        gradient_accumulation_steps=1,
        learning_rate=learning_rate(spec.method, hp.learning_rate_multiplier),
        lr_scheduler_type="linear",
        warmup_steps=0,
        weight_decay=0.0,
        max_grad_norm=1.0,
        optim="adamw_torch",
        logging_strategy="steps",
        logging_steps=1,
        save_strategy="epoch",
        eval_strategy="no",
        report_to="none",
        seed=spec.seed,
        data_seed=spec.seed,
        dataloader_num_workers=0,
        dataloader_pin_memory=placement.device == "cuda",
        disable_tqdm=True,
        activation_checkpointing=False,
        bf16=placement.bf16,
        fp16=False,
        use_cpu=placement.device == "cpu",
        include_num_input_tokens_seen="non_padding",
        save_only_model=False,
        ddp_find_unused_parameters=False,  # every LoRA weight takes part in every step: skip DDP's extra graph walk
    )


def _evaluator(trainer, batch_size: int):
    """(which, step) -> (loss, token accuracy) on the validation set: a rotating batch, or all of it."""
    full = trainer.eval_dataset

    def evaluate(which: str, step: int) -> tuple[float, float]:
        if which == "full":
            dataset = full
        else:
            n = len(full)
            start = (step * batch_size) % n
            dataset = full.select([(start + i) % n for i in range(min(batch_size, n))])
        metrics = trainer.evaluate(eval_dataset=dataset, metric_key_prefix="eval")
        return float(metrics["eval_loss"]), float(metrics.get("eval_mean_token_accuracy", math.nan))

    return evaluate


def _save_final(trainer, output_dir: Path) -> Path:
    """Save the trained adapter (and tokenizer) as `<output_dir>/final`, atomically.

    Under ``accelerate launch`` every process calls this: all take part in saving (sharded set-ups gather weights),
    only the main one touches the directories, and none returns before the adapter is in place."""
    target = output_dir / FINAL_ADAPTER_DIR
    tmp = output_dir / (FINAL_ADAPTER_DIR + ".tmp")
    main = trainer.is_world_process_zero()
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    trainer.save_model(str(tmp))
    trainer.accelerator.wait_for_everyone()
    if main:
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    trainer.accelerator.wait_for_everyone()
    return target


@contextlib.contextmanager
def _quiet_progress():
    """No datasets / transformers progress bars during a run (progress goes through the hooks); restored after."""
    import datasets
    from transformers.utils import logging as hf_logging

    datasets_on, hf_on = datasets.is_progress_bar_enabled(), hf_logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if datasets_on:
            datasets.enable_progress_bars()
        if hf_on:
            hf_logging.enable_progress_bar()


def _drop_pause_checkpoints(output_dir: Path) -> None:
    """Remove mid-epoch pause checkpoints once the run has finished: only epoch checkpoints are kept."""
    for child in output_dir.glob("checkpoint-*"):
        marker = read_marker(child)
        if marker is not None and marker.get("kind") == "pause":
            shutil.rmtree(child, ignore_errors=True)


def train(spec: TrainSpec, hooks: TrainHooks, *, options: TrainOptions | None = None) -> TrainResult:
    """Fine-tune `spec.base_model` with LoRA on `spec.training_file`; report through `hooks`; say how it ended.

    ``TrainSpec(method="supervised", training_file=train.jsonl, ...) -> TrainResult(status="succeeded",
    final_adapter=<output_dir>/final, ...)``. Epoch checkpoints land in ``<output_dir>/checkpoint-<step>``.
    On "pause" the result has status "paused" and ``resume_checkpoint`` set: pass it back as
    ``spec.resume_from`` to continue.
    """
    with _quiet_progress():
        return _train(spec, hooks, options or TrainOptions())


def _train(spec: TrainSpec, hooks: TrainHooks, options: TrainOptions) -> TrainResult:
    from transformers.trainer_callback import PrinterCallback

    if spec.resume_from is not None and not is_complete(spec.resume_from):
        raise InputError("not a complete checkpoint of this engine", field="resume_from", value=str(spec.resume_from))
    if spec.method == "dpo" and spec.hyperparameters.beta is None:
        raise InputError("DPO needs beta", field="hyperparameters.beta", value=None)
    started = time.monotonic()
    threads = set_threads(options.num_threads)
    placement = choose_placement(options.device)
    spec.output_dir.mkdir(parents=True, exist_ok=True)

    tokenizer = load_tokenizer_for(spec.base_model)
    autocast = _autocast_bf16(options, placement, spec.method)
    model = load_model(spec.base_model, placement, attention=_attention(options, placement))
    hooks.on_log(f"Loaded {spec.base_model} on {placement.device} ({placement.dtype_name} weights"
                 f"{', bfloat16 autocast' if autocast else ''}, {threads} threads) "
                 f"in {time.monotonic() - started:.1f} s")
    if hooks.control() == "cancel":
        return TrainResult(status="cancelled", final_adapter=None, trained_tokens=0, steps_done=0, total_steps=0)

    callback = HooksCallback(hooks, valid_every=options.valid_every)
    args = _trainer_args(spec, placement)
    args["bf16"] = autocast
    common = dict(model=model, tokenizer=tokenizer, args=args, peft_config=_lora_config(options),
                  train_file=spec.training_file, valid_file=spec.validation_file,
                  max_length=options.max_length, callbacks=[callback])
    if spec.method == "supervised":
        from .sft import build_sft_trainer

        trainer, train_data, valid_data = build_sft_trainer(**common, group_by_length=options.group_by_length,
                                                             labelled_head=options.labelled_head)
        n_train, n_valid = len(train_data.examples), len(valid_data.examples) if valid_data else 0
        if train_data.dropped_lines:
            hooks.on_log(f"Skipped {len(train_data.dropped_lines)} training examples with no trained assistant "
                         f"token (lines {train_data.dropped_lines[:10]})", "warn")
        if train_data.truncated_lines:
            hooks.on_log(f"Truncated {len(train_data.truncated_lines)} training examples to {options.max_length} "
                         f"tokens (lines {train_data.truncated_lines[:10]})", "warn")
    elif spec.method == "dpo":
        from .dpo import build_dpo_trainer

        if spec.hyperparameters.beta is None:
            raise InputError("a DPO run needs a beta (resolve_hyperparameters sets one)", field="hyperparameters.beta",
                             value=None)
        trainer, _, n_valid = build_dpo_trainer(**common, beta=spec.hyperparameters.beta)
        n_train = len(trainer.train_dataset)
    else:
        raise InputError("method must be supervised or dpo", field="method.type", value=spec.method)
    if autocast and placement.dtype_name == "float32" and spec.method == "supervised" and options.bf16_frozen_weights:
        import torch

        hold_frozen_linears_in(trainer.model, torch.bfloat16)  # after PEFT froze the base: adapters stay float32
    trainer.remove_callback(PrinterCallback)  # progress goes through the hooks, not stdout
    if n_valid:
        callback.evaluator = _evaluator(trainer, spec.hyperparameters.batch_size)

    hp = spec.hyperparameters
    hooks.on_log(f"Training {spec.method} LoRA (rank {options.lora_rank}) on {n_train} examples"
                 + (f", validating on {n_valid}" if n_valid else "")
                 + f": {hp.n_epochs} epochs, batch size {hp.batch_size}, learning rate {args['learning_rate']:g}")
    trainer.train(resume_from_checkpoint=str(spec.resume_from) if spec.resume_from else None)

    state = trainer.state
    finished = state.global_step >= state.max_steps
    tokens = int(state.num_input_tokens_seen)
    status: Literal["succeeded", "paused", "cancelled"]
    if callback.stop_reason == "cancelled":
        status, final = "cancelled", None
    elif callback.stop_reason == "paused" and not finished:
        status, final = "paused", None
    else:
        status, final = "succeeded", _save_final(trainer, spec.output_dir)
        if trainer.is_world_process_zero():
            _drop_pause_checkpoints(spec.output_dir)
    elapsed = time.monotonic() - started
    hooks.on_log(f"Training {status} at step {state.global_step}/{state.max_steps}: {tokens:,} trained tokens "
                 f"in {elapsed:.0f} s")
    return TrainResult(status=status, final_adapter=final, trained_tokens=tokens, steps_done=state.global_step,
                       total_steps=state.max_steps, resume_checkpoint=callback.pause_checkpoint
                       if status == "paused" else None)
