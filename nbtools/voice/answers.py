"""Collect answers to a few prompts from several set-ups (model + system prompt), ready for the voice checks.

    >>> VoiceSetup("base + short prompt", "smollm2-135m-instruct", system="Be brief.")
    VoiceSetup(label='base + short prompt', model='smollm2-135m-instruct', system='Be brief.')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import openai
import pandas as pd
from tqdm.auto import tqdm

from ..errors import BackendError, InputError
from .chat import chat_messages

__all__ = ["VoiceSetup", "collect_answers", "user_questions"]

_COLUMNS = ["setup", "model", "prompt", "answer", "prompt_tokens", "completion_tokens", "finish_reason"]


@dataclass(frozen=True)
class VoiceSetup:
    """One way of asking: a label for tables and charts, the model id, and the system prompt ("" for none)."""

    label: str
    model: str
    system: str = ""


def user_questions(examples: Iterable[Mapping[str, Any]], *, n: int | None = None) -> list[str]:
    """The first user message of each chat example, without repeats, at most `n` of them.

    >>> user_questions([{"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi?"},
    ...                               {"role": "assistant", "content": "Hey there!"}]}, {"input": {}}])
    ['Hi?']
    """
    found: list[str] = []
    for example in examples:
        messages = example.get("messages") if isinstance(example, Mapping) else None
        text = next((m.get("content") for m in messages or () if isinstance(m, Mapping) and m.get("role") == "user"),
                    None)
        if isinstance(text, str) and text.strip() and text not in found:
            found.append(text)
            if n is not None and len(found) >= n:
                break
    return found


def collect_answers(
    client: Any, prompts: Sequence[str], setups: Sequence[VoiceSetup], *, max_tokens: int = 80, temperature: float = 0.0
) -> pd.DataFrame:
    """One row per (set-up, prompt): the answer and the token usage the backend reported."""
    labels = [s.label for s in setups]
    if len(set(labels)) != len(labels):
        raise InputError("set-up labels must be unique", field="setups", value=labels)
    rows = []
    jobs = [(setup, prompt) for setup in setups for prompt in prompts]
    for setup, prompt in tqdm(jobs, desc="asking", leave=False):
        try:
            response = client.chat.completions.create(
                model=setup.model, messages=chat_messages(setup.system, prompt), max_tokens=max_tokens,
                temperature=temperature,
            )
        except openai.OpenAIError as exc:
            raise BackendError(f"set-up {setup.label!r} (model {setup.model!r}) failed: {exc}") from exc
        choice = response.choices[0]
        usage = response.usage
        rows.append({
            "setup": setup.label, "model": setup.model, "prompt": prompt, "answer": choice.message.content or "",
            "prompt_tokens": usage.prompt_tokens if usage else None,
            "completion_tokens": usage.completion_tokens if usage else None,
            "finish_reason": choice.finish_reason,
        })
    return pd.DataFrame(rows, columns=_COLUMNS)
