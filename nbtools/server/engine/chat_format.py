"""Turn OpenAI chat messages into the messages a model's own chat template can render.

Training and generation both go through :func:`template_messages`, so a fine-tuned model sees at chat time exactly
the layout it was trained on. What changes on the way:

- ``developer`` (OpenAI's newer name for the system role) becomes ``system``;
- content given as a list of text parts is joined into one string (other part types are refused);
- for templates without tool support (SmolLM2's is one), tools are written out as text in the Hermes / Qwen style
  that small open models know best: the tool list goes into the system message inside ``<tools>``, an assistant's
  calls become ``<tool_call>{...}</tool_call>`` lines, and a tool's result becomes a user turn wrapped in
  ``<tool_response>``. Templates that know tools get the tools and calls as structured data instead.

>>> msgs = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
>>> template_messages(msgs, template_has_tools=False)
[{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from ...errors import InputError

__all__ = ["template_messages", "template_supports_tools", "render_tool_call", "TOOLS_PREAMBLE",
           "GEMMA_CHAT_TEMPLATE", "GEMMA_END_OF_TURN"]

GEMMA_END_OF_TURN = "<end_of_turn>"
# Gemma's turn format, for Gemma base models whose tokenizer ships no chat template (Gemma 3 270M). As in Gemma's
# official template, a system message goes at the start of the first user turn, separated by a blank line; contents
# are trimmed; assistant turns are "model" turns. Unlike it, roles need not alternate (tool results become user
# turns), and a system message not followed by a user message becomes a user turn of its own, so that every shorter
# conversation renders as a prefix of the longer one (what loss masking in data.py needs).
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- set merge = messages | length > 1 and messages[0]['role'] == 'system' and messages[1]['role'] == 'user' -%}"
    "{%- set prefix = messages[0]['content'] | trim + '\\n\\n' if merge else '' -%}"
    "{%- for message in (messages[1:] if merge else messages) -%}"
    "{{ '<start_of_turn>' + ('model' if message['role'] == 'assistant' else 'user') + '\\n' }}"
    "{{ (prefix if loop.first else '') + message['content'] | trim + '<end_of_turn>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"
)

TOOLS_PREAMBLE = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{tools}\n</tools>\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags."
)


def template_supports_tools(chat_template: str | None) -> bool:
    """Whether a Jinja chat template renders tools itself (it mentions ``tools`` or ``tool_calls``).

    >>> template_supports_tools("{% for message in messages %}{{ message['content'] }}{% endfor %}")
    False
    >>> template_supports_tools("{% if tools %}{{ tools | tojson }}{% endif %}")
    True
    """
    return chat_template is not None and ("tools" in chat_template or "tool_calls" in chat_template)


def _text(content: Any, field: str) -> str:
    """Message content as one string: str, None (empty) or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for i, part in enumerate(content):
            if not isinstance(part, Mapping) or part.get("type") not in ("text", "refusal"):
                kind = part.get("type") if isinstance(part, Mapping) else part
                raise InputError("only text content parts are supported", field=f"{field}[{i}].type", value=kind)
            pieces.append(str(part.get("text", part.get("refusal", ""))))
        return "".join(pieces)
    raise InputError("content must be a string or a list of text parts", field=field, value=content)


def _arguments(raw: Any) -> Any:
    """Tool-call arguments as a JSON value (OpenAI sends them as a JSON string; keep the string if it is not JSON)."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def render_tool_call(call: Mapping[str, Any]) -> str:
    """One OpenAI tool call as a Hermes-style text block.

    >>> render_tool_call({"type": "function", "function": {"name": "lookup", "arguments": '{"id": 7}'}})
    '<tool_call>\\n{"name": "lookup", "arguments": {"id": 7}}\\n</tool_call>'
    """
    function = call.get("function") or {}
    body = {"name": function.get("name"), "arguments": _arguments(function.get("arguments"))}
    return "<tool_call>\n" + json.dumps(body, ensure_ascii=False) + "\n</tool_call>"


def _tools_block(tools: Sequence[Mapping[str, Any]]) -> str:
    return TOOLS_PREAMBLE.format(tools="\n".join(json.dumps(t, ensure_ascii=False) for t in tools))


def template_messages(
    messages: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    template_has_tools: bool,
) -> list[dict[str, Any]]:
    """OpenAI chat `messages` (and `tools`) -> messages for ``tokenizer.apply_chat_template``, one per input message.

    With ``template_has_tools=False`` and a non-empty `tools`, the tool list is appended to the first system message,
    or a system message holding only the tool list is put first. The output keeps one message per input message
    except for that inserted system message, which is only ever added at index 0.

    >>> call = {"type": "function", "function": {"name": "f", "arguments": "{}"}}
    >>> out = template_messages([{"role": "assistant", "content": None, "tool_calls": [call]},
    ...                          {"role": "tool", "tool_call_id": "1", "content": "42"}], template_has_tools=False)
    >>> [m["role"] for m in out], out[1]["content"]
    (['assistant', 'user'], '<tool_response>\\n42\\n</tool_response>')
    """
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise InputError("each message must be an object", field=f"messages[{i}]", value=message)
        role = message.get("role")
        field = f"messages[{i}]"
        text = _text(message.get("content"), f"{field}.content")
        calls = message.get("tool_calls") or []
        if role in ("system", "developer"):
            out.append({"role": "system", "content": text})
        elif role == "user":
            out.append({"role": "user", "content": text})
        elif role == "assistant":
            if calls and not template_has_tools:
                rendered = "\n".join(render_tool_call(c) for c in calls)
                out.append({"role": "assistant", "content": (text + "\n" if text else "") + rendered})
            elif calls:
                structured = [
                    {"type": "function", "function": {"name": c["function"]["name"],
                                                      "arguments": _arguments(c["function"].get("arguments"))}}
                    for c in calls
                ]
                out.append({"role": "assistant", "content": text, "tool_calls": structured})
            else:
                out.append({"role": "assistant", "content": text})
        elif role in ("tool", "function"):
            if template_has_tools:
                out.append({"role": "tool", "content": text})
            else:
                out.append({"role": "user", "content": "<tool_response>\n" + text + "\n</tool_response>"})
        else:
            raise InputError(
                "role must be one of system, developer, user, assistant, tool", field=f"{field}.role", value=role
            )
    if tools and not template_has_tools:
        block = _tools_block(tools)
        first_system = next((m for m in out if m["role"] == "system"), None)
        if first_system is not None:
            first_system["content"] = (first_system["content"] + "\n\n" + block).strip()
        else:
            out.insert(0, {"role": "system", "content": block})
    return out
