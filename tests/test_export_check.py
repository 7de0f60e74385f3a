"""The round-trip check tells identical, reported and silent changes apart."""

from __future__ import annotations

import hashlib
import json

import pytest

from nbtools.export import ExportOptions, check_round_trip, export_dataset

PLAIN = [{"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": f"A{i}"}]}
         for i in range(3)]
WEIGHTED = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey", "weight": 1}]}
UNWRITABLE = {"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hello?"},
                           {"role": "assistant", "content": "Hey"}]}
DPO = [{"input": {"messages": [{"role": "user", "content": "Refund?"}]},
        "preferred_output": [{"role": "assistant", "content": "Sure."}],
        "non_preferred_output": [{"role": "assistant", "content": "No."}]}]


def rows_by_format(check, part):
    return {row["format"]: row for row in check.rows if row["part"] == part}


def test_clean_export_is_identical_except_what_sharegpt_reports(tmp_path):
    train = PLAIN + [WEIGHTED, UNWRITABLE]
    export_dataset(tmp_path, train=train, valid=PLAIN[:1], dpo_train=DPO)
    check = check_round_trip(tmp_path, train=train, valid=PLAIN[:1], dpo_train=DPO)
    assert check.ok
    rows = rows_by_format(check, "sft/train")
    for fmt in ("jsonl", "csv", "parquet"):
        assert (rows[fmt]["identical"], rows[fmt]["unexplained"]) == (5, 0)
    assert {k: rows["sharegpt"][k] for k in ("expected", "imported", "identical", "changed_as_reported",
                                             "left_out_as_reported", "unexplained")} == {
        "expected": 5, "imported": 4, "identical": 3, "changed_as_reported": 1, "left_out_as_reported": 1,
        "unexplained": 0}
    assert len(check.to_dataframe()) == 4 * 3  # formats x parts


def _rewrite(out, relative, old, new):
    """Change a file AND its manifest entry, so only the round-trip comparison can notice."""
    path = out / relative
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == relative:
            data = path.read_bytes()
            entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("relative, fmt", [("tables/sft_train.csv", "csv"),
                                           ("llamafactory/sft_train.json", "sharegpt")])
def test_a_silent_change_is_unexplained(tmp_path, relative, fmt):
    export_dataset(tmp_path, train=PLAIN, options=ExportOptions(formats=("jsonl", "csv", "sharegpt")))
    _rewrite(tmp_path, relative, "A1", "B1")
    check = check_round_trip(tmp_path, train=PLAIN)
    assert not check.ok
    row = rows_by_format(check, "sft/train")[fmt]
    assert (row["identical"], row["changed_as_reported"], row["unexplained"]) == (2, 0, 1)
    assert rows_by_format(check, "sft/train")["jsonl"]["identical"] == 3


def test_inputs_that_differ_from_the_export_are_caught(tmp_path):
    export_dataset(tmp_path, train=PLAIN)
    check = check_round_trip(tmp_path, train=PLAIN[:2])
    assert not check.ok
    assert rows_by_format(check, "sft/train")["jsonl"]["unexplained"] == 1
