"""`nbtools export` writes the same folder as the library, `--verify` catches tampering, bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nbtools.cli import COMMANDS, main
from nbtools.jsonl import read_jsonl, write_jsonl
from nbtools.export import import_dataset, verify_manifest

TRAIN = [{"messages": [{"role": "user", "content": f"Pause for {i} weeks?"},
                       {"role": "assistant", "content": "Hey there! Done. Stay grounded! ☕", "weight": 1}]}
         for i in range(5)]
TOOLS_TRAIN = [{"messages": [{"role": "user", "content": "Where is A12?"},
                             {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                                 "name": "lookup_order", "arguments": "{\"order_id\": \"A12\"}"}}]},
                             {"role": "tool", "tool_call_id": "call_1", "content": "shipped"},
                             {"role": "assistant", "content": "It shipped."}]}]
VALID = TRAIN[:1]
DPO = [{"input": {"messages": [{"role": "user", "content": "Refund?"}]},
        "preferred_output": [{"role": "assistant", "content": "Hey there! Sure."}],
        "non_preferred_output": [{"role": "assistant", "content": "Read the FAQ."}]}]


@pytest.fixture()
def inputs(tmp_path):
    files = {"train": tmp_path / "train.jsonl", "tools": tmp_path / "tools_train.jsonl",
             "valid": tmp_path / "valid.jsonl", "dpo": tmp_path / "dpo_train.jsonl",
             "rejects": tmp_path / "rejects.csv", "report": tmp_path / "report.json"}
    write_jsonl(TRAIN, files["train"])
    write_jsonl(TOOLS_TRAIN, files["tools"])
    write_jsonl(VALID, files["valid"])
    write_jsonl(DPO, files["dpo"])
    files["rejects"].write_text("row_id,reason\nfaq.txt:3,empty answer\n", encoding="utf-8")
    files["report"].write_text(json.dumps({"steps": [{"step": "dedup", "settings": {"threshold": 0.9}}]}),
                               encoding="utf-8")
    return files


def test_export_is_registered():
    assert "export" in COMMANDS


def test_export_json_summary_and_files(inputs, tmp_path, capsys):
    out = tmp_path / "export"
    code = main(["export", "--train", str(inputs["train"]), "--train", str(inputs["tools"]),
                 "--valid", str(inputs["valid"]), "--dpo-train", str(inputs["dpo"]),
                 "--rejects", str(inputs["rejects"]), "--cleaning-report", str(inputs["report"]),
                 "--out", str(out), "--name", "brewtiful", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"] == {"sft/train": 6, "sft/validation": 1, "dpo/train": 1, "rejects": 1}
    assert {f["path"] for f in summary["files"]} >= {"sft/train.jsonl", "llamafactory/dataset_info.json",
                                                      "rejects/rejects.csv", "README.md"}
    assert summary["format_losses"]["total"] == 6  # one weight per training example, kept out of ShareGPT
    back = import_dataset(out)
    assert back.train == TRAIN + TOOLS_TRAIN and back.valid == VALID and back.dpo_train == DPO
    assert back.manifest["cleaning"] == {"steps": [{"step": "dedup", "settings": {"threshold": 0.9}}]}
    assert (out / "rejects" / "rejects.csv").read_bytes() == inputs["rejects"].read_bytes()


def test_human_output_names_the_losses(inputs, tmp_path, capsys):
    assert main(["export", "--train", str(inputs["train"]), "--out", str(tmp_path / "o"),
                 "--formats", "jsonl,sharegpt"]) == 0
    text = capsys.readouterr().out
    assert "not kept by sharegpt: messages[].weight (5x)" in text
    assert "exported sft/train 5" in text
    assert not (tmp_path / "o" / "tables").exists()


def test_verify_passes_then_catches_a_change(inputs, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export", "--train", str(inputs["train"]), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["export", "--verify", str(out)]) == 0
    assert "all match" in capsys.readouterr().out
    path = out / "tables" / "sft_train.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Done", "Dome"), encoding="utf-8")
    assert main(["export", "--verify", str(out), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert [(p["path"], p["problem"]) for p in report["problems"]] == [("tables/sft_train.csv", "changed")]
    assert verify_manifest(out).ok is False


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "{out}"], "--train is required"),
        (["--train", "{bad}", "--out", "{out}"], "bad.jsonl, line 2: line is not valid JSON"),
        (["--train", "{missing}", "--out", "{out}"], "no such file"),
        (["--train", "{train}", "--out", "{out}", "--formats", "jsonl,xlsx"], "unknown export format"),
        (["--train", "{dpo}", "--out", "{out}"], "a dpo example in the sft/train part"),
        (["--verify", "{tmp}"], "not an nbtools export"),
    ],
)
def test_errors_are_messages_with_exit_2(inputs, tmp_path, capsys, argv, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\n{"messages": [\n', encoding="utf-8")
    names = {"out": tmp_path / "out", "bad": bad, "missing": tmp_path / "missing.jsonl", "train": inputs["train"],
             "dpo": inputs["dpo"], "tmp": tmp_path}
    code = main(["export"] + [a.format(**names) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("nbtools export: error: ") and message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_console_entry_point(inputs, tmp_path):
    result = subprocess.run([sys.executable, "-m", "nbtools", "export", "--train", str(inputs["train"]),
                             "--out", str(tmp_path / "o"), "--formats", "jsonl"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert list(read_jsonl(tmp_path / "o" / "sft" / "train.jsonl")) == TRAIN
