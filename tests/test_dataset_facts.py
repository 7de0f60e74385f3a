"""Facts into the training data: the facts sheet's loader and its errors, the generated pairs, their provenance,
their review through the review widget, and no leakage into the eval questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbtools
from nbtools.errors import DataFormatError, InputError
from nbtools.export.manifest import provenance_summary

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "data" / "samples" / "facts.yaml"
FAQ = ROOT / "data" / "samples" / "faq.txt"
PROMPT = "You are Brewtiful Coffee Co.'s support assistant."

MINI = """brand: Demo
source: demo
facts:
  - id: express
    statement: "Express costs $9.95."
    pattern: '\\$9\\.95'
    contradicts: ['express[^.$]*\\$(?!9\\.95)\\d+']
    eval_questions: ["What does rushed delivery cost me?"]
    train_questions: ["How much is express shipping?", "Is there a faster delivery option?", "express price?"]
    answers: ["Hey there! Express is $9.95.\\n\\nStay grounded! ☕", "Hey there! It's $9.95.\\n\\nStay grounded! ☕"]
"""


@pytest.fixture(scope="module")
def sheet():
    return nbtools.read_facts_sheet(SHEET)


def test_sample_sheet_reads(sheet):
    assert sheet.brand == "Brewtiful Coffee Co." and len(sheet.facts) == 25 and len(sheet.sha256) == 64
    express = sheet.fact("express_shipping")
    assert express.states("Express is $9.95.") and express.contradicted_by("Express is $12.")
    assert express.line is not None and SHEET.read_text().splitlines()[express.line - 1].strip() == \
        "- id: express_shipping"


@pytest.mark.parametrize("edit, field, line", [
    (lambda t: t.replace("pattern: '\\$9\\.95'", "pattern: '($9'"), "facts[0].pattern", 4),
    (lambda t: t.replace("contradicts: ['express", "contradicts: ['(express"), "facts[0].contradicts[0]", 4),
    (lambda t: t.replace('    statement: "Express costs $9.95."\n', ""), "facts[0].statement", 4),
    (lambda t: t.replace("Express is $9.95.", "Express is cheap."), "facts[0].answers[0]", 4),
    (lambda t: t.replace("id: express", "id: Express Shipping"), "facts[0].id", 4),
    (lambda t: t + "    colour: blue\n", "facts[0].colour", 4),
    (lambda t: t + t[t.index("  - id"):], "facts[1].id", 11),
])
def test_bad_sheet_names_file_line_and_field(tmp_path, edit, field, line):
    path = tmp_path / "facts.yaml"
    path.write_text(edit(MINI), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        nbtools.read_facts_sheet(path)
    assert (caught.value.file, caught.value.field, caught.value.line) == (str(path), field, line)


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(InputError, match=r"x.yaml, line 2: not valid YAML: mapping values are not allowed"):
        nbtools.parse_facts_sheet("brand: a\nsource: b: c\nfacts: []\n", source="x.yaml")


def test_pairs_state_each_fact_in_the_voice(sheet):
    pairs = nbtools.fact_pairs(sheet, system_prompt=PROMPT, seed=7)
    assert len(pairs) == sum(len(f.train_questions) for f in sheet.facts) == 350
    assert pairs.summary()["facts"] == 25 and pairs.summary()["dropped"] == 0
    for example, row in zip(pairs.examples, pairs.provenance.to_dict("records")):
        system, user, assistant = example["messages"]
        fact = sheet.fact(row["fact_id"])
        assert system == {"role": "system", "content": PROMPT}
        assert user["content"] in fact.train_questions and assistant["content"] in fact.answers
        assert fact.states(assistant["content"])
        assert row["sheet"] == str(SHEET) and row["sheet_sha256"] == sheet.sha256
    # every answer of a fact is used, so the wording varies
    used = {(r["fact_id"], r["answer_field"]) for r in pairs.provenance.to_dict("records")}
    assert len(used) == sum(len(f.answers) for f in sheet.facts)


def test_no_generated_question_is_near_an_eval_question(sheet):
    pairs = nbtools.fact_pairs(sheet, system_prompt=PROMPT, faq=FAQ, seed=7)
    assert nbtools.near_questions(pairs.questions(), sheet.eval_questions()) == []
    nbtools.assert_held_out(pairs.questions(), sheet)


def test_per_fact_caps_and_seed_is_deterministic(sheet):
    assert len(nbtools.fact_pairs(sheet, per_fact=2)) == 50
    a = nbtools.fact_pairs(sheet, seed=1).examples
    assert nbtools.fact_pairs(sheet, seed=1).examples == a
    with pytest.raises(InputError, match="per_fact"):
        nbtools.fact_pairs(sheet, per_fact=0)


def test_faq_pairs_are_added_in_the_voice(sheet):
    pairs = nbtools.fact_pairs(sheet, faq=FAQ)
    faq = pairs.provenance[pairs.provenance.source == "faq"]
    # the FAQ's 25 pairs, but not the 5 questions the sheet already asks ("What if I don't like a coffee?")
    assert len(faq) == 20 and faq.question_field.str.match(r"faq\.txt, line \d+").all()
    assert pairs.dropped.reason.tolist() == ["duplicate question"] * 5
    assert "What if I don't like a coffee?" in pairs.dropped.question.tolist()
    for example in (pairs.examples[i] for i in faq.index):
        reply = example["messages"][-1]["content"]
        assert reply.startswith("Hey there! ") and reply.endswith("\n\nStay grounded! ☕")
    assert faq.set_index("question").loc["How long does US shipping take?", "fact_id"] == "standard_shipping"


def test_questions_near_eval_questions_are_dropped(tmp_path):
    sheet = nbtools.parse_facts_sheet(MINI)
    faq = tmp_path / "faq.txt"
    faq.write_text("Q: What does rushed delivery cost?\nA: Express is $9.95.\n\nQ: Do you ship abroad?\nA: Yes.\n")
    pairs = nbtools.fact_pairs(sheet, faq=faq, paraphrase=lambda q: ["what does rushed delivery cost me", q + "!!"])
    assert "What does rushed delivery cost?" not in pairs.questions()
    assert "what does rushed delivery cost me" not in pairs.questions()
    reasons = pairs.dropped.reason.tolist()
    assert reasons == ["near an eval question"] * 4
    assert pairs.dropped.detail.str.contains("'What does rushed delivery cost me\\?'").all()
    assert "Do you ship abroad?" in pairs.questions()
    assert set(pairs.provenance.generator) == {"template", "paraphrase"}


def test_review_widget_decisions_apply(tmp_path):
    """Reject one pair and edit another through the review widget's public API; paraphrases need a decision."""
    sheet = nbtools.parse_facts_sheet(MINI, source="mini.yaml")
    pairs = nbtools.fact_pairs(sheet, paraphrase=lambda q: [f"Quick one: {q.lower()}"])
    decisions = tmp_path / "decisions.jsonl"
    review = nbtools.review_widget(pairs.proposals(brand=sheet.brand), decisions)
    first = review.current
    review.reject_button.click()
    second = review.current
    review.proposed.value = "Hey there! Express costs $9.95 and takes 1 to 2 business days.\n\nStay grounded! ☕"
    review.edit_button.click()
    reviewed = pairs.reviewed(nbtools.read_decisions(decisions))
    assert first.proposal_id not in reviewed.ids and second.proposal_id in reviewed.ids
    edited = reviewed.examples[reviewed.ids.index(second.proposal_id)]["messages"][-1]["content"]
    assert "1 to 2 business days" in edited
    undecided = [i for i in pairs.ids if ":p" in i and i not in (first.proposal_id, second.proposal_id)]
    assert undecided and not set(undecided) & set(reviewed.ids)
    assert set(reviewed.dropped.reason) == {"rejected in review", "not reviewed"}


def test_provenance_sidecar(tmp_path, sheet):
    pairs = nbtools.fact_pairs(sheet, per_fact=1)
    sidecar = pairs.write_provenance(tmp_path / "train.jsonl", first_line=240)
    assert sidecar == nbtools.voice.review.provenance_path(tmp_path / "train.jsonl")
    records = [json.loads(line) for line in sidecar.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == list(range(240, 240 + 25))
    assert {r["source"] for r in records} == {"facts sheet"} and records[0]["sheet_sha256"] == sheet.sha256
    assert records[0]["proposal_id"] == pairs.ids[0] and records[0]["question_field"] == \
        "facts[0].train_questions[0]"


def test_manifest_summarises_the_provenance(tmp_path, sheet):
    pairs = nbtools.fact_pairs(sheet, faq=FAQ)
    nbtools.write_jsonl(pairs.examples, tmp_path / "train.jsonl")
    pairs.write_provenance(tmp_path / "train.jsonl")
    summary = provenance_summary(tmp_path / "train.jsonl")
    assert summary == {"dataset": "train.jsonl", "provenance": "train.provenance.jsonl", "generated_lines": 370,
                       "by_source": {"facts sheet": 350, "faq": 20}, "by_generator": {"template": 370},
                       "facts_sheets": [{"path": str(SHEET), "sha256": sheet.sha256}]}
    assert provenance_summary(tmp_path / "valid.jsonl") is None
    with open(tmp_path / "train.provenance.jsonl", "a", encoding="utf-8") as out:
        out.write('{"line": "x"}\n')
    with pytest.raises(DataFormatError) as caught:
        provenance_summary(tmp_path / "train.jsonl")
    assert (caught.value.line, caught.value.field) == (371, "line")


def test_per_fact_keeps_the_first_pairs_of_every_fact(sheet):
    pairs = nbtools.fact_pairs(sheet, system_prompt=PROMPT, faq=FAQ, seed=7)
    short = pairs.per_fact(1)
    assert sorted(short.provenance.fact_id) == sorted(f.id for f in sheet.facts)  # every fact once, no FAQ orphan
    first = {}
    for example, fact_id in zip(pairs.examples, pairs.provenance.fact_id):
        first.setdefault(fact_id, example)
    assert short.examples == [first[f] for f in short.provenance.fact_id]
    assert len(pairs.per_fact(2)) == 2 * len(sheet.facts) and short.ids[0] == pairs.ids[0]
    with pytest.raises(InputError, match="at least 1"):
        pairs.per_fact(0)
