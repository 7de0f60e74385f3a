"""The voice tools against the REAL local server (nbtools.server) and the real base model: streaming, the studio,
voice set-ups through the compare room's runner and cache, rewrites with provenance, review, dataset. Short generations (max_tokens ≤ 40) keep this under a minute on CPU."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbtools.backend import connect
from nbtools.server.launcher import ensure_local_server, stop_local_server
from nbtools.compare import ModelSetup, run_comparison, standard_setups
from nbtools.dataset import SystemPrompts
from nbtools.voice import (
    VoiceProfile,
    accepted_examples,
    add_to_dataset,
    load_proposals,
    model_ids,
    propose_rewrites,
    read_decisions,
    review_widget,
    save_proposals,
    score_answers,
    voice_studio,
)
from nbtools.voice.chat import stream_reply

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"
PROFILE = VoiceProfile(
    name="Brewtiful", version=1,
    instructions="You are Brewtiful Coffee's support assistant. Start with 'Hey there!' and end with "
                 "'Stay grounded! ☕'.",
    example_answers=("Hey there! Your beans ship within 2 days.\nStay grounded! ☕",),
    banned_phrases=("per our policy",), required_signoff="Stay grounded! ☕", required_elements=("Hey there",),
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = tmp_path_factory.mktemp("voice-server-home")
    ensure_local_server(home=home)
    yield connect("local", env_file=None, environ={}, home=home)
    stop_local_server(home)


def test_streamed_reply_equals_the_non_streamed_one(client):
    setup = ModelSetup("long", BASE, PROFILE.instructions)
    chunks = list(stream_reply(client, BASE, setup.messages("How long does shipping take?"), max_tokens=30))
    assert len(chunks) > 1  # really streamed, several deltas
    asked = run_comparison(client, ["How long does shipping take?"], [setup], max_tokens=30, cache=False)
    assert "".join(chunks) == asked["output"][0]  # greedy: the same text streamed and through the runner


def test_studio_runs_both_variants_against_the_server(client, tmp_path):
    assert BASE in model_ids(client)
    studio = voice_studio(client, PROFILE, directory=tmp_path / "profiles", instructions_b="Be brief.",
                          max_tokens=30)
    assert BASE in studio.models.options
    studio.models.value = (BASE,)
    studio.prompt.value = "Can I pause my subscription?"
    studio.run_button.click()
    assert studio.errors == [], studio.error.value
    for variant in "AB":
        streamed = "".join(o["text"] for o in studio.outputs[(variant, BASE)].outputs)
        assert streamed == studio.answers[(variant, BASE)] != ""
    assert len(studio.checks_frame()) == 2


def test_unknown_model_error_reaches_the_studio(client, tmp_path):
    studio = voice_studio(client, PROFILE, directory=tmp_path, models=["no-such-model"], max_tokens=5)
    studio.models.value = ("no-such-model",)
    studio.prompt.value = "Hi"
    studio.run_button.click()
    assert "no-such-model" in studio.error.value and studio.errors


def test_rewrite_review_and_add_to_dataset(client, tmp_path):
    rows = pd.DataFrame({"row_id": ["support_tickets.csv:3:answer", "support_tickets.csv:9:answer"],
                         "question": ["Where is my order?", "Can I change my grind size?"],
                         "answer": ["It shipped. Check tracking.", "Yes. Account > Plan > Grind."]})
    proposals = propose_rewrites(client, rows, PROFILE, model=BASE, max_tokens=40)
    assert [p.source_row_id for p in proposals] == rows["row_id"].tolist()
    for proposal, original in zip(proposals, rows["answer"]):
        assert proposal.proposed and proposal.original == original
        assert (proposal.model, proposal.profile_version, proposal.max_tokens) == (BASE, 1, 40)
        assert original in proposal.prompt and proposal.system_prompt == PROFILE.instructions
    again = propose_rewrites(client, rows.iloc[:1], PROFILE, model=BASE, max_tokens=40, cache=False)
    assert again[0].proposal_id == proposals[0].proposal_id and again[0].proposed == proposals[0].proposed
    store = tmp_path / "proposals.jsonl"
    assert save_proposals(proposals, store) == 2 and save_proposals(again, store) == 0
    widget = review_widget(load_proposals(store), tmp_path / "decisions.jsonl", profile=PROFILE)
    widget.accept_button.click()
    widget.reject_button.click()
    frame = accepted_examples(load_proposals(store), read_decisions(tmp_path / "decisions.jsonl"))
    assert add_to_dataset(frame, tmp_path / "train.jsonl") == 1
    line = json.loads((tmp_path / "train.jsonl").read_text(encoding="utf-8"))
    assert line["messages"][-1] == {"role": "assistant", "content": proposals[0].proposed}


def test_voice_setups_run_through_the_comparison_runner_and_its_cache(client, tmp_path):
    prompts = SystemPrompts(long=PROFILE.instructions, short="You are Brewtiful Coffee's support assistant.",
                            sections={})
    setups = standard_setups(BASE, prompts)  # base alone; base + long instructions
    questions = ["Do you ship to Canada?"]
    first = run_comparison(client, questions, setups, max_tokens=20, cache=tmp_path / "cache")
    again = run_comparison(client, questions, setups, max_tokens=20, cache=tmp_path / "cache")
    assert not first["cached"].any() and again["cached"].all()
    assert again["output"].tolist() == first["output"].tolist()
    bare, long = first.itertuples()
    assert long.prompt_tokens > bare.prompt_tokens > 0 and 0 < long.completion_tokens <= 20
    # the studio streams a set-up's messages as the runner sends them: greedy, so the very same text
    assert "".join(stream_reply(client, BASE, setups[1].messages(questions[0]), max_tokens=20)) == long.output
    scored = score_answers(first, PROFILE, text_column="output")
    assert scored["setup"].tolist() == [s.label for s in setups] and (scored["words"] > 0).all()
