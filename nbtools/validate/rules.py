"""Checks of one JSONL line: a supervised chat example (SFT) or a preference pair (DPO).

SFT line: ``{"messages": [...], "tools"?: [...], "parallel_tool_calls"?: bool, "functions"?: [...]}`` with at
least one assistant message. DPO line: ``{"input": {"messages": [...], "tools"?: [...]}, "preferred_output":
[assistant message], "non_preferred_output": [assistant message]}`` (the older ``preferred_completion`` /
``non_preferred_completion`` names are accepted with a warning)::

    >>> check = check_example({"messages": [{"role": "user", "content": "Hi"},
    ...                                     {"role": "assistant", "content": "Hey there!"}]})
    >>> check.kind, [i.code for i in check.issues]
    ('sft', ['missing_system'])
    >>> check_example({"prompt": "Hi", "completion": "Hey"}).issues[0].code
    'legacy_prompt_completion'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from ..tokens import ExampleTokens, TokenCounter
from ..tokens.count import TOKENS_PER_REPLY
from .issues import Issue, error, warning
from .messages import check_messages
from .tooldefs import check_functions, check_tools

__all__ = ["LineCheck", "check_example", "Method", "SFT_KEYS", "DPO_KEYS", "LEGACY_DPO_KEYS"]

Method = Literal["auto", "supervised", "dpo"]
SFT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
DPO_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
LEGACY_DPO_KEYS = {"preferred_completion": "preferred_output", "non_preferred_completion": "non_preferred_output"}
_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})


@dataclass(slots=True)
class LineCheck:
    """The verdict on one example: its kind, its issues (no line numbers yet), and what later passes need."""

    kind: Literal["sft", "dpo"] | None
    issues: list[Issue]
    prompt_key: bytes | None = None  # digest of the system/user texts (duplicate-prompt detection)
    example: dict | None = None  # the example in current key names, when it has no errors (for token counting)
    tokens: ExampleTokens | None = None  # billed/trained tokens, when counted and the example has no errors

    @property
    def has_errors(self) -> bool:
        """True when any issue is an error."""
        return any(issue.severity == "error" for issue in self.issues)


def check_example(obj: Any, *, method: Method = "auto", counter: TokenCounter | None = None) -> LineCheck:
    """Check one parsed line against the fine-tuning format of `method` ("auto": whatever the line looks like).

    With a `counter`, a line without errors also gets its billed and trained tokens (``LineCheck.tokens``).
    """
    if not isinstance(obj, dict):
        return LineCheck(None, [error("not_an_object", "line is not a JSON object", value=obj)])
    if "messages" in obj:
        check = _check_sft(obj, counter)
    elif any(key in obj for key in DPO_KEYS) or any(key in obj for key in LEGACY_DPO_KEYS):
        check = _check_dpo(obj)
    elif "prompt" in obj and "completion" in obj:
        return LineCheck(None, [error("legacy_prompt_completion", "prompt/completion lines are the legacy format "
                                      "of base models; chat models need 'messages'", field="prompt")])
    else:
        return LineCheck(None, [error("unknown_format", "line is neither a chat example nor a preference pair",
                                      value=sorted(obj), hint="expected 'messages' (supervised) or 'input', "
                                      "'preferred_output', 'non_preferred_output' (dpo)")])
    if method == "supervised" and check.kind == "dpo":
        check.issues.insert(0, error("wrong_method", "preference pair (dpo) in a file checked as supervised",
                                     hint="validate with method='dpo' or remove the line"))
    elif method == "dpo" and check.kind == "sft":
        check.issues.insert(0, error("wrong_method", "chat example (supervised) in a file checked as dpo",
                                     hint="validate with method='supervised' or remove the line"))
    if check.has_errors:
        check.example = None
        check.tokens = None
    elif counter is not None and check.tokens is None and check.example is not None:
        check.tokens = counter.count_example(check.example)
    return check


def _prompt_key(texts: list[str]) -> bytes | None:
    if not texts:
        return None
    return hashlib.blake2b("\x1f".join(texts).encode("utf-8", "surrogatepass"), digest_size=8).digest()


def _check_tool_keys(obj: dict, where: str, issues: list[Issue]) -> frozenset[str]:
    names: frozenset[str] = frozenset()
    if "tools" in obj and obj["tools"] is not None:
        found, names = check_tools(obj["tools"], f"{where}tools")
        issues.extend(found)
    if "functions" in obj and obj["functions"] is not None:
        found, legacy = check_functions(obj["functions"], f"{where}functions")
        issues.extend(found)
        names = names | legacy
    if "parallel_tool_calls" in obj:
        value = obj["parallel_tool_calls"]
        if not isinstance(value, bool):
            issues.append(error("wrong_type", "parallel_tool_calls must be true or false",
                                field=f"{where}parallel_tool_calls", value=value))
        elif not obj.get("tools"):
            issues.append(warning("parallel_without_tools", "parallel_tool_calls is set but no tools are defined",
                                  field=f"{where}parallel_tool_calls"))
    return names


def _check_sft(obj: dict, counter: TokenCounter | None) -> LineCheck:
    issues: list[Issue] = []
    for key in obj:
        if key not in SFT_KEYS:
            issues.append(warning("unknown_key", f"unknown key {key!r} in a chat example", field=key))
    names = _check_tool_keys(obj, "", issues)
    summary = check_messages(obj["messages"], "messages", names, counter=counter)
    issues.extend(summary.issues)
    if isinstance(obj["messages"], list) and obj["messages"]:
        if summary.n_assistant == 0:
            issues.append(error("no_assistant_message", "example has no assistant message to learn from",
                                field="messages"))
        elif summary.n_trainable == 0:
            issues.append(warning("all_weights_zero", "every assistant message has weight 0: nothing is trained "
                                  "on this example, but it is billed", field="messages"))
        if summary.n_user == 0:
            issues.append(warning("missing_user", "example has no user message", field="messages"))
        if summary.n_system == 0:
            issues.append(warning("missing_system", "example has no system message", field="messages"))
        if summary.n_assistant and summary.last_role not in ("assistant", None):
            issues.append(warning("ends_without_assistant", f"example ends with a {summary.last_role} message, "
                                  "which is not trained on", field=f"messages[{len(obj['messages']) - 1}]"))
    tokens = None
    if counter is not None and isinstance(obj["messages"], list):
        total = summary.tokens + TOKENS_PER_REPLY + counter.count_value("tools", obj.get("tools")) + \
            counter.count_value("functions", obj.get("functions"))
        tokens = ExampleTokens(total=total, trained=summary.trained, n_messages=len(obj["messages"]))
    return LineCheck("sft", issues, _prompt_key(summary.prompt_texts), obj, tokens)


def _check_dpo(obj: dict) -> LineCheck:
    issues: list[Issue] = []
    example = obj
    for old, new in LEGACY_DPO_KEYS.items():
        if old in obj:
            if new in obj:
                issues.append(error("conflicting_keys", f"both {old!r} and {new!r} are given", field=old))
            else:
                issues.append(warning("legacy_key", f"{old!r} is the older name of {new!r}", field=old,
                                      hint="the auto-fix renames it"))
                example = {(new if k == old else k): v for k, v in example.items()}
    for key in obj:
        if key not in DPO_KEYS and key not in LEGACY_DPO_KEYS:
            issues.append(warning("unknown_key", f"unknown key {key!r} in a preference pair", field=key))
    prompt = example.get("input")
    texts: list[str] = []
    if not isinstance(prompt, dict):
        issues.append(error("missing_input" if prompt is None else "wrong_type",
                            "a preference pair needs an 'input' object with messages", field="input", value=prompt))
    else:
        for key in prompt:
            if key not in _INPUT_KEYS:
                issues.append(warning("unknown_key", f"unknown key {key!r} in input", field=f"input.{key}"))
        names = _check_tool_keys(prompt, "input.", issues)
        if "messages" not in prompt:
            issues.append(error("missing_messages", "input has no messages", field="input"))
        else:
            summary = check_messages(prompt["messages"], "input.messages", names, allow_weight=False)
            issues.extend(summary.issues)
            texts = summary.prompt_texts
            if isinstance(prompt["messages"], list) and prompt["messages"]:
                if summary.n_user == 0:
                    issues.append(warning("missing_user", "input has no user message", field="input.messages"))
                if summary.n_system == 0:
                    issues.append(warning("missing_system", "input has no system message", field="input.messages"))
                if summary.last_role not in ("user", None):
                    issues.append(warning("input_not_ending_with_user", "input should end with the user message "
                                          "the outputs answer", field=f"input.messages[{len(prompt['messages']) - 1}]",
                                          value=summary.last_role))
    shown = {new: old for old, new in LEGACY_DPO_KEYS.items() if old in obj and new not in obj}
    for key in ("preferred_output", "non_preferred_output"):
        _check_output(example.get(key), shown.get(key, key), issues)
    outputs = (example.get("preferred_output"), example.get("non_preferred_output"))
    if outputs[0] is not None and outputs[0] == outputs[1]:
        issues.append(warning("identical_outputs", "preferred and non-preferred outputs are identical: the pair "
                              "teaches nothing", field="non_preferred_output"))
    return LineCheck("dpo", issues, _prompt_key(texts), example)


def _check_output(output: Any, key: str, issues: list[Issue]) -> None:
    if output is None:
        issues.append(error("missing_output", f"a preference pair needs {key!r}", field=key))
        return
    if not isinstance(output, list) or len(output) != 1:
        issues.append(error("invalid_output", f"{key} must be a list holding exactly one assistant message",
                            field=key, value=output))
        return
    message = output[0]
    if isinstance(message, dict) and message.get("role") != "assistant":
        issues.append(error("invalid_output", f"{key} must be an assistant message", field=f"{key}[0].role",
                            value=message.get("role")))
        return
    issues.extend(check_messages(output, key, frozenset(), allow_weight=False).issues)
