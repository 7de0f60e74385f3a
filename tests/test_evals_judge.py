"""The LLM judge: score parsing, agreement and Cohen's kappa on a crafted ratings table, an unreachable judge."""

from __future__ import annotations

import math
import socket

import openai
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from nbtools.compare import read_ratings, record_rating
from nbtools.compare.ratings import Pairing
from nbtools.errors import BackendError, InputError
from nbtools.evals import Judge, choice_agreement, judge_agreement, judge_answers, parse_score
from nbtools.server.config import ServerConfig
from nbtools.server.engine.contract import Generated
from server_support import thread_server

@pytest.mark.parametrize("reply, score", [
    ("Score: 5\nReason: Right fact, in the voice.", 5),
    ("score - 2\nreason: invents a name", 2),
    ("**Score:** 3\nReason: vague", 3),
    ("Score: 7\nReason: out of range", None),
    ("Great answer!", None),
    ("", None),
])
def test_parse_score(reply, score):
    parsed, reason = parse_score(reply)
    assert parsed == score and reason


# A crafted table of 10 rated pairs: the user's choice and the judge's. Counted by hand:
# agree on 6 of 10 -> 60 %. Marginals, user: left 5, right 3, tie 2; judge: left 4, right 4, tie 2.
# Chance agreement pe = (5*4 + 3*4 + 2*2) / 100 = 0.36, kappa = (0.60 - 0.36) / (1 - 0.36) = 0.375.
HUMAN = ["left", "left", "left", "left", "left", "right", "right", "right", "tie", "tie"]
MACHINE = ["left", "left", "left", "right", "tie", "right", "right", "left", "tie", "right"]


def test_agreement_and_kappa_on_a_crafted_table():
    result = choice_agreement(HUMAN, MACHINE)
    assert result.pairs == 10 and result.agreement_pct == pytest.approx(60.0)
    assert result.kappa == pytest.approx(0.375)
    assert result.kappa == pytest.approx(cohen_kappa_score(HUMAN, MACHINE))
    assert "60% of 10 rated pairs" in result.message and "0.38" in result.message
    assert result.table["agree"].sum() == 6


@pytest.mark.parametrize("human, machine, pct, kappa", [
    (["left", "right"], ["left", "right"], 100.0, 1.0),
    (["left", "left"], ["right", "right"], 0.0, 0.0),
    (["tie", "tie"], ["tie", "tie"], 100.0, math.nan),  # one label only: kappa undefined
])
def test_agreement_edge_cases(human, machine, pct, kappa):
    result = choice_agreement(human, machine)
    assert result.agreement_pct == pct
    assert (math.isnan(result.kappa) and math.isnan(kappa)) or result.kappa == pytest.approx(kappa)


def test_agreement_refuses_bad_choices():
    with pytest.raises(InputError, match="field machine"):
        choice_agreement(["left"], ["better"])
    with pytest.raises(InputError, match="one choice per pair"):
        choice_agreement(["left"], [])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_judge_names_its_backend(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    client = openai.OpenAI(base_url=url, api_key="sk-test-not-a-real-key", max_retries=0, timeout=5)
    judge = Judge("judge-model", client=client)
    answers = pd.DataFrame({"question": ["Express price?"], "output": ["Hey there! $9.95."]})
    with pytest.raises(BackendError) as caught:
        judge_answers(judge, answers, cache=tmp_path)
    message = str(caught.value)
    assert "LLM judge 'judge-model'" in message and url in message and "could not reach" in message
    assert "sk-test" not in message


class TableJudge:
    """A chat engine for the server's HTTP layer that scores each answer from a table (the judge's verdicts)."""

    def __init__(self, scores: dict[str, int]) -> None:
        self.scores = scores

    def generate(self, base_model, adapter, messages, params):
        answer = messages[-1]["content"].split("Assistant reply:\n", 1)[1]
        text = f"Score: {self.scores[answer]}\nReason: from the table" if answer in self.scores else "I like it"
        return [Generated(text, "stop", prompt_tokens=9, completion_tokens=6)]


def test_judge_agreement_reads_the_ratings_file(tmp_path):
    ratings_file = tmp_path / "ratings.jsonl"
    answers = [("Hey there! $9.95.", "Pay us."), ("Sure.", "Hey there! Sure."), ("Yes.", "Yes!"), ("Hm.", "Ok.")]
    pairs = [Pairing(f"p{i}", i, f"Question {i}?", "a", "m", left, "b", "m", right, False, 0)
             for i, (left, right) in enumerate(answers)]
    for pair, choice in zip(pairs, ["left", "right", "tie", "left"]):
        record_rating(ratings_file, pair, choice)
    ratings = read_ratings(ratings_file)
    scores = {"Hey there! $9.95.": 5, "Pay us.": 1, "Sure.": 4, "Hey there! Sure.": 2, "Yes.": 3, "Yes!": 3}
    config = ServerConfig(data_dir=tmp_path / "server", worker=False, api_key="sk-judge-test-key")
    with thread_server(config, engine=TableJudge(scores)) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-judge-test-key", max_retries=0)
        result = judge_agreement(Judge("smollm2-135m-instruct", client=client), ratings, cache=tmp_path / "cache")
    # the judge chose left, left, tie, and tie for the pair it gave no score; the user left, right, tie, left
    assert result.pairs == 4 and result.agreement_pct == 50.0 and result.unscored == 2
    assert result.table[["left_score", "right_score"]].values.tolist()[:3] == [[5, 1], [4, 2], [3, 3]]
    assert result.kappa == pytest.approx(cohen_kappa_score(["left", "right", "tie", "left"],
                                                           ["left", "left", "tie", "tie"]))
    assert "no usable score for 2 of 8 answers" in result.message
