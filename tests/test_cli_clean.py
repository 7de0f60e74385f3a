"""`nbtools clean`: files written, books balanced, steps chosen, bad input explained."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nbtools.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_clean_writes_every_file_and_the_books_balance(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", str(SAMPLES / "support_tickets.csv"), str(SAMPLES / "faq.txt"), "--out", str(out),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    cleaned = pd.read_parquet(out / "cleaned_messages.parquet")
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(cleaned) == summary["kept"] and len(pd.read_csv(out / "cleaned_messages.csv")) == summary["kept"]
    assert summary["kept"] + summary["dropped"] == summary["input_rows"]
    assert len(rejects) == summary["dropped"] + summary["unreadable_records"]
    assert json.loads((out / "cleaning_report.json").read_text())["steps"][-1]["out"] == summary["kept"]
    assert len(pd.read_csv(out / "ledger.csv")) >= summary["dropped"]


def test_step_names_are_the_default_pipeline():
    from nbtools.cli.clean import STEP_NAMES
    from nbtools.corpus import default_steps

    assert STEP_NAMES == tuple(step.name for step in default_steps())


def test_chosen_steps_only(tmp_path, capsys):
    assert main(["clean", str(SAMPLES / "faq.txt"), "--out", str(tmp_path), "--steps",
                 "fix_unicode,exact_duplicates", "--json"]) == 0
    steps = [s["step"] for s in json.loads(capsys.readouterr().out)["steps"]]
    assert steps == ["read", "fix_unicode", "exact_duplicates"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "fix_unicode,polish"], "unknown step"),
        (["--near-threshold", "0"], "threshold must be in (0, 1]"),
    ],
)
def test_bad_options_exit_2(tmp_path, capsys, args, message):
    assert main(["clean", str(SAMPLES / "faq.txt"), "--out", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err


def test_unreadable_file_exit_2(tmp_path, capsys):
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"\x00\x00binary")
    assert main(["clean", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bin.csv: binary file" in capsys.readouterr().err
