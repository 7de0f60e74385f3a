"""Result files: plain and base64 CSV read the same (as the local server writes them and as the docs show them),
bad content gives a located error, and the chart is titled and labelled."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from nbtools.errors import DataFormatError
from nbtools.jobs import parse_result_file, result_figure
from nbtools.server.results import encode_result, result_csv

METRICS = [
    {"step": 1, "train_loss": 2.718281, "train_mean_token_accuracy": 0.25},
    {"step": 2, "train_loss": 1.5, "train_mean_token_accuracy": 0.5, "valid_loss": 1.75,
     "valid_mean_token_accuracy": 0.45},
    {"step": 3, "train_loss": 0.75, "train_mean_token_accuracy": 0.8125},
]
DOCS_EXAMPLE = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,1.52347,0.0,,\n2,0.57719,0.0,,\n"

ENCODINGS = [
    ("plain CSV from the server's writer", lambda: result_csv(METRICS)),
    ("base64 as the server serves it", lambda: encode_result(METRICS)),
    ("base64 wrapped at 76 columns", lambda: base64.encodebytes(result_csv(METRICS).encode())),
    ("plain CSV as bytes with a BOM", lambda: ("\ufeff" + result_csv(METRICS)).encode()),
    ("base64 as text", lambda: encode_result(METRICS).decode()),
]


@pytest.mark.parametrize("make", [m for _, m in ENCODINGS], ids=[n for n, _ in ENCODINGS])
def test_every_encoding_gives_the_same_table(make):
    frame = parse_result_file(make())
    assert list(frame.columns) == ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]
    assert frame["step"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(frame["train_loss"], [2.71828, 1.5, 0.75])  # the server rounds to 5 decimals
    np.testing.assert_allclose(frame["train_accuracy"], [0.25, 0.5, 0.8125])
    assert frame["valid_loss"].isna().tolist() == [True, False, True]


def test_the_documented_example_reads():
    frame = parse_result_file(DOCS_EXAMPLE)
    assert frame.shape == (2, 5) and frame["train_loss"].tolist() == [1.52347, 0.57719]


BAD = [
    ("neither CSV nor base64", b"hello world, this is not a result file", 1, None),
    ("base64 of something else", base64.b64encode(b"name,value\nx,1\n"), 1, None),
    ("a word in a number column", "step,train_loss\n1,0.5\n2,oops\n", 3, "train_loss"),
    ("binary", b"\xff\xfe\x00\x01", None, None),
]


@pytest.mark.parametrize("data, line, field", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_content_is_located(data, line, field):
    with pytest.raises(DataFormatError) as caught:
        parse_result_file(data, name="file-abc")
    assert caught.value.file == "file-abc" and caught.value.line == line and caught.value.field == field


def test_result_figure_is_titled_labelled_and_skips_missing_validation():
    fig = result_figure(parse_result_file(result_csv(METRICS)))
    assert fig.layout.title.text and "step" in fig.layout.xaxis.title.text and "loss" in fig.layout.yaxis.title.text
    names = {trace.name: list(trace.x) for trace in fig.data}
    assert names == {"training loss": [1, 2, 3], "validation loss": [2]}
