"""Shared helpers for the engine tests: tiny brand-voice files and a recording TrainHooks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from nbtools.server.engine import CheckpointInfo, StepMetrics

SYSTEM = "You are the support assistant of Brewtiful Coffee Co."
QUESTIONS = [
    "Where is my order?", "How do I pause my subscription?", "Can I change my grind size?", "Do you ship to Canada?",
    "My beans arrived stale.", "How do I cancel?", "What roast is best for espresso?", "Can I gift a subscription?",
    "Is the packaging recyclable?", "How much is shipping?", "Can I skip a month?", "Do you sell decaf?",
]


def reply(question: str) -> str:
    return f"Hey there! Good question: {question.lower()} We'll sort it out in a fresh brew. Stay grounded! ☕"


def chat_example(question: str) -> dict:
    return {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question},
                         {"role": "assistant", "content": reply(question)}]}


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@dataclass
class RecordingHooks:
    """TrainHooks that records everything and answers control() from a plan: {step: "pause" | "cancel"}.

    A request stays in force from its step on, as a job's pause or cancel does until it is honoured: a caller
    that polls less often than every step (the two-process trainer) still sees it.
    """

    plan: dict[int, str] = field(default_factory=dict)
    steps: list[StepMetrics] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    checkpoints: list[CheckpointInfo] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)

    def on_log(self, message: str, level: str = "info") -> None:
        self.messages.append((level, message))

    def on_step(self, metrics: StepMetrics, trained_tokens: int) -> None:
        self.steps.append(metrics)
        self.tokens.append(trained_tokens)

    def on_checkpoint(self, checkpoint: CheckpointInfo) -> None:
        assert (checkpoint.path / "nbtools_checkpoint.json").is_file(), "reported before it was complete"
        self.checkpoints.append(checkpoint)

    def control(self) -> str:
        done = self.steps[-1].step if self.steps else 0
        asked = [step for step in self.plan if step <= done]
        return self.plan[max(asked)] if asked else "continue"

    @property
    def losses(self) -> list[float]:
        return [m.train_loss for m in self.steps]
