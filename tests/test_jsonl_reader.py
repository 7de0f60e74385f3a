"""One table of JSONL edge cases, run through every caller that reads training files: they must agree.

Callers: the generic reader (:func:`nbtools.jsonl.iter_records`), the validator (:func:`nbtools.validate_file`),
the server's upload check (:func:`nbtools.server.routes.files.check_jsonl_start`, which reads the first line only)
and the training engine's loader (:func:`nbtools.server.engine.data.tokenize_sft_file`, with the real tokenizer).
Each case is a file of good examples with one odd line, placed first and in the middle; the expectation is either
"accepted, with these examples" or "refused at this line, for this reason".
"""

from __future__ import annotations

import io
import json

import pytest

from nbtools.errors import DataFormatError, InputError, JsonlError
from nbtools.jsonl import BLANK, MAX_LINE_BYTES, append_jsonl, iter_lines, iter_records, parse_line, read_jsonl, write_jsonl
from nbtools.validate import validate_file

N_GOOD = 4


def example(i: int) -> dict:
    return {"messages": [{"role": "user", "content": f"Where is order {i}? café ☕"},
                         {"role": "assistant", "content": f"Hey there! Order {i} ships today."}]}


GOOD = [json.dumps(example(i), ensure_ascii=False).encode() for i in range(N_GOOD)]
BOM = b"\xef\xbb\xbf"

# name, the odd line (bytes, without its line end), line end, refusal code (None: accepted)
CASES = [
    ("plain", GOOD[0], b"\n", None),
    ("CRLF", GOOD[0], b"\r\n", None),
    ("blank line", b"", b"\n", None),
    ("blank CRLF line", b"", b"\r\n", None),
    ("whitespace-only line", b" \t ", b"\n", None),
    ("trailing whitespace", GOOD[0] + b" \t  ", b"\r\n", None),
    ("leading whitespace", b"   " + GOOD[0], b"\n", None),
    ("invalid UTF-8", '{"messages": [{"role": "user", "content": "café"}]}'.encode("latin-1"), b"\n", "not_utf8"),
    ("over-long line", b'{"messages": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}', b"\n", "line_too_long"),
    ("JSON array", b"[1, 2]", b"\n", "not_an_object"),
    ("JSON string", b'"hello"', b"\r\n", "not_an_object"),
    ("JSON null", b"null", b"\n", "not_an_object"),
    ("broken JSON", b'{"messages": [{"role": "user", "content": "Hi"', b"\n", "invalid_json"),
    ("trailing comma", b'{"messages": [],}', b"\n", "invalid_json"),
    ("NaN", b'{"messages": NaN}', b"\n", "invalid_json"),
    ("binary line", b"\x00\x01\x02binary", b"\n", "binary_content"),
    ("BOM not at the start", BOM + GOOD[0], b"\n", "invalid_json"),
]
BLANKS = {"blank line", "blank CRLF line", "whitespace-only line"}


def build(case, where: str, *, bom: bool) -> tuple[bytes, int, list[dict], str | None]:
    """File bytes with the odd line first or in the middle (line 3); returns (bytes, its line, expected records,
    expected refusal code)."""
    name, odd, end, code = case
    if name == "BOM not at the start" and where == "first" and not bom:
        code = None  # then it is at the start
    lines = [g + b"\r\n" for g in GOOD]  # the good lines are CRLF too: a Windows editor's file
    at = 0 if where == "first" else 2
    lines.insert(at, odd + end)
    data = (BOM if bom else b"") + b"".join(lines)
    expected = [example(i) for i in range(N_GOOD)]
    if code is None and name not in BLANKS:
        expected.insert(at, example(0))
    return data, at + 1, expected, code


# -- the callers, each reduced to ("ok", records or count) or ("refused", line, code) --------------------------------

def via_reader(path):
    try:
        return ("ok", [record for _, record in iter_records(path)])
    except JsonlError as problem:
        return ("refused", problem.line, problem.code)


def via_validator(path):
    report = validate_file(path, min_examples=1)
    if report.ok:
        return ("ok", report.n_examples)
    first = report.errors[0]
    return ("refused", first.line, first.code)


def via_upload_check(path):
    from nbtools.server.errors import APIError
    from nbtools.server.routes.files import check_jsonl_start

    try:
        check_jsonl_start(path)
    except APIError as refused:
        return ("refused", refused)
    return ("ok",)


@pytest.fixture(scope="module")
def tokenizer():
    from nbtools.server.engine.models import load_tokenizer_for

    return load_tokenizer_for("smollm2-135m-instruct")


def via_engine(path, tokenizer):
    from nbtools.server.engine.data import tokenize_sft_file

    try:
        data = tokenize_sft_file(path, tokenizer, max_length=256)
    except JsonlError as problem:
        return ("refused", problem.line, problem.code)
    return ("ok", len(data.examples))


IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("bom", [False, True], ids=["no BOM", "BOM"])
@pytest.mark.parametrize("where", ["first", "middle"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reader_validator_and_upload_check_agree(tmp_path, case, where, bom):
    data, line, expected, code = build(case, where, bom=bom)
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    reader = via_reader(path)
    validator = via_validator(path)
    upload = via_upload_check(path)
    if code is None:
        assert reader == ("ok", expected)
        assert validator == ("ok", len(expected))
        assert upload == ("ok",)
    else:
        assert reader == ("refused", line, code)
        if code == "binary_content" and where == "first":  # the validator judges such a file binary as a whole
            assert validator == ("refused", None, "binary_file")
        else:
            assert validator == ("refused", line, code)
        if where == "first" or code == "binary_content":  # the upload check reads the first line (and sniffs NULs)
            assert upload[0] == "refused" and upload[1].status == 400
            if code != "binary_content":
                assert f"Line {line} " in str(upload[1])
        else:
            assert upload == ("ok",)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["first", "middle"])
@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "over-long line"], ids=[i for i in IDS
                                                                                     if i != "over-long line"])
def test_the_engine_reads_what_the_validator_accepts(tmp_path, tokenizer, case, where):
    data, line, expected, code = build(case, where, bom=True)
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    engine = via_engine(path, tokenizer)
    assert engine == (("ok", len(expected)) if code is None else ("refused", line, code))
    if not (code == "binary_content" and where == "first"):
        assert via_validator(path) == (engine if code else ("ok", engine[1]))


def test_the_engine_refuses_an_over_long_line_as_the_validator_does(tmp_path):
    from nbtools.server.engine.data import tokenize_sft_file

    data, line, _, _ = build(CASES[IDS.index("over-long line")], "first", bom=True)
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    with pytest.raises(JsonlError) as caught:  # refused while reading, before the tokenizer is touched
        tokenize_sft_file(path, tokenizer=None, max_length=256)
    assert (caught.value.line, caught.value.code, caught.value.file) == (line, "line_too_long", "train.jsonl")
    assert via_validator(path) == ("refused", line, "line_too_long")


# -- the reader's own contract ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "first", "expected"), [
    (BOM + b'{"a": 1}\r\n', True, {"a": 1}),
    (b'{"a": 1}', False, {"a": 1}),
    (b"\r\n", False, BLANK),
    (b"", False, BLANK),
    (b"[1]\n", False, [1]),
    (b"0\n", False, 0),
])
def test_parse_line_values(raw, first, expected):
    assert parse_line(raw, first=first) == expected if expected is not BLANK else parse_line(raw) is BLANK


@pytest.mark.parametrize(("raw", "code", "reason"), [
    (b'{"a": 1', "invalid_json", "line is not valid JSON: the line ends at column 8 before the JSON value does"),
    (b'{"a": "b', "invalid_json", "line is not valid JSON: the line ends at column 9"),
    (b'{"a" 1}', "invalid_json", "line is not valid JSON: Expecting ':' delimiter at column 6"),
    (b'{"a": "\xe9"}', "not_utf8", "line is not valid UTF-8 (byte 7)"),
    (b"\x00{}", "binary_content", "line holds binary data (NUL bytes), not JSON text"),
    (None, "line_too_long", "line is 20.0 MiB, over the 16 MiB a line may hold"),
])
def test_parse_line_refusals_say_why(raw, code, reason):
    with pytest.raises(JsonlError) as caught:
        parse_line(raw, size=20 * 2**20, file="x.jsonl", line=7)
    assert caught.value.code == code and caught.value.reason.startswith(reason)
    assert str(caught.value).startswith(f"x.jsonl, line 7: {reason}")
    assert isinstance(caught.value, DataFormatError)


def test_iter_lines_splits_byte_ranges_at_line_starts_and_skips_long_lines_in_pieces():
    data = b'{"a": 1}\n' + b"y" * 50 + b"\n" + b'{"b": 2}\r\n' + b"{}"
    f = io.BytesIO(data)
    assert list(iter_lines(f, max_line_bytes=20)) == [(b'{"a": 1}\n', 9), (None, 51), (b'{"b": 2}\r\n', 10),
                                                      (b"{}", 2)]
    assert [raw for raw, _ in iter_lines(f, 60, None)] == [b'{"b": 2}\r\n', b"{}"]
    assert [raw for raw, _ in iter_lines(f, 0, 9)] == [b'{"a": 1}\n']


def test_report_mode_yields_bad_lines_and_goes_on(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(BOM + b'{"a": 1}\r\n[2]\r\n\r\n{oops\r\n{"a": 3}\r\n')
    got = list(iter_records(path, errors="report"))
    assert [n for n, _ in got] == [1, 2, 4, 5]
    assert got[0][1] == {"a": 1} and got[3][1] == {"a": 3}
    assert [got[1][1].code, got[2][1].code] == ["not_an_object", "invalid_json"]
    with pytest.raises(JsonlError, match="line 2: line is a JSON array, not an object"):
        list(read_jsonl(path))


def test_errors_name_the_file_as_asked_and_a_missing_file_is_an_input_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"{}\n{bad\n")
    with pytest.raises(JsonlError, match=r"^train\.jsonl, line 2: "):
        list(iter_records(path, name="train.jsonl"))
    with pytest.raises(InputError, match="no such file"):
        list(iter_records(tmp_path / "none.jsonl"))


def test_writers_write_what_the_reader_reads(tmp_path):
    path = tmp_path / "sub" / "x.jsonl"
    records = [{"text": "Café ☕\u2028next", "n": 1}, {"text": "line\nbreak"}]
    assert write_jsonl(records, path) == 2
    assert list(read_jsonl(path)) == records
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # a file whose last line lost its line end
    assert append_jsonl([{"b": 2, "a": 1}], path, sort_keys=True) == 1
    assert path.read_bytes().endswith(b'}\n{"a": 1, "b": 2}\n')
    assert list(read_jsonl(path)) == records + [{"a": 1, "b": 2}]
    assert append_jsonl([], tmp_path / "new" / "y.jsonl") == 0
