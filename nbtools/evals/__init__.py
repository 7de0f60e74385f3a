"""The evaluation room: suites of questions, built-in checks, runs against any set-up, an optional LLM judge,
results as tables and charts, and export to promptfoo.

    suite = facts_suite("data/samples/facts.yaml") + validation_suite("build/workflow/valid.jsonl", n=6)
    rules = voice_rules_from_files("data/samples/brand_style_guide.md", "data/samples/custom_instructions.md")
    result = run_eval(client, suite, standard_setups(base, prompts, fine_tuned=ft), voice=rules)
    result.summary(); result.chart()
"""

from .after_training import eval_job, job_validation_suite
from .checks import (CHECK_ORDER, Verdict, VoiceRules, fact_check, find_placeholders, no_invented_name, no_loop, no_pii,
                     no_placeholder, stopped_by_itself, voice_check, voice_rules_from_files)
from .judge import Agreement, Judge, choice_agreement, judge_agreement, judge_answers, parse_score
from .promptfoo import PROMPTFOO_VERSION, promptfoo_config, write_promptfoo_config
from .results import best_setup, eval_chart, eval_choice, eval_scores, eval_summary
from .runner import EvalResult, check_answers_table, default_checks, run_eval
from .suite import EvalCase, EvalSuite, facts_suite, read_suite, suite_fact, validation_suite

__all__ = [
    "EvalCase", "EvalSuite", "suite_fact", "read_suite", "facts_suite", "validation_suite",
    "Verdict", "VoiceRules", "CHECK_ORDER", "stopped_by_itself", "no_placeholder", "no_pii", "no_loop",
    "no_invented_name", "voice_check", "fact_check", "voice_rules_from_files", "find_placeholders",
    "EvalResult", "run_eval", "default_checks", "check_answers_table",
    "eval_summary", "eval_scores", "eval_chart", "eval_choice", "best_setup",
    "Judge", "Agreement", "judge_answers", "judge_agreement", "choice_agreement", "parse_score",
    "promptfoo_config", "write_promptfoo_config", "PROMPTFOO_VERSION",
    "eval_job", "job_validation_suite",
]
