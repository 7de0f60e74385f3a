"""The sample brand's facts sheet (data/samples/facts.yaml): its schema, its regexes, its answers in the voice, and
held-out eval questions that are near no train question and no question of the sample corpus."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz, process, utils

from nbtools.corpus.readers import read_corpora

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SHEET = SAMPLES / "facts.yaml"
SIGN_OFF = "Stay grounded! ☕"
BANNED = ("per our policy", "unfortunately you", "calm down", "as previously stated", "dear customer",
          "you should have", "not our problem", "we regret to inform you")
NEAR = 80  # rapidfuzz score (0-100, ratio or token_sort_ratio) from which two questions count as near duplicates
REQUIRED = {"id": str, "statement": str, "pattern": str, "eval_questions": list, "train_questions": list,
            "answers": list}
OPTIONAL = {"contradicts": list}


@lru_cache(maxsize=1)
def sheet() -> dict:
    return yaml.safe_load(SHEET.read_text(encoding="utf-8"))


def facts() -> list[dict]:
    return sheet()["facts"]


@lru_cache(maxsize=1)
def puns() -> tuple[str, ...]:
    """The pun list of the style guide's "Coffee puns we use" section."""
    guide = (SAMPLES / "brand_style_guide.md").read_text(encoding="utf-8")
    section = guide.split("## Coffee puns we use", 1)[1].split("\n## ", 1)[0]
    return tuple(re.findall(r'^- "([^"]+)"', section, flags=re.M))


@lru_cache(maxsize=1)
def corpus_questions() -> tuple[str, ...]:
    read = read_corpora([SAMPLES / "chat_logs.jsonl", SAMPLES / "support_tickets.csv", SAMPLES / "faq.txt"])
    users = read.messages[read.messages.role == "user"].text
    return tuple(sorted(set(users)))


def nearest(question: str, pool: list[str] | tuple[str, ...]) -> tuple[str, float]:
    best = ("", 0.0)
    for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
        match = process.extractOne(question, pool, scorer=scorer, processor=utils.default_process)
        if match and match[1] > best[1]:
            best = (match[0], match[1])
    return best


def test_header_names_brand_and_source():
    assert sheet()["brand"] == "Brewtiful Coffee Co."
    assert sheet()["source"].startswith("data/samples/custom_instructions.md")
    assert 15 <= len(facts()) <= 30


@pytest.mark.parametrize("fact", facts(), ids=lambda f: f["id"])
def test_schema(fact):
    assert set(fact) <= set(REQUIRED) | set(OPTIONAL), set(fact) - set(REQUIRED) - set(OPTIONAL)
    for key, kind in {**REQUIRED, **OPTIONAL}.items():
        if key in fact:
            assert isinstance(fact[key], kind), (key, fact[key])
    assert re.fullmatch(r"[a-z][a-z0-9_]*", fact["id"])
    assert 2 <= len(fact["eval_questions"]) <= 3
    assert 5 <= len(fact["train_questions"]) <= 16
    assert 2 <= len(fact["answers"]) <= 3
    assert all(isinstance(text, str) and text.strip() for key in ("eval_questions", "train_questions", "answers")
               for text in fact[key])


def test_ids_are_unique():
    ids = [f["id"] for f in facts()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("fact", facts(), ids=lambda f: f["id"])
def test_regexes_compile_and_statement_matches(fact):
    pattern = re.compile(fact["pattern"], re.I)
    assert pattern.search(fact["statement"]), fact["statement"]
    for expression in fact.get("contradicts", []):
        contradiction = re.compile(expression, re.I)
        assert not contradiction.search(fact["statement"]), (expression, fact["statement"])


@pytest.mark.parametrize("fact", facts(), ids=lambda f: f["id"])
def test_answers_state_the_fact_and_contradict_no_fact(fact):
    """Every answer matches its pattern; no answer matches any fact's contradicts (they are topic-anchored)."""
    every_contradiction = [(f["id"], c) for f in facts() for c in f.get("contradicts", [])]
    for answer in fact["answers"]:
        assert re.search(fact["pattern"], answer, re.I), answer
        hits = [(fid, c) for fid, c in every_contradiction if re.search(c, answer, re.I)]
        assert hits == [], (answer, hits)


@pytest.mark.parametrize("fact", facts(), ids=lambda f: f["id"])
def test_answers_are_in_the_voice(fact):
    for answer in fact["answers"]:
        assert answer.startswith("Hey there! "), answer  # no customer name: the question gives none
        body, _, last = answer.rpartition("\n")
        assert last == SIGN_OFF and body.endswith("\n") and not body.endswith("\n\n"), answer
        lowered = answer.lower()
        assert [p for p in BANNED if p in lowered] == []
        assert sum(lowered.count(p) for p in puns()) <= 1, answer
        sentences = re.findall(r"[.!?](?:\s|$)", body.strip().removeprefix("Hey there!"))
        assert 1 <= len(sentences) <= 4, answer


# Wrong answers like the ones the issue reports: the facts sheet must flag them.
@pytest.mark.parametrize("fact_id, wrong", [
    ("express_shipping", "Express shipping is $10 for a 28-day stay."),
    ("international_delivery_time", "Shipping to Canada takes 24 hours."),
    ("plan_starter", "The Starter plan is $20 per delivery."),
    ("pause_length", "You can pause up to 6 months."),
    ("bloom_descale", "You can use white vinegar to descale the Bloom."),
    ("refund_time", "Your refund arrives within 10 to 14 business days."),
    ("welcome_code", "Use WELCOME10 for 10% off."),
])
def test_contradicts_flag_wrong_values(fact_id, wrong):
    fact = next(f for f in facts() if f["id"] == fact_id)
    assert not re.search(fact["pattern"], wrong, re.I)
    assert any(re.search(c, wrong, re.I) for c in fact["contradicts"]), wrong


@pytest.mark.parametrize("fact", facts(), ids=lambda f: f["id"])
def test_eval_questions_are_held_out(fact):
    train = [q for f in facts() for q in f["train_questions"]]
    for question in fact["eval_questions"]:
        for name, pool in (("train question", train), ("sample-corpus question", corpus_questions())):
            match, score = nearest(question, pool)
            assert score < NEAR, f"eval question {question!r} is near {name} {match!r} ({score:.0f})"


def test_eval_questions_are_distinct():
    questions = [q for f in facts() for q in f["eval_questions"]]
    assert len(questions) == len(set(questions))
    for i, question in enumerate(questions):
        match, score = nearest(question, questions[:i] + questions[i + 1:])
        assert score < NEAR, (question, match, score)


def test_the_loader_accepts_the_sheet():
    import nbtools

    loaded = nbtools.read_facts_sheet(SHEET)
    assert [f.id for f in loaded.facts] == [f["id"] for f in facts()]
    assert all(f.states(a) for f in loaded.facts for a in f.answers)
