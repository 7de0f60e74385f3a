"""ShareGPT for LLaMA-Factory/Axolotl: exact round trips where the format can hold the example, an explicit
loss for every field it cannot, and records that follow LLaMA-Factory's documented rules."""

from __future__ import annotations

import json

import pytest
from export_strategies import EXAMPLE
from hypothesis import given, settings

from nbtools.errors import DataFormatError, InputError
from nbtools.export.records import differences
from nbtools.export.sharegpt import dataset_info, from_sharegpt, read_sharegpt, to_sharegpt, write_sharegpt

SYSTEM = {"role": "system", "content": "You are Brewtiful Coffee Co.'s support assistant."}
TOOLS = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order by id",
                                           "parameters": {"type": "object",
                                                          "properties": {"order_id": {"type": "string"}},
                                                          "required": ["order_id"]}}}]


def call(n, name="lookup_order", arguments='{"order_id": "A12"}', id_=None):
    return {"id": id_ or f"call_{n}", "type": "function", "function": {"name": name, "arguments": arguments}}


def user(text):
    return {"role": "user", "content": text}


def assistant(text, **extra):
    return {"role": "assistant", "content": text, **extra}


def tool(content, call_id):
    return {"role": "tool", "tool_call_id": call_id, "content": content}


LOSSLESS = {
    "single turn": {"messages": [user("Hi"), assistant("Hey there!")]},
    "system, multi-turn, unicode": {"messages": [SYSTEM, user("Café? ☕"), assistant("Oui!"), user("And\nthen?"),
                                                 assistant("Stay grounded! ☕")]},
    "tool call": {"messages": [SYSTEM, user("Where is A12?"), {"role": "assistant", "tool_calls": [call(1)]},
                               tool('{"status": "shipped"}', "call_1"), assistant("It shipped.")],
                  "tools": TOOLS},
    "parallel calls": {"messages": [user("A12 and B7?"),
                                    {"role": "assistant", "tool_calls": [
                                        call(1), call(2, arguments='{"order_id": "B7"}')]},
                                    tool("shipped", "call_1"), tool("packing", "call_2"), assistant("One of each.")],
                       "tools": TOOLS},
    "empty tools list": {"messages": [user("Hi"), assistant("Hey")], "tools": []},
    "dpo": {"input": {"messages": [SYSTEM, user("Refund?")]},
            "preferred_output": [assistant("Hey there! Sure.")],
            "non_preferred_output": [assistant("Read the FAQ.")]},
    "dpo with tools and a call as answer": {
        "input": {"messages": [user("Where is A12?")], "tools": TOOLS},
        "preferred_output": [{"role": "assistant", "tool_calls": [call(1)]}],
        "non_preferred_output": [assistant("No idea.")]},
}


def follows_llamafactory_rules(record: dict) -> bool:
    """LLaMA-Factory's sharegpt converter rules (data/README.md and converter.py), checked independently."""
    turns = record["conversations"]
    if turns and turns[0]["from"] == "system":
        turns = turns[1:]
    odd, even = ("human", "observation"), ("gpt", "function_call")
    if not all(t["from"] in (odd, even)[k % 2] and isinstance(t["value"], str) for k, t in enumerate(turns)):
        return False
    ranking = "chosen" in record
    if (len(turns) % 2 == 0) == ranking:  # chat: even count; ranking prompt: odd count
        return False
    answers = [record["chosen"], record["rejected"]] if ranking else []
    for turn in [t for t in turns + answers if t["from"] == "function_call"]:
        calls = json.loads(turn["value"])
        for c in calls if isinstance(calls, list) else [calls]:
            if not isinstance(c["name"], str) or not isinstance(c["arguments"], dict):
                return False
    tools = record.get("tools", "")
    return all(a["from"] in even for a in answers) and (tools == "" or isinstance(json.loads(tools), list))


@pytest.mark.parametrize("example", LOSSLESS.values(), ids=LOSSLESS.keys())
def test_lossless_examples_round_trip_exactly(example):
    converted = to_sharegpt(example)
    assert converted.losses == ()
    assert follows_llamafactory_rules(converted.record)
    assert from_sharegpt(converted.record) == example


def test_tool_call_record_shape():
    record = to_sharegpt(LOSSLESS["parallel calls"]).record
    tags = [t["from"] for t in record["conversations"]]
    assert tags == ["human", "function_call", "observation", "gpt"]
    assert json.loads(record["conversations"][1]["value"]) == [
        {"name": "lookup_order", "arguments": {"order_id": "A12"}},
        {"name": "lookup_order", "arguments": {"order_id": "B7"}}]
    assert json.loads(record["conversations"][2]["value"]) == ["shipped", "packing"]
    assert json.loads(record["tools"]) == TOOLS


WEIGHTED = {"messages": [SYSTEM, user("Hi"), assistant("old", weight=0), user("Again"), assistant("new", weight=1)]}

# example, the fields reported lost, what re-import gives back (None: the example is not written)
LOSSY = {
    "weights": (WEIGHTED, ["messages[2].weight", "messages[4].weight"],
                {"messages": [SYSTEM, user("Hi"), assistant("old"), user("Again"), assistant("new")]}),
    "message name": ({"messages": [user("Hi"), assistant("Hey", name="barista")]}, ["messages[1].name"],
                     {"messages": [user("Hi"), assistant("Hey")]}),
    "own call ids": ({"messages": [user("A12?"), {"role": "assistant", "tool_calls": [call(1, id_="abc")]},
                                   tool("shipped", "abc"), assistant("Shipped.")]},
                     ["messages[1].tool_calls[0].id", "messages[2].tool_call_id"],
                     {"messages": [user("A12?"), {"role": "assistant", "tool_calls": [call(1)]},
                                   tool("shipped", "call_1"), assistant("Shipped.")]}),
    "compact arguments": ({"messages": [user("A12?"),
                                        {"role": "assistant", "tool_calls": [call(1, arguments='{"order_id":"A12"}')]},
                                        tool("shipped", "call_1"), assistant("Shipped.")]},
                          ["messages[1].tool_calls[0].function.arguments"],
                          {"messages": [user("A12?"), {"role": "assistant", "tool_calls": [call(1)]},
                                        tool("shipped", "call_1"), assistant("Shipped.")]}),
    "text beside calls": ({"messages": [user("A12?"), assistant("Let me look.", tool_calls=[call(1)]),
                                        tool("shipped", "call_1"), assistant("Shipped.")]},
                          ["messages[1].content"],
                          {"messages": [user("A12?"), {"role": "assistant", "tool_calls": [call(1)]},
                                        tool("shipped", "call_1"), assistant("Shipped.")]}),
    "content parts": ({"messages": [user([{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]),
                                    assistant("Hey")]},
                      ["messages[0].content"], {"messages": [user("Hi there"), assistant("Hey")]}),
    "example keys": ({"messages": [user("Hi"), assistant("Hey")], "parallel_tool_calls": False},
                     ["parallel_tool_calls"], {"messages": [user("Hi"), assistant("Hey")]}),
    "null tools": ({"messages": [user("Hi"), assistant("Hey")], "tools": None}, ["tools"],
                   {"messages": [user("Hi"), assistant("Hey")]}),
    "results without a call": ({"messages": [user("Hi"), {"role": "tool", "content": "a"}, assistant("Hey")]},
                               ["messages"], None),
    "two users in a row": ({"messages": [user("Hi"), user("Hello?"), assistant("Hey")]}, ["messages"], None),
    "ends with the user": ({"messages": [user("Hi"), assistant("Hey"), user("Bye")]}, ["messages"], None),
    "late system message": ({"messages": [user("Hi"), SYSTEM, assistant("Hey")]}, ["messages[1]"], None),
    "developer role": ({"messages": [{"role": "developer", "content": "x"}, user("Hi"), assistant("Hey")]},
                       ["messages[0].role"], None),
    "results after a plain answer": ({"messages": [user("Hi"), assistant("Hey"), {"role": "tool", "content": "a"},
                                                   {"role": "tool", "content": "b"}, assistant("Done")]},
                                     ["messages[2]"], None),
    "fewer results than calls": ({"messages": [user("?"), {"role": "assistant", "tool_calls": [call(1), call(2)]},
                                               tool("a", "call_1"), assistant("Hey")]}, ["messages[2]"], None),
    "two preferred messages": ({**LOSSLESS["dpo"], "preferred_output": [assistant("a"), assistant("b")]},
                               ["preferred_output"], None),
    "dpo prompt ends with an answer": ({**LOSSLESS["dpo"], "input": {"messages": [user("Hi"), assistant("Hey")]}},
                                       ["input.messages"], None),
}


@pytest.mark.parametrize("example, lost_fields, comes_back", LOSSY.values(), ids=LOSSY.keys())
def test_every_loss_is_reported(example, lost_fields, comes_back):
    converted = to_sharegpt(example, part="sft/train", index=5)
    assert [loss.field for loss in converted.losses] == lost_fields
    assert all(loss.format == "sharegpt" and loss.part == "sft/train" and loss.index == 5 and loss.detail
               for loss in converted.losses)
    if comes_back is None:
        assert converted.record is None
        assert "not written" in converted.losses[-1].detail
    else:
        assert follows_llamafactory_rules(converted.record)
        assert from_sharegpt(converted.record) == comes_back


def test_unexplained_difference_is_caught_by_the_round_trip_check():
    # No specific rule covers "tools": null; the re-import comparison reports it anyway.
    detail = to_sharegpt(LOSSY["null tools"][0]).losses[-1].detail
    assert detail == "differs after a ShareGPT round trip"


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"role": "assistant", "tool_calls": {"id": "call_1"}}, "messages[1].tool_calls"),
        ({"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function"}]}, "messages[1].tool_calls[0]"),
        ({"role": "assistant", "tool_calls": [{"function": {"name": 7, "arguments": "{}"}}]},
         "messages[1].tool_calls[0]"),
    ],
)
def test_malformed_tool_calls_are_refused_with_their_place(bad, field):
    example = {"messages": [user("A12?"), bad, tool("shipped", "call_1"), assistant("Shipped.")]}
    with pytest.raises(InputError) as info:
        to_sharegpt(example, part="sft/train", index=4)
    assert (info.value.file, info.value.line, info.value.field) == ("sft/train", 5, field)


def test_import_reads_system_column_and_llamafactory_style_records():
    record = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}],
              "system": "Be warm.", "tools": ""}
    assert from_sharegpt(record) == {"messages": [{"role": "system", "content": "Be warm."}, user("Hi"),
                                                  assistant("Hey")]}


@pytest.mark.parametrize(
    "record, field",
    [
        ({"conversations": [{"from": "bot", "value": "x"}]}, "conversations[0].from"),
        ({"conversations": [{"from": "human", "value": 3}]}, "conversations[0]"),
        ({"conversations": [{"from": "human", "value": "?"}, {"from": "function_call", "value": "nope"}]},
         "conversations[1]"),
        ({"conversations": [{"from": "human", "value": "?"}, {"from": "function_call", "value": '{"x": 1}'}]},
         "conversations[1]"),
        ({"conversations": "Hi"}, "conversations"),
        ({"conversations": [], "tools": "[broken"}, "tools"),
    ],
)
def test_bad_records_name_the_field(record, field):
    with pytest.raises(DataFormatError) as info:
        from_sharegpt(record, file="sft_train.json", line=3)
    assert (info.value.file, info.value.line, info.value.field) == ("sft_train.json", 3, field)


def test_files_round_trip_and_report_losses(tmp_path):
    examples = list(LOSSLESS.values())[:5] + [WEIGHTED, LOSSY["two users in a row"][0]]
    written, losses = write_sharegpt(examples, tmp_path / "sft_train.json", part="sft/train")
    assert written == 6
    assert [(loss.index, loss.field) for loss in losses] == [
        (5, "messages[2].weight"), (5, "messages[4].weight"), (6, "messages")]
    back = list(read_sharegpt(tmp_path / "sft_train.json"))
    assert back[:5] == examples[:5] and back[5] == LOSSY["weights"][2]
    records = json.loads((tmp_path / "sft_train.json").read_text(encoding="utf-8"))
    (tmp_path / "lines.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert list(read_sharegpt(tmp_path / "lines.jsonl")) == back


def test_dataset_info_follows_llamafactory_readme():
    info = dataset_info([("shop_sft_train", "sft_train.json", False), ("shop_dpo_train", "dpo_train.json", True)])
    assert info["shop_sft_train"] == {
        "file_name": "sft_train.json", "formatting": "sharegpt",
        "columns": {"messages": "conversations", "tools": "tools"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"}}
    assert info["shop_dpo_train"]["ranking"] is True
    assert info["shop_dpo_train"]["columns"] == {"messages": "conversations", "tools": "tools",
                                                 "chosen": "chosen", "rejected": "rejected"}


@settings(max_examples=300, deadline=None)
@given(EXAMPLE)
def test_random_examples_never_lose_anything_silently(example):
    converted = to_sharegpt(example)
    if converted.record is None:
        assert converted.losses and "not written" in converted.losses[-1].detail
        return
    assert follows_llamafactory_rules(converted.record)
    back = from_sharegpt(json.loads(json.dumps(converted.record)))
    # Every difference after the round trip lies under a reported field...
    assert differences(example, back, ignore=tuple(loss.field for loss in converted.losses)) == []
    # ...and the specific rules explain it: the generic re-import check is not what caught it.
    assert not [loss for loss in converted.losses if loss.detail == "differs after a ShareGPT round trip"]
