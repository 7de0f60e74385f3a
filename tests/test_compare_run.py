"""run_comparison and its cache, through the real ``openai`` SDK over real HTTP.

Fast tests use the local server's HTTP layer in a thread with the scripted chat engine (replies "echo: <prompt>",
one token per word); the hosted path is checked request by request against an ``httpx2.MockTransport`` standing in
for api.openai.com (bodies validated against the official OpenAPI schema). The real model is in
test_compare_e2e.py.
"""

from __future__ import annotations

import json
import math

import httpx2
import openai
import pandas as pd
import pytest

from nbtools import load_price_table
from nbtools.backend import Backend, connect
from nbtools.compare import (
    ModelSetup,
    ResultCache,
    comparison_summary,
    outputs_table,
    request_cost_usd,
    run_comparison,
)
from nbtools.errors import BackendError, InputError
from nbtools.server.config import ServerConfig
from backend_support import ServerLookups
from server_support import Recorder, ScriptedChatEngine, assert_schema, thread_server

KEY = "nb-scripted-test-key-0000000000"
HOSTED_KEY = "sk-proj-" + "FAKEcompareKEY" + "0" * 30 + "wxyz"  # built, so no key-shaped text is stored
BASE = "smollm2-135m-instruct"
PROMPTS = ["Where is my order?", "Can I pause my subscription?", "Do you ship to Canada?"]
SETUPS = [ModelSetup("base", BASE), ModelSetup("base + long instructions", BASE, "Be warm. Sign off."),
          ModelSetup("short prompt", BASE, "You help.")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    engine = ScriptedChatEngine()
    config = ServerConfig(data_dir=tmp_path_factory.mktemp("server"), worker=False, api_key=KEY)
    with thread_server(config, engine=engine) as url:
        yield url, engine


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def client(server, recorder):
    url, _ = server
    hooks = {"request": [recorder.on_request], "response": [recorder.on_response]}
    return openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, http_client=httpx2.Client(event_hooks=hooks))


def test_the_table_has_every_prompt_for_every_setup(client, recorder, tmp_path):
    results = run_comparison(client, PROMPTS, SETUPS, max_tokens=20, cache=tmp_path)
    assert len(results) == len(PROMPTS) * len(SETUPS) == len(recorder.requests)
    assert list(zip(results["prompt"], results["setup"])) == [(p, s.label) for p in PROMPTS for s in SETUPS]
    assert results["output"].tolist() == [f"echo: {p}" for p in PROMPTS for _ in SETUPS]
    assert (results["finish_reason"] == "stop").all() and not results["cached"].any()
    assert results["error"].isna().all() and (results["latency_s"] > 0).all()
    # usage in the table is what the server reported, request by request
    for row, response in zip(results.itertuples(), recorder.responses):
        usage = response["usage"]
        assert (row.prompt_tokens, row.completion_tokens, row.total_tokens) == (
            usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
        assert row.output == response["choices"][0]["message"]["content"]


@pytest.mark.parametrize(("setup", "messages"), [
    (ModelSetup("a", BASE), [{"role": "user", "content": "Hi?"}]),
    (ModelSetup("b", BASE, "Be warm."), [{"role": "system", "content": "Be warm."}, {"role": "user", "content": "Hi?"}]),
    (ModelSetup("c", BASE, "   "), [{"role": "user", "content": "Hi?"}]),
])
def test_each_setup_sends_its_system_prompt_and_the_run_parameters(client, recorder, tmp_path, setup, messages):
    run_comparison(client, ["Hi?"], [setup], max_tokens=7, temperature=0.0, seed=3, cache=tmp_path)
    body = json.loads(recorder.requests[0].read())
    assert body == {"model": BASE, "messages": messages, "max_completion_tokens": 7, "temperature": 0.0, "seed": 3}
    assert_schema("CreateChatCompletionRequest", body)


def test_a_second_run_comes_from_the_cache_without_requests(client, recorder, tmp_path):
    first = run_comparison(client, PROMPTS, SETUPS, cache=tmp_path)
    sent = len(recorder.requests)
    again = run_comparison(client, PROMPTS, SETUPS, cache=tmp_path)
    assert len(recorder.requests) == sent and again["cached"].all()
    same = ["prompt", "setup", "model", "output", "finish_reason", "latency_s", "prompt_tokens", "completion_tokens",
            "key"]
    pd.testing.assert_frame_equal(first[same], again[same])
    assert len(ResultCache(tmp_path)) == len(PROMPTS) * len(SETUPS)


def test_only_missing_cells_are_requested(client, recorder, tmp_path):
    run_comparison(client, PROMPTS[:2], SETUPS, cache=tmp_path)
    recorder.requests.clear()
    results = run_comparison(client, PROMPTS, SETUPS, cache=tmp_path)
    assert len(recorder.requests) == len(SETUPS)
    assert results["cached"].tolist() == [True] * 2 * len(SETUPS) + [False] * len(SETUPS)


@pytest.mark.parametrize(("change", "requested"), [
    ({"setups": [ModelSetup("renamed", BASE)]}, 0),              # the label is not part of the key
    ({"setups": [ModelSetup("base", BASE, "Be warm.")]}, 1),     # another system prompt is another answer
    ({"max_tokens": 5}, 1),
    ({"temperature": 0.7}, 1),
    ({"seed": 1}, 1),
    ({"setups": [ModelSetup("base", BASE, params={"top_p": 0.5})]}, 1),
    ({"refresh": True}, 1),
])
def test_what_makes_a_cached_answer_stale(client, recorder, tmp_path, change, requested):
    options = {"setups": [ModelSetup("base", BASE)], "max_tokens": 80, "temperature": 0.0, "seed": None}
    run_comparison(client, ["Hi?"], options["setups"], cache=tmp_path)
    recorder.requests.clear()
    options.update(change)
    run_comparison(client, ["Hi?"], options.pop("setups"), cache=tmp_path, **options)
    assert len(recorder.requests) == requested


def test_cache_false_stores_nothing(client, recorder, tmp_path):
    run_comparison(client, ["Hi?"], SETUPS[:1], cache=False)
    run_comparison(client, ["Hi?"], SETUPS[:1], cache=False)
    assert len(recorder.requests) == 2


def test_the_default_cache_lives_in_the_nbtools_home(client, recorder, monkeypatch, tmp_path):
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path))
    run_comparison(client, ["Hi?"], SETUPS[:1])
    assert len(ResultCache(tmp_path / "compare" / "cache")) == 1


def test_an_unreadable_cache_entry_is_asked_again(client, recorder, tmp_path):
    first = run_comparison(client, ["Hi?"], SETUPS[:1], cache=tmp_path)
    (tmp_path / f"{first['key'][0]}.json").write_text("{not json", encoding="utf-8")
    again = run_comparison(client, ["Hi?"], SETUPS[:1], cache=tmp_path)
    assert len(recorder.requests) == 2 and not again["cached"][0] and again["output"][0] == "echo: Hi?"


def test_a_setup_with_its_own_client_uses_it(server, client, recorder, tmp_path):
    url, _ = server
    other = Recorder()
    own = openai.OpenAI(base_url=url, api_key=KEY, http_client=httpx2.Client(
        event_hooks={"request": [other.on_request], "response": [other.on_response]}))
    setups = [ModelSetup("default client", BASE), ModelSetup("own client", BASE, "Be warm.", client=own)]
    run_comparison(client, PROMPTS, setups, cache=tmp_path)
    assert len(recorder.requests) == len(other.requests) == len(PROMPTS)
    assert all(json.loads(r.read())["messages"][0]["role"] == "system" for r in other.requests)


def test_a_failing_setup_raises_naming_it_and_keeps_the_answers_so_far(client, recorder, tmp_path):
    setups = [ModelSetup("base", BASE), ModelSetup("typo", "smollm2-135m-instruc")]
    with pytest.raises(BackendError, match=r"set-up 'typo' \(model 'smollm2-135m-instruc'\) failed: HTTP 404"):
        run_comparison(client, PROMPTS, setups, cache=tmp_path)
    assert len(ResultCache(tmp_path)) == 1


def test_errors_record_keeps_going_and_caches_only_answers(client, recorder, tmp_path):
    setups = [ModelSetup("base", BASE), ModelSetup("typo", "no-such-model")]
    results = run_comparison(client, PROMPTS, setups, cache=tmp_path, errors="record")
    failed = results[results["setup"] == "typo"]
    assert failed["error"].str.contains("HTTP 404").all() and failed["output"].isna().all()
    assert results[results["setup"] == "base"]["error"].isna().all()
    assert len(ResultCache(tmp_path)) == len(PROMPTS)
    summary = comparison_summary(results).set_index("setup")
    assert (summary.loc["typo", "answers"], summary.loc["typo", "failed"]) == (0, len(PROMPTS))


def test_concurrent_requests_give_the_same_table_in_the_same_order(client, recorder, tmp_path):
    prompts = [f"Question number {i}?" for i in range(7)]
    one = run_comparison(client, prompts, SETUPS, cache=tmp_path / "one")
    sent = len(recorder.requests)
    many = run_comparison(client, prompts, SETUPS, cache=tmp_path / "many", concurrency=4)
    assert len(recorder.requests) - sent == len(prompts) * len(SETUPS)
    columns = ["prompt_id", "prompt", "setup", "model", "output", "finish_reason", "completion_tokens", "key"]
    assert many[columns].equals(one[columns]) and not many["cached"].any()
    assert len(ResultCache(tmp_path / "many")) == len(prompts) * len(SETUPS)
    again = run_comparison(client, prompts, SETUPS, cache=tmp_path / "many", concurrency=4)
    assert again["cached"].all() and again["output"].equals(one["output"])


def test_a_failing_setup_raises_naming_it_with_concurrent_requests(client, recorder, tmp_path):
    setups = [ModelSetup("base", BASE), ModelSetup("typo", "smollm2-135m-instruc")]
    with pytest.raises(BackendError, match=r"set-up 'typo' \(model 'smollm2-135m-instruc'\) failed: HTTP 404"):
        run_comparison(client, PROMPTS, setups, cache=tmp_path, concurrency=3)
    results = run_comparison(client, PROMPTS, setups, cache=tmp_path, errors="record", concurrency=3)
    assert results[results["setup"] == "typo"]["error"].str.contains("HTTP 404").all()


def test_an_unreachable_backend_is_a_backend_error(tmp_path):
    dead = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key=KEY, max_retries=0, timeout=5)
    with pytest.raises(BackendError, match="could not reach http://127.0.0.1:9/v1"):
        run_comparison(dead, ["Hi?"], SETUPS[:1], cache=tmp_path)


@pytest.mark.parametrize(("prompts", "setups", "options", "field"), [
    ([], SETUPS, {}, "prompts"),
    ("Where is my order?", SETUPS, {}, "prompts"),
    (["ok", "  "], SETUPS, {}, "prompts[1]"),
    (["ok", 3], SETUPS, {}, "prompts[1]"),
    (PROMPTS, [], {}, "setups"),
    (PROMPTS, [ModelSetup("a", BASE), ModelSetup("a", "other")], {}, "setups"),
    (PROMPTS, ["base"], {}, "setups[0]"),
    (PROMPTS, SETUPS, {"max_tokens": 0}, "max_tokens"),
    (PROMPTS, SETUPS, {"errors": "ignore"}, "errors"),
    (PROMPTS, SETUPS, {"concurrency": 0}, "concurrency"),
    (PROMPTS, SETUPS, {"concurrency": True}, "concurrency"),
])
def test_bad_input_is_refused_before_any_request(client, recorder, tmp_path, prompts, setups, options, field):
    with pytest.raises(InputError) as caught:
        run_comparison(client, prompts, setups, cache=tmp_path, **options)
    assert caught.value.field == field and not recorder.requests


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"label": "", "model": BASE}, "label"),
    ({"label": "a", "model": " "}, "model"),
    ({"label": "a", "model": BASE, "system": None}, "system"),
    ({"label": "a", "model": BASE, "params": {"messages": []}}, "params.messages"),
    ({"label": "a", "model": BASE, "params": {"model": "other"}}, "params.model"),
    ({"label": "a", "model": BASE, "params": [("top_p", 1)]}, "params"),
])
def test_a_model_setup_checks_its_fields(kwargs, field):
    with pytest.raises(InputError) as caught:
        ModelSetup(**kwargs)
    assert caught.value.field == field


def test_summary_and_side_by_side_tables(client, tmp_path):
    results = run_comparison(client, PROMPTS, SETUPS, max_tokens=3, cache=tmp_path)
    summary = comparison_summary(results)
    assert summary["setup"].tolist() == [s.label for s in SETUPS]
    assert (summary["answers"] == len(PROMPTS)).all() and (summary["cost_per_1k_usd"] == 0).all()
    for row in summary.itertuples():
        part = results[results["setup"] == row.setup]
        assert row.mean_prompt_tokens == part["prompt_tokens"].mean()
        assert row.seconds_per_1k == pytest.approx(part["latency_s"].mean() * 1000)
        assert row.cut_at_max_tokens == (part["finish_reason"] == "length").sum() > 0
    side = outputs_table(results)
    assert side.columns.tolist() == ["prompt", *[s.label for s in SETUPS]] and side["prompt"].tolist() == PROMPTS


# -- the hosted path: what would go to api.openai.com ------------------------------------------------------------------

class FakeChatService:
    """Answers chat completions in the service's shape, with fixed usage; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.responses: list[dict] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        body = json.loads(request.read())
        n = len(self.requests)
        response = {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1795000000 + n, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": f"Hey there! Answer {n}.", "refusal": None}}],
            "usage": {"prompt_tokens": 100 * n, "completion_tokens": 10 * n, "total_tokens": 110 * n},
            "service_tier": "default", "system_fingerprint": "fp_test"}
        self.responses.append(response)
        return httpx2.Response(200, json=response)


def test_the_hosted_path_sends_documented_requests_and_prices_them(tmp_path):
    service = FakeChatService()
    hosted = connect("openai", env_file=None, environ={"OPENAI_API_KEY": HOSTED_KEY}, max_retries=0,
                     http_client=httpx2.Client(transport=httpx2.MockTransport(service)))
    tuned = "ft:gpt-4o-mini-2024-07-18:acme:brew:Ab12Cd34"
    setups = [ModelSetup("gpt-4o-mini + long instructions", "gpt-4o-mini-2024-07-18", "Be warm. Sign off."),
              ModelSetup("fine-tuned + short prompt", tuned, "You help.")]
    results = run_comparison(hosted, PROMPTS[:2], setups, max_tokens=60, cache=tmp_path)

    assert [str(r.url) for r in service.requests] == ["https://api.openai.com/v1/chat/completions"] * 4
    assert {r.headers["authorization"] for r in service.requests} == {f"Bearer {HOSTED_KEY}"}
    for request in service.requests:
        assert_schema("CreateChatCompletionRequest", json.loads(request.read()))
    for response in service.responses:
        assert_schema("CreateChatCompletionResponse", response)
    # cost per 1,000 requests from the price table: base prices for the base model, fine-tuned prices for ft:
    prices = load_price_table().set_index("model").loc["gpt-4o-mini-2024-07-18"]
    for row in results.itertuples():
        tuned_row = row.model.startswith("ft:")
        per_in = prices["finetuned_input_per_1m_tokens" if tuned_row else "input_per_1m_tokens"]
        per_out = prices["finetuned_output_per_1m_tokens" if tuned_row else "output_per_1m_tokens"]
        expected = 1000 * (row.prompt_tokens * per_in + row.completion_tokens * per_out) / 1e6
        assert row.cost_per_1k_usd == pytest.approx(expected) and row.backend == "openai"
    # the key reaches neither the cache nor the table
    assert not results.astype(str).apply(lambda col: col.str.contains(HOSTED_KEY[-16:])).any().any()
    for path in tmp_path.iterdir():
        assert HOSTED_KEY[-16:] not in path.read_text(encoding="utf-8")


def test_cache_keys_and_cost_follow_the_connections_backend(server, tmp_path, monkeypatch):
    """The local server is cached as "local" whatever URL it is reached by; the same server reached by a plain
    client that nbtools cannot tell is the local one is another backend (custom), with its own cache entries."""
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path / "home"))  # no local server recorded there
    lookups = ServerLookups(monkeypatch)
    url, _ = server
    local = connect(Backend("local", url, KEY, key_source="local server"), max_retries=0)
    by_name = connect(Backend("local", url.replace("127.0.0.1", "localhost"), KEY, key_source="local server"),
                      max_retries=0)
    plain = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0)
    first, again, other = (run_comparison(c, ["Hi?"], SETUPS[:1], cache=tmp_path) for c in (local, by_name, plain))
    assert (first["backend"][0], again["backend"][0], other["backend"][0]) == ("local", "local", "custom")
    assert again["cached"][0] and again["key"][0] == first["key"][0]
    assert not other["cached"][0] and other["key"][0] != first["key"][0]
    assert first["cost_per_1k_usd"][0] == 0.0 and first["seconds_per_1k"][0] > 0
    # one read per comparison against the local server (its chat precision, for the cache key) and one for the
    # plain client's classification; never a health check
    assert lookups.calls == ["server.json read"] * 3


def test_the_same_question_to_another_backend_is_another_cache_entry(client, tmp_path):
    service = FakeChatService()
    hosted = connect("openai", env_file=None, environ={"OPENAI_API_KEY": HOSTED_KEY},
                     http_client=httpx2.Client(transport=httpx2.MockTransport(service)))
    local = run_comparison(client, ["Hi?"], SETUPS[:1], cache=tmp_path)
    remote = run_comparison(hosted, ["Hi?"], SETUPS[:1], cache=tmp_path)
    assert local["key"][0] != remote["key"][0] and len(service.requests) == 1


@pytest.mark.parametrize(("model", "kind", "prices"), [
    ("gpt-4o-mini-2024-07-18", "openai", ("input_per_1m_tokens", "output_per_1m_tokens")),
    ("gpt-4o-mini", "openai", ("input_per_1m_tokens", "output_per_1m_tokens")),
    ("ft:gpt-4o-mini-2024-07-18:acme::x", "openai", ("finetuned_input_per_1m_tokens", "finetuned_output_per_1m_tokens")),
    ("smollm2-135m-instruct", "custom", "free"),          # the local model's price row is $0
    ("smollm2-135m-instruct", "local", "free"),
    ("some-model-nobody-prices", "local", "free"),        # the local backend never costs dollars
    ("some-model-nobody-prices", "custom", "unknown"),    # unknown elsewhere: not a made-up number
])
def test_request_cost(model, kind, prices):
    cost = request_cost_usd(model, 1000, 100, kind=kind)
    if prices == "unknown":
        assert math.isnan(cost)
    elif prices == "free":
        assert cost == 0.0
    else:
        row = load_price_table().set_index("model").loc["gpt-4o-mini-2024-07-18"]
        assert cost == pytest.approx((1000 * row[prices[0]] + 100 * row[prices[1]]) / 1e6) and cost > 0
