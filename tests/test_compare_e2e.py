"""The comparison against the REAL local server: the base model, the base model with the long custom instructions,
and a model fine-tuned for a few steps on this session's shared server (with its intermediate checkpoint).

Checks: the table is complete (every prompt for every set-up), the usage in it is what the server counted (and what
the model's own chat template gives for the prompt), and a second run is served from the cache at once, with no
request at all (counted at the client).
"""

from __future__ import annotations

import time

import httpx2
import openai
import pytest

from nbtools import load_tokenizer, read_system_prompts
from nbtools.compare import FINE_TUNED, INSTRUCTED, BASE, comparison_summary, job_setups, run_comparison
from server_support import Recorder, shared_server, trained_job

pytestmark = pytest.mark.slow

PROMPTS = ["Where is my order? It's been a week.", "Can I pause my subscription for a month?",
           "Do you ship to Canada?"]
MAX_TOKENS = 12  # enough for the fine-tune and the base to differ; every completion token costs CI time


@pytest.fixture(scope="module")
def finished():
    """The shared server's small fine-tune (12 examples, 2 epochs of 3 steps), run once per session."""
    job = trained_job()["job"]
    assert job.status == "succeeded", job.error
    return job


@pytest.fixture(scope="module")
def compared(finished, request, tmp_path_factory):
    server = shared_server()
    recorder = Recorder()
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=httpx2.Client(
        event_hooks={"request": [recorder.on_request], "response": [recorder.on_response]}))
    prompts = read_system_prompts(request.config.rootpath / "data" / "samples" / "custom_instructions.md")
    setups = job_setups(client, finished, prompts, checkpoints=1)
    cache = tmp_path_factory.mktemp("compare-cache")
    recorder.requests.clear()
    started = time.perf_counter()
    first = run_comparison(client, PROMPTS, setups, max_tokens=MAX_TOKENS, cache=cache)
    first_seconds = time.perf_counter() - started
    return {"client": client, "recorder": recorder, "setups": setups, "cache": cache, "first": first,
            "first_seconds": first_seconds, "first_requests": len(recorder.requests)}


def test_the_job_gives_four_setups(compared, finished):
    setups = compared["setups"]
    assert [s.label for s in setups] == [BASE, INSTRUCTED, FINE_TUNED, "checkpoint step 3 + short prompt"]
    assert setups[2].model == finished.fine_tuned_model and setups[3].model.endswith(":ckpt-step-3")


def test_the_table_is_complete(compared):
    first, setups = compared["first"], compared["setups"]
    assert len(first) == len(PROMPTS) * len(setups) == compared["first_requests"]
    assert list(zip(first["prompt"], first["setup"])) == [(p, s.label) for p in PROMPTS for s in setups]
    assert first["error"].isna().all() and first["output"].map(lambda o: isinstance(o, str)).all()
    assert set(first["finish_reason"]) <= {"stop", "length"} and (first["latency_s"] > 0).all()
    assert (first["completion_tokens"] <= MAX_TOKENS).all()
    assert (first.loc[first["finish_reason"] == "length", "completion_tokens"] == MAX_TOKENS).all()
    summary = comparison_summary(first)
    assert (summary["answers"] == len(PROMPTS)).all() and (summary["cost_per_1k_usd"] == 0).all()
    assert (summary["seconds_per_1k"] > 0).all()
    # the long custom instructions cost hundreds of prompt tokens on every request
    tokens = summary.set_index("setup")["mean_prompt_tokens"]
    assert tokens[INSTRUCTED] > tokens[BASE] + 400 and tokens[INSTRUCTED] > tokens[FINE_TUNED] + 400


def test_the_fine_tuned_model_is_another_model(compared):
    first = compared["first"]
    outputs = first.pivot(index="prompt", columns="setup", values="output")
    assert (outputs[BASE] != outputs[FINE_TUNED]).any()


def test_usage_is_what_the_server_counted(compared):
    first, responses = compared["first"], compared["recorder"].responses
    assert len(responses) == len(first)
    for row, response in zip(first.itertuples(), responses):
        usage = response["usage"]
        assert response["model"] == row.model
        assert (row.prompt_tokens, row.completion_tokens, row.total_tokens) == (
            usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
        assert row.output == response["choices"][0]["message"]["content"]


def test_prompt_tokens_match_the_models_chat_template(compared):
    tokenizer = load_tokenizer()
    by_label = {s.label: s for s in compared["setups"]}
    for row in compared["first"].itertuples():
        ids = tokenizer.apply_chat_template(by_label[row.setup].messages(row.prompt), add_generation_prompt=True,
                                            tokenize=True, return_dict=False)
        assert row.prompt_tokens == len(ids)


def test_a_second_run_is_instant_and_sends_no_request(compared):
    recorder = compared["recorder"]
    before = len(recorder.requests)
    started = time.perf_counter()
    again = run_comparison(compared["client"], PROMPTS, compared["setups"], max_tokens=MAX_TOKENS,
                           cache=compared["cache"])
    seconds = time.perf_counter() - started
    assert len(recorder.requests) == before and again["cached"].all()
    assert again["output"].tolist() == compared["first"]["output"].tolist()
    assert seconds < 1.0 and seconds < compared["first_seconds"] / 20
