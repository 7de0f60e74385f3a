"""Tool-calling examples from transcripts: question, tool_name, tool_arguments, tool_result, final_answer.

Each row becomes ``system? → user question → assistant tool_calls → tool result(s) → assistant final answer``, with
the example-level ``tools`` definitions (JSON Schema parameters; inferred from the arguments seen unless given).
A row whose ``tool_arguments`` is a JSON *list* of argument objects makes parallel calls (``tool_name`` and
``tool_result`` then hold JSON lists of the same length, or one name for all) and gets ``parallel_tool_calls``::

    >>> import pandas as pd
    >>> rows = pd.DataFrame([{"question": "Where is BC-10234?", "tool_name": "lookup_order",
    ...     "tool_arguments": '{"order_id": "BC-10234"}', "tool_result": '{"status": "shipped"}',
    ...     "final_answer": "Hey there! It has shipped."}])
    >>> example = build_tool_examples(rows).examples[0]
    >>> [m["role"] for m in example["messages"]]
    ['user', 'assistant', 'tool', 'assistant']
    >>> example["messages"][1]["tool_calls"][0]["function"]
    {'name': 'lookup_order', 'arguments': '{"order_id": "BC-10234"}'}
    >>> example["tools"][0]["function"]["parameters"]["required"]
    ['order_id']
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

import pandas as pd

from ..errors import InputError
from .result import REJECT_COLUMNS, BuildResult

__all__ = ["build_tool_examples", "infer_tool_definitions", "TOOL_COLUMNS"]

TOOL_COLUMNS = ("question", "tool_name", "tool_arguments", "tool_result", "final_answer")
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
               (dict, "object"))


def _json_type(value: Any) -> str:
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return "string"


def _parse(value: Any) -> Any:
    """A JSON text parsed, or the value itself when it is already data."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def _calls(row: Mapping[str, Any]) -> list[tuple[str, dict, Any]]:
    """(name, arguments, result) of every call in a row; raises ValueError with a reason."""
    arguments = _parse(row["tool_arguments"])
    if isinstance(arguments, dict):
        return [(str(row["tool_name"]), arguments, row["tool_result"])]
    if not isinstance(arguments, list) or not arguments or not all(isinstance(a, dict) for a in arguments):
        raise ValueError("tool_arguments must be a JSON object or a list of objects")
    names = row["tool_name"]
    names = _parse(names) if isinstance(names, str) and names.lstrip().startswith("[") else names
    names = names if isinstance(names, list) else [names] * len(arguments)
    results = _parse(row["tool_result"])
    if not isinstance(results, list) or len(results) != len(arguments) or len(names) != len(arguments):
        raise ValueError("parallel calls need as many tool names and results as argument objects")
    return [(str(n), a, r) for n, a, r in zip(names, arguments, results)]


def _parse_row(row: Mapping[str, Any]) -> tuple[list[tuple[str, dict, Any]], str | None]:
    """The calls of a row, or the reason the row cannot form an example."""
    for column in ("question", "final_answer"):
        if not isinstance(row[column], str) or not row[column].strip():
            return [], f"empty {column}"
    try:
        return _calls(row), None
    except (ValueError, TypeError) as exc:
        return [], f"unusable tool call: {exc}"


def infer_tool_definitions(rows: pd.DataFrame, *, descriptions: Mapping[str, str] | None = None) -> list[dict]:
    """Tool definitions for every tool the usable rows call: parameters typed from the arguments seen, required
    when present in every call.

    >>> infer_tool_definitions(pd.DataFrame([{"question": "q", "tool_name": "f", "tool_arguments": '{"n": 2}',
    ...                                        "tool_result": "{}", "final_answer": "a"}]))
    [{'type': 'function', 'function': {'name': 'f', 'description': 'Call f.', 'parameters': {'type': 'object', 'properties': {'n': {'type': 'integer'}}, 'required': ['n']}}}]
    """
    seen: dict[str, list[dict]] = {}
    for _, row in rows.iterrows():
        calls, reason = _parse_row(row)
        if reason is not None:
            continue  # the builder reports these rows
        for name, arguments, _ in calls:
            seen.setdefault(name, []).append(arguments)
    definitions = []
    for name, argument_sets in seen.items():
        properties: dict[str, dict] = {}
        for arguments in argument_sets:
            for key, value in arguments.items():
                properties.setdefault(key, {"type": _json_type(value)})
        required = [key for key in properties if all(key in arguments for arguments in argument_sets)]
        description = (descriptions or {}).get(name, f"Call {name}.")
        definitions.append({"type": "function", "function": {
            "name": name, "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required}}})
    return definitions


def _call_id(key: str, k: int) -> str:
    return "call_" + hashlib.sha1(f"{key}:{k}".encode()).hexdigest()[:16]


def build_tool_examples(rows: pd.DataFrame, *, system_prompt: str | None = None,
                        tools: Sequence[dict] | None = None, descriptions: Mapping[str, str] | None = None
                        ) -> BuildResult:
    """One tool-calling example per row; rows that cannot form one go to ``rejects`` with the reason."""
    missing = [c for c in TOOL_COLUMNS if c not in rows.columns]
    if missing:
        raise InputError("tool transcript table lacks columns " + ", ".join(missing), field="columns",
                         value=list(rows.columns))
    definitions = list(tools) if tools is not None else infer_tool_definitions(rows, descriptions=descriptions)
    examples, ids, sources, rejects = [], [], [], []
    keys = rows["row_id"].astype(str).tolist() if "row_id" in rows.columns else [f"row {i}" for i in rows.index]
    for key, (_, row) in zip(keys, rows.iterrows()):
        calls, reason = _parse_row(row)
        if reason is not None:
            rejects.append({"id": key, "reason": reason, "n_rows": 1, "row_ids": [key]})
            continue
        messages: list[dict] = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages.append({"role": "user", "content": row["question"]})
        tool_calls = [{"id": _call_id(key, k), "type": "function",
                       "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}
                      for k, (name, arguments, _) in enumerate(calls)]
        messages.append({"role": "assistant", "tool_calls": tool_calls})
        for call, (_, _, result) in zip(tool_calls, calls):
            content = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": content})
        messages.append({"role": "assistant", "content": row["final_answer"]})
        example: dict[str, Any] = {"messages": messages, "tools": definitions}
        if len(calls) > 1:
            example["parallel_tool_calls"] = True
        examples.append(example)
        ids.append(key)
        sources.append([key])
    return BuildResult(examples=examples, ids=ids, row_ids=sources,
                       rejects=pd.DataFrame(rejects, columns=REJECT_COLUMNS), n_rows_in=len(rows))
