"""export -> import gives the same examples in every format; Hugging Face `datasets` reads the export."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pytest

from nbtools.jsonl import read_jsonl, write_jsonl
from nbtools.errors import ConfigError, DataFormatError, InputError
from nbtools.export import (
    FORMATS,
    ExportOptions,
    export_dataset,
    import_dataset,
    read_examples,
    verify_manifest,
)
from nbtools.tokens import TokenCounter

SYSTEM = {"role": "system", "content": "You are Brewtiful Coffee Co.'s support assistant. Warm, brief."}
TOOLS = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order by id",
                                           "parameters": {"type": "object",
                                                          "properties": {"order_id": {"type": "string"}},
                                                          "required": ["order_id"]}}}]
TRAIN = [
    {"messages": [SYSTEM, {"role": "user", "content": f"Can I pause my plan for {i} weeks?"},
                  {"role": "assistant", "content": f"Hey there! Sure, {i} weeks it is. Stay grounded! ☕"}]}
    for i in range(8)
] + [
    {"messages": [SYSTEM, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Old, off-voice.",
                                                              "weight": 0},
                  {"role": "user", "content": "Again, with \"quotes\",\ncommas and lines"},
                  {"role": "assistant", "content": "Hey there! Brewing it now.", "weight": 1}]},
    {"messages": [SYSTEM, {"role": "user", "content": "Where is order A12?"},
                  {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                      "name": "lookup_order", "arguments": "{\"order_id\": \"A12\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "{\"status\": \"shipped\"}"},
                  {"role": "assistant", "content": "Hey there! It shipped today."}],
     "tools": TOOLS},
]
VALID = [{"messages": [SYSTEM, {"role": "user", "content": "Do you ship to Canada?"},
                       {"role": "assistant", "content": "Hey there! We do. Stay grounded! ☕"}]}]
DPO = [{"input": {"messages": [SYSTEM, {"role": "user", "content": f"Refund for order {i}?"}]},
        "preferred_output": [{"role": "assistant", "content": "Hey there! Refund on its way. Stay grounded! ☕"}],
        "non_preferred_output": [{"role": "assistant", "content": "Per policy, read the FAQ."}]} for i in range(3)]
REJECTS = pd.DataFrame({"row_id": ["support_tickets.csv:4:answer", "chat_logs.jsonl:9"],
                        "step": ["empty", "safety"], "reason": ["empty reply", "offensive"]})
CLEANED = pd.DataFrame({"row_id": ["a", "b", "c"], "source": ["support_tickets.csv", "faq.txt", "faq.txt"],
                        "role": ["user", "user", "assistant"], "text": ["q", "q2", "a2"]})
STAMP = ExportOptions(created_at="2026-11-01T00:00:00Z")


def without_weights(examples):
    return [{**e, "messages": [{k: v for k, v in m.items() if k != "weight"} for m in e["messages"]]}
            for e in examples]


@pytest.fixture()
def export(tmp_path):
    return export_dataset(tmp_path / "export", train=TRAIN, valid=VALID, dpo_train=DPO, dpo_valid=DPO[:1],
                          rejects=REJECTS, cleaned=CLEANED, cleaning={"steps": [{"step": "pii"}]}, options=STAMP)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_lossless_formats_round_trip(export, fmt):
    back = import_dataset(export.out_dir, format=fmt)
    assert (back.train, back.valid, back.dpo_train, back.dpo_valid) == (TRAIN, VALID, DPO, DPO[:1])
    assert back.format == fmt
    pd.testing.assert_frame_equal(back.rejects, REJECTS)


def test_sharegpt_round_trip_loses_only_the_reported_weights(export):
    back = import_dataset(export.out_dir, format="sharegpt")
    assert back.train == without_weights(TRAIN)
    assert (back.valid, back.dpo_train, back.dpo_valid) == (VALID, DPO, DPO[:1])
    losses = export.losses_frame()
    assert losses[["part", "index", "field"]].values.tolist() == [
        ["sft/train", 8, "messages[2].weight"], ["sft/train", 8, "messages[4].weight"]]
    on_disk = pd.read_csv(export.out_dir / "llamafactory" / "conversion_losses.csv")
    pd.testing.assert_frame_equal(on_disk, losses)


def test_weights_and_tool_calls_survive_the_lossless_formats(export):
    for fmt in ("jsonl", "csv", "parquet"):
        train = import_dataset(export.out_dir, format=fmt).train
        assert [m.get("weight") for m in train[8]["messages"]] == [None, None, 0, None, 1]
        assert train[9]["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"order_id": "A12"}'
        assert train[9]["tools"] == TOOLS


def test_parquet_and_jsonl_agree(export):
    for part, facts in export.manifest["parts"].items():
        assert list(read_examples(export.out_dir / facts["parquet"])) == list(
            read_examples(export.out_dir / facts["jsonl"])), part


def test_datasets_library_reads_the_export(export, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    out = export.out_dir
    train = datasets.load_dataset("json", data_files=str(out / "sft" / "train.jsonl"), split="train")
    assert train.num_rows == len(TRAIN)
    assert train[0]["messages"] == TRAIN[0]["messages"]
    by_card = datasets.load_dataset(str(out))  # the card's configs: sft (default) with train + validation
    assert {split: ds.num_rows for split, ds in by_card.items()} == {"train": len(TRAIN), "validation": len(VALID)}
    dpo = datasets.load_dataset(str(out), "dpo")
    assert dpo["train"][0]["preferred_output"] == DPO[0]["preferred_output"]
    sharegpt = datasets.load_dataset("json", data_files=str(out / "llamafactory" / "sft_train.json"), split="train")
    assert sharegpt.num_rows == len(TRAIN) and set(sharegpt.column_names) == {"conversations", "tools"}


def test_datasets_never_loads_a_stale_copy_of_a_reexported_folder(tmp_path, monkeypatch):
    # datasets caches a local folder by its name and the card's config parameters; the card's content
    # fingerprints make a changed export (or another folder with the same name) load fresh.
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    import datasets

    first, second = tmp_path / "a" / "shop", tmp_path / "b" / "shop"
    export_dataset(first, train=TRAIN[:2], options=ExportOptions(formats=("jsonl",)))
    assert datasets.load_dataset(str(first), cache_dir=str(tmp_path / "hf-cache"))["train"].num_rows == 2
    export_dataset(second, train=TRAIN[:3], options=ExportOptions(formats=("jsonl",)))
    assert datasets.load_dataset(str(second), cache_dir=str(tmp_path / "hf-cache"))["train"].num_rows == 3
    export_dataset(first, train=TRAIN[:4], options=ExportOptions(formats=("jsonl",)))
    assert datasets.load_dataset(str(first), cache_dir=str(tmp_path / "hf-cache"))["train"].num_rows == 4


def test_manifest_facts(export):
    manifest = export.manifest
    assert manifest["counts"] == {"sft/train": 10, "sft/validation": 1, "dpo/train": 3, "dpo/validation": 1,
                                  "rejects": 2, "cleaned_messages": 3}
    counter = TokenCounter.for_model("gpt-4o-mini-2024-07-18")
    billed = [counter.count_example(e).total for e in TRAIN]
    assert manifest["parts"]["sft/train"]["tokens"]["billed"]["total"] == sum(billed)
    assert manifest["parts"]["sft/train"]["tokens"]["billed"]["max"] == max(billed)
    assert manifest["sources"] == {"faq.txt": 2, "support_tickets.csv": 1}
    assert manifest["cleaning"] == {"steps": [{"step": "pii"}]}
    assert manifest["formats"] == list(FORMATS)
    info = json.loads((export.out_dir / "llamafactory" / "dataset_info.json").read_text(encoding="utf-8"))
    assert sorted(info) == manifest["llamafactory"]["datasets"]
    assert all((export.out_dir / "llamafactory" / entry["file_name"]).is_file() for entry in info.values())


def test_same_input_same_bytes_and_reexport_of_an_import_is_identical(export, tmp_path):
    again = export_dataset(tmp_path / "again", train=TRAIN, valid=VALID, dpo_train=DPO, dpo_valid=DPO[:1],
                           rejects=REJECTS, cleaned=CLEANED, cleaning={"steps": [{"step": "pii"}]}, options=STAMP)
    assert again.manifest["files"] == export.manifest["files"]
    back = import_dataset(export.out_dir)
    third = export_dataset(tmp_path / "third", train=back.train, valid=back.valid, dpo_train=back.dpo_train,
                           dpo_valid=back.dpo_valid, options=STAMP)
    hashes = {e["path"]: e["sha256"] for e in export.manifest["files"]}
    for entry in third.manifest["files"]:
        if entry["format"] in ("jsonl", "csv", "parquet", "sharegpt"):
            assert entry["sha256"] == hashes[entry["path"]], entry["path"]


def test_reexport_replaces_its_own_files_only(export):
    (export.out_dir / "my_notes.txt").write_text("keep me", encoding="utf-8")
    smaller = export_dataset(export.out_dir, train=TRAIN[:3], options=ExportOptions(formats=("jsonl",)))
    assert (export.out_dir / "my_notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not (export.out_dir / "dpo").exists()  # folders left empty go too
    assert not (export.out_dir / "tables" / "sft_train.csv").exists()
    assert import_dataset(export.out_dir).train == TRAIN[:3]
    check = verify_manifest(export.out_dir)
    assert check.ok and check.unlisted == ("my_notes.txt",)
    assert smaller.manifest["counts"] == {"sft/train": 3}


def test_import_never_reads_outside_the_export(export):
    manifest = json.loads((export.out_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["parts"]["sft/train"]["jsonl"] = "../outside.jsonl"
    (export.out_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_jsonl(TRAIN, export.out_dir.parent / "outside.jsonl")
    with pytest.raises(DataFormatError, match="outside the export"):
        import_dataset(export.out_dir, verify=False)


def test_import_refuses_a_tampered_export_unless_asked(export):
    path = export.out_dir / "sft" / "validation.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("Canada", "Canadx"), encoding="utf-8")
    with pytest.raises(DataFormatError, match="sft/validation.jsonl is changed"):
        import_dataset(export.out_dir)
    assert "Canadx" in import_dataset(export.out_dir, verify=False).valid[0]["messages"][1]["content"]


@dataclass
class FakeBuildResult:
    examples: list


@pytest.mark.parametrize(
    "make_source",
    [
        lambda tmp: TRAIN,
        lambda tmp: FakeBuildResult(TRAIN),
        lambda tmp: pd.DataFrame({"id": range(len(TRAIN)), "example": TRAIN}),  # BuildResult.to_dataframe()
        lambda tmp: pd.DataFrame({"example": [json.dumps(e) for e in TRAIN]}),
        lambda tmp: (write_jsonl(TRAIN, tmp / "in.jsonl"), tmp / "in.jsonl")[1],
        lambda tmp: str((write_jsonl(TRAIN, tmp / "in.jsonl"), tmp / "in.jsonl")[1]),
    ],
    ids=["list", "builder result", "example column", "example json column", "path", "str path"],
)
def test_example_sources(tmp_path, make_source):
    result = export_dataset(tmp_path / "out", train=make_source(tmp_path), options=ExportOptions(formats=("jsonl",)))
    assert list(read_jsonl(result.out_dir / "sft" / "train.jsonl")) == TRAIN


@dataclass(frozen=True)
class FakeCleaningReport:
    steps: tuple
    counts: pd.DataFrame
    ledger: pd.DataFrame
    kept_fraction: object


def test_cleaning_report_dataclass_with_tables(tmp_path):
    import numpy as np

    report = FakeCleaningReport(
        steps=({"step": "pii", "settings": {"email": True}},),
        counts=pd.DataFrame({"step": ["pii"], "dropped": [np.int64(2)]}),
        ledger=pd.DataFrame({"row_id": [f"r{i}" for i in range(500)], "action": "dropped"}),
        kept_fraction=np.float64(0.75))
    result = export_dataset(tmp_path / "out", train=TRAIN, cleaning=report, options=ExportOptions(formats=("jsonl",)))
    assert result.manifest["cleaning"] == {
        "steps": [{"step": "pii", "settings": {"email": True}}],
        "counts": [{"step": "pii", "dropped": 2}],
        "ledger": {"table_rows": 500, "columns": ["row_id", "action"],
                   "note": "table of 500 rows not copied into the manifest"},
        "kept_fraction": 0.75}


def test_rejects_file_is_copied_byte_for_byte(tmp_path):
    source = tmp_path / "rejects.jsonl"
    source.write_text('{"row_id": "x", "reason": "empty"}\n{"row_id": "y", "reason": "duplicate"}\n',
                      encoding="utf-8")
    result = export_dataset(tmp_path / "out", train=TRAIN, rejects=source, options=ExportOptions(formats=("jsonl",)))
    assert (result.out_dir / "rejects" / "rejects.jsonl").read_bytes() == source.read_bytes()
    assert result.manifest["rejects"] == {"path": "rejects/rejects.jsonl", "rows": 2}


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"train": []}, InputError, "training set is empty"),
        ({"train": DPO}, InputError, "a dpo example in the sft/train part"),
        ({"train": TRAIN, "dpo_train": TRAIN}, InputError, "a sft example in the dpo/train part"),
        ({"train": TRAIN + [{"prompt": "old format"}]}, InputError, "sft/train, line 11"),
        ({"train": [{"messages": [{"role": "user", "content": float("nan")}]}]}, InputError, "cannot be written"),
        ({"train": TRAIN, "rejects": [1, 2]}, InputError, "rejects must be a DataFrame"),
        ({"train": TRAIN, "cleaning": "missing_report.json"}, InputError, "no such file"),
    ],
)
def test_bad_inputs_are_refused_before_anything_is_written(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        export_dataset(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_folders_that_are_not_exports_are_left_alone(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(InputError, match="not empty and holds no nbtools export"):
        export_dataset(tmp_path / "photos", train=TRAIN)
    assert (tmp_path / "photos" / "cat.jpg").read_bytes() == b"meow"


@pytest.mark.parametrize("options", [{"formats": ("jsonl", "xlsx")}, {"name": "../escape"}])
def test_bad_options(options):
    with pytest.raises(ConfigError):
        ExportOptions(**options)


def test_import_of_single_files_detects_the_format(export):
    out = export.out_dir
    for path in ("sft/train.jsonl", "tables/sft_train.csv", "tables/sft_train.parquet"):
        assert import_dataset(out / path).train == TRAIN
    assert import_dataset(out / "llamafactory" / "sft_train.json").train == without_weights(TRAIN)
    dpo = import_dataset(out / "tables" / "dpo_train.parquet")
    assert dpo.dpo_train == DPO and dpo.train == []
    with pytest.raises(InputError, match="has no xlsx files"):
        import_dataset(out, format="xlsx")
