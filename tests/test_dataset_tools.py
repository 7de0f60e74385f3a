"""Tool-calling examples: assistant tool_calls with JSON-string arguments, tool answers, tools definitions."""

from __future__ import annotations

import json

import jsonschema
import pandas as pd
import pytest

from nbtools.dataset import build_tool_examples, infer_tool_definitions
from nbtools.errors import InputError
from nbtools.validate import validate_records

ROWS = pd.DataFrame([
    {"question": "Where is order BC-10234?", "tool_name": "lookup_order", "tool_arguments": '{"order_id": "BC-10234"}',
     "tool_result": '{"status": "shipped", "eta": "2026-11-28", "carrier": "UPS"}',
     "final_answer": "Hey there! Your order shipped with UPS and arrives Nov 28.\nStay grounded! ☕"},
    {"question": "Status of BC-1 and BC-2?", "tool_name": "lookup_order",
     "tool_arguments": '[{"order_id": "BC-1"}, {"order_id": "BC-2", "include_items": true}]',
     "tool_result": '[{"status": "packed"}, {"status": "delivered"}]',
     "final_answer": "Hey there! BC-1 is packed and BC-2 was delivered.\nStay grounded! ☕"},
    {"question": "Broken?", "tool_name": "lookup_order", "tool_arguments": "{not json", "tool_result": "{}",
     "final_answer": "x"},
    {"question": "", "tool_name": "lookup_order", "tool_arguments": "{}", "tool_result": "{}", "final_answer": "x"},
])


def test_single_call_example_shape():
    result = build_tool_examples(ROWS, system_prompt="You are Brewtiful's assistant.")
    example = result.examples[0]
    system, user, call, tool, answer = example["messages"]
    assert (system["role"], user["role"], call["role"], tool["role"], answer["role"]) == (
        "system", "user", "assistant", "tool", "assistant")
    (tool_call,) = call["tool_calls"]
    assert tool_call["type"] == "function" and tool_call["id"].startswith("call_")
    assert json.loads(tool_call["function"]["arguments"]) == {"order_id": "BC-10234"}
    assert tool["tool_call_id"] == tool_call["id"] and json.loads(tool["content"])["carrier"] == "UPS"
    assert "parallel_tool_calls" not in example


def test_parallel_calls():
    example = build_tool_examples(ROWS).examples[1]
    calls = example["messages"][1]["tool_calls"]
    answers = [m for m in example["messages"] if m["role"] == "tool"]
    assert len(calls) == 2 and [a["tool_call_id"] for a in answers] == [c["id"] for c in calls]
    assert example["parallel_tool_calls"] is True
    assert len({c["id"] for c in calls}) == 2


def test_unusable_rows_are_rejected_with_reasons():
    result = build_tool_examples(ROWS)
    assert len(result) == 2
    assert result.rejects["id"].tolist() == ["row 2", "row 3"]
    assert result.rejects["reason"].str.startswith("unusable tool call").tolist() == [True, False]
    assert result.rejects["reason"].tolist()[1] == "empty question"


def test_inferred_definitions_are_valid_json_schema():
    (definition,) = infer_tool_definitions(ROWS, descriptions={"lookup_order": "Look up an order by id."})
    function = definition["function"]
    assert function["description"] == "Look up an order by id."
    assert function["parameters"]["properties"] == {"order_id": {"type": "string"}, "include_items": {"type": "boolean"}}
    assert function["parameters"]["required"] == ["order_id"]
    jsonschema.Draft202012Validator.check_schema(function["parameters"])


def test_examples_validate_and_ids_are_deterministic():
    first, second = build_tool_examples(ROWS), build_tool_examples(ROWS)
    assert first.examples == second.examples
    report = validate_records(first.examples, min_examples=1)
    assert report.ok and report.warning_counts == {"missing_system": 2}


def test_missing_columns_raise():
    with pytest.raises(InputError, match="lacks columns tool_result"):
        build_tool_examples(ROWS.drop(columns=["tool_result"]))
