"""The auto-fix: each mechanical fix listed with line, field, before and after; the result validates; unfixable
lines are reported (copied or dropped, never silently)."""

from __future__ import annotations

import json

import pytest

from nbtools.errors import InputError
from nbtools.validate import fix_file, validate_file

from test_validate_file import chat, dpo, lines

TOOL_LINE = {"messages": [
    {"role": "user", "content": "Where is BC-1?"},
    {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                          "function": {"name": "lookup_order", "arguments": {"order_id": "BC-1"}}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "{\"status\": \"shipped\"}"},
    {"role": "assistant", "content": "Hey there! It shipped."}]}

WEIGHTED = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey", "weight": 1.0},
                         {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Ciao", "weight": "0"}]}

LEGACY_DPO = {"input": dpo(1)["input"], "preferred_completion": dpo(1)["preferred_output"],
              "non_preferred_completion": dpo(1)["non_preferred_output"]}

# (case, bad line(s) placed after 10 good ones, fix action, field, before, after)
FIXES = [
    ("weight as float", lines([WEIGHTED]), "coerce_weight", "messages[1].weight", "1.0", "1"),
    ("weight as string", lines([WEIGHTED]), "coerce_weight", "messages[3].weight", "'0'", "0"),
    ("weight as boolean", lines([{"messages": [{"role": "user", "content": "Hi"},
                                               {"role": "assistant", "content": "Hey", "weight": True}]}]),
     "coerce_weight", "messages[1].weight", "True", "1"),
    ("arguments as object", lines([TOOL_LINE]), "stringify_arguments",
     "messages[1].tool_calls[0].function.arguments", "{'order_id': 'BC-1'}", '{"order_id": "BC-1"}'),
    ("blank line", b"\n", "drop_blank", None, "blank line", "dropped"),
    ("CRLF", lines([chat(50)]).replace(b"\n", b"\r\n"), "crlf", None, "\\r\\n", "\\n"),
]


@pytest.mark.parametrize("case,bad,action,field,before,after", FIXES, ids=[f[0] for f in FIXES])
def test_each_fix_is_listed_and_the_result_validates(tmp_path, case, bad, action, field, before, after):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(lines(chat(i) for i in range(10)) + bad)
    assert not validate_file(src).ok or action in ("crlf", "drop_blank")
    report = fix_file(src, dst)
    assert any((f.line, f.action, f.field, f.before, f.after) == (11, action, field, before, after)
               for f in report.fixes), [vars(f) for f in report.fixes]
    assert report.ok and validate_file(dst).ok
    assert b"\r" not in dst.read_bytes()


def test_bom_is_stripped(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + lines(chat(i) for i in range(10)))
    report = fix_file(src, dst)
    assert [(f.line, f.action) for f in report.fixes] == [(1, "strip_bom")]
    assert not dst.read_bytes().startswith(b"\xef\xbb\xbf")
    assert not validate_file(dst).warning_counts


def test_legacy_dpo_keys_are_renamed(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(lines([LEGACY_DPO] * 10))
    report = fix_file(src, dst)
    assert report.fix_counts["rename_key"] == 20
    assert "preferred_output" in json.loads(dst.read_text(encoding="utf-8").splitlines()[0])
    fixed = validate_file(dst)
    assert fixed.ok and fixed.kind == "dpo" and not fixed.warning_counts.get("legacy_key")


def test_unchanged_lines_are_copied_byte_for_byte(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    original = b'{"messages":   [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]}\n'
    src.write_bytes(original * 10)
    assert fix_file(src, dst).fixes == ()
    assert dst.read_bytes() == original * 10


@pytest.mark.parametrize("drop_invalid", [False, True])
def test_unfixable_lines_are_reported_not_silently_dropped(tmp_path, drop_invalid):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    bad_role = {"messages": [{"role": "customer", "content": "hi"}, {"role": "assistant", "content": "hey"}]}
    src.write_bytes(lines(chat(i) for i in range(10)) + b"{broken\n" + lines([bad_role]))
    report = fix_file(src, dst, drop_invalid=drop_invalid)
    assert [(i.line, i.code, i.field) for i in report.unfixable] == [
        (11, "invalid_json", None), (12, "unknown_role", "messages[0].role")]
    assert report.n_lines_in == 12
    if drop_invalid:
        assert report.n_lines_out == 10 and report.ok
        assert [(f.line, f.action) for f in report.fixes] == [(11, "drop_invalid"), (12, "drop_invalid")]
        assert validate_file(dst).ok
    else:
        assert report.n_lines_out == 12 and not report.ok and report.n_invalid_written == 2
        assert validate_file(dst).error_counts == {"invalid_json": 1, "unknown_role": 1}


def test_over_limit_examples_are_truncated_or_dropped(tmp_path):
    from nbtools.tokens import TokenCounter

    counter = TokenCounter.for_model("gpt-4o-mini")
    long_turns = {"messages": [{"role": "system", "content": "Be brief."}]}
    for k in range(6):
        long_turns["messages"] += [{"role": "user", "content": f"Question {k} " + "bean " * 100},
                                   {"role": "assistant", "content": f"Answer {k} " + "brew " * 100}]
    one_turn_too_long = {"messages": [{"role": "user", "content": "latte " * 700}, {"role": "assistant", "content": "ok"}]}
    src = tmp_path / "in.jsonl"
    src.write_bytes(lines([chat(i) for i in range(10)] + [long_turns, one_turn_too_long]))
    limit = 500
    report = fix_file(src, tmp_path / "t.jsonl", model="gpt-4o-mini", truncate_over=limit)
    assert [(f.line, f.action) for f in report.fixes] == [(11, "truncate"), (12, "drop_over_limit")]
    out = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 11
    truncated = out[10]
    assert counter.count_example(truncated).total <= limit
    assert truncated["messages"][0]["role"] == "system" and truncated["messages"][-1] == long_turns["messages"][-1]
    dropped = fix_file(src, tmp_path / "d.jsonl", model="gpt-4o-mini", truncate_over=limit, over_limit="drop")
    assert [(f.line, f.action) for f in dropped.fixes] == [(11, "drop_over_limit"), (12, "drop_over_limit")]
    assert dropped.n_lines_out == 10


def test_fix_refuses_to_overwrite_its_source(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(lines([chat(1)]))
    with pytest.raises(InputError, match="overwrite"):
        fix_file(src, src)


def test_fix_report_table(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(lines([WEIGHTED] * 10))
    frame = fix_file(src, dst, max_fixes_per_action=3).to_dataframe()
    assert list(frame.columns) == ["line", "field", "action", "before", "after"] and len(frame) == 3
