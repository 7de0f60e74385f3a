"""An optional LLM judge: any chat model on any backend scores answers 1 to 5 with a reason, by a rubric.

A judge is only as good as its agreement with people, so :func:`judge_agreement` has it choose between the two
answers of every pair the user rated blind (notebook 05's ratings file) and reports how often it chose as the user
did, and Cohen's kappa (agreement corrected for chance: 1 is perfect, 0 is no better than chance).

Judge requests go through :func:`nbtools.run_comparison`, so they are cached like every answer.

    judge = Judge("gpt-4.1-mini-2025-04-14", client=nbtools.connect("openai"))
    scores = judge_answers(judge, result.answers)          # score 1-5 and reason per answer
    judge_agreement(judge, nbtools.read_ratings(RATINGS))  # Agreement(pairs=12, agreement_pct=75.0, kappa=0.6)
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from ..compare.cache import ResultCache
from ..compare.run import run_comparison
from ..compare.setups import ModelSetup
from ..errors import BackendError, InputError

__all__ = ["Judge", "Agreement", "DEFAULT_RUBRIC", "judge_answers", "judge_agreement", "choice_agreement", "parse_score"]

DEFAULT_RUBRIC = """You grade replies of a coffee company's customer-support assistant.
Score the reply from 1 (must not be sent) to 5 (send as is):
5: answers the question correctly and completely, warm and concise, no invented facts or names;
4: right and helpful, small problems of tone or length;
3: partly answers, or vague;
2: mostly wrong, off-topic or repetitive;
1: wrong, harmful, contains placeholders such as [NAME], or is cut off.
Reply with exactly two lines:
Score: <1-5>
Reason: <one sentence>"""

_SCORE = re.compile(r"score\W{0,6}([1-5])\b", re.IGNORECASE)
_REASON = re.compile(r"reason\s*:\s*(.+)", re.IGNORECASE | re.DOTALL)
_CHOICES = ("left", "right", "tie")


@dataclass(frozen=True)
class Judge:
    """A chat model that scores answers: `model` on `client`'s backend (an ``openai.OpenAI``), by `rubric`."""

    model: str
    client: Any = field(default=None, repr=False, compare=False)
    rubric: str = DEFAULT_RUBRIC
    max_tokens: int = 60

    def setup(self) -> ModelSetup:
        """The judge as a compare set-up (the rubric as its system prompt)."""
        return ModelSetup("judge", self.model, self.rubric, client=self.client)


@dataclass(frozen=True)
class Agreement:
    """How a judge's choices compare with the user's: pairs compared, agreement (%), Cohen's kappa, the table."""

    pairs: int
    agreement_pct: float
    kappa: float
    table: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)
    unscored: int = 0  # answers the judge gave no usable score for (counted as 0: such pairs are ties)

    @property
    def message(self) -> str:
        """A sentence for people."""
        if not self.pairs:
            return "no rated pairs to compare with"
        kappa = "undefined (one choice only)" if math.isnan(self.kappa) else f"{self.kappa:.2f}"
        text = f"the judge chose as you did in {self.agreement_pct:.0f}% of {self.pairs} rated pairs; Cohen's kappa {kappa}"
        return text + (f"; it gave no usable score for {self.unscored} of {2 * self.pairs} answers"
                       if self.unscored else "")


def parse_score(text: str) -> tuple[int | None, str]:
    """(score 1-5 or None, reason) from a judge's reply.

    >>> parse_score("Score: 4\\nReason: Right fact, a little long.")
    (4, 'Right fact, a little long.')
    >>> parse_score("I like it")
    (None, 'no score in the reply: I like it')
    """
    match = _SCORE.search(text or "")
    if match is None:
        return None, f"no score in the reply: {(text or '').strip()[:120]}"
    reason = _REASON.search(text)
    return int(match.group(1)), (reason.group(1).strip().splitlines()[0] if reason else text.strip())


def _judge_prompt(question: str, answer: str) -> str:
    return f"Customer message:\n{question}\n\nAssistant reply:\n{answer}"


def _ask_judge(judge: Judge, pairs: Sequence[tuple[str, str]], *, client: Any,
               cache: ResultCache | str | os.PathLike[str] | bool | None) -> list[tuple[int | None, str]]:
    if not isinstance(judge, Judge):
        raise InputError("expected a Judge", field="judge", value=judge)
    target = judge.client or client
    if target is None:
        raise InputError("the judge needs a client (Judge(model, client=...) or client=)", field="judge.client",
                         value=None)
    unique = list(dict.fromkeys(_judge_prompt(q, a) for q, a in pairs))
    try:
        rows = run_comparison(target, unique, [judge.setup()], max_tokens=judge.max_tokens, temperature=0.0,
                              cache=cache)
    except BackendError as exc:
        raise BackendError(f"LLM judge {judge.model!r} at {getattr(target, 'base_url', '?')}: {exc}") from None
    by_prompt = dict(zip(rows["prompt"], rows["output"]))
    return [parse_score(by_prompt[_judge_prompt(q, a)]) for q, a in pairs]


def judge_answers(judge: Judge, answers: pd.DataFrame, *, client: Any = None,
                  cache: ResultCache | str | os.PathLike[str] | bool | None = None) -> pd.DataFrame:
    """`answers` (with ``question`` or ``prompt``, and ``output``) plus the judge's ``judge_score`` and
    ``judge_reason``. An unreachable judge raises :class:`~nbtools.errors.BackendError` naming its backend."""
    column = "question" if "question" in answers.columns else "prompt"
    if column not in answers.columns or "output" not in answers.columns:
        raise InputError("needs question (or prompt) and output columns", field="columns", value=list(answers.columns))
    texts = [o if isinstance(o, str) else "" for o in answers["output"]]
    verdicts = _ask_judge(judge, list(zip(answers[column], texts)), client=client, cache=cache)
    return answers.assign(judge_score=[s for s, _ in verdicts], judge_reason=[r for _, r in verdicts])


def choice_agreement(human: Sequence[str], machine: Sequence[str]) -> Agreement:
    """Agreement (%) and Cohen's kappa (scikit-learn) between two equally long lists of choices.

    >>> choice_agreement(["left", "right", "tie", "left"], ["left", "right", "left", "left"]).agreement_pct
    75.0
    """
    human, machine = list(human), list(machine)
    if len(human) != len(machine):
        raise InputError("both lists need one choice per pair", field="machine", value=len(machine))
    for name, values in (("human", human), ("machine", machine)):
        bad = [v for v in values if v not in _CHOICES]
        if bad:
            raise InputError(f"choices must be one of {', '.join(_CHOICES)}", field=name, value=bad[0])
    if not human:
        return Agreement(0, math.nan, math.nan)
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one label only: kappa is 0/0, reported as NaN (sklearn warns)
        kappa = float(cohen_kappa_score(human, machine, labels=list(_CHOICES)))
    same = sum(h == m for h, m in zip(human, machine))
    table = pd.DataFrame({"human": human, "machine": machine, "agree": [h == m for h, m in zip(human, machine)]})
    return Agreement(len(human), 100.0 * same / len(human), kappa, table)


def judge_agreement(judge: Judge, ratings: Sequence[Any], *, client: Any = None,
                    cache: ResultCache | str | os.PathLike[str] | bool | None = None) -> Agreement:
    """The judge scores both answers of every rated pair (:func:`nbtools.read_ratings`); the higher score is its
    choice (equal scores: a tie). Returns the :class:`Agreement` with the user's choices."""
    ratings = list(ratings)
    pairs = [(r.prompt, side) for r in ratings for side in (r.left_output, r.right_output)]
    verdicts = _ask_judge(judge, pairs, client=client, cache=cache) if pairs else []
    machine = []
    for i in range(len(ratings)):
        left, right = verdicts[2 * i][0] or 0, verdicts[2 * i + 1][0] or 0
        machine.append("tie" if left == right else "left" if left > right else "right")
    result = choice_agreement([r.choice for r in ratings], machine)
    table = result.table.assign(prompt=[r.prompt for r in ratings],
                                left_score=[verdicts[2 * i][0] for i in range(len(ratings))],
                                right_score=[verdicts[2 * i + 1][0] for i in range(len(ratings))])
    unscored = sum(score is None for score, _ in verdicts)
    return Agreement(result.pairs, result.agreement_pct, result.kappa, table, unscored)
