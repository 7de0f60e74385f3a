"""JSONL IO and the round trip build → write → validate."""

from __future__ import annotations

import pandas as pd
import pytest

from nbtools.dataset import build_dpo_pairs, build_sft_examples, build_tool_examples, read_jsonl, write_jsonl
from nbtools.errors import DataFormatError, InputError
from nbtools.validate import validate_file

from test_dataset_build import CONVERSATION, table
from test_dataset_tools import ROWS as TOOL_ROWS
from test_dataset_preference import ROWS as REVIEW_ROWS


def test_write_then_read_keeps_unicode_verbatim(tmp_path):
    records = [{"messages": [{"role": "user", "content": "Café ☕ 日本語"}]}, {"n": 2}]
    path = tmp_path / "sub" / "x.jsonl"
    assert write_jsonl(records, path) == 2
    text = path.read_text(encoding="utf-8")
    assert "Café ☕ 日本語" in text and text.endswith("\n") and text.count("\n") == 2
    assert list(read_jsonl(path)) == records
    assert not (tmp_path / "sub" / "x.jsonl.partial").exists()


@pytest.mark.parametrize("data,line,match", [
    (b'{"a": 1}\n{"a": \n', 2, "not valid JSON"),
    (b'{"a": 1}\n\n{"a": "\xe9"}\n', 3, "not valid UTF-8"),
])
def test_reader_names_file_and_line(tmp_path, data, line, match):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    with pytest.raises(DataFormatError, match=match) as info:
        list(read_jsonl(path))
    assert info.value.line == line and info.value.file == str(path)


def test_reader_skips_bom_and_blank_lines(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n\r\n{"a": 2}\r\n')
    assert list(read_jsonl(path)) == [{"a": 1}, {"a": 2}]


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_jsonl(tmp_path / "none.jsonl"))


@pytest.mark.parametrize("build,kind", [
    (lambda: build_sft_examples(table([(f"c{i}", t, r, f"{x} {i}") for i in range(12) for _, t, r, x in CONVERSATION]),
                                system_prompt="Be Brewtiful.", train_on="last"), "sft"),
    (lambda: build_tool_examples(pd.concat([TOOL_ROWS.iloc[:2]] * 6, ignore_index=True), system_prompt="Be Brewtiful."),
     "sft"),
    (lambda: build_dpo_pairs(pd.concat([REVIEW_ROWS.iloc[:2]] * 6, ignore_index=True), system_prompt="Be Brewtiful."),
     "dpo"),
])
def test_round_trip_build_write_validate(tmp_path, build, kind):
    result = build()
    path = tmp_path / "train.jsonl"
    write_jsonl(result.examples, path)
    report = validate_file(path, model="gpt-4o-mini")
    assert report.ok, [str(i) for i in report.errors]
    assert report.kind == kind and report.n_examples == len(result.examples) == report.tokens.n
    assert list(read_jsonl(path)) == result.examples
