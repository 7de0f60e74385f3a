"""OpenAI messages -> template-ready messages: roles, content parts, and tools written out as text."""

from __future__ import annotations

import json

import pytest

from nbtools.errors import InputError
from nbtools.server.engine.chat_format import (
    TOOLS_PREAMBLE,
    render_tool_call,
    template_messages,
    template_supports_tools,
)

CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id": "A-17"}'}}
TOOL = {"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"role": "developer", "content": "Be brief."}, {"role": "system", "content": "Be brief."}),
        ({"role": "system", "content": "S"}, {"role": "system", "content": "S"}),
        ({"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
         {"role": "user", "content": "ab"}),
        ({"role": "assistant", "content": "Hi", "weight": 0}, {"role": "assistant", "content": "Hi"}),
        ({"role": "user", "content": "Hi", "name": "ann"}, {"role": "user", "content": "Hi"}),
        ({"role": "assistant", "content": None, "tool_calls": [CALL]},
         {"role": "assistant",
          "content": '<tool_call>\n{"name": "lookup_order", "arguments": {"order_id": "A-17"}}\n</tool_call>'}),
        ({"role": "assistant", "content": "Checking.", "tool_calls": [CALL, CALL]},
         {"role": "assistant", "content": "Checking.\n" + render_tool_call(CALL) + "\n" + render_tool_call(CALL)}),
        ({"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
         {"role": "user", "content": '<tool_response>\n{"status": "shipped"}\n</tool_response>'}),
    ],
)
def test_one_message_without_template_tools(message, expected):
    assert template_messages([message], template_has_tools=False) == [expected]


def test_template_with_tools_gets_structured_calls():
    out = template_messages([{"role": "assistant", "content": None, "tool_calls": [CALL]},
                             {"role": "tool", "tool_call_id": "call_1", "content": "ok"}],
                            tools=[TOOL], template_has_tools=True)
    assert out[0]["tool_calls"][0]["function"] == {"name": "lookup_order", "arguments": {"order_id": "A-17"}}
    assert out[1] == {"role": "tool", "content": "ok"}
    assert len(out) == 2  # the template renders the tools itself


@pytest.mark.parametrize(
    ("messages", "system_index", "n_out"),
    [
        ([{"role": "system", "content": "You help."}, {"role": "user", "content": "Hi"}], 0, 2),
        ([{"role": "user", "content": "Hi"}], 0, 2),  # a tools-only system message is put first
    ],
)
def test_tools_go_into_the_system_message(messages, system_index, n_out):
    out = template_messages(messages, tools=[TOOL], template_has_tools=False)
    assert len(out) == n_out
    system = out[system_index]
    assert system["role"] == "system"
    assert json.dumps(TOOL) in system["content"]
    assert TOOLS_PREAMBLE.split("\n")[0] in system["content"]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"role": "customer", "content": "x"}, "messages[0].role"),
        ({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}, "messages[0].content[0].type"),
        ({"role": "user", "content": 42}, "messages[0].content"),
        ("not a message", "messages[0]"),
    ],
)
def test_bad_messages_name_the_field(message, field):
    with pytest.raises(InputError) as raised:
        template_messages([message], template_has_tools=False)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (None, False),
        ("{% for message in messages %}{{'<|im_start|>' + message['role']}}{% endfor %}", False),
        ("{%- if tools %}{{ tools | tojson }}{% endif %}", True),
        ("{%- for tool_call in message.tool_calls %}{% endfor %}", True),
    ],
)
def test_template_supports_tools(template, expected):
    assert template_supports_tools(template) is expected
