"""The local server's own greedy answers to a few prompts: what an export must reproduce.

They come from :class:`~nbtools.server.engine.ChatEngine`, the engine the server chats with, on the same base
model and adapter, at temperature 0. The prompts are the model's own: its training file's system prompt and first
user questions, plus one question it was not trained on.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from .source import ExportSource

__all__ = ["ReferenceAnswer", "reference_prompts", "reference_answers", "training_system_prompt", "MAX_TOKENS"]

MAX_TOKENS = 40
_UNSEEN = "What can you help me with?"


@dataclass(frozen=True)
class ReferenceAnswer:
    """One prompt (chat messages) and the server's greedy answer: text, tokens generated (EOS included), reason."""

    messages: tuple[dict[str, str], ...]
    text: str
    completion_tokens: int
    finish_reason: str

    def record(self) -> dict[str, Any]:
        """As JSON-ready dict."""
        return {**asdict(self), "messages": list(self.messages)}


def _conversations(source: ExportSource) -> list[list[dict[str, Any]]]:
    training = next((f for f in source.training_files if f.role == "training"), None)
    if training is None:
        return []
    out = []
    with open(training.path, encoding="utf-8-sig") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            messages = record.get("messages") if isinstance(record, dict) else None
            if not messages and isinstance(record, dict):  # a preference pair: its input conversation
                messages = (record.get("input") or {}).get("messages")
            if isinstance(messages, list):
                out.append([m for m in messages if isinstance(m, dict)])
    return out


def training_system_prompt(source: ExportSource) -> str | None:
    """The system prompt most of the training conversations start with (None when they have none).

    ``[{"role": "system", "content": "Be brief."}, …] × 9 -> "Be brief."``
    """
    firsts = [c[0].get("content") for c in _conversations(source) if c and c[0].get("role") == "system"]
    found = Counter(f for f in firsts if isinstance(f, str) and f.strip()).most_common(1)
    return found[0][0] if found else None


def reference_prompts(source: ExportSource, *, count: int = 3) -> list[list[dict[str, str]]]:
    """Up to `count` - 1 first user questions of the training file and one unseen question, each after the
    training system prompt when there is one."""
    system = training_system_prompt(source)
    head = [{"role": "system", "content": system}] if system else []
    questions: list[str] = []
    for conversation in _conversations(source):
        user = next((m.get("content") for m in conversation if m.get("role") == "user"), None)
        if isinstance(user, str) and user not in questions:
            questions.append(user)
        if len(questions) >= count - 1:
            break
    return [head + [{"role": "user", "content": q}] for q in [*questions, _UNSEEN]]


def reference_answers(source: ExportSource, prompts: Sequence[Sequence[dict[str, str]]], *,
                      max_tokens: int = MAX_TOKENS) -> list[ReferenceAnswer]:
    """The chat engine's greedy answer to each prompt (loads the base model and adapter: seconds)."""
    from ..server.engine import ChatEngine
    from ..server.engine.contract import GenerationParams

    engine = ChatEngine()
    params = GenerationParams(temperature=0, max_tokens=max_tokens)
    out = []
    for messages in prompts:
        [answer] = engine.generate(source.base, source.adapter, list(messages), params)
        out.append(ReferenceAnswer(tuple(dict(m) for m in messages), answer.text, answer.completion_tokens,
                                   answer.finish_reason))
    return out
