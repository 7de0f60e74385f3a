"""Training files -> token ids and labels, with the model's own chat template.

Supervised examples (OpenAI chat format, one JSON object a line: ``messages``, optional ``tools``) become
``input_ids`` plus ``labels`` that are -100 everywhere except on the assistant turns that are trained: every
assistant message unless it carries ``"weight": 0``. A trained turn's labels cover its content and the template's
end-of-turn token (``<|im_end|>`` for SmolLM2), so the model learns to stop; they never cover the role header
(``<|im_start|>assistant``), which the prompt supplies at chat time, nor the newline the template writes after the
end-of-turn token.

How a turn is located: the template renders the conversation up to the turn with a generation prompt (everything
before the reply) and up to and including the turn (everything through its end); the characters between the two are
the reply, and the tokens whose character spans overlap them are labelled. This needs a template that renders
conversations incrementally (each rendering of a shorter conversation is a prefix of the full one), which holds for
ChatML-style templates; others get a :class:`DataFormatError`.

Preference (DPO) examples (``input.messages``, ``preferred_output``, ``non_preferred_output``) become TRL's
conversational preference records ``{"prompt", "chosen", "rejected"}``; TRL tokenizes those itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from jinja2 import TemplateError

from ...errors import DataFormatError, InputError
from ...jsonl import iter_records
from .chat_format import template_messages, template_supports_tools

__all__ = [
    "TokenizedChat",
    "SFTData",
    "render",
    "tokenize_chat",
    "tokenize_sft_file",
    "preference_record",
    "read_preference_file",
]

IGNORE_INDEX = -100


@dataclass(frozen=True)
class TokenizedChat:
    """One supervised example ready for the trainer. `labels[i]` is -100 or ``input_ids[i]``."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool

    @property
    def n_trained(self) -> int:
        """Tokens that carry a loss."""
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


@dataclass(frozen=True)
class SFTData:
    """A tokenized supervised file: usable examples, plus what was dropped or cut and why."""

    examples: list[TokenizedChat]
    dropped_lines: list[int]  # 1-based lines with no trained token left (all weight 0, or truncated away)
    truncated_lines: list[int]

    @property
    def n_tokens(self) -> int:
        """Tokens of one pass over the usable examples."""
        return sum(len(e.input_ids) for e in self.examples)


def render(tokenizer, messages: Sequence[Mapping[str, Any]], *, tools=None, add_generation_prompt: bool) -> str:
    """Template text of already-converted `messages` (see :func:`~.chat_format.template_messages`)."""
    kwargs = {"tools": list(tools)} if tools else {}
    try:
        return tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=add_generation_prompt, **kwargs
        )
    except (TemplateError, TypeError, ValueError) as error:
        raise DataFormatError(f"the model's chat template cannot render this conversation: {error}") from error


def _trained_flags(messages: Sequence[Mapping[str, Any]], field_prefix: str) -> list[bool]:
    flags = []
    for i, message in enumerate(messages):
        weight = message.get("weight", 1) if isinstance(message, Mapping) else 1
        if weight not in (0, 1) or isinstance(weight, bool):
            raise InputError("weight must be 0 or 1", field=f"{field_prefix}[{i}].weight", value=weight)
        flags.append(isinstance(message, Mapping) and message.get("role") == "assistant" and weight == 1)
    return flags


def tokenize_chat(
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    max_length: int,
) -> TokenizedChat:
    """One conversation -> input ids and labels (trained assistant turns only), cut to `max_length` tokens.

    Truncation keeps the start of the conversation (as OpenAI does: the end is dropped).
    """
    has_tools = template_supports_tools(tokenizer.chat_template)
    converted = template_messages(messages, tools=tools, template_has_tools=has_tools)
    template_tools = tools if has_tools else None
    flags = _trained_flags(messages, "messages")
    offset = len(converted) - len(messages)  # 1 when a tools-only system message was put first
    full = render(tokenizer, converted, tools=template_tools, add_generation_prompt=False)

    spans: list[tuple[int, int]] = []
    for i, trained in enumerate(flags):
        if not trained:
            continue
        k = i + offset
        before = render(tokenizer, converted[:k], tools=template_tools, add_generation_prompt=True)
        through = render(tokenizer, converted[: k + 1], tools=template_tools, add_generation_prompt=False)
        if not (through.startswith(before) and full.startswith(through)):
            raise DataFormatError(
                "this model's chat template does not render conversations incrementally, so assistant turns "
                "cannot be located for loss masking",
                field=f"messages[{i}]",
            )
        reply_end = len(before) + len(through[len(before):].rstrip())
        spans.append((len(before), reply_end))

    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    input_ids = list(encoded["input_ids"])
    labels = [IGNORE_INDEX] * len(input_ids)
    for index, (start, end) in enumerate(encoded["offset_mapping"]):
        if end > start and any(start < span_end and end > span_start for span_start, span_end in spans):
            labels[index] = input_ids[index]
    truncated = len(input_ids) > max_length
    return TokenizedChat(input_ids=input_ids[:max_length], labels=labels[:max_length], truncated=truncated)


def tokenize_sft_file(path: str | Path, tokenizer, *, max_length: int) -> SFTData:
    """Tokenize every example of a supervised JSONL file; examples left with no trained token are dropped."""
    path = Path(path)
    examples, dropped, truncated = [], [], []
    for number, record in iter_records(path, name=path.name):
        messages = record.get("messages")
        if not isinstance(messages, list) or not messages:
            raise DataFormatError("missing 'messages' list", file=path.name, line=number, field="messages")
        try:
            example = tokenize_chat(tokenizer, messages, tools=record.get("tools"), max_length=max_length)
        except InputError as error:
            raise DataFormatError(error.reason, file=path.name, line=number, field=error.field,
                                  **({"value": error.value} if error.has_value else {})) from None
        if example.truncated:
            truncated.append(number)
        if example.n_trained == 0:
            dropped.append(number)
            continue
        examples.append(example)
    if not examples:
        raise DataFormatError(
            f"no example has a trained assistant token (all weight 0, or cut off by the {max_length}-token limit)",
            file=path.name,
        )
    return SFTData(examples=examples, dropped_lines=dropped, truncated_lines=truncated)


def preference_record(record: Mapping[str, Any], *, template_has_tools: bool) -> dict[str, Any]:
    """An OpenAI DPO example -> TRL's conversational preference record (messages already template-ready).

    >>> rec = {"input": {"messages": [{"role": "user", "content": "Hi"}]},
    ...        "preferred_output": [{"role": "assistant", "content": "Hey there!"}],
    ...        "non_preferred_output": [{"role": "assistant", "content": "Hello."}]}
    >>> preference_record(rec, template_has_tools=False)["chosen"]
    [{'role': 'assistant', 'content': 'Hey there!'}]
    """
    source = record.get("input")
    if not isinstance(source, Mapping) or not isinstance(source.get("messages"), list):
        raise InputError("missing 'input.messages' list", field="input.messages")
    tools = source.get("tools")
    out: dict[str, Any] = {}
    for key, name in (("preferred_output", "chosen"), ("non_preferred_output", "rejected")):
        reply = record.get(key)
        if not isinstance(reply, list) or len(reply) != 1 or not isinstance(reply[0], Mapping) \
                or reply[0].get("role") != "assistant":
            raise InputError("must be a list holding one assistant message", field=key, value=reply)
        out[name] = template_messages(reply, template_has_tools=template_has_tools)
    out["prompt"] = template_messages(source["messages"], tools=tools, template_has_tools=template_has_tools)
    if tools and template_has_tools:
        out["tools"] = json.dumps(list(tools))
    return out


def read_preference_file(path: str | Path, *, template_has_tools: bool) -> list[dict[str, Any]]:
    """All examples of a DPO JSONL file as TRL preference records."""
    path = Path(path)
    records = []
    for number, record in iter_records(path, name=path.name):
        try:
            records.append(preference_record(record, template_has_tools=template_has_tools))
        except InputError as error:
            raise DataFormatError(error.reason, file=path.name, line=number, field=error.field,
                                  **({"value": error.value} if error.has_value else {})) from None
    if not records:
        raise DataFormatError("the file holds no examples", file=path.name)
    if any("tools" in r for r in records):  # one schema for the whole dataset
        for r in records:
            r.setdefault("tools", "[]")
    return records
