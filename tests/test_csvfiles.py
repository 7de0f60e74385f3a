"""The one CSV reader: every way a spreadsheet saves a file reads to the same cells, through both entry points.

The callers are the corpus reader (:func:`nbtools.read_corpus`, streaming rows) and the table importer
(:func:`nbtools.export.tables.read_table`, DataFrame chunks); both must see the same header and cells.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from nbtools.csvfiles import iter_csv_rows, read_csv, write_csv
from nbtools.errors import DataFormatError

ROWS = [{"question": "Où est ma commande ?", "answer": "Hey there!\nIt ships today."},
        {"question": "0012", "answer": ""}]
PLAIN = 'question,answer\n"Où est ma commande ?","Hey there!\nIt ships today."\n0012,\n'.encode()

# name, file bytes; every one holds ROWS
SAVED = [
    ("LF", PLAIN),
    ("CRLF", PLAIN.replace(b"\n", b"\r\n").replace(b'there!\r\nIt', b'there!\nIt')),
    ("BOM + CRLF (Excel)", b"\xef\xbb\xbf" + PLAIN.replace(b"\n", b"\r\n").replace(b'there!\r\nIt', b'there!\nIt')),
    ("blank line between rows", PLAIN.replace(b"today.\"\n", b"today.\"\n\n")),
    ("header with spaces", PLAIN.replace(b"question,answer", b" question , answer ")),
]


@pytest.mark.parametrize(("name", "data"), SAVED, ids=[s[0] for s in SAVED])
def test_both_readers_read_every_saved_form_to_the_same_cells(tmp_path, name, data):
    path = tmp_path / "faq.csv"
    path.write_bytes(data)
    streamed = [row for _, row in iter_csv_rows(path)]
    assert streamed == ROWS
    frame = read_csv(path)
    assert frame.to_dict("records") == ROWS  # strings kept as written ("0012"), empty cells "" not NaN
    chunks = list(read_csv(path, chunksize=1))
    assert pd.concat(chunks).to_dict("records") == ROWS


def test_what_write_csv_writes_both_readers_read_back(tmp_path):
    frame = pd.DataFrame({"text": ["a\rb", "c\r\nd", "☕, \"quoted\""], "n": ["1", "2", "3"]})
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    assert read_csv(path).to_dict("records") == frame.to_dict("records")
    assert [row for _, row in iter_csv_rows(path)] == frame.to_dict("records")


def test_row_reader_reports_bad_rows_with_their_line_and_goes_on(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b'q,a\r\nq1,"two\r\nlines"\r\nq2,a2,extra\r\nq3,a3\r\n')
    assert list(iter_csv_rows(path)) == [(2, {"q": "q1", "a": "two\r\nlines"}),
                                         (4, "row has 3 fields, the header has 2"), (5, {"q": "q3", "a": "a3"})]


def test_not_utf8_is_refused_by_both_readers_unless_replacing_is_asked_for(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("q,a\ncafé,ok\n".encode("latin-1"))
    for read in (lambda: read_csv(path), lambda: list(iter_csv_rows(path))):
        with pytest.raises(DataFormatError) as caught:
            read()
        assert caught.value.file == str(path)
    assert [row for _, row in iter_csv_rows(path, errors="replace")] == [{"q": "caf\ufffd", "a": "ok"}]
    assert read_csv(path, errors="replace").to_dict("records") == [{"q": "caf\ufffd", "a": "ok"}]


def test_an_empty_file_is_a_data_format_error_naming_it(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty.csv"):
        read_csv(path)
    assert list(iter_csv_rows(path)) == []
    assert read_csv(io.StringIO("a\n1\n")).to_dict("records") == [{"a": "1"}]
