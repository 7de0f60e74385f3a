"""Line-level format checks: official shapes pass (and agree with the OpenAPI schema); bad lines give a located issue."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from nbtools.validate import check_example, validate_records

# The vendored copy of OpenAI's specification (spec/openai-openapi/README.md says where it came from).
OPENAPI = Path(__file__).resolve().parents[1] / "spec" / "openai-openapi" / "openapi.yaml"

MARV = "Marv is a factual chatbot that is also sarcastic."
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and country, eg. San Francisco, USA"},
                "format": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location", "format"],
        },
    },
}

# The shapes of the OpenAI fine-tuning guide: chat, multi-turn with weight, tool calls (parallel), legacy functions,
# content parts with an image, and DPO.
VALID = {
    "chat": {"messages": [{"role": "system", "content": MARV}, {"role": "user", "content": "What's the capital of France?"},
                          {"role": "assistant", "content": "Paris, as if everyone doesn't know that already."}]},
    "multi_turn_weights": {"messages": [
        {"role": "system", "content": MARV},
        {"role": "user", "content": "What's the capital of France?"},
        {"role": "assistant", "content": "Paris", "weight": 0},
        {"role": "user", "content": "Can you be more sarcastic?"},
        {"role": "assistant", "content": "Paris, as if everyone doesn't know that already.", "weight": 1}]},
    "tools": {"messages": [
        {"role": "user", "content": "What is the weather in San Francisco?"},
        {"role": "assistant", "tool_calls": [{"id": "call_id", "type": "function", "function": {
            "name": "get_current_weather", "arguments": "{\"location\": \"San Francisco, USA\", \"format\": \"celsius\"}"}}]},
        {"role": "tool", "tool_call_id": "call_id", "content": "21.0"},
        {"role": "assistant", "content": "It is 21 degrees celsius in San Francisco, CA"}],
        "tools": [WEATHER_TOOL]},
    "parallel_tools": {"messages": [
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "get_current_weather",
                                                         "arguments": "{\"location\": \"Paris\", \"format\": \"celsius\"}"}},
            {"id": "b", "type": "function", "function": {"name": "get_current_weather",
                                                         "arguments": "{\"location\": \"Oslo\", \"format\": \"celsius\"}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "18"},
        {"role": "tool", "tool_call_id": "b", "content": "9"},
        {"role": "assistant", "content": "Paris 18°C, Oslo 9°C."}],
        "tools": [WEATHER_TOOL], "parallel_tool_calls": True},
    "content_parts": {"messages": [
        {"role": "system", "content": [{"type": "text", "text": "Describe images."}]},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}]},
    "dpo": {"input": {"messages": [{"role": "user", "content": "Hello, can you tell me how cold San Francisco is today?"}],
                      "tools": [], "parallel_tool_calls": True},
            "preferred_output": [{"role": "assistant", "content": "Today in San Francisco, it is not quite cold as expected."}],
            "non_preferred_output": [{"role": "assistant", "content": "It is not particularly cold in San Francisco today."}]},
}
EXPECTED_WARNINGS = {"chat": set(), "multi_turn_weights": set(), "tools": {"missing_system"},
                     "parallel_tools": {"missing_system"}, "content_parts": set(),
                     "dpo": {"missing_system", "empty_tools", "parallel_without_tools"}}


@pytest.mark.parametrize("name", sorted(VALID))
def test_official_shapes_have_no_errors(name):
    check = check_example(VALID[name])
    assert not check.has_errors, [str(i) for i in check.issues]
    assert {i.code for i in check.issues} == EXPECTED_WARNINGS[name]
    assert check.kind == ("dpo" if name == "dpo" else "sft")


def _set(path: str, value):
    """A copy of the valid chat example with one field replaced (value=... deletes it)."""

    def make():
        example = copy.deepcopy(VALID["tools" if "tool" in path else "chat"])
        *parents, last = path.split(".")
        node = example
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is ...:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
        return example

    return make


def _raw(obj):
    return lambda: obj


# (case, make line, expected code, expected field)
BAD = [
    ("unknown role", _set("messages.1.role", "customer"), "unknown_role", "messages[1].role"),
    ("missing role", _set("messages.1.role", ...), "missing_role", "messages[1]"),
    ("content wrong type", _set("messages.1.content", 42), "wrong_type", "messages[1].content"),
    ("content null on user", _set("messages.1.content", None), "null_content", "messages[1].content"),
    ("content null on assistant", _set("messages.2.content", None), "null_content", "messages[2].content"),
    ("missing content", _set("messages.2.content", ...), "missing_content", "messages[2]"),
    ("empty parts list", _set("messages.1.content", []), "empty_content", "messages[1].content"),
    ("image part in system", _set("messages.0.content", [{"type": "image_url", "image_url": {"url": "x"}}]),
     "invalid_content_part", "messages[0].content[0].type"),
    ("text part without text", _set("messages.1.content", [{"type": "text"}]), "invalid_content_part",
     "messages[1].content[0].text"),
    ("messages not a list", _set("messages", {"role": "user"}), "wrong_type", "messages"),
    ("messages empty", _set("messages", []), "empty_messages", "messages"),
    ("message not an object", _set("messages.1", "hi"), "wrong_type", "messages[1]"),
    ("no assistant", _set("messages.2", {"role": "user", "content": "again"}), "no_assistant_message", "messages"),
    ("weight on user", _set("messages.1.weight", 1), "weight_not_allowed", "messages[1].weight"),
    ("weight string", _set("messages.2.weight", "1"), "invalid_weight", "messages[2].weight"),
    ("weight float", _set("messages.2.weight", 0.5), "invalid_weight", "messages[2].weight"),
    ("weight bool", _set("messages.2.weight", True), "invalid_weight", "messages[2].weight"),
    ("name not string", _set("messages.1.name", 7), "wrong_type", "messages[1].name"),
    ("arguments as object", _set("messages.1.tool_calls.0.function.arguments", {"location": "SF"}),
     "arguments_not_string", "messages[1].tool_calls[0].function.arguments"),
    ("arguments missing", _set("messages.1.tool_calls.0.function.arguments", ...), "missing_arguments",
     "messages[1].tool_calls[0].function.arguments"),
    ("tool call without id", _set("messages.1.tool_calls.0.id", ...), "missing_tool_call_id",
     "messages[1].tool_calls[0].id"),
    ("tool call wrong type", _set("messages.1.tool_calls.0.type", "code"), "invalid_tool_call_type",
     "messages[1].tool_calls[0].type"),
    ("tool call without function", _set("messages.1.tool_calls.0.function", ...), "missing_key",
     "messages[1].tool_calls[0].function"),
    ("tool_calls empty", _set("messages.1.tool_calls", []), "wrong_type", "messages[1].tool_calls"),
    ("tool answer unknown id", _set("messages.2.tool_call_id", "nope"), "unknown_tool_call_id",
     "messages[2].tool_call_id"),
    ("tool answer without id", _set("messages.2.tool_call_id", ...), "missing_tool_call_id",
     "messages[2].tool_call_id"),
    ("tools not a list", _set("tools", {"type": "function"}), "wrong_type", "tools"),
    ("tool type", _set("tools.0.type", "retrieval"), "unsupported_tool_type", "tools[0].type"),
    ("function name invalid", _set("tools.0.function.name", "get weather!"), "invalid_function_name",
     "tools[0].function.name"),
    ("parameters invalid schema", _set("tools.0.function.parameters", {"type": "object", "required": "location"}),
     "invalid_json_schema", "tools[0].function.parameters.required"),
    ("parameters not an object", _set("tools.0.function.parameters", "location"), "wrong_type",
     "tools[0].function.parameters"),
    ("parallel_tool_calls not bool", _set("parallel_tool_calls", "yes"), "wrong_type", "parallel_tool_calls"),
    ("not an object", _raw([1, 2]), "not_an_object", None),
    ("prompt/completion", _raw({"prompt": "a", "completion": "b"}), "legacy_prompt_completion", "prompt"),
    ("unknown format", _raw({"text": "hello"}), "unknown_format", None),
    ("dpo without input", _raw({"preferred_output": VALID["dpo"]["preferred_output"],
                                "non_preferred_output": VALID["dpo"]["non_preferred_output"]}), "missing_input", "input"),
    ("dpo two preferred", _raw({**VALID["dpo"], "preferred_output": VALID["dpo"]["preferred_output"] * 2}),
     "invalid_output", "preferred_output"),
    ("dpo output from user", _raw({**VALID["dpo"], "non_preferred_output": [{"role": "user", "content": "x"}]}),
     "invalid_output", "non_preferred_output[0].role"),
    ("dpo missing output", _raw({k: v for k, v in VALID["dpo"].items() if k != "non_preferred_output"}),
     "missing_output", "non_preferred_output"),
    ("dpo output content wrong type", _raw({**VALID["dpo"], "preferred_output": [{"role": "assistant", "content": 3}]}),
     "wrong_type", "preferred_output[0].content"),
]


@pytest.mark.parametrize("case,make,code,field", BAD, ids=[b[0] for b in BAD])
def test_bad_line_gives_located_error(case, make, code, field):
    report = validate_records([make()], min_examples=1)
    matching = [i for i in report.errors if i.code == code]
    assert matching, f"{case}: got {[str(i) for i in report.errors]}"
    assert matching[0].line == 1 and matching[0].field == field
    assert str(matching[0]).startswith("line 1")


@pytest.mark.parametrize("make,code,field", [
    (_set("messages.0", {"role": "user", "content": "no system"}), "missing_system", "messages"),
    (_set("messages.2.weight", 0), "all_weights_zero", "messages"),
    (_set("extra", 1), "unknown_key", "extra"),
    (_set("messages.1.mood", "happy"), "unknown_key", "messages[1].mood"),
    (_set("messages.1.tool_calls.0.function.arguments", "{not json"), "arguments_not_json",
     "messages[1].tool_calls[0].function.arguments"),
    (_set("messages.1.tool_calls.0.function.name", "get_time"), "undefined_function",
     "messages[1].tool_calls[0].function.name"),
    (_raw({"messages": VALID["chat"]["messages"] + [{"role": "user", "content": "trailing"}]}),
     "ends_without_assistant", "messages[3]"),
    (_raw({**VALID["dpo"], "non_preferred_output": VALID["dpo"]["preferred_output"]}), "identical_outputs",
     "non_preferred_output"),
    (_raw({"input": VALID["dpo"]["input"], "preferred_completion": VALID["dpo"]["preferred_output"],
           "non_preferred_completion": VALID["dpo"]["non_preferred_output"]}), "legacy_key", "preferred_completion"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_warnings_are_separate_from_errors(make, code, field):
    report = validate_records([make()], min_examples=1)
    assert report.ok, [str(i) for i in report.errors]
    assert any(i.code == code and i.field == field for i in report.warnings), [str(i) for i in report.warnings]


def test_error_message_reads_like_the_brief():
    make = _set("messages.1.role", "customer")
    issue = next(i for i in validate_records([make()], min_examples=1).errors if i.code == "unknown_role")
    assert str(issue) == ("line 1, field messages[1].role: unknown role (got 'customer'); expected one of system, "
                          "user, assistant, tool (or developer, function)")


def test_tool_message_before_its_call_is_an_error():
    example = copy.deepcopy(VALID["tools"])
    example["messages"][1], example["messages"][2] = example["messages"][2], example["messages"][1]
    codes = {i.code for i in check_example(example).issues}
    assert "unknown_tool_call_id" in codes


def test_method_mismatch_is_an_error():
    assert check_example(VALID["dpo"], method="supervised").issues[0].code == "wrong_method"
    assert check_example(VALID["chat"], method="dpo").issues[0].code == "wrong_method"


# ---- agreement with the official OpenAPI schema -------------------------------------------------------------

@pytest.fixture(scope="module")
def openapi_validator():
    yaml = pytest.importorskip("yaml")
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(document, DRAFT202012))

    def validator(schema_name: str):
        schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
        return jsonschema.Draft202012Validator(schema, registry=registry)

    return validator


_SCHEMA_FOR_ROLE = {"system": "ChatCompletionRequestSystemMessage", "user": "ChatCompletionRequestUserMessage",
                    "assistant": "FineTuneChatCompletionRequestAssistantMessage",
                    "tool": "ChatCompletionRequestToolMessage"}


def _message_errors(openapi_validator, message) -> list[str]:
    role = message.get("role") if isinstance(message, dict) else None
    if role not in _SCHEMA_FOR_ROLE:
        return ["role not in the schema's roles"]
    return [e.message for e in openapi_validator(_SCHEMA_FOR_ROLE[role]).iter_errors(message)]


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_messages_match_the_openapi_schema(openapi_validator, name):
    example = VALID[name]
    messages = example.get("messages") or example["input"]["messages"] + example["preferred_output"]
    for message in messages:
        assert _message_errors(openapi_validator, message) == [], json.dumps(message)
    for tool in example.get("tools") or []:
        assert list(openapi_validator("ChatCompletionTool").iter_errors(tool)) == []


SCHEMA_AGREES = ["unknown role", "missing role", "content wrong type", "content null on user", "weight string",
                 "weight float", "name not string", "arguments as object", "tool call wrong type",
                 "tool answer without id", "text part without text", "image part in system", "empty parts list"]


@pytest.mark.parametrize("case", SCHEMA_AGREES)
def test_openapi_schema_also_rejects_what_we_reject(openapi_validator, case):
    make = next(b[1] for b in BAD if b[0] == case)
    example = make()
    assert any(_message_errors(openapi_validator, m) for m in example["messages"]), case
