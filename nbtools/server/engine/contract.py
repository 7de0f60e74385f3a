"""What the server and the training engine agree on. Plain frozen dataclasses and one Protocol.

The engine knows nothing of HTTP, SQLite or OpenAI ids; the server knows nothing of torch. The server's worker
builds a :class:`TrainSpec` (hyperparameters already resolved, no "auto"), passes an object implementing
:class:`TrainHooks`, and gets a :class:`TrainResult` back. Checkpoint directories written by the engine are
PEFT adapter directories, loadable as chat models and usable as ``resume_from``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal, Mapping, Protocol, Sequence

__all__ = [
    "Method",
    "Control",
    "Hyperparameters",
    "TrainSpec",
    "StepMetrics",
    "CheckpointInfo",
    "TrainResult",
    "TrainHooks",
    "GenerationParams",
    "Generated",
    "StreamDelta",
    "ChatEngineProtocol",
]

Method = Literal["supervised", "dpo"]
Control = Literal["continue", "pause", "cancel"]


@dataclass(frozen=True)
class Hyperparameters:
    """Resolved hyperparameters (OpenAI names). `beta` is DPO's and None for supervised jobs."""

    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    beta: float | None = None


@dataclass(frozen=True)
class TrainSpec:
    """One training run of one job. `output_dir` is private to the job; `resume_from` is a checkpoint dir of it."""

    job_id: str
    method: Method
    base_model: str  # built-in id or HF directory, resolved with nbtools.basemodels.base_model_dir
    training_file: Path  # JSONL, already validated
    validation_file: Path | None
    hyperparameters: Hyperparameters
    seed: int
    output_dir: Path
    resume_from: Path | None = None


@dataclass(frozen=True)
class StepMetrics:
    """Metrics of one optimizer step, with OpenAI's metric names. `step` is 1-based."""

    step: int
    total_steps: int
    train_loss: float
    train_mean_token_accuracy: float
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint the engine wrote (one per epoch): a PEFT adapter dir plus the training state to resume from."""

    step: int
    epoch: int
    path: Path
    metrics: StepMetrics


@dataclass(frozen=True)
class TrainResult:
    """How a run ended. `final_adapter` is set when status is "succeeded"; `resume_checkpoint` when "paused"
    (the checkpoint dir to pass back as ``TrainSpec.resume_from``)."""

    status: Literal["succeeded", "paused", "cancelled"]
    final_adapter: Path | None
    trained_tokens: int
    steps_done: int
    total_steps: int
    resume_checkpoint: Path | None = None


class TrainHooks(Protocol):
    """Callbacks from the engine to the server's worker. Exceptions raised by hooks abort the run."""

    def on_log(self, message: str, level: Literal["info", "warn", "error"] = "info") -> None:
        """A human-readable progress message (becomes a job event)."""

    def on_step(self, metrics: StepMetrics, trained_tokens: int) -> None:
        """After every optimizer step; `trained_tokens` is the running total."""

    def on_checkpoint(self, checkpoint: CheckpointInfo) -> None:
        """After a checkpoint directory is completely written."""

    def control(self) -> Control:
        """Polled between steps: keep going, or stop now (pause keeps a resumable checkpoint)."""


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings for a chat completion (OpenAI names and defaults)."""

    max_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    n: int = 1
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0


@dataclass(frozen=True)
class Generated:
    """One generated choice."""

    text: str
    finish_reason: Literal["stop", "length"]
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class StreamDelta:
    """A piece of a streamed completion for choice `index`. The last delta of a choice has `finish_reason` set
    (and may have empty `text`); token counts are running totals for that choice."""

    index: int
    text: str
    finish_reason: Literal["stop", "length"] | None
    prompt_tokens: int
    completion_tokens: int


class ChatEngineProtocol(Protocol):
    """What the server's chat endpoint needs from the engine. `adapter` is a checkpoint/final adapter dir or None
    for the plain base model. `messages` are OpenAI chat messages (system/developer/user/assistant/tool)."""

    def generate(
        self,
        base_model: str,
        adapter: Path | None,
        messages: Sequence[Mapping[str, Any]],
        params: GenerationParams,
    ) -> list[Generated]:
        """All `params.n` choices at once."""

    def stream(
        self,
        base_model: str,
        adapter: Path | None,
        messages: Sequence[Mapping[str, Any]],
        params: GenerationParams,
    ) -> Iterator[StreamDelta]:
        """Choices one after another, token by token."""
