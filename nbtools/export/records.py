"""What an exported example is: one line of OpenAI's fine-tuning format, chat (SFT) or preference (DPO).

An export holds up to four *parts* (``sft/train``, ``sft/validation``, ``dpo/train``, ``dpo/validation``). Every
format writes and reads the same example dicts; where a format cannot hold something an example has, the writer
records a :class:`FormatLoss` instead of dropping it silently::

    >>> example_kind({"messages": [{"role": "user", "content": "Hi"}]})
    'sft'
    >>> summary_texts({"messages": [{"role": "system", "content": "Be brief."},
    ...                             {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
    ...                             {"role": "assistant", "content": "Hey there!"}]})
    {'system': 'Be brief.', 'user': 'Hi', 'assistant': 'Hey there!'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import InputError

__all__ = [
    "SFT",
    "DPO",
    "PARTS",
    "ARGUMENT_PARTS",
    "FormatLoss",
    "example_kind",
    "content_text",
    "summary_texts",
    "differences",
]

SFT = "sft"
DPO = "dpo"
# part name -> (kind, split); split names follow Hugging Face ("validation", not "valid").
PARTS: dict[str, tuple[str, str]] = {
    "sft/train": (SFT, "train"),
    "sft/validation": (SFT, "validation"),
    "dpo/train": (DPO, "train"),
    "dpo/validation": (DPO, "validation"),
}
# export_dataset's example arguments -> the part each one fills.
ARGUMENT_PARTS: dict[str, str] = {"train": "sft/train", "valid": "sft/validation", "dpo_train": "dpo/train",
                                  "dpo_valid": "dpo/validation"}
_DPO_KEYS = ("input", "preferred_output", "non_preferred_output")


@dataclass(frozen=True)
class FormatLoss:
    """Something a format cannot hold for one example: where (part, 0-based index, field) and what happens to it."""

    format: str
    part: str
    index: int
    field: str
    detail: str


def example_kind(example: Any, *, file: str | None = None, line: int | None = None) -> str:
    """"sft" for a chat line (``messages``), "dpo" for a preference line; InputError for anything else."""
    if not isinstance(example, Mapping):
        raise InputError("an example must be a JSON object", file=file, line=line, value=example)
    if "messages" in example:
        _check_messages(example["messages"], "messages", file, line)
        return SFT
    if all(key in example for key in _DPO_KEYS):
        prompt = example["input"]
        if not isinstance(prompt, Mapping):
            raise InputError("must be an object with 'messages'", file=file, line=line, field="input", value=prompt)
        _check_messages(prompt.get("messages"), "input.messages", file, line)
        for key in _DPO_KEYS[1:]:
            _check_messages(example[key], key, file, line)
        return DPO
    raise InputError(
        "not a chat example (no 'messages') nor a preference example ('input', 'preferred_output', "
        "'non_preferred_output'); run `nbtools validate --fix` on legacy files",
        file=file,
        line=line,
        value=sorted(example),
    )


def _check_messages(messages: Any, field: str, file: str | None, line: int | None) -> None:
    if not isinstance(messages, list):
        raise InputError("must be a list of messages", file=file, line=line, field=field, value=messages)
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise InputError("must be an object with a string 'role'", file=file, line=line, field=f"{field}[{i}]",
                             value=message)


def content_text(content: Any) -> str:
    """The text of a message's content: a string, the joined text parts of a list, or "" for null.

    >>> content_text([{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}])
    'Hello there'
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str))
    return str(content)


def _texts(messages: list[Mapping[str, Any]], role: str) -> list[str]:
    return [content_text(m.get("content")) for m in messages if m.get("role") == role]


def summary_texts(example: Mapping[str, Any]) -> dict[str, str]:
    """Readable columns for spreadsheets: the system prompt, the (first) user message and the final answer(s).

    For a preference line, ``user`` is the last user message of the prompt and the answers are ``preferred`` and
    ``non_preferred``.
    """
    if "messages" in example:
        messages = list(example["messages"])
        system, users, answers = _texts(messages, "system"), _texts(messages, "user"), _texts(messages, "assistant")
        return {"system": "\n\n".join(system), "user": users[0] if users else "",
                "assistant": answers[-1] if answers else ""}
    messages = list(example["input"].get("messages", []))
    users = _texts(messages, "user")
    return {
        "system": "\n\n".join(_texts(messages, "system")),
        "user": users[-1] if users else "",
        "preferred": "\n\n".join(_texts(list(example["preferred_output"]), "assistant")),
        "non_preferred": "\n\n".join(_texts(list(example["non_preferred_output"]), "assistant")),
    }


def _differences(a: Any, b: Any, path: str) -> Iterator[str]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                yield sub
            else:
                yield from _differences(a[key], b[key], sub)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _differences(x, y, f"{path}[{i}]")
    elif a != b or type(a) is not type(b):
        yield path or "(example)"


def differences(a: Any, b: Any, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """Every field path where two JSON values differ, skipping paths under any prefix in `ignore`.

    A list whose length differs is one difference at the list's own path.

    >>> differences({"messages": [{"role": "user", "weight": 1}], "tools": []}, {"messages": [{"role": "user"}]})
    ['messages[0].weight', 'tools']
    >>> differences({"a": 1, "b": [1]}, {"a": 1.0, "b": [1, 2]}, ignore=("b",))
    ['a']
    """
    return [path for path in _differences(a, b, "")
            if not any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in ignore)]

