"""Notebook 02's path from the sample data to train.jsonl: redaction, pseudonyms, conversations, facts pairs; the file
holds no placeholder, no greeting names a customer who gave no name, and the facts go to train only."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import nbtools

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SOURCES = [SAMPLES / n for n in ("support_tickets.csv", "chat_logs.jsonl", "faq.txt")]
GREETING = re.compile(r"^Hey there, (\w+)!")


@lru_cache(maxsize=1)
def built():
    """The notebook's calls, on the sample data (cleaning limited to the steps that change text)."""
    raw = nbtools.read_corpora(SOURCES)
    steps = [nbtools.FixUnicode(), nbtools.StripMarkup(), nbtools.StripBoilerplate(), nbtools.RedactPII(),
             nbtools.NormalizeWhitespace()]
    cleaned = nbtools.CleaningPipeline(steps).run(raw).cleaned
    pseudo = nbtools.pseudonymize(cleaned, seed=7, avoid=nbtools.RedactPII().found_values(raw.messages))
    prompts = nbtools.read_system_prompts(SAMPLES / "custom_instructions.md")
    sft = nbtools.build_sft_examples(pseudo.messages, system_prompt=prompts.short,
                                     train_on=lambda text: text.rstrip().endswith("Stay grounded! ☕"))
    split = nbtools.split_examples(sft.examples, ids=sft.ids, valid_fraction=0.15, seed=7)
    sheet = nbtools.read_facts_sheet(SAMPLES / "facts.yaml")
    facts = nbtools.fact_pairs(sheet, system_prompt=prompts.short, faq=SAMPLES / "faq.txt", seed=7,
                               train=split.train, valid=split.valid)
    return cleaned, split, facts, sheet


def test_the_cleaned_table_has_placeholders_for_audit_and_train_has_none(tmp_path):
    cleaned, split, facts, _ = built()
    assert nbtools.placeholder_counts(cleaned.text)["NAME"] > 100  # the audit copy keeps typed placeholders
    train = split.train + facts.examples
    nbtools.write_jsonl(train, tmp_path / "train.jsonl")
    nbtools.write_jsonl(split.valid, tmp_path / "valid.jsonl")
    for name in ("train.jsonl", "valid.jsonl"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert nbtools.placeholder_counts([text]) == {}, name
        report = nbtools.validate_file(tmp_path / name, min_examples=1)
        assert report.ok and "placeholder_in_target" not in report.warning_counts


def test_greetings_name_only_customers_who_gave_their_name():
    _, split, _, _ = built()
    named = 0
    for example in split.train + split.valid:
        said = ""
        for message in example["messages"]:
            if message["role"] == "user":
                said += " " + message["content"]
            elif message["role"] == "assistant":
                match = GREETING.match(message["content"])
                if match:
                    named += 1
                    assert re.search(rf"\b{match[1]}\b", said), (match[1], said)
    assert named >= 10  # the chat logs' introductions keep their (fake) names


def test_facts_go_to_train_only_and_stay_away_from_eval_questions():
    _, split, facts, sheet = built()
    valid_questions = {m["content"] for e in split.valid for m in e["messages"] if m["role"] == "user"}
    assert not set(facts.questions()) & valid_questions
    assert nbtools.near_questions(facts.questions(), sorted(valid_questions)) == []
    assert nbtools.near_questions(facts.questions(), sheet.eval_questions()) == []
    assert set(facts.dropped.reason) <= {"near a validation question", "duplicate question"}
    train_questions = {m["content"] for e in split.train for m in e["messages"] if m["role"] == "user"}
    assert not set(facts.questions()) & train_questions
    assert len(split.train) >= 200 and len(facts) + len(facts.dropped) == 375  # 350 from the sheet, 25 from the FAQ
