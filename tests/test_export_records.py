"""What counts as an exportable example, the readable summary columns, and the field-path diff."""

from __future__ import annotations

import pytest

from nbtools.errors import InputError
from nbtools.export.records import differences, example_kind, summary_texts

SFT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"}]}
DPO = {
    "input": {"messages": [{"role": "user", "content": "Refund?"}]},
    "preferred_output": [{"role": "assistant", "content": "Hey there! Sure."}],
    "non_preferred_output": [{"role": "assistant", "content": "Read the FAQ."}],
}


@pytest.mark.parametrize("example, kind", [(SFT, "sft"), (DPO, "dpo"), ({"messages": []}, "sft")])
def test_kind_of_valid_examples(example, kind):
    assert example_kind(example) == kind


@pytest.mark.parametrize(
    "example, field",
    [
        (["not", "an", "object"], None),
        ({"prompt": "hi", "completion": "there"}, None),
        ({"messages": "Hi"}, "messages"),
        ({"messages": [{"content": "no role"}]}, "messages[0]"),
        ({"messages": [{"role": "user"}, "oops"]}, "messages[1]"),
        ({**DPO, "input": "Refund?"}, "input"),
        ({**DPO, "preferred_output": {"role": "assistant"}}, "preferred_output"),
        ({**DPO, "input": {"messages": None}}, "input.messages"),
    ],
)
def test_bad_examples_name_file_line_and_field(example, field):
    with pytest.raises(InputError) as info:
        example_kind(example, file="train.jsonl", line=7)
    assert info.value.file == "train.jsonl" and info.value.line == 7
    assert info.value.field == field


@pytest.mark.parametrize(
    "example, expected",
    [
        (SFT, {"system": "", "user": "Hi", "assistant": "Hey there!"}),
        (
            {"messages": [{"role": "system", "content": "Be warm."}, {"role": "user", "content": "A"},
                          {"role": "assistant", "content": "1"}, {"role": "user", "content": "B"},
                          {"role": "assistant", "content": None, "tool_calls": []},
                          {"role": "assistant", "content": [{"type": "text", "text": "2"}]}]},
            {"system": "Be warm.", "user": "A", "assistant": "2"},
        ),
        (DPO, {"system": "", "user": "Refund?", "preferred": "Hey there! Sure.", "non_preferred": "Read the FAQ."}),
    ],
)
def test_summary_texts(example, expected):
    assert summary_texts(example) == expected


@pytest.mark.parametrize(
    "a, b, ignore, expected",
    [
        (SFT, SFT, (), []),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}, (), ["a"]),
        ({"a": {"b": 1}}, {"a": {"b": True}}, (), ["a.b"]),  # 1 == True in Python, not in JSON
        ({"a": 1}, {"a": 1.0}, (), ["a"]),
        ({"m": [{"w": 1, "x": 2}]}, {"m": [{"x": 3}]}, ("m[0].w",), ["m[0].x"]),
        ({"m": [{"w": 1}]}, {"m": [{}]}, ("m[0]",), []),
        ({"a": 1, "c": [{"d": 0}]}, {"a": 2, "b": 2, "c": [{"d": 1}]}, (), ["a", "c[0].d", "b"]),
        ({"mm": 1}, {"mm": 2}, ("m",), ["mm"]),  # a prefix covers sub-fields, not longer names
    ],
)
def test_differences(a, b, ignore, expected):
    assert differences(a, b, ignore=ignore) == expected
