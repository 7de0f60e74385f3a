"""``nbtools validate``: exit codes 0/1/2, the human table, JSON output, --fix."""

from __future__ import annotations

import json

import pytest

from nbtools.cli import COMMANDS, main

from test_validate_file import GOOD, chat, lines


def run(capsys, *argv):
    code = main(["validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_registered():
    assert "validate" in COMMANDS


def test_valid_file_exits_0_with_token_summary(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_bytes(GOOD)
    code, out, _ = run(capsys, path, "--model", "gpt-4o-mini")
    assert code == 0
    assert "12 examples (sft), 0 errors, 0 warnings" in out and "billed per epoch" in out and out.rstrip().endswith("valid")


def test_errors_exit_1_and_name_line_and_field(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_bytes(GOOD + lines([{"messages": [{"role": "customer", "content": "hi"}]}]))
    code, out, _ = run(capsys, path)
    assert code == 1
    row = next(line for line in out.splitlines() if "unknown_role" in line)
    assert row.split()[:3] == ["13", "messages[0].role", "unknown_role"] and "'customer'" in row
    assert "NOT valid" in out


@pytest.mark.parametrize("data", [b"", b"\x00\x01binary" * 100])
def test_unusable_input_exits_2(tmp_path, capsys, data):
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    assert run(capsys, path)[0] == 2


def test_missing_file_exits_2_with_message(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "missing.jsonl")
    assert code == 2 and "no such file" in err


def test_json_output_is_machine_readable(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_bytes(GOOD + b"{oops\n")
    code, out, _ = run(capsys, path, "--json", "--model", "gpt-4o-mini")
    payload = json.loads(out)
    assert code == 1
    assert payload["summary"]["ok"] is False and payload["summary"]["error_counts"] == {"invalid_json": 1}
    assert payload["summary"]["tokens"]["n"] == 12
    assert payload["issues"][0]["line"] == 13 and payload["issues"][0]["code"] == "invalid_json"


def test_method_option(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_bytes(GOOD)
    code, out, _ = run(capsys, path, "--method", "dpo", "--json")
    assert code == 1 and json.loads(out)["summary"]["error_counts"]["wrong_method"] == 12


def test_fix_writes_a_valid_copy(tmp_path, capsys):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    weighted = chat(77)
    weighted["messages"][2]["weight"] = "1"
    src.write_bytes(b"\xef\xbb\xbf" + GOOD.replace(b"\n", b"\r\n") + lines([weighted]))
    code, out, _ = run(capsys, src, "--fix", dst, "--json")
    payload = json.loads(out)
    assert code == 0 and payload["summary"]["ok"] and payload["original_summary"]["ok"] is False
    assert payload["fix"]["fix_counts"] == {"strip_bom": 1, "crlf": 12, "coerce_weight": 1}
    assert dst.read_bytes().count(b"\n") == 13


def test_truncate_needs_a_model(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD)
    code, _, err = run(capsys, path, "--fix", tmp_path / "o.jsonl", "--truncate")
    assert code == 2 and "--model" in err
