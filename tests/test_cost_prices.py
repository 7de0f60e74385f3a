"""The price table loads, validates with located errors, and resolves aliases, snapshots and ft: ids."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from nbtools.cost import load_price_table, price_for
from nbtools.errors import DataFormatError, ModelNotFoundError

BUNDLED = Path(__file__).resolve().parents[1] / "nbtools" / "data" / "prices.csv"


def _rows():
    with open(BUNDLED, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(tmp_path, rows, header=None):
    path = tmp_path / "prices.csv"
    header = header or list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_bundled_table_has_every_model_with_source_and_date():
    table = load_price_table()
    assert {"gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14",
            "gpt-3.5-turbo-0125", "smollm2-135m-instruct"} <= set(table.model)
    assert table.source.str.len().gt(0).all()
    assert table.as_of.notna().all()
    local = table[table.provider == "local"].iloc[0]
    assert local.training_per_1m_tokens == 0 and local.cpu_train_tokens_per_second > 0


@pytest.mark.parametrize(
    "name, expected",
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"),
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
        ("ft:gpt-4o-2024-08-06:acme:brand:Ajo5kvNY", "gpt-4o-2024-08-06"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc:ckpt-step-10", "gpt-4o-mini-2024-07-18"),
        ("ft:smollm2-135m-instruct:local:brand:abcd1234", "smollm2-135m-instruct"),
    ],
)
def test_price_for_resolves(name, expected):
    assert price_for(name).model == expected


def test_unknown_model_is_named_with_the_known_ones():
    with pytest.raises(ModelNotFoundError, match="'llama-9'.*gpt-4o-mini-2024-07-18"):
        price_for("llama-9")


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("training_per_1m_tokens", "three", "expected a non-negative number"),
        ("training_per_1m_tokens", "-1", "expected a non-negative number"),
        ("shutdown_date", "14/01/2027", "expected a date"),
        ("context_window", "0", "expected a non-negative number"),
        ("tokenizer", "p50k_base", "tokenizer must be one of"),
        ("model", "", "empty value"),
    ],
)
def test_bad_cells_name_file_line_and_column(tmp_path, column, value, message):
    rows = _rows()
    rows[2][column] = value
    path = _write(tmp_path, rows)
    with pytest.raises(DataFormatError) as err:
        load_price_table(path)
    text = str(err.value)
    assert str(path) in text and "line 4" in text and f"field {column}" in text and message in text


def test_missing_column_and_duplicate_model_are_located(tmp_path):
    rows = _rows()
    header = [c for c in rows[0] if c != "as_of"]
    with pytest.raises(DataFormatError, match="line 1, field header: missing column.*as_of"):
        load_price_table(_write(tmp_path, rows, header))
    rows = _rows()
    rows.append(dict(rows[0]))
    with pytest.raises(DataFormatError, match=f"line {len(rows) + 1}, field model: duplicate model"):
        load_price_table(_write(tmp_path, rows))


def test_a_users_own_table_is_used_when_passed(tmp_path):
    rows = _rows()
    rows[0]["training_per_1m_tokens"] = "99"
    path = _write(tmp_path, rows)
    assert price_for(rows[0]["model"], table=path).training_per_1m_tokens == 99.0
    assert price_for(rows[0]["model"]).training_per_1m_tokens != 99.0
    assert isinstance(price_for(rows[0]["model"], table=path).as_of, dt.date)
