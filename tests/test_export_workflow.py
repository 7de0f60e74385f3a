"""The tutorial's build/workflow files become export inputs: every file found, none required but train.jsonl."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbtools.jsonl import write_jsonl
from nbtools.errors import InputError
from nbtools.export import ExportOptions, export_dataset, import_dataset, workflow_inputs


def chat(i):
    return {"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": f"A{i}"}]}


def pair(i):
    return {"input": {"messages": [{"role": "user", "content": f"Q{i}"}]},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}


@pytest.fixture()
def workflow(tmp_path):
    folder = tmp_path / "workflow"
    write_jsonl([chat(i) for i in range(4)], folder / "train.jsonl")
    write_jsonl([chat(10)], folder / "tools_train.jsonl")
    write_jsonl([chat(20)], folder / "train_small.jsonl")  # a subset of train: not exported twice
    write_jsonl([chat(30)], folder / "valid.jsonl")
    write_jsonl([pair(0), pair(1)], folder / "dpo_train.jsonl")
    write_jsonl([pair(9)], folder / "dpo_from_ratings.jsonl")
    pd.DataFrame({"row_id": ["x"], "reason": ["empty"]}).to_csv(folder / "rejects.csv", index=False)
    pd.DataFrame({"row_id": ["a"], "source": ["faq.txt"], "text": ["t"]}).to_parquet(
        folder / "cleaned_messages.parquet")
    (folder / "cleaning_report.json").write_text(json.dumps({"steps": [{"step": "pii"}]}), encoding="utf-8")
    return folder


def test_files_feed_the_right_parts(workflow):
    inputs = workflow_inputs(workflow)
    args = inputs.arguments
    assert args["train"] == [chat(i) for i in range(4)] + [chat(10)]
    assert args["valid"] == [chat(30)]
    assert args["dpo_train"] == [pair(0), pair(1), pair(9)]
    assert "dpo_valid" not in args
    assert args["rejects"] == workflow / "rejects.csv" and args["cleaning"] == workflow / "cleaning_report.json"
    assert inputs.to_frame().values.tolist() == [
        ["train", "train.jsonl", 4], ["train", "tools_train.jsonl", 1], ["valid", "valid.jsonl", 1],
        ["dpo_train", "dpo_train.jsonl", 2], ["dpo_train", "dpo_from_ratings.jsonl", 1],
        ["rejects", "rejects.csv", pd.NA], ["cleaned", "cleaned_messages.parquet", pd.NA],
        ["cleaning", "cleaning_report.json", pd.NA]]
    assert inputs.provenance()[:2] == ("train: train.jsonl (4), tools_train.jsonl (1)", "valid: valid.jsonl (1)")


def test_workflow_export_round_trip_and_card_provenance(workflow, tmp_path):
    inputs = workflow_inputs(workflow)
    result = export_dataset(tmp_path / "export", **inputs.arguments,
                            options=ExportOptions(provenance=inputs.provenance()))
    back = import_dataset(result.out_dir)
    assert back.parts() == {"sft/train": inputs.arguments["train"], "sft/validation": inputs.arguments["valid"],
                            "dpo/train": inputs.arguments["dpo_train"]}
    card = result.card_path.read_text(encoding="utf-8")
    assert "- dpo_train: dpo_train.jsonl (2), dpo_from_ratings.jsonl (1)" in card
    assert result.manifest["sources"] == {"faq.txt": 1}
    assert result.manifest["cleaning"] == {"steps": [{"step": "pii"}]}


def test_missing_train_says_which_notebooks_to_run(tmp_path):
    with pytest.raises(InputError, match="run notebooks 01_clean_corpus and 02_build_jsonl first"):
        workflow_inputs(tmp_path)
