"""Checks of the example-level tool definitions: ``tools`` (current) and ``functions`` (legacy).

A tool is ``{"type": "function", "function": {"name", "description"?, "parameters"?, "strict"?}}``; ``parameters``
must be a valid JSON Schema (checked with the ``jsonschema`` library against its metaschema). Fine-tuning files
repeat the same tool list on every line, so results are memoised by the list's canonical JSON::

    >>> issues, names = check_tools([{"type": "function", "function": {"name": "lookup_order",
    ...     "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}])
    >>> issues, sorted(names)
    ([], ['lookup_order'])
    >>> issues, _ = check_tools([{"type": "function", "function": {"name": "f", "parameters": {"type": 5}}}])
    >>> issues[0].code, issues[0].field
    ('invalid_json_schema', 'tools[0].function.parameters.type')
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jsonschema
import orjson

from .issues import Issue, error, warning

__all__ = ["check_tools", "check_functions", "FUNCTION_NAME_PATTERN"]

FUNCTION_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TOOL_KEYS = {"type", "function"}
_FUNCTION_KEYS = {"name", "description", "parameters", "strict"}


def check_tools(tools: Any, field: str = "tools") -> tuple[list[Issue], frozenset[str]]:
    """Issues (without line numbers) of a ``tools`` list, and the function names it defines."""
    try:
        key = orjson.dumps(tools, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON-serialisable: cannot come from a JSONL line, only from in-memory records
        return [error("wrong_type", "tools must be JSON data", field=field, value=tools)], frozenset()
    issues, names = _check_tools_cached(key, field)
    return list(issues), names


def check_functions(functions: Any, field: str = "functions") -> tuple[list[Issue], frozenset[str]]:
    """Issues of a legacy ``functions`` list (a warning says to move to ``tools``), and the names it defines."""
    issues = [warning("legacy_functions", "'functions' is the legacy form of tool definitions", field=field,
                      hint="use 'tools' with type 'function'")]
    if not isinstance(functions, list):
        return issues + [error("wrong_type", "functions must be a list", field=field, value=functions)], frozenset()
    names: set[str] = set()
    for i, function in enumerate(functions):
        issues.extend(_check_function(function, f"{field}[{i}]", names))
    return issues, frozenset(names)


@lru_cache(maxsize=256)
def _check_tools_cached(key: bytes, field: str) -> tuple[tuple[Issue, ...], frozenset[str]]:
    tools = orjson.loads(key)
    if not isinstance(tools, list):
        return (error("wrong_type", "tools must be a list of tool definitions", field=field, value=tools),), frozenset()
    issues: list[Issue] = []
    if not tools:
        issues.append(warning("empty_tools", "tools is an empty list", field=field))
    names: set[str] = set()
    for i, tool in enumerate(tools):
        where = f"{field}[{i}]"
        if not isinstance(tool, dict):
            issues.append(error("wrong_type", "a tool must be an object", field=where, value=tool))
            continue
        for extra in sorted(set(tool) - _TOOL_KEYS):
            issues.append(warning("unknown_key", f"unknown key {extra!r} in a tool definition", field=where))
        if tool.get("type") != "function":
            issues.append(error("unsupported_tool_type", "tool type must be 'function'", field=f"{where}.type",
                                value=tool.get("type")))
        if "function" not in tool:
            issues.append(error("missing_key", "tool has no 'function' definition", field=where))
            continue
        issues.extend(_check_function(tool["function"], f"{where}.function", names))
    return tuple(issues), frozenset(names)


def _check_function(function: Any, where: str, names: set[str]) -> list[Issue]:
    if not isinstance(function, dict):
        return [error("wrong_type", "a function definition must be an object", field=where, value=function)]
    issues: list[Issue] = []
    for extra in sorted(set(function) - _FUNCTION_KEYS):
        issues.append(warning("unknown_key", f"unknown key {extra!r} in a function definition", field=where))
    name = function.get("name")
    if not isinstance(name, str) or not FUNCTION_NAME_PATTERN.match(name):
        issues.append(error("invalid_function_name", "function name must be 1-64 characters a-z, A-Z, 0-9, _ or -",
                            field=f"{where}.name", value=name))
    elif name in names:
        issues.append(error("duplicate_function", f"function {name!r} is defined twice", field=f"{where}.name"))
    else:
        names.add(name)
    if "description" in function and not isinstance(function["description"], str):
        issues.append(error("wrong_type", "description must be a string", field=f"{where}.description",
                            value=function["description"]))
    if "strict" in function and not isinstance(function["strict"], (bool, type(None))):
        issues.append(error("wrong_type", "strict must be true or false", field=f"{where}.strict",
                            value=function["strict"]))
    if "parameters" in function:
        issues.extend(_check_parameters(function["parameters"], f"{where}.parameters"))
    return issues


def _check_parameters(schema: Any, where: str) -> list[Issue]:
    if not isinstance(schema, dict):
        return [error("wrong_type", "parameters must be a JSON Schema object", field=where, value=schema)]
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
        return [error("invalid_json_schema", f"parameters is not a valid JSON Schema: {exc.message}",
                      field=where + path, value=exc.instance)]
    if schema.get("type") != "object":
        return [warning("parameters_not_object", "parameters should describe an object (type 'object')",
                        field=f"{where}.type", value=schema.get("type"))]
    return []
