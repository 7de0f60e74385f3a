"""Reading eval suites: YAML and JSON Lines files, the facts sheet, a validation split; bad files name file/line/field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtools.errors import DataFormatError, InputError
from nbtools.dataset.facts import read_facts_sheet
from nbtools.evals import EvalCase, EvalSuite, facts_suite, read_suite, validation_suite

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

FACTS = """brand: Brewtiful
source: crafted for the tests
facts:
  - id: express_shipping
    statement: Express takes 1 to 2 business days for $9.95.
    pattern: '\\$9\\.95'
    contradicts: ['express[^.]*\\$(?!9\\.95)\\d+']
    eval_questions: ["How much does express shipping cost?", "Fastest shipping price?"]
    train_questions: ["Is express shipping expensive?"]
    answers: ["Hey there! Express is $9.95."]
"""


@pytest.fixture
def facts_file(tmp_path) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS, encoding="utf-8")
    return path


def test_a_yaml_suite_with_context_and_facts(tmp_path, facts_file):
    path = tmp_path / "suite.yaml"
    path.write_text("""name: spot-check
facts: facts.yaml
cases:
  - question: How much does express shipping cost?
    fact: express_shipping
  - id: pause
    context:
      - {role: user, content: "Hi, I'm Dana."}
      - {role: assistant, content: "Hey there, Dana!"}
    question: Can I pause my plan?
""", encoding="utf-8")
    suite = read_suite(path)
    assert suite.name == "spot-check" and [c.id for c in suite.cases] == ["case-1", "pause"]
    assert suite.cases[0].fact == "express_shipping" and suite.facts.fact("express_shipping").pattern == r"\$9\.95"
    assert suite.cases[1].context[0] == {"role": "user", "content": "Hi, I'm Dana."}


def test_a_jsonl_suite(tmp_path, facts_file):
    path = tmp_path / "suite.jsonl"
    path.write_text(json.dumps({"question": "Express price?", "fact": "express_shipping"}) + "\n\n"
                    + json.dumps({"id": "q2", "question": "Can I pause?"}) + "\n", encoding="utf-8")
    suite = read_suite(path, facts=facts_file)
    assert [(c.id, c.fact) for c in suite.cases] == [("case-1", "express_shipping"), ("q2", None)]


@pytest.mark.parametrize("name, text, line, field, words", [
    ("suite.yaml", "cases:\n  - question: Hi?\n  - question: ''\n", 3, "cases.1.question", "at least 1 character"),
    ("suite.yaml", "cases:\n  - question: Hi?\n    colour: red\n", 3, "cases.0.colour", "Extra inputs"),
    ("suite.yaml", "cases:\n  - question: Hi?\n    context:\n      - {role: customer, content: x}\n", 4,
     "cases.0.context.0.role", "Input should be"),
    ("suite.yaml", "cases:\n  - question: Hi?\n    fact: express_shipping\n", 2, "fact", "no facts sheet"),
    ("suite.yaml", "cases:\n  - question: Hi\n   - question: Ho\n", 3, None, "not valid YAML"),
    ("suite.yaml", "cases: []\n", 1, "cases", "at least 1 item"),
    ("suite.yaml", "cases:\n  - {id: a, question: 'Hi?'}\n  - {id: a, question: 'Ho?'}\n", 3, "id", "unique"),
    ("suite.jsonl", '{"question": "Hi?"}\n{"question": 5}\n', 2, "question", "valid string"),
    ("suite.jsonl", '{"question": "Hi?"}\nnot json\n', 2, None, "not JSON"),
])
def test_a_bad_suite_file_names_file_line_and_field(tmp_path, name, text, line, field, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFormatError) as caught:
        read_suite(path)
    error = caught.value
    assert error.file == str(path) and error.line == line and error.field == field, str(error)
    assert words in str(error) and str(path) in str(error)


def test_a_case_naming_an_unknown_fact_is_refused(tmp_path, facts_file):
    path = tmp_path / "suite.yaml"
    path.write_text("facts: facts.yaml\ncases:\n  - question: Hi?\n  - question: Ho?\n    fact: nope\n")
    with pytest.raises(DataFormatError, match=r"line 4, field fact: no such fact .*\(got 'nope'\)"):
        read_suite(path)


def test_the_sample_facts_sheet_becomes_a_suite_of_its_held_out_questions():
    sheet = read_facts_sheet(SAMPLES / "facts.yaml")
    suite = facts_suite(sheet, per_fact=1)
    assert len(suite.cases) == len(sheet.facts) and all(c.fact for c in suite.cases)
    assert [c.question for c in suite.cases] == [f.eval_questions[0] for f in sheet.facts]


CHAT = [
    {"messages": [{"role": "system", "content": "Be Brewtiful."}, {"role": "user", "content": "Hi, I'm Dana."},
                  {"role": "assistant", "content": "Hey there, Dana!"}, {"role": "user", "content": "Can I pause?"},
                  {"role": "assistant", "content": "Hey there, Dana! Yes.\n\nStay grounded! ☕"}]},
    {"messages": [{"role": "user", "content": "Where is my order?"}, {"role": "assistant", "content": "Hey there!"}]},
    {"messages": [{"role": "user", "content": "Where is my order?"}, {"role": "assistant", "content": "Again."}]},
]


def test_a_validation_split_becomes_a_suite_with_context(tmp_path):
    path = tmp_path / "valid.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in CHAT), encoding="utf-8")
    first = validation_suite(path)
    assert [(c.question, c.context) for c in first.cases] == [("Hi, I'm Dana.", ()), ("Where is my order?", ())]
    last = validation_suite(path, turn="last", n=1)
    [case] = last.cases
    assert case.question == "Can I pause?" and case.reference.startswith("Hey there, Dana! Yes.")
    assert case.context == ({"role": "user", "content": "Hi, I'm Dana."},
                            {"role": "assistant", "content": "Hey there, Dana!"})  # system prompt left out


def test_a_validation_file_without_chats_is_refused(tmp_path):
    path = tmp_path / "valid.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "Hi"}]}\n{"prompt": "x"}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match="line 2, field messages"):
        validation_suite(path)


def test_a_suite_checks_its_own_cases():
    with pytest.raises(InputError, match="unique"):
        EvalSuite("s", (EvalCase("a", "Hi?"), EvalCase("a", "Ho?")))
    with pytest.raises(InputError, match="no facts sheet"):
        EvalSuite("s", (EvalCase("a", "Hi?", fact="express"),))
