"""CSV and Parquet tables hold every example exactly; their readable columns match the examples."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from export_strategies import dpo_example, sft_example
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nbtools.jsonl import read_jsonl, write_jsonl
from nbtools.errors import DataFormatError, InputError
from nbtools.export.tables import examples_frame, read_table, write_table
from nbtools.tokens import TokenCounter

TOOLS = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order",
                                           "parameters": {"type": "object",
                                                          "properties": {"order_id": {"type": "string"}}}}}]
SFT_EXAMPLES = [
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"}]},
    {"messages": [{"role": "system", "content": "Brewtiful support, warm and brief."},
                  {"role": "user", "content": 'Commas, "quotes", new\nlines\r\nand CRLF; tabs\there'},
                  {"role": "assistant", "content": "old answer", "weight": 0},
                  {"role": "user", "content": "Ünïcödé — 日本語 ☕ \u2028 line separator"},
                  {"role": "assistant", "content": "Stay grounded! ☕", "weight": 1}]},
    {"messages": [{"role": "user", "content": "Where is A12?"},
                  {"role": "assistant", "content": None,
                   "tool_calls": [{"id": "call_x", "type": "function",
                                   "function": {"name": "lookup_order", "arguments": "{\"order_id\":\"A12\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_x", "content": "{\"status\": \"shipped\"}"},
                  {"role": "assistant", "content": [{"type": "text", "text": "It shipped."}]}],
     "tools": TOOLS, "parallel_tool_calls": False, "metadata": {"ticket": 17}},
    {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "", "name": "barista"}],
     "tools": []},
]
DPO_EXAMPLES = [
    {"input": {"messages": [{"role": "system", "content": "Be warm."}, {"role": "user", "content": "Refund?"}],
               "tools": TOOLS},
     "preferred_output": [{"role": "assistant", "content": "Hey there! Sure."}],
     "non_preferred_output": [{"role": "assistant", "content": "Read the FAQ."}]},
]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("examples", [SFT_EXAMPLES, DPO_EXAMPLES], ids=["sft", "dpo"])
def test_table_round_trip_is_exact(tmp_path, suffix, examples):
    path = tmp_path / f"part{suffix}"
    assert write_table(examples, path) == len(examples)
    assert list(read_table(path)) == examples


def test_csv_parquet_and_jsonl_agree(tmp_path):
    write_jsonl(SFT_EXAMPLES, tmp_path / "a.jsonl")
    write_table(SFT_EXAMPLES, tmp_path / "a.csv")
    write_table(SFT_EXAMPLES, tmp_path / "a.parquet")
    from_jsonl = list(read_jsonl(tmp_path / "a.jsonl"))
    assert list(read_table(tmp_path / "a.csv")) == from_jsonl == list(read_table(tmp_path / "a.parquet"))


def test_readable_columns_and_token_counts():
    counter = TokenCounter.for_model("gpt-4o-mini")
    tokens = [counter.count_example(e) for e in SFT_EXAMPLES]
    frame = examples_frame(SFT_EXAMPLES, tokens=tokens)
    assert frame["billed_tokens"].tolist() == [t.total for t in tokens]
    assert frame["trained_tokens"].tolist() == [t.trained for t in tokens]
    assert frame.loc[1, ["system", "user", "assistant"]].tolist() == [
        "Brewtiful support, warm and brief.", SFT_EXAMPLES[1]["messages"][1]["content"], "Stay grounded! ☕"]
    assert frame["has_weights"].tolist() == [False, True, False, False]
    assert frame["has_tool_calls"].tolist() == [False, False, True, False]
    assert json.loads(frame.loc[2, "extra"]) == {"parallel_tool_calls": False, "metadata": {"ticket": 17}}
    assert pd.isna(frame.loc[0, "tools"]) and frame.loc[3, "tools"] == "[]"


def test_csv_opens_in_pandas_with_one_row_per_example(tmp_path):
    write_table(SFT_EXAMPLES, tmp_path / "t.csv")
    frame = pd.read_csv(tmp_path / "t.csv")
    assert len(frame) == len(SFT_EXAMPLES)
    assert frame["assistant"].iloc[1] == "Stay grounded! ☕"


def test_broken_json_cell_names_file_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    write_table(SFT_EXAMPLES, path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[2, "messages"] = "[{broken"
    frame.to_csv(path, index=False)
    with pytest.raises(DataFormatError) as info:
        list(read_table(path))
    assert (info.value.file, info.value.line, info.value.field) == (str(path), 4, "messages")


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"question": ["hi"], "answer": ["hey"]}), "no 'messages' or 'input' column"),
        (pd.DataFrame({"messages": ['"just text"']}), "must be a list of messages"),
        (pd.DataFrame({"messages": ["[]"], "extra": ["[1]"]}), "must hold a JSON object"),
    ],
)
def test_tables_that_are_not_exports_are_refused(tmp_path, frame, message):
    path = tmp_path / "other.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match=message):
        list(read_table(path))


def test_mixed_kinds_and_wrong_suffix_are_refused(tmp_path):
    with pytest.raises(InputError, match="not both"):
        examples_frame(SFT_EXAMPLES[:1] + DPO_EXAMPLES)
    with pytest.raises(InputError, match="end in .csv or .parquet"):
        write_table(SFT_EXAMPLES, tmp_path / "t.xlsx")
    (tmp_path / "binary.parquet").write_bytes(b"\x00\x01not parquet")
    with pytest.raises(DataFormatError, match="not a Parquet file"):
        list(read_table(tmp_path / "binary.parquet"))


@settings(max_examples=60, deadline=None)
@given(st.lists(sft_example(), min_size=1, max_size=4) | st.lists(dpo_example(), min_size=1, max_size=4))
@example([{"messages": [{"role": "user", "content": "\r"}], "metadata": {}}])  # a lone CR once split the CSV row
def test_random_examples_round_trip_through_csv_parquet_and_jsonl(examples):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_jsonl(examples, folder / "x.jsonl")
        for suffix in (".csv", ".parquet"):
            write_table(examples, folder / f"x{suffix}")
            assert list(read_table(folder / f"x{suffix}")) == examples
        assert list(read_jsonl(folder / "x.jsonl")) == examples
