"""The dataset card is a valid Hugging Face card whose configs point at the files, and it says what was lost."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from huggingface_hub import DatasetCard

from nbtools.export import ExportOptions, export_dataset
from nbtools.export.card import size_category

SFT = [{"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": "A", "weight": 1}]}
       for i in range(4)]
DPO = [{"input": {"messages": [{"role": "user", "content": "Refund?"}]},
        "preferred_output": [{"role": "assistant", "content": "Sure."}],
        "non_preferred_output": [{"role": "assistant", "content": "No."}]}]


@dataclass(frozen=True)
class FakeStep:
    step: str
    settings: dict


@pytest.fixture()
def card(tmp_path):
    options = ExportOptions(name="brewtiful-support", description="Support chats of a fictional coffee shop.",
                            license="cc-by-4.0", language=("en", "fr"))
    cleaning = {"steps": [{"step": "pii", "settings": {"email": True}, "dropped": 0},
                          {"step": "dedup", "settings": {"threshold": 0.9}, "dropped": 3}]}
    result = export_dataset(tmp_path / "out", train=SFT, dpo_train=DPO, cleaning=cleaning, options=options)
    return result, DatasetCard.load(result.card_path)


def test_front_matter(card):
    result, loaded = card
    assert loaded.data.license == "cc-by-4.0"
    assert loaded.data.language == ["en", "fr"]
    assert loaded.data.task_categories == ["text-generation"]
    assert loaded.data.pretty_name == "brewtiful-support"
    assert loaded.data.size_categories == ["n<1K"]
    configs = {c["config_name"]: c for c in loaded.data.configs}
    assert configs["sft"]["default"] is True
    assert configs["sft"]["data_files"] == [{"split": "train", "path": "sft/train.jsonl"}]
    assert configs["dpo"]["data_files"] == [{"split": "train", "path": "dpo/train.jsonl"}]
    for config in configs.values():
        assert all((result.out_dir / f["path"]).is_file() for f in config["data_files"])


def test_body_sections(card):
    _, loaded = card
    text = loaded.text
    for heading in ("## Contents", "## How to use it", "## Fields", "## Provenance", "## Cleaning",
                    "## Known limitations", "## Integrity"):
        assert heading in text
    assert "Support chats of a fictional coffee shop." in text
    assert "| dedup | {\"threshold\": 0.9} | 3 |" in text  # cleaning steps as a table
    assert "message_field_training: weight" in text  # Axolotl reads the OpenAI JSONL with weights
    assert "`brewtiful-support_sft_train`" in text  # LLaMA-Factory dataset names
    # ShareGPT cannot hold the weights: the card says so and points at the full list.
    assert "`messages[].weight` (4×)" in text and "llamafactory/conversion_losses.csv" in text


def test_cleaning_report_objects_and_no_losses(tmp_path):
    plain = [{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]}]
    result = export_dataset(tmp_path / "out", train=plain, cleaning=FakeStep("pii", {"email": True}),
                            options=ExportOptions(formats=("jsonl", "sharegpt")))
    text = result.card_path.read_text(encoding="utf-8")
    assert '"step": "pii"' in text  # a report that is not a list of steps is shown as JSON
    assert "no conversion losses" in text
    assert result.manifest["cleaning"] == {"step": "pii", "settings": {"email": True}}


@pytest.mark.parametrize("n, bucket", [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (99_999, "10K<n<100K"),
                                       (5_000_000, "n>1M")])
def test_size_category(n, bucket):
    assert size_category(n) == bucket
