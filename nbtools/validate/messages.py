"""Checks of a chat message list as OpenAI's fine-tuning format defines it.

Roles: system, developer, user, assistant, tool and the legacy function. Content is a string or a non-empty list of
content parts (text everywhere; image_url for user; refusal for assistant); it may be null only on an assistant
message that carries ``tool_calls`` or ``function_call`` (and on the legacy function role). ``weight`` (the integer
0 or 1) is allowed on assistant messages only. A ``tool`` message answers an earlier call through ``tool_call_id``::

    >>> summary = check_messages([{"role": "customer", "content": "Hi"}], "messages", frozenset())
    >>> [(i.code, i.field) for i in summary.issues]
    [('unknown_role', 'messages[0].role')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..tokens import TokenCounter
from ..tokens.count import TOKENS_PER_MESSAGE, TOKENS_PER_NAME
from .issues import Issue, error, warning

__all__ = ["ROLES", "MessagesSummary", "check_messages", "ROLE_HINT"]

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
ROLE_HINT = "expected one of system, user, assistant, tool (or developer, function)"
# Typed redaction placeholders (nbtools.RedactPII writes the first six): a model trained on them writes them.
PLACEHOLDER_TOKEN = re.compile(r"\[(?:NAME|EMAIL|PHONE|CARD|IP|URL|FIRST_NAME|LAST_NAME|PERSON|ADDRESS)\]")
PLACEHOLDER_HINT = "replace redaction placeholders with realistic pseudonyms (nbtools.pseudonymize) before training"
_KEYS = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "weight", "tool_calls", "function_call", "refusal"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
_PART_TYPES = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": ("text",),
}


@dataclass
class MessagesSummary:
    """What one message list holds: its issues, and the facts line-level rules need."""

    issues: list[Issue] = field(default_factory=list)
    n_system: int = 0
    n_user: int = 0
    n_assistant: int = 0
    n_trainable: int = 0
    last_role: str | None = None
    prompt_texts: list[str] = field(default_factory=list)  # system/developer/user texts, for duplicate detection
    tokens: int = 0  # billed tokens of the messages (TokenCounter's rule, without the reply priming)
    trained: int = 0  # tokens of assistant messages with weight 1


def check_messages(messages: Any, where: str, tool_names: frozenset[str], *, allow_weight: bool = True,
                   counter: TokenCounter | None = None) -> MessagesSummary:
    """Check a message list; `tool_names` are the functions the example defines (empty: no check of names).

    With a `counter`, the same walk also counts billed and trained tokens exactly as
    :meth:`TokenCounter.count_messages` does (a test keeps the two equal), so a file is walked once.
    """
    out = MessagesSummary()
    if not isinstance(messages, list):
        out.issues.append(error("wrong_type", "messages must be a list of message objects", field=where,
                                value=messages))
        return out
    if not messages:
        out.issues.append(error("empty_messages", "messages is an empty list", field=where))
        return out
    pending: dict[str, str] = {}  # tool call id -> field of the call, until a tool message answers it
    answered: set[str] = set()
    for i, message in enumerate(messages):
        _check_message(message, f"{where}[{i}]", out, pending, answered, tool_names, allow_weight)
        if counter is not None and isinstance(message, dict):
            _count(message, out, counter)
    return out


def _count(message: dict, out: MessagesSummary, counter: TokenCounter) -> None:
    total = TOKENS_PER_MESSAGE
    trained = 0
    for key, value in message.items():
        n = counter.count_text(value) if type(value) is str and key != "weight" else counter.count_value(key, value)
        total += n
        if key == "content" or key == "tool_calls":
            trained += n
        elif key == "name":
            total += TOKENS_PER_NAME
    out.tokens += total
    if message.get("role") == "assistant" and message.get("weight", 1) != 0:
        out.trained += trained


def _check_message(message: Any, at: str, out: MessagesSummary, pending: dict[str, str], answered: set[str],
                   tool_names: frozenset[str], allow_weight: bool) -> None:
    issues = out.issues
    if not isinstance(message, dict):
        issues.append(error("wrong_type", "a message must be an object", field=at, value=message))
        return
    role = message.get("role")
    if role not in _KEYS:
        if "role" not in message:
            issues.append(error("missing_role", "message has no role", field=at))
        else:
            issues.append(error("unknown_role", "unknown role", field=f"{at}.role", value=role, hint=ROLE_HINT))
        return
    out.last_role = role
    keys = _KEYS[role]
    for key in message:
        if key not in keys:
            if key == "weight":
                issues.append(error("weight_not_allowed", f"weight is only allowed on assistant messages, not {role}",
                                    field=f"{at}.weight", value=message[key]))
            else:
                issues.append(warning("unknown_key", f"unknown key {key!r} in a {role} message", field=f"{at}.{key}"))
    if "name" in message and not isinstance(message["name"], str):
        issues.append(error("wrong_type", "name must be a string", field=f"{at}.name", value=message["name"]))
    if pending and role in ("user", "assistant"):
        for call_id, call_field in pending.items():
            issues.append(warning("unanswered_tool_call", f"tool call {call_id!r} gets no tool message before this "
                                  f"{role} message", field=call_field))
        pending.clear()

    has_calls = False
    if role == "assistant":
        out.n_assistant += 1
        has_calls = _check_calls(message, at, issues, pending, answered, tool_names)
        weight = message.get("weight", 1)
        if "weight" in message:
            if not allow_weight:
                issues.append(warning("unknown_key", "weight has no effect here", field=f"{at}.weight"))
            elif type(weight) is not int or weight not in (0, 1):
                issues.append(error("invalid_weight", "weight must be the integer 0 or 1", field=f"{at}.weight",
                                    value=weight))
        if weight != 0 and weight != "0":
            out.n_trainable += 1
    elif role == "tool":
        _check_tool_answer(message, at, issues, pending, answered)
    elif role == "function":
        if not isinstance(message.get("name"), str):
            issues.append(error("missing_name", "a function message needs the function's name", field=f"{at}.name"))
    else:
        if role == "user":
            out.n_user += 1
        else:
            out.n_system += 1
    _check_content(message, role, at, issues, has_calls, out)


def _check_content(message: dict, role: str, at: str, issues: list[Issue], has_calls: bool,
                   out: MessagesSummary) -> None:
    if "content" not in message:
        if not (role == "assistant" and has_calls):
            issues.append(error("missing_content", f"{role} message has no content", field=at))
        return
    content = message["content"]
    where = f"{at}.content"
    if type(content) is str:
        if role in ("system", "developer", "user"):
            out.prompt_texts.append(content)
        _check_placeholder(message, role, content, where, issues)
        if not content.strip() and not has_calls and role in ("user", "assistant", "system", "developer"):
            issues.append(warning("empty_content", f"{role} message content is empty", field=where, value=content))
        return
    if content is None:
        if not ((role == "assistant" and has_calls) or role == "function"):
            reason = "assistant content may be null only with tool_calls" if role == "assistant" else \
                f"{role} message content must not be null"
            issues.append(error("null_content", reason, field=where, value=None))
        return
    if type(content) is not list:
        issues.append(error("wrong_type", "content must be a string or a list of content parts", field=where,
                            value=content))
        return
    if not content:
        issues.append(error("empty_content", "content is an empty list of parts", field=where, value=content))
        return
    allowed = _PART_TYPES[role]
    for j, part in enumerate(content):
        here = f"{where}[{j}]"
        if not isinstance(part, dict):
            issues.append(error("wrong_type", "a content part must be an object", field=here, value=part))
            continue
        kind = part.get("type")
        if kind not in allowed:
            issues.append(error("invalid_content_part", f"content part type not allowed in a {role} message",
                                field=f"{here}.type", value=kind, hint="expected one of " + ", ".join(allowed)))
        elif kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                issues.append(error("invalid_content_part", "image_url must be an object with a string url",
                                    field=f"{here}.image_url", value=image))
        elif not isinstance(part.get(kind), str):
            issues.append(error("invalid_content_part", f"a {kind} part needs a string '{kind}'",
                                field=f"{here}.{kind}", value=part.get(kind)))
        elif kind == "text" and role in ("system", "developer", "user"):
            out.prompt_texts.append(part["text"])
        elif kind == "text":
            _check_placeholder(message, role, part["text"], f"{here}.text", issues)


def _check_placeholder(message: dict, role: str, text: str, where: str, issues: list[Issue]) -> None:
    """Warn when a trained assistant message (a target) holds a redaction placeholder such as ``[NAME]``."""
    if role != "assistant" or message.get("weight", 1) == 0 or where.startswith("non_preferred_output"):
        return
    found = PLACEHOLDER_TOKEN.findall(text)
    if found:
        issues.append(warning("placeholder_in_target", f"assistant target contains {len(found)} redaction "
                              "placeholder(s): the model would learn to write them", field=where,
                              value=", ".join(dict.fromkeys(found)), hint=PLACEHOLDER_HINT))


def _check_calls(message: dict, at: str, issues: list[Issue], pending: dict[str, str], answered: set[str],
                 tool_names: frozenset[str]) -> bool:
    """Check tool_calls / function_call of an assistant message; True when it calls something."""
    has_calls = False
    if "function_call" in message and message["function_call"] is not None:
        has_calls = True
        call = message["function_call"]
        issues.append(warning("legacy_function_call", "function_call is the legacy form of tool calls",
                              field=f"{at}.function_call", hint="use tool_calls"))
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            issues.append(error("invalid_function_call", "function_call needs a string name and arguments",
                                field=f"{at}.function_call", value=call))
        else:
            _check_arguments(call.get("arguments"), f"{at}.function_call.arguments", issues)
    calls = message.get("tool_calls")
    if calls is None:
        return has_calls
    where = f"{at}.tool_calls"
    if type(calls) is not list or not calls:
        issues.append(error("wrong_type", "tool_calls must be a non-empty list", field=where, value=calls))
        return has_calls
    for k, call in enumerate(calls):
        here = f"{where}[{k}]"
        if not isinstance(call, dict):
            issues.append(error("wrong_type", "a tool call must be an object", field=here, value=call))
            continue
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            issues.append(error("missing_tool_call_id", "tool call needs a non-empty string id", field=f"{here}.id",
                                value=call_id))
        elif call_id in pending or call_id in answered:
            issues.append(error("duplicate_tool_call_id", "tool call id used twice in this example",
                                field=f"{here}.id", value=call_id))
        else:
            pending[call_id] = here
        if call.get("type") != "function":
            issues.append(error("invalid_tool_call_type", "tool call type must be 'function'", field=f"{here}.type",
                                value=call.get("type")))
        function = call.get("function")
        if not isinstance(function, dict):
            issues.append(error("missing_key", "tool call needs a 'function' object with name and arguments",
                                field=f"{here}.function", value=function))
            continue
        name = function.get("name")
        if not isinstance(name, str) or not name:
            issues.append(error("missing_name", "tool call needs the function's name", field=f"{here}.function.name",
                                value=name))
        elif tool_names and name not in tool_names:
            issues.append(warning("undefined_function", "tool call names a function the example's tools do not "
                                  "define", field=f"{here}.function.name", value=name,
                                  hint="defined: " + ", ".join(sorted(tool_names))))
        _check_arguments(function.get("arguments"), f"{here}.function.arguments", issues)
        has_calls = True
    return has_calls


def _check_arguments(arguments: Any, where: str, issues: list[Issue]) -> None:
    if type(arguments) is str:
        try:
            orjson.loads(arguments)
        except orjson.JSONDecodeError:
            issues.append(warning("arguments_not_json", "arguments is not valid JSON", field=where, value=arguments))
    elif arguments is None:
        issues.append(error("missing_arguments", "arguments is missing (use '{}' for none)", field=where))
    else:
        issues.append(error("arguments_not_string", "arguments must be a JSON string, not an object",
                            field=where, value=arguments, hint="the auto-fix serialises it with json.dumps"))


def _check_tool_answer(message: dict, at: str, issues: list[Issue], pending: dict[str, str],
                       answered: set[str]) -> None:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str):
        issues.append(error("missing_tool_call_id", "tool message needs the tool_call_id it answers",
                            field=f"{at}.tool_call_id", value=call_id))
    elif call_id in pending:
        del pending[call_id]
        answered.add(call_id)
    elif call_id in answered:
        issues.append(error("duplicate_tool_answer", "this tool call was already answered",
                            field=f"{at}.tool_call_id", value=call_id))
    else:
        issues.append(error("unknown_tool_call_id", "tool_call_id matches no earlier tool call",
                            field=f"{at}.tool_call_id", value=call_id))
