"""Run a suite against model set-ups: the compare room asks (and caches), the checks judge every answer.

Answers come from :func:`nbtools.run_comparison`, so they are cached on disk exactly like comparison runs (same
cache, same keys): re-running an eval asks only for what is missing. A case with conversation context is sent as
its turns followed by the question; its prompt in the cache key is the JSON of those turns, so two cases with the
same question after different conversations never share an answer.

    result = run_eval(client, suite, standard_setups(base, prompts, fine_tuned=ft), voice=rules)
    result.summary()   # pass rate of every check per set-up, in %
    result.table       # one row per (question, set-up, check) with the answer and the reason
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

import pandas as pd

from ..compare.cache import ResultCache
from ..compare.run import run_comparison
from ..compare.setups import ModelSetup
from ..errors import InputError
from .checks import (CHECK_ORDER, CheckFn, VoiceRules, fact_check, no_invented_name, no_loop, no_pii, no_placeholder,
                     stopped_by_itself, voice_check)
from .suite import EvalCase, EvalSuite, suite_fact

__all__ = ["EvalResult", "run_eval", "default_checks", "check_answers_table", "TABLE_COLUMNS"]

TABLE_COLUMNS = ["case_id", "question", "setup", "model", "check", "passed", "reason", "answer", "finish_reason",
                 "fact"]
_CONTEXT_TAG = "nbtools_eval_turns"


def default_checks(voice: VoiceRules | None = None) -> dict[str, CheckFn]:
    """The built-in checks that apply to every answer, by name (the voice check only when `voice` is given)."""
    checks: dict[str, CheckFn] = {"stopped": stopped_by_itself, "no_placeholder": no_placeholder, "no_pii": no_pii,
                                  "no_loop": no_loop, "no_invented_name": no_invented_name}
    if voice is not None:
        checks["voice"] = voice_check(voice)
    return checks


def _prompt_of(case: EvalCase) -> str:
    """What run_comparison sends and caches for a case: the question, or the JSON of its turns when it has context."""
    if not case.context:
        return case.question
    turns = [dict(m) for m in case.context] + [{"role": "user", "content": case.question}]
    return json.dumps({_CONTEXT_TAG: turns}, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class _InContext(ModelSetup):
    """A set-up that sends a case's conversation turns (encoded in the prompt by :func:`_prompt_of`)."""

    def messages(self, prompt: str) -> list[dict[str, str]]:
        try:
            turns = json.loads(prompt)[_CONTEXT_TAG] if prompt.startswith('{"' + _CONTEXT_TAG) else None
        except (ValueError, KeyError, TypeError):
            turns = None
        if turns is None:
            return super().messages(prompt)
        system = [{"role": "system", "content": self.system}] if self.system.strip() else []
        return system + [dict(t) for t in turns]


def _in_context(setup: ModelSetup) -> ModelSetup:
    return _InContext(**{f.name: getattr(setup, f.name) for f in dataclasses.fields(ModelSetup)})


def check_answers_table(suite: EvalSuite, answers: pd.DataFrame, checks: Mapping[str, CheckFn]) -> pd.DataFrame:
    """Every check of every answer: one row per (case, set-up, check), in case, set-up and check order.

    `answers` has one row per (case, set-up) with ``case_id``, ``setup``, ``model``, ``output``, ``finish_reason``
    and ``error`` (a failed request fails every check with its error as the reason). A case that needs a fact
    also gets the ``fact`` check against the suite's facts sheet.
    """
    cases = {c.id: c for c in suite.cases}
    facts = {c.fact: fact_check(suite_fact(suite, c.fact), suite.facts) for c in suite.cases if c.fact}
    rows = []
    for answer in answers.to_dict("records"):
        case = cases[answer["case_id"]]
        named = dict(checks) | ({"fact": facts[case.fact]} if case.fact else {})
        text = answer["output"] if isinstance(answer.get("output"), str) else ""
        error = answer.get("error")
        for name in sorted(named, key=lambda n: CHECK_ORDER.index(n) if n in CHECK_ORDER else len(CHECK_ORDER)):
            if isinstance(error, str) and error:
                passed, reason = False, f"no answer: {error}"
            else:
                passed, reason = named[name](case.question, case.context, text, answer.get("finish_reason"))
            rows.append({"case_id": case.id, "question": case.question, "setup": answer["setup"],
                         "model": answer["model"], "check": name, "passed": bool(passed), "reason": reason,
                         "answer": text, "finish_reason": answer.get("finish_reason"), "fact": case.fact})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


@dataclass(frozen=True, eq=False)  # tables inside: compare them with DataFrame.equals
class EvalResult:
    """An eval run: `table` (one row per answer and check), `answers` (run_comparison's rows, with ``case_id``)."""

    suite: EvalSuite
    table: pd.DataFrame
    answers: pd.DataFrame
    setups: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        """Pass rate (%) of each check per set-up; see :func:`nbtools.eval_summary`."""
        from .results import eval_summary

        return eval_summary(self.table)

    def write_summary(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`summary` as CSV to `path`, one row per set-up (first column: the set-up)."""
        from ..csvfiles import write_csv

        write_csv(self.summary().round(1), path)

    def scores(self) -> pd.DataFrame:
        """Per set-up: share of checks passed and of answers passing every check, best first."""
        from .results import eval_scores

        return eval_scores(self.table)

    def chart(self, *, title: str | None = None):
        """A grouped bar chart of the pass rates (plotly Figure); see :func:`nbtools.eval_chart`."""
        from .results import eval_chart

        return eval_chart(self.table, title=title or f"Eval '{self.suite.name}': pass rate per check and set-up")

    def failures(self) -> pd.DataFrame:
        """The rows of failed checks, with the answer and the reason."""
        return self.table[~self.table["passed"]].reset_index(drop=True)


def run_eval(client: Any, suite: EvalSuite, setups: Sequence[ModelSetup], *, voice: VoiceRules | None = None,
             checks: Mapping[str, CheckFn] | None = None, max_tokens: int = 120, temperature: float = 0.0,
             seed: int | None = None, cache: ResultCache | str | os.PathLike[str] | bool | None = None,
             refresh: bool = False, errors: Literal["raise", "record"] = "raise",
             concurrency: int = 4) -> EvalResult:
    """Ask every case of `suite` of every set-up (through :func:`nbtools.run_comparison`) and check the answers.

    `checks` replaces the built-in checks (:func:`default_checks` with `voice`); the fact check is added for every
    case that names a fact. `max_tokens`, `temperature`, `seed`, `cache`, `refresh` and `errors` go to
    run_comparison (``errors="record"`` keeps going past failed requests, whose checks then fail), and so does
    `concurrency`: 4 requests at once by default, which a batching server (the local one, vLLM) answers together
    (the eval checks answers, not latency).
    """
    if not isinstance(suite, EvalSuite):
        raise InputError("expected an EvalSuite (nbtools.read_suite, facts_suite or validation_suite)", field="suite",
                         value=suite)
    setups = list(setups)
    if any(c.context for c in suite.cases):
        setups = [_in_context(s) for s in setups]
    prompts = [_prompt_of(c) for c in suite.cases]
    answers = run_comparison(client, prompts, setups, max_tokens=max_tokens, temperature=temperature, seed=seed,
                             cache=cache, refresh=refresh, errors=errors, concurrency=concurrency)
    ids = [c.id for c in suite.cases]
    answers = answers.assign(case_id=[ids[i] for i in answers["prompt_id"]],
                             question=[suite.cases[i].question for i in answers["prompt_id"]])
    named = dict(checks) if checks is not None else default_checks(voice)
    table = check_answers_table(suite, answers, named)
    return EvalResult(suite, table, answers, tuple(s.label for s in setups))
