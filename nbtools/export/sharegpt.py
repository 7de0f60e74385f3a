"""ShareGPT conversations for LLaMA-Factory (and Axolotl), with every loss reported, never silent.

A chat example becomes ``{"conversations": [{"from": "system"|"human"|"gpt"|"function_call"|"observation",
"value": str}], "tools": str}`` (``tools``: the OpenAI tool list as a JSON string, "" when there is none; the
system prompt is the first turn, which LLaMA-Factory and Axolotl both read). A preference example becomes
LLaMA-Factory's ranking form: the prompt turns plus ``chosen`` and ``rejected`` single turns.

Tool calls: a ``function_call`` turn holds ``{"name", "arguments": object}`` (a list of them for parallel calls), an
``observation`` turn the tool result (a JSON list of results when several calls were made at once).

ShareGPT cannot hold per-message ``weight``, message ``name``, tool-call ids (re-import numbers them ``call_1``,
``call_2``, ...), text beside tool calls, or example keys such as ``parallel_tool_calls``; turns that do not alternate
user/assistant cannot be written at all. :func:`to_sharegpt` returns a :class:`FormatLoss` for each such field, and
checks by re-importing that nothing else changed::

    >>> converted = to_sharegpt({"messages": [{"role": "user", "content": "Hi"},
    ...                                       {"role": "assistant", "content": "Hey there!", "weight": 1}]})
    >>> converted.record
    {'conversations': [{'from': 'human', 'value': 'Hi'}, {'from': 'gpt', 'value': 'Hey there!'}], 'tools': ''}
    >>> [(loss.field, loss.detail[:40]) for loss in converted.losses]
    [('messages[1].weight', 'per-message weight has no place in Share')]
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NoReturn

from ..errors import DataFormatError, InputError
from ..jsonl import iter_records
from .records import DPO, FormatLoss, content_text, differences, example_kind

__all__ = [
    "FORMAT",
    "TAGS",
    "Converted",
    "call_id",
    "to_sharegpt",
    "from_sharegpt",
    "write_sharegpt",
    "read_sharegpt",
    "dataset_info",
]

FORMAT = "sharegpt"
# LLaMA-Factory's dataset_info.json "tags" (these are its defaults, written out so the file says what it means).
TAGS: dict[str, str] = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}
_WEIGHT_DETAIL = (
    "per-message weight has no place in ShareGPT: LLaMA-Factory trains on every assistant turn "
    "(or only the last with mask_history: true); use the OpenAI JSONL with Axolotl to keep weights"
)
_MESSAGE_KEYS = {"system": {"role", "content"}, "user": {"role", "content"},
                 "assistant": {"role", "content", "tool_calls"}, "tool": {"role", "content", "tool_call_id"}}


def call_id(n: int) -> str:
    """The tool-call id re-import gives the n-th call (1-based) of an example: ShareGPT stores no ids."""
    return f"call_{n}"


@dataclass(frozen=True)
class Converted:
    """One example in ShareGPT form (``record`` is None when it cannot be written) and what it loses."""

    record: dict[str, Any] | None
    losses: tuple[FormatLoss, ...]


class _Conversion:
    """Turns being built for one example, the losses found so far, and the importer's tool-call numbering."""

    def __init__(self, part: str, index: int) -> None:
        self.part, self.index = part, index
        self.losses: list[FormatLoss] = []
        self.numbers = itertools.count(1)

    def lose(self, field: str, detail: str) -> None:
        self.losses.append(FormatLoss(FORMAT, self.part, self.index, field, detail))

    def refuse(self, reason: str, field: str, value: Any) -> NoReturn:
        """Input that is not a valid fine-tuning example at all (check files with `nbtools validate`)."""
        raise InputError(reason, file=self.part or None, line=self.index + 1, field=field, value=value)

    def text(self, message: Mapping[str, Any], field: str) -> str:
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            self.lose(f"{field}.content", "content parts are joined into one plain text")
        else:
            self.lose(f"{field}.content", f"content {content!r} is written as text")
        return content_text(content)

    def extra_keys(self, message: Mapping[str, Any], field: str, allowed: set[str]) -> None:
        for key in message:
            if key == "weight":
                self.lose(f"{field}.weight", _WEIGHT_DETAIL)
            elif key not in allowed:
                self.lose(f"{field}.{key}", f"message field {key!r} has no place in ShareGPT")

    def calls_turn(self, message: Mapping[str, Any], field: str) -> tuple[dict[str, str], list[str]]:
        """A function_call turn for an assistant message with tool_calls, and the ids re-import will give."""
        if content_text(message.get("content")):
            self.lose(f"{field}.content", "text beside tool calls is dropped: a function_call turn holds only calls")
        elif "content" in message:
            self.lose(f"{field}.content", "empty content beside tool calls is not kept (the key is left out)")
        if not isinstance(message["tool_calls"], list):
            self.refuse("must be a list of tool calls", f"{field}.tool_calls", message["tool_calls"])
        calls, ids = [], []
        for k, call in enumerate(message["tool_calls"]):
            where = f"{field}.tool_calls[{k}]"
            new_id = call_id(next(self.numbers))
            ids.append(new_id)
            function = call.get("function") if isinstance(call, Mapping) else None
            if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
                self.refuse("a tool call needs a function with a string name", where, call)
            if call.get("id") != new_id:
                self.lose(f"{where}.id", f"tool-call ids are not stored; re-import numbers this call {new_id!r}")
            for key in set(call) - {"id", "type", "function"}:
                self.lose(f"{where}.{key}", f"tool-call field {key!r} has no place in ShareGPT")
            if call.get("type", "function") != "function":
                self.lose(f"{where}.type", "only function calls are written")
            for key in set(function) - {"name", "arguments"}:
                self.lose(f"{where}.function.{key}", f"function field {key!r} has no place in ShareGPT")
            calls.append({"name": function["name"], "arguments": self._arguments(function, where)})
        value = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
        return {"from": "function_call", "value": value}, ids

    def _arguments(self, function: Mapping[str, Any], where: str) -> Any:
        raw = function.get("arguments")
        if not isinstance(raw, str):
            self.lose(f"{where}.function.arguments", "arguments that are not a JSON string come back as one")
            return raw
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            self.lose(f"{where}.function.arguments", "arguments are not valid JSON: stored as a plain string")
            return raw
        if not isinstance(parsed, dict):
            self.lose(f"{where}.function.arguments", "arguments are not a JSON object: LLaMA-Factory expects one")
        elif json.dumps(parsed, ensure_ascii=False) != raw:
            self.lose(f"{where}.function.arguments", "arguments are stored as an object; re-import re-spaces them")
        return parsed

    def turns(self, messages: list[Mapping[str, Any]], prefix: str) -> list[dict[str, str]] | None:
        """ShareGPT turns for a message list, or None (with the reason recorded) when it cannot be written."""
        turns: list[dict[str, str]] = []
        pending: list[str] = []  # ids of the calls the next observation answers
        i = 0
        while i < len(messages):
            message, field = messages[i], f"{prefix}[{i}]"
            role = message["role"]
            if role not in _MESSAGE_KEYS:
                self.lose(f"{field}.role", f"role {role!r} has no ShareGPT tag: example not written")
                return None
            self.extra_keys(message, field, _MESSAGE_KEYS[role])
            if role == "system":
                if turns:
                    self.lose(field, "a system message after the first turn has no place in ShareGPT: example not "
                                     "written")
                    return None
                turns.append({"from": "system", "value": self.text(message, field)})
            elif role == "user":
                turns.append({"from": "human", "value": self.text(message, field)})
            elif role == "assistant" and message.get("tool_calls"):
                turn, pending = self.calls_turn(message, field)
                turns.append(turn)
                i += 1
                continue
            elif role == "assistant":
                turns.append({"from": "gpt", "value": self.text(message, field)})
            else:
                end = i
                while end < len(messages) and messages[end]["role"] == "tool":
                    end += 1
                results = messages[i:end]
                if len(results) != max(len(pending), 1):  # one result per call, or one lone result
                    self.lose(field, f"{len(results)} tool results answer {len(pending)} calls: ShareGPT pairs them "
                                     "by position, example not written")
                    return None
                for k, result in enumerate(results):
                    if k:
                        self.extra_keys(result, f"{prefix}[{i + k}]", _MESSAGE_KEYS["tool"])
                    expected = pending[k] if pending else None
                    if result.get("tool_call_id") != expected:
                        self.lose(f"{prefix}[{i + k}].tool_call_id",
                                  f"results are linked to calls by position; re-import links this one to {expected!r}")
                texts = [self.text(result, f"{prefix}[{i + k}]") for k, result in enumerate(results)]
                value = texts[0] if len(texts) == 1 else json.dumps(texts, ensure_ascii=False)
                turns.append({"from": "observation", "value": value})
                pending, i = [], end
                continue
            pending = []
            i += 1
        return turns

    def alternates(self, turns: list[dict[str, str]], field: str, *, ends_with_answer: bool) -> bool:
        body = turns[1:] if turns and turns[0]["from"] == "system" else turns
        odd, even = ("human", "observation"), ("gpt", "function_call")
        ok = bool(body) and all(t["from"] in (odd, even)[k % 2] for k, t in enumerate(body))
        ok = ok and (len(body) % 2 == 0) == ends_with_answer
        if not ok:
            shape = ", ".join(t["from"] for t in body) or "no turns"
            want = "end with an answer" if ends_with_answer else "end with a user or tool turn"
            self.lose(field, f"LLaMA-Factory needs user/tool turns and answers to alternate and to {want} "
                             f"(got {shape}): example not written")
        return ok


def _tools_value(tools: Any) -> str:
    return "" if tools is None else json.dumps(tools, ensure_ascii=False)


def _convert(example: Mapping[str, Any], conv: _Conversion) -> dict[str, Any] | None:
    if example_kind(example, line=conv.index + 1) == DPO:
        prompt = example["input"]
        for key in set(prompt) - {"messages", "tools"}:
            conv.lose(f"input.{key}", f"field {key!r} has no place in ShareGPT")
        for key in set(example) - {"input", "preferred_output", "non_preferred_output"}:
            conv.lose(key, f"field {key!r} has no place in ShareGPT")
        turns = conv.turns(list(prompt["messages"]), "input.messages")
        if turns is None or not conv.alternates(turns, "input.messages", ends_with_answer=False):
            return None
        record: dict[str, Any] = {"conversations": turns, "tools": _tools_value(prompt.get("tools"))}
        for key, column in (("preferred_output", "chosen"), ("non_preferred_output", "rejected")):
            outputs = list(example[key])
            if len(outputs) != 1 or outputs[0].get("role") != "assistant":
                conv.lose(key, "LLaMA-Factory's chosen/rejected hold exactly one assistant message: example not "
                               "written")
                return None
            answer = conv.turns(outputs, key)
            if answer is None:
                return None
            record[column] = answer[0]
        return record
    for key in set(example) - {"messages", "tools"}:
        conv.lose(key, f"field {key!r} has no place in ShareGPT")
    turns = conv.turns(list(example["messages"]), "messages")
    if turns is None or not conv.alternates(turns, "messages", ends_with_answer=True):
        return None
    return {"conversations": turns, "tools": _tools_value(example.get("tools"))}


def to_sharegpt(example: Mapping[str, Any], *, part: str = "", index: int = 0) -> Converted:
    """Convert one chat or preference example; every field that does not survive is a FormatLoss.

    After converting, the record is re-imported and compared with the example: every difference that no recorded
    loss explains is reported too, so the loss list is complete by construction.
    """
    conv = _Conversion(part, index)
    record = _convert(example, conv)
    if record is not None:
        explained = tuple(loss.field for loss in conv.losses)
        for path in differences(example, from_sharegpt(record), ignore=explained):
            conv.lose(path, "differs after a ShareGPT round trip")
    return Converted(record, tuple(conv.losses))


def _call_messages(value: str, numbers: Iterator[int], where: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    try:
        calls = json.loads(value)
    except json.JSONDecodeError:
        raise DataFormatError("a function_call turn must hold JSON {name, arguments}", value=value, **where) from None
    calls = calls if isinstance(calls, list) else [calls]
    tool_calls: list[dict[str, Any]] = []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise DataFormatError("each call needs a string 'name'", value=call, **where)
        arguments = call.get("arguments", {})
        tool_calls.append({
            "id": call_id(next(numbers)),
            "type": "function",
            "function": {"name": call["name"],
                         "arguments": arguments if isinstance(arguments, str)
                         else json.dumps(arguments, ensure_ascii=False)},
        })
    return {"role": "assistant", "tool_calls": tool_calls}, [c["id"] for c in tool_calls]


def _tool_messages(value: str, pending: list[str]) -> list[dict[str, Any]]:
    if len(pending) > 1:
        try:
            results = json.loads(value)
        except json.JSONDecodeError:
            results = None
        if isinstance(results, list) and len(results) == len(pending) and all(isinstance(r, str) for r in results):
            return [{"role": "tool", "content": r, "tool_call_id": i} for r, i in zip(results, pending)]
    message: dict[str, Any] = {"role": "tool", "content": value}
    if pending:
        message["tool_call_id"] = pending[0]
    return [message]


_ROLES = {"system": "system", "human": "user", "gpt": "assistant"}


def _messages(turns: Any, numbers: Iterator[int], field: str, where: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(turns, list):
        raise DataFormatError("must be a list of {from, value} turns", field=field, value=turns, **where)
    messages: list[dict[str, Any]] = []
    pending: list[str] = []
    for k, turn in enumerate(turns):
        at = {"field": f"{field}[{k}]", **where}
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            raise DataFormatError("a turn must be an object with a string 'value'", value=turn, **at)
        tag, value = turn.get("from"), turn["value"]
        if tag in _ROLES:
            messages.append({"role": _ROLES[tag], "content": value})
            pending = []
        elif tag == "function_call":
            message, pending = _call_messages(value, numbers, at)
            messages.append(message)
        elif tag == "observation":
            messages.extend(_tool_messages(value, pending))
            pending = []
        else:
            raise DataFormatError("unknown turn tag; expected one of system, human, gpt, function_call, observation",
                                  value=tag, file=where["file"], line=where["line"], field=f"{field}[{k}].from")
    return messages


def from_sharegpt(record: Any, *, file: str | None = None, line: int | None = None) -> dict[str, Any]:
    """The OpenAI-format example for one ShareGPT record (chat, or ranking with ``chosen``/``rejected``).

    >>> from_sharegpt({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey!"}],
    ...                "system": "Be warm."})["messages"]  # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'system', 'content': 'Be warm.'}, {'role': 'user', 'content': 'Hi'},
     {'role': 'assistant', 'content': 'Hey!'}]
    """
    where: dict[str, Any] = {"file": file, "line": line}
    if not isinstance(record, dict) or "conversations" not in record:
        raise DataFormatError("a ShareGPT record is an object with 'conversations'", value=record, **where)
    numbers = itertools.count(1)
    messages = _messages(record["conversations"], numbers, "conversations", where)
    system = record.get("system")
    if isinstance(system, str) and system:
        messages.insert(0, {"role": "system", "content": system})
    tools = record.get("tools")
    if isinstance(tools, str) and tools:
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError:
            raise DataFormatError("tools must be a JSON string of a list", field="tools", value=tools,
                                  **where) from None
    has_tools = tools not in (None, "")
    if "chosen" not in record and "rejected" not in record:
        return {"messages": messages, "tools": tools} if has_tools else {"messages": messages}
    prompt: dict[str, Any] = {"messages": messages, "tools": tools} if has_tools else {"messages": messages}
    outputs = {}
    for column, key in (("chosen", "preferred_output"), ("rejected", "non_preferred_output")):
        outputs[key] = _messages([record.get(column)], numbers, column, where)
    return {"input": prompt, **outputs}


def write_sharegpt(examples: Iterable[Mapping[str, Any]], path: str | os.PathLike[str], *,
                   part: str = "") -> tuple[int, tuple[FormatLoss, ...]]:
    """Write a JSON array of ShareGPT records; returns (records written, losses). Unwritable examples are losses."""
    records: list[dict[str, Any]] = []
    losses: list[FormatLoss] = []
    for index, example in enumerate(examples):
        converted = to_sharegpt(example, part=part, index=index)
        losses.extend(converted.losses)
        if converted.record is not None:
            records.append(converted.record)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(records), tuple(losses)


def read_sharegpt(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Stream OpenAI-format examples from a ShareGPT ``.json`` array or ``.jsonl`` file.

    Errors give the line of a ``.jsonl`` file, the record's position (1-based) in a ``.json`` array.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        for number, record in iter_records(path):
            yield from_sharegpt(record, file=str(path), line=number)
        return
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    try:
        records = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"not a JSON file ({exc})", file=str(path)) from None
    if not isinstance(records, list):
        raise DataFormatError("a ShareGPT .json file holds a list of records", file=str(path), value=records)
    for number, record in enumerate(records, start=1):
        yield from_sharegpt(record, file=str(path), line=number)


def dataset_info(entries: Iterable[tuple[str, str, bool]]) -> dict[str, Any]:
    """LLaMA-Factory's ``dataset_info.json`` for (dataset name, file name, is a ranking file) entries.

    >>> dataset_info([("shop_sft_train", "sft_train.json", False)])["shop_sft_train"]["columns"]
    {'messages': 'conversations', 'tools': 'tools'}
    """
    info = {}
    for name, file_name, ranking in entries:
        columns = {"messages": "conversations", "tools": "tools"}
        entry: dict[str, Any] = {"file_name": file_name, "formatting": "sharegpt"}
        if ranking:
            entry["ranking"] = True
            columns.update(chosen="chosen", rejected="rejected")
        info[name] = {**entry, "columns": columns, "tags": dict(TAGS)}
    return info
