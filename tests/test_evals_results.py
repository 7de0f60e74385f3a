"""Eval tables without a model: the checks table from crafted answers, summaries, scores, the chart, the eval's
choice in a blind pair, and the promptfoo config's shape."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nbtools.compare import ModelSetup, Pairing
from nbtools.dataset.facts import read_facts_sheet
from nbtools.errors import InputError
from nbtools.evals import (EvalCase, EvalSuite, best_setup, check_answers_table, default_checks, eval_chart,
                           eval_choice, eval_summary, promptfoo_config, voice_rules_from_files)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SHEET = read_facts_sheet(SAMPLES / "facts.yaml")
EXPRESS = next(f for f in SHEET.facts if f.pattern == r"\$9\.95")
SUITE = EvalSuite("crafted", (EvalCase("express", EXPRESS.eval_questions[0], fact=EXPRESS.id),
                              EvalCase("pause", "Can I pause my plan?")), SHEET)
RULES = voice_rules_from_files(SAMPLES / "brand_style_guide.md", SAMPLES / "custom_instructions.md")
GOOD = f"Hey there! {EXPRESS.statement}\n\nStay grounded! ☕"

ANSWERS = pd.DataFrame([
    {"case_id": "express", "setup": "tuned", "model": "ft:m", "output": GOOD, "finish_reason": "stop", "error": None},
    {"case_id": "pause", "setup": "tuned", "model": "ft:m", "output": "Hey there, [NAME]! Yes.", "finish_reason": "stop",
     "error": None},
    {"case_id": "express", "setup": "base", "model": "m", "output": "Express shipping is fast fast fast",
     "finish_reason": "length", "error": None},
    {"case_id": "pause", "setup": "base", "model": "m", "output": None, "finish_reason": None,
     "error": "set-up 'base' could not reach http://127.0.0.1:9/v1"},
])


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return check_answers_table(SUITE, ANSWERS, default_checks(RULES))


def test_one_row_per_answer_and_check(table):
    per_answer = table.groupby(["case_id", "setup"])["check"].apply(list).to_dict()
    common = ["stopped", "no_placeholder", "no_pii", "no_loop", "no_invented_name", "voice"]
    assert per_answer[("express", "tuned")] == common + ["fact"]  # the fact check only where a fact is needed
    assert per_answer[("pause", "tuned")] == common


@pytest.mark.parametrize("case_id, setup, check, passed, why", [
    ("express", "tuned", "fact", True, "states"),
    ("express", "tuned", "voice", True, "in the voice"),
    ("pause", "tuned", "no_placeholder", False, "[NAME]"),
    ("express", "base", "stopped", False, "cut at max_tokens"),
    ("express", "base", "fact", False, "does not state"),
    ("pause", "base", "no_loop", False, "no answer: set-up 'base' could not reach"),  # a failed request fails all
])
def test_verdicts(table, case_id, setup, check, passed, why):
    row = table.query("case_id == @case_id and setup == @setup and check == @check").iloc[0]
    assert bool(row["passed"]) is passed
    assert why in row["reason"]


def test_summary_scores_and_best(table):
    summary = eval_summary(table).set_index("setup")
    assert summary.loc["tuned", "fact"] == 100.0 and summary.loc["tuned", "no_placeholder"] == 50.0
    assert summary.loc["base", "stopped"] == 0.0 and summary.loc["tuned", "all checks"] == 50.0
    assert summary.loc["tuned", "answers"] == 2
    assert best_setup(table)["setup"] == "tuned" and best_setup(table, among=["base"])["setup"] == "base"
    with pytest.raises(InputError, match="field among"):
        best_setup(table, among=["nope"])


def test_chart_is_titled_and_labelled(table):
    figure = eval_chart(table)
    assert figure.layout.title.text and figure.layout.xaxis.title.text == "check"
    assert figure.layout.yaxis.title.text == "answers passing (%)" and [t.name for t in figure.data] == ["tuned", "base"]
    assert list(figure.data[0].x)[-1] == "all checks"


@pytest.mark.parametrize("left, right, choice", [("tuned", "base", "left"), ("base", "tuned", "right"),
                                                 ("tuned", "tuned", "tie")])
def test_eval_choice(left, right, choice):
    table = check_answers_table(SUITE, ANSWERS, default_checks(RULES))
    pairing = Pairing("p", 0, SUITE.cases[0].question, left, "x", "a", right, "y", "b", False, 0)
    assert eval_choice(table, pairing) == choice


def test_a_suite_that_is_not_in_the_table_is_refused():
    with pytest.raises(InputError, match="not an eval table"):
        eval_summary(pd.DataFrame({"setup": ["a"]}))


def test_promptfoo_config_shape():
    setups = [ModelSetup("base", "smollm2-135m-instruct"), ModelSetup("tuned", "ft:x", "You help.")]
    config = promptfoo_config(SUITE, setups, base_url="http://127.0.0.1:8000/v1/", voice=RULES, max_tokens=50)
    assert [p["id"] for p in config["providers"]] == ["openai:chat:smollm2-135m-instruct", "openai:chat:ft:x"]
    assert {p["config"]["apiBaseUrl"] for p in config["providers"]} == {"http://127.0.0.1:8000/v1"}
    assert all(p["config"]["apiKeyEnvar"] == "NBTOOLS_API_KEY" and "apiKey" not in p["config"]
               for p in config["providers"])
    assert [p["prompts"] for p in config["providers"]] == [["chat-base"], ["chat-tuned"]]
    [express, pause] = config["tests"]
    assert express["vars"]["question"] == SUITE.cases[0].question
    assert [a["metric"] for a in express["assert"]] == ["stopped", "no_placeholder", "no_pii", "no_loop",
                                                       "no_invented_name", "voice", "fact"]
    assert [a["metric"] for a in pause["assert"]][-1] == "voice" and express["assert"][0]["type"] == "finish-reason"
    with pytest.raises(InputError, match="field base_url"):
        promptfoo_config(SUITE, setups, base_url="127.0.0.1:8000")
