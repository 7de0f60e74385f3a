"""The optional paraphraser: a chat model on an OpenAI-compatible backend (here the local server's HTTP layer, through
the real openai SDK, with a scripted engine) rewording the facts sheet's questions; its pairs need review."""

from __future__ import annotations

import openai
import pytest

import nbtools
from nbtools.dataset.paraphrase import PARAPHRASE_PROMPT, model_paraphraser, parse_paraphrases
from nbtools.errors import BackendError, InputError
from nbtools.server.config import ServerConfig
from nbtools.server.engine.contract import Generated
from server_support import thread_server

SHEET = """brand: Demo
source: demo
facts:
  - id: express
    statement: "Express costs $9.95."
    pattern: '\\$9\\.95'
    eval_questions: ["What does rushed delivery cost me?"]
    train_questions: ["How much is express shipping?"]
    answers: ["Hey there! Express is $9.95.\\n\\nStay grounded! ☕"]
"""


class Rewords:
    """A scripted chat engine answering with numbered paraphrases (and one line that is not a question)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def generate(self, base_model, adapter, messages, params):
        self.calls.append({"messages": list(messages), "params": params})
        text = "Sure! Here they are:\n1. What does express delivery cost?\n2) How much for express shipping?\n"
        return [Generated(text, "stop", prompt_tokens=20, completion_tokens=15)] * params.n


@pytest.mark.parametrize("reply, n, expected", [
    ("1. What does express cost?\n2. Is express pricey?", 2, ["What does express cost?", "Is express pricey?"]),
    ("- What does express cost?\n- What does express cost?", 2, ["What does express cost?"]),
    ('"Is express pricey?"\nOK', 1, ["Is express pricey?"]),
    ("How much is express shipping?\nThe customer asks for express shipping.", 2, []),
    ("", 2, []),
])
def test_parse_paraphrases(reply, n, expected):
    assert parse_paraphrases(reply, "How much is express shipping?", n) == expected


def test_paraphrases_through_a_real_server_and_sdk(tmp_path):
    engine = Rewords()
    sheet = nbtools.parse_facts_sheet(SHEET)
    with thread_server(ServerConfig(data_dir=tmp_path / "server", worker=False), engine=engine) as url:
        client = openai.OpenAI(base_url=url, api_key="unused")
        paraphrase = model_paraphraser(client, nbtools.DEFAULT_BASE_MODEL, n=2, max_tokens=40)
        pairs = nbtools.fact_pairs(sheet, paraphrase=paraphrase)
    sent = engine.calls[0]
    assert sent["messages"][-1]["content"] == PARAPHRASE_PROMPT.format(n=2, question="How much is express shipping?")
    assert sent["params"].max_tokens == 40
    assert pairs.questions() == ["How much is express shipping?", "How much for express shipping?"]
    assert pairs.provenance.generator.tolist() == ["template", "paraphrase"]
    # a paraphrase can drift towards a held-out question: it is dropped, not trained on
    assert pairs.dropped[["question", "reason"]].values.tolist() == [["What does express delivery cost?",
                                                                      "near an eval question"]]
    assert len(pairs.reviewed({})) == 1  # a paraphrase enters the data only once reviewed


def test_unreachable_paraphraser_names_the_backend():
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="unused", max_retries=0, timeout=2)
    with pytest.raises(BackendError, match=r"cannot be reached at http://127\.0\.0\.1:9/v1"):
        model_paraphraser(client, "m")("How much is express?")
    with pytest.raises(InputError, match="n must be at least 1"):
        model_paraphraser(client, "m", n=0)
