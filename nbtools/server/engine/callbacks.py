"""The bridge from a transformers Trainer to the server's :class:`~.contract.TrainHooks`.

Per optimizer step (the Trainer logs every step: ``logging_steps=1``) the callback builds a
:class:`~.contract.StepMetrics` from the Trainer's log (``loss``, TRL's ``mean_token_accuracy``), adds validation
metrics when due, reports it, then polls ``hooks.control()``:

- "pause": save a resumable checkpoint at this step now and stop (``should_save`` + ``should_training_stop``);
- "cancel": stop without saving.

Epoch checkpoints come from ``save_strategy="epoch"``; once the Trainer has written one, the callback marks it
complete (see :mod:`.checkpoints`) and reports it through ``hooks.on_checkpoint``. A pause checkpoint taken
mid-epoch is marked (kind "pause") but not reported there: the server lists epoch checkpoints only. The run's
:class:`~.contract.TrainResult` names it instead, and :func:`~.checkpoints.latest_checkpoint` finds it on disk.

Under ``accelerate launch`` (or any launcher of several processes) every process runs this callback; only the main
one reports. All of them poll ``control()`` and then agree on the strictest answer (cancel over pause over continue,
one tiny all-reduce a step), so a control file written between two ranks' reads cannot leave one rank training
while the other stops. Every rank reaches ``on_save`` before the main one marks the checkpoint complete (a barrier),
so a complete marker means every rank's files (its RNG state) are in place.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from transformers import TrainerCallback

from .checkpoints import write_marker
from .contract import CheckpointInfo, Control, StepMetrics, TrainHooks

__all__ = ["HooksCallback", "Evaluator", "agreed_control"]

_CONTROLS: tuple[Control, ...] = ("continue", "pause", "cancel")  # in order of strictness

# (which: "batch" | "full", step) -> (loss, mean token accuracy)
Evaluator = Callable[[str, int], tuple[float, float]]


def _distributed():
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def agreed_control(decision: Control) -> Control:
    """The strictest of every process's `decision` (this process's alone outside a process group).

    >>> agreed_control("pause")
    'pause'
    """
    dist = _distributed()
    if dist is None:
        return decision
    import torch

    code = torch.tensor([_CONTROLS.index(decision)], dtype=torch.int64)
    dist.all_reduce(code, op=dist.ReduceOp.MAX)
    return _CONTROLS[int(code.item())]


class HooksCallback(TrainerCallback):
    """Reports steps and checkpoints to `hooks`, runs validation when due, and obeys pause / cancel."""

    def __init__(self, hooks: TrainHooks, *, evaluator: Evaluator | None = None, valid_every: int | None = None):
        self.hooks = hooks
        self.evaluator = evaluator
        self.valid_every = valid_every  # None: auto, ~10 evaluations per run
        self.stop_reason: str | None = None  # "paused" | "cancelled"
        self.pause_checkpoint: Path | None = None
        self.last_metrics: StepMetrics | None = None
        self.total_steps = 0
        self.steps_per_epoch = 1
        self._saved_step = -1
        self._reported_step = -1

    # -- helpers ----------------------------------------------------------------------------------------------

    def _is_epoch_end(self, step: int) -> bool:
        return step % self.steps_per_epoch == 0 or step == self.total_steps

    def _epoch_of(self, step: int) -> int:
        return math.ceil(step / self.steps_per_epoch)

    def _metrics(self, step: int, logs: dict[str, float]) -> StepMetrics:
        valid: tuple[float, float] | tuple[None, None] = (None, None)
        full: tuple[float, float] | tuple[None, None] = (None, None)
        if self.evaluator is not None:
            every = self.valid_every or max(1, math.ceil(self.total_steps / 10))
            if step % every == 0 or step == self.total_steps:
                valid = self.evaluator("batch", step)
            if self._is_epoch_end(step):
                full = self.evaluator("full", step)
        return StepMetrics(
            step=step,
            total_steps=self.total_steps,
            train_loss=float(logs["loss"]),
            train_mean_token_accuracy=float(logs.get("mean_token_accuracy", math.nan)),
            valid_loss=valid[0],
            valid_mean_token_accuracy=valid[1],
            full_valid_loss=full[0],
            full_valid_mean_token_accuracy=full[1],
        )

    # -- Trainer events ---------------------------------------------------------------------------------------

    def on_train_begin(self, args, state, control, **kwargs):
        self.total_steps = state.max_steps
        self.steps_per_epoch = max(1, math.ceil(state.max_steps / max(1, math.ceil(args.num_train_epochs))))

    def on_log(self, args, state, control, logs=None, **kwargs):
        step = state.global_step
        # Only the per-step training log; evaluation logs ("eval_loss") and the final summary have no "loss".
        if not logs or "loss" not in logs or step == self._reported_step:
            return
        self._reported_step = step
        metrics = self._metrics(step, logs)
        self.last_metrics = metrics
        if state.is_world_process_zero:
            self.hooks.on_step(metrics, int(state.num_input_tokens_seen))
        decision = agreed_control(self.hooks.control())
        if decision == "pause":
            self.stop_reason = "paused"
            control.should_save = True
            control.should_training_stop = True
        elif decision == "cancel":
            self.stop_reason = "cancelled"
            control.should_save = False
            control.should_training_stop = True

    def on_epoch_end(self, args, state, control, **kwargs):
        # The Trainer asks for an epoch save even when it stops mid-epoch; skip it when cancelled or already saved.
        if self.stop_reason == "cancelled" or self._saved_step == state.global_step:
            control.should_save = False
        elif self.stop_reason == "paused" or not self._is_epoch_end(state.global_step):
            control.should_save = False

    def on_save(self, args, state, control, **kwargs):
        step = state.global_step
        self._saved_step = step
        dist = _distributed()
        if dist is not None:
            dist.barrier()  # every rank's part of the checkpoint is written before it is marked complete
        if not state.is_world_process_zero:
            return
        path = Path(args.output_dir) / f"checkpoint-{step}"
        epoch_end = self._is_epoch_end(step)
        write_marker(path, step=step, epoch=self._epoch_of(step), kind="epoch" if epoch_end else "pause",
                     trained_tokens=int(state.num_input_tokens_seen), metrics=self.last_metrics)
        if self.stop_reason == "paused":
            self.pause_checkpoint = path
        if epoch_end and self.last_metrics is not None:
            self.hooks.on_checkpoint(CheckpointInfo(step=step, epoch=self._epoch_of(step), path=path,
                                                    metrics=self.last_metrics))
            self.hooks.on_log(f"Checkpoint saved at step {step} (epoch {self._epoch_of(step)})")
