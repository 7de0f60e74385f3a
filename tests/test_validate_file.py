"""File-level validation: a table of bad files (each a clear, located issue, never a crash), token counts equal
tiktoken's, bounded memory on a huge line, and the same report with one or two worker processes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nbtools.errors import InputError
from nbtools.tokens import TokenCounter, get_encoding
from nbtools.validate import validate_file, validate_records


def chat(i: int, *, system: str = "You are Brewtiful Coffee's assistant.") -> dict:
    return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": f"Question {i}: where is my order?"},
                         {"role": "assistant", "content": f"Hey there! Order {i} ships today. Stay grounded! ☕"}]}


def dpo(i: int) -> dict:
    return {"input": {"messages": [{"role": "user", "content": f"Can I pause plan {i}?"}]},
            "preferred_output": [{"role": "assistant", "content": "Hey there! Sure thing."}],
            "non_preferred_output": [{"role": "assistant", "content": "Per our policy, yes."}]}


def lines(objs) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in objs)


GOOD = lines(chat(i) for i in range(12))

# (case, file bytes, severity, code, line, field)
BAD_FILES = [
    ("broken JSON", GOOD + b'{"messages": [{"role": "user", "content": "Hi"\n', "error", "invalid_json", 13, None),
    ("truncated last line", GOOD + b'{"messages": [', "error", "invalid_json", 13, None),
    ("not UTF-8", GOOD + '{"messages": [{"role": "user", "content": "café"}]}\n'.encode("latin-1"), "error",
     "not_utf8", 13, None),
    ("binary line", GOOD + b"\x00\x01\x02binary\n", "error", "binary_content", 13, None),
    ("binary file (NUL bytes)", bytes(range(256)) * 10, "error", "binary_file", None, None),
    ("gzip file", gzip.compress(GOOD), "error", "binary_file", None, None),
    ("UTF-16 file", GOOD.decode().encode("utf-16"), "error", "utf16_file", None, None),
    ("empty file", b"", "error", "empty_file", None, None),
    ("only blank lines", b"\n\n  \n", "error", "empty_file", None, None),
    ("too few examples", lines(chat(i) for i in range(3)), "error", "too_few_examples", None, None),
    ("mixed SFT and DPO", GOOD + lines([dpo(1)]), "error", "mixed_formats", 13, None),
    ("wrong types", GOOD + lines([{"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "x"}]}]),
     "error", "wrong_type", 13, "messages[0].content"),
    ("unknown role", GOOD + lines([{"messages": [{"role": "customer", "content": "hi"}]}]), "error", "unknown_role", 13,
     "messages[0].role"),
    ("JSON array line", GOOD + b"[1, 2, 3]\n", "error", "not_an_object", 13, None),
    ("BOM", b"\xef\xbb\xbf" + GOOD, "warning", "bom", 1, None),
    ("blank line", GOOD[:200] + b"\n" + GOOD[200:], None, None, None, None),  # placeholder, replaced below
    ("duplicate prompt", GOOD + lines([chat(3)]), "warning", "duplicate_prompt", 13, "messages"),
]
# a blank line in the middle of the file (after the first complete line)
_first_end = GOOD.index(b"\n") + 1
BAD_FILES[-2] = ("blank line", GOOD[:_first_end] + b"\n" + GOOD[_first_end:], "warning", "blank_line", 2, None)


@pytest.mark.parametrize("case,data,severity,code,line,field", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_gives_a_clear_located_issue(tmp_path, case, data, severity, code, line, field):
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    report = validate_file(path)
    issues = report.errors if severity == "error" else report.warnings
    found = [i for i in issues if i.code == code]
    assert found, f"{case}: {[str(i) for i in report.issues()]}"
    assert (found[0].line, found[0].field) == (line, field)
    assert str(found[0]).startswith("train.jsonl")
    assert report.ok == (severity == "warning")
    assert report.unusable == (code in ("binary_file", "utf16_file", "empty_file"))


def test_crlf_file_is_valid(tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(GOOD.replace(b"\n", b"\r\n"))
    report = validate_file(path)
    assert report.ok and report.n_examples == 12 and not report.warning_counts.get("blank_line")


def test_duplicate_prompt_names_the_earlier_line(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_bytes(GOOD + lines([chat(3), chat(3)]))
    dups = [i for i in validate_file(path).warnings if i.code == "duplicate_prompt"]
    assert [(i.line, i.message) for i in dups] == [(13, "same system and user text as line 4"),
                                                    (14, "same system and user text as line 4")]


def test_missing_file_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        validate_file(tmp_path / "nope.jsonl")


def test_issue_cap_keeps_counting(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"{broken\n" * 500)
    report = validate_file(path, max_issues_per_code=5)
    assert len([i for i in report.errors if i.code == "invalid_json"]) == 5
    assert report.error_counts["invalid_json"] == 500 and report.n_errors == 500


# ---- token counts -------------------------------------------------------------------------------------------

def cookbook_tokens(messages, encoding) -> int:
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            total += len(encoding.encode(value))
            if key == "name":
                total += 1
    return total + 3


@pytest.mark.parametrize("model,encoding", [("gpt-4o-mini", "o200k_base"), ("gpt-3.5-turbo", "cl100k_base")])
def test_token_counts_equal_tiktoken(tmp_path, model, encoding):
    examples = [chat(i, system="Sé breve. " * (i % 4)) for i in range(15)]
    examples[4]["messages"][2]["name"] = "barista_bot"
    path = tmp_path / "t.jsonl"
    path.write_bytes(lines(examples))
    report = validate_file(path, model=model)
    enc = get_encoding(encoding)
    expected = [cookbook_tokens(e["messages"], enc) for e in examples]
    assert report.tokens.totals.tolist() == expected
    assert report.tokens.trained.tolist() == [len(enc.encode(e["messages"][2]["content"])) for e in examples]
    assert report.tokens.lines.tolist() == list(range(1, 16))
    assert report.tokens.billed_total == sum(expected)


def test_token_counts_match_token_counter_for_tools_weights_and_dpo(tmp_path):
    from test_validate_rules import VALID

    examples = [VALID[name] for name in sorted(VALID) if name != "dpo"] * 2
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(lines(examples))
    counter = TokenCounter.for_model("gpt-4o-mini")
    report = validate_file(path, model="gpt-4o-mini")
    assert report.tokens.totals.tolist() == [counter.count_example(e).total for e in examples]
    assert report.tokens.trained.tolist() == [counter.count_example(e).trained for e in examples]
    dpo_report = validate_records([VALID["dpo"]] * 10, model="gpt-4o-mini")
    assert dpo_report.ok and dpo_report.kind == "dpo"
    assert dpo_report.tokens.totals.tolist() == [counter.count_example(VALID["dpo"]).total] * 10


def test_over_limit_examples_warn_with_the_choice(tmp_path):
    long_text = "espresso " * 9000  # ~9,000 tokens: over the local model's 8,192
    examples = [chat(i) for i in range(10)] + [chat(99, system=long_text)]
    report = validate_records(examples, model="gpt-3.5-turbo")
    assert report.ok and not report.warning_counts.get("over_token_limit")
    report = validate_records([chat(99, system=long_text * 2)] + examples, model="gpt-3.5-turbo")
    over = [i for i in report.warnings if i.code == "over_token_limit"]
    assert [i.line for i in over] == [1] and "drop or truncate" in over[0].hint
    assert report.tokens.n_over_limit == 1 and report.tokens.limit == 16_385


def test_unknown_model_is_refused():
    from nbtools.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError):
        validate_records([chat(1)], model="not-a-model")


# ---- streaming: bounded memory and worker processes ---------------------------------------------------------

def test_huge_line_is_reported_without_holding_it(tmp_path):
    path = tmp_path / "huge.jsonl"
    huge = b'{"messages": [{"role": "user", "content": "' + b"a" * (50 * 1024 * 1024) + b'"}]}\n'
    with path.open("wb") as f:
        f.write(lines(chat(i) for i in range(5)))
        f.write(huge)
        f.write(lines(chat(i) for i in range(5, 12)))
    script = textwrap.dedent(f"""
        import json, resource
        from nbtools.validate import validate_file
        from nbtools.tokens import get_encoding
        get_encoding("o200k_base")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = validate_file({str(path)!r})
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"growth_kb": after - before, "errors": [str(i) for i in report.errors],
                           "n_examples": report.n_examples, "counted": report.tokens.n}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["errors"] == ["huge.jsonl, line 6: line is 50.0 MiB, over the 16 MiB a line may hold; no training "
                                f"example is this long (got {len(huge)}); split or remove it"]
    assert result["n_examples"] == 13 and result["counted"] == 12
    assert result["growth_kb"] < 40 * 1024, "validating a 50 MB line must not hold it in memory"


def test_two_workers_give_the_same_report(tmp_path):
    examples = [chat(i) for i in range(3000)]
    examples[10]["messages"][1]["role"] = "customer"
    examples[2500]["messages"][2]["weight"] = "1"
    examples += [chat(7)]  # duplicate prompt of line 8, found across the two halves
    data = lines(examples)
    cut = data.index(b"\n", 5000) + 1
    data = data[:cut] + b"\n" + data[cut:]  # a blank line
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    one = validate_file(path, model="gpt-4o-mini", workers=1)
    two = validate_file(path, model="gpt-4o-mini", workers=2)
    assert one.summary() == two.summary()
    assert [str(i) for i in one.issues()] == [str(i) for i in two.issues()]
    assert np.array_equal(one.tokens.totals, two.tokens.totals)
    assert np.array_equal(one.tokens.lines, two.tokens.lines)
    assert {i.code for i in one.issues()} >= {"unknown_role", "invalid_weight", "duplicate_prompt", "blank_line"}


def test_report_table_and_summary(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(GOOD + b"{oops\n")
    report = validate_file(path, model="gpt-4o-mini")
    frame = report.to_dataframe()
    assert list(frame.columns) == ["severity", "code", "line", "field", "message", "value", "hint", "text"]
    assert frame.iloc[0]["code"] == "invalid_json" and frame.iloc[0]["line"] == 13
    summary = report.summary()
    assert summary["ok"] is False and summary["n_examples"] == 13 and summary["tokens"]["n"] == 12
    json.dumps(summary)  # JSON-ready


# the validator counts tokens during its own walk of the messages; it must equal TokenCounter.count_example
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(max_size=20)
_MESSAGE = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "developer"]), "content": _TEXT},
                          optional={"name": st.from_regex(r"[a-z_]{1,8}", fullmatch=True)}),
    st.fixed_dictionaries({"role": st.just("assistant"), "content": st.one_of(_TEXT, st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": _TEXT}), min_size=1, max_size=2))},
        optional={"weight": st.sampled_from([0, 1])}),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_MESSAGE, min_size=1, max_size=6), st.sampled_from(["o200k_base", "cl100k_base"]))
def test_counting_during_the_walk_equals_token_counter(messages, encoding):
    from nbtools.validate import check_example

    counter = TokenCounter.for_encoding(encoding)
    example = {"messages": messages + [{"role": "assistant", "content": "ok"}]}
    check = check_example(example, counter=counter)
    if check.tokens is not None:
        assert check.tokens == counter.count_example(example)


def test_records_that_are_not_json_are_reported():
    report = validate_records([chat(1), {"messages": {1, 2}}], min_examples=1)
    assert [(i.code, i.line) for i in report.errors] == [("not_json", 2)]
