"""The HTTP layer with the real ``openai`` SDK as client: files, jobs (no training), chat, models, errors, auth.

The server runs in a thread without its training worker; chat uses a scripted engine (tests/server_support.py), so
these tests check the API's own behaviour in seconds. Training and the real model are covered by test_server_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.moderation import CATEGORIES, ModerationResult
from nbtools.server.config import ServerConfig
from server_support import ScriptedChatEngine, chat_lines, thread_server

KEY = "nb-test-key-0123456789abcdef"
BASE = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("api-server")
    custom = tmp_path_factory.mktemp("tiny-model")
    (custom / "config.json").write_text("{}")
    engine, moderator = ScriptedChatEngine(), ScriptedModerator()
    config = ServerConfig(data_dir=data_dir, worker=False, api_key=KEY, max_upload_bytes=64 * 1024,
                          base_models={"tiny-local": str(custom)})
    with thread_server(config, engine=engine, moderator=moderator) as url:
        yield {"url": url, "engine": engine, "moderator": moderator, "data_dir": data_dir, "custom": custom}


@pytest.fixture()
def client(server):
    return openai.OpenAI(base_url=server["url"], api_key=KEY, max_retries=0)


@pytest.fixture()
def raw(server):
    with httpx.Client(base_url=server["url"], headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as c:
        yield c


@pytest.fixture()
def train_file(client):
    return client.files.create(file=("train.jsonl", chat_lines(12).encode()), purpose="fine-tune")


# -- files --------------------------------------------------------------------------------------------------------


def test_upload_retrieve_content_delete_round_trip(client, server):
    content = chat_lines(12).encode()
    uploaded = client.files.create(file=("../../etc/passwd.jsonl", content), purpose="fine-tune")
    assert uploaded.filename == "passwd.jsonl" and uploaded.bytes == len(content) and uploaded.status == "processed"
    stored = server["data_dir"] / "files" / uploaded.id
    assert stored.read_bytes() == content  # kept under a generated name inside the data directory
    assert client.files.retrieve(uploaded.id).model_dump() == uploaded.model_dump()
    assert client.files.content(uploaded.id).read() == content
    deleted = client.files.delete(uploaded.id)
    assert deleted.deleted is True and deleted.id == uploaded.id
    assert not stored.exists()
    with pytest.raises(openai.NotFoundError, match="No such File object"):
        client.files.retrieve(uploaded.id)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"hello world\n", "Line 1 is not valid JSON"),
        (b"[1, 2]\n", "Line 1 is a JSON array, not an object"),
        (b"\n\n\"text\"\n", "Line 3 is a JSON string, not an object"),
        (b"\xef\xbb\xbf\r\n{\"a\": \"caf\xe9\"}\r\n", "Line 2 is not valid UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"\xff\xfe{\x00}\x00\n", "binary"),
    ],
)
def test_fine_tune_upload_that_is_not_jsonl_is_refused(client, content, message):
    with pytest.raises(openai.BadRequestError, match=message) as caught:
        client.files.create(file=("x.jsonl", content), purpose="fine-tune")
    assert caught.value.param == "file"


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf" + chat_lines(1).encode(), b"\n" + chat_lines(2).encode(),
                                     chat_lines(2).replace("\n", "\r\n").encode()])
def test_fine_tune_upload_tolerates_bom_blank_lines_and_crlf(client, content):
    assert client.files.create(file=("ok.jsonl", content), purpose="fine-tune").bytes == len(content)


def test_other_purposes_are_stored_without_format_check(client):
    assert client.files.create(file=("notes.txt", b"free text"), purpose="user_data").purpose == "user_data"


def test_unknown_purpose_is_a_400_naming_the_field(raw):
    response = raw.post("/files", files={"file": ("a.jsonl", b"{}")}, data={"purpose": "training"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "purpose"


def test_upload_over_the_size_limit_is_a_413_and_keeps_nothing(client, server, raw):
    before = {p.name for p in (server["data_dir"] / "files").iterdir()}
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("big.jsonl", b"{}\n" * 40_000), purpose="fine-tune")
    assert caught.value.status_code == 413 and caught.value.code == "file_too_large"
    # without a Content-Length (chunked), the copy counts bytes and stops at the limit
    chunked = raw.post("/files", content=_chunked_multipart(70 * 1024), headers={
        "content-type": "multipart/form-data; boundary=XyZ"})
    assert chunked.status_code == 413 and chunked.headers["x-should-retry"] == "false"
    assert {p.name for p in (server["data_dir"] / "files").iterdir()} == before


def _chunked_multipart(size: int):
    yield b'--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
    yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'
    for _ in range(size // 1024):
        yield b"{}" + b" " * 1021 + b"\n"
    yield b"\r\n--XyZ--\r\n"


def test_file_list_pages_in_both_orders_and_filters_by_purpose(client):
    ids = [client.files.create(file=(f"p{i}.txt", b"x"), purpose="batch").id for i in range(5)]
    page = client.files.list(limit=2, purpose="batch")
    assert [f.id for f in page.data] == ids[::-1][:2] and page.has_more is True
    assert [f.id for f in client.files.list(limit=2, purpose="batch")] == ids[::-1]  # auto-paging
    assert [f.id for f in client.files.list(limit=3, purpose="batch", order="asc")] == ids
    body = client.files.with_raw_response.list(limit=2, purpose="batch").http_response.json()
    assert body["first_id"] == ids[-1] and body["last_id"] == ids[-2]


def test_a_file_used_by_an_active_job_cannot_be_deleted(client, train_file):
    job = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id)
    with pytest.raises(openai.BadRequestError, match=job.id):
        client.files.delete(train_file.id)
    client.fine_tuning.jobs.cancel(job.id)
    assert client.files.delete(train_file.id).deleted


# -- fine-tuning jobs (no worker here: jobs stay in validating_files) ------------------------------------------------


def test_created_job_has_every_field_the_sdk_reads(client, train_file):
    job = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id, suffix="Brew voice: v2",
                                         metadata={"team": "support"})
    assert job.status == "validating_files" and job.object == "fine_tuning.job"
    assert job.error.code is None and job.error.message is None  # all-null error object, as the service returns
    assert job.hyperparameters.n_epochs == "auto" and job.method.type == "supervised"
    assert isinstance(job.seed, int) and job.result_files == [] and job.fine_tuned_model is None
    assert job.model_extra["user_provided_suffix"] == "Brew-voice-v2"
    assert client.fine_tuning.jobs.retrieve(job.id).id == job.id
    events = client.fine_tuning.jobs.list_events(job.id)
    assert [e.message for e in events.data] == [f"Validating training file: {train_file.id}",
                                                f"Created fine-tuning job: {job.id}"]


def test_dpo_job_keeps_beta_and_legacy_hyperparameters_map_to_supervised(client, train_file):
    dpo = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id, method={
        "type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "n_epochs": 1}}})
    assert dpo.method.type == "dpo" and dpo.method.dpo.hyperparameters.beta == 0.2
    legacy = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id,
                                            hyperparameters={"n_epochs": 2, "batch_size": 4})
    assert legacy.method.type == "supervised" and legacy.method.supervised.hyperparameters.n_epochs == 2
    assert legacy.hyperparameters.batch_size == 4


@pytest.mark.parametrize(
    ("changes", "param", "message"),
    [
        ({"training_file": "file-doesnotexist"}, "training_file", "no uploaded file"),
        ({"validation_file": "file-doesnotexist"}, "validation_file", "no uploaded file"),
        ({"model": "gpt-4o-mini-2024-07-18"}, "model", "not available for fine-tuning"),
        ({"model": "ft:smollm2-135m-instruct:local::AbCd1234"}, "model", "not supported by the local backend"),
        ({"method": {"type": "reinforcement", "reinforcement": {"grader": {}}}}, "method.type",
         "not supported by the local backend"),
        ({"suffix": "x" * 65}, "suffix", "at most 64 characters"),
        ({"suffix": "::"}, "suffix", "letter or digit"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "at most 16 keys"),
        ({"metadata": {"k": "v" * 513}}, "metadata", "longer than 512"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
         "method.supervised.hyperparameters.n_epochs", "greater than or equal to 1"),
        ({"method": {"type": "supervised", "supervised": {"hyperparameters": {"batch_size": 257}}}},
         "method.supervised.hyperparameters.batch_size", "less than or equal to 256"),
        ({"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}},
         "method.dpo.hyperparameters.beta", "less than or equal to 2"),
        ({"method": {"type": "supervised", "supervised": {"hyperparameters": {"learning_rate_multiplier": 0}}}},
         "method.supervised.hyperparameters.learning_rate_multiplier", "greater than 0"),
        ({"hyperparameters": {"n_epochs": 1}, "method": {"type": "supervised", "supervised": {
            "hyperparameters": {"n_epochs": 2}}}}, "hyperparameters", "not both"),
        ({"integrations": [{"type": "wandb", "wandb": {"project": "p"}}]}, "integrations", "not supported"),
        ({"learning_rate": 0.1}, "learning_rate", "Unrecognized request argument"),
    ],
)
def test_bad_create_requests_are_400s_naming_the_field(client, train_file, changes, param, message):
    body = {"model": BASE, "training_file": train_file.id, **changes}
    with pytest.raises(openai.BadRequestError, match=message) as caught:
        client.fine_tuning.jobs.create(**{k: v for k, v in body.items() if k in _SDK_ARGS},
                                       extra_body={k: v for k, v in body.items() if k not in _SDK_ARGS})
    assert caught.value.param == param


_SDK_ARGS = {"model", "training_file", "validation_file", "suffix", "seed", "metadata", "method", "hyperparameters",
             "integrations"}


def test_wrong_purpose_training_file_is_refused(client):
    other = client.files.create(file=("notes.txt", b"x"), purpose="user_data")
    with pytest.raises(openai.BadRequestError, match="purpose 'user_data'"):
        client.fine_tuning.jobs.create(model=BASE, training_file=other.id)


def test_job_list_is_newest_first_pages_and_filters_metadata(client, train_file):
    run = "run-" + train_file.id[-6:]
    made = [client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id,
                                           metadata={"run": run, "i": str(i)}).id for i in range(5)]
    plain = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id).id
    first = client.fine_tuning.jobs.list(limit=2, metadata={"run": run})
    assert [j.id for j in first.data] == made[::-1][:2] and first.has_more is True
    assert [j.id for j in client.fine_tuning.jobs.list(limit=2, metadata={"run": run})] == made[::-1]
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"run": run, "i": "3"})] == [made[3]]
    everything = [j.id for j in client.fine_tuning.jobs.list(limit=3)]
    assert everything[0] == plain and set(made) <= set(everything)
    without = client.fine_tuning.jobs.list(extra_query={"metadata": "null"}, limit=100)
    assert plain in [j.id for j in without.data] and not set(made) & {j.id for j in without.data}


def test_event_pages_go_back_in_time(client, train_file):
    job = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id)
    client.fine_tuning.jobs.cancel(job.id)
    newest = client.fine_tuning.jobs.list_events(job.id, limit=1)
    assert newest.data[0].message == "Fine-tuning job cancelled" and newest.has_more
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=1)]
    assert messages == ["Fine-tuning job cancelled", f"Validating training file: {train_file.id}",
                        f"Created fine-tuning job: {job.id}"]


def test_status_changes_and_their_refusals(client, train_file):
    job = client.fine_tuning.jobs.create(model=BASE, training_file=train_file.id)
    with pytest.raises(openai.BadRequestError, match="only a queued or running job can be paused"):
        client.fine_tuning.jobs.pause(job.id)
    with pytest.raises(openai.BadRequestError, match="only a paused job can be resumed"):
        client.fine_tuning.jobs.resume(job.id)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    with pytest.raises(openai.BadRequestError, match="already cancelled"):
        client.fine_tuning.jobs.cancel(job.id)
    page = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert page.data == [] and page.has_more is False


@pytest.mark.parametrize("call", ["retrieve", "cancel", "pause", "resume", "list_events"])
def test_unknown_job_is_a_404(client, call):
    with pytest.raises(openai.NotFoundError, match="ftjob-nope"):
        getattr(client.fine_tuning.jobs, call)("ftjob-nope")


# -- chat -------------------------------------------------------------------------------------------------------


def test_chat_passes_openai_parameters_to_the_engine(client, server):
    reply = client.chat.completions.create(
        model=BASE, messages=[{"role": "developer", "content": "Be brief."},
                              {"role": "user", "content": [{"type": "text", "text": "one two"},
                                                           {"type": "text", "text": "three"}]}],
        max_completion_tokens=3, max_tokens=50, temperature=0, top_p=0.5, seed=11, stop=["zzz"], n=2,
        user="u-1", store=False, metadata={"x": "y"}, presence_penalty=0.5)  # user/store/metadata: ignored
    call = server["engine"].calls[-1]
    params = call["params"]
    assert (params.max_tokens, params.temperature, params.top_p, params.seed, params.stop, params.n) == (
        3, 0.0, 0.5, 11, ("zzz",), 2)
    assert (params.presence_penalty, params.frequency_penalty) == (0.5, 0.0)
    assert call["messages"][0] == {"role": "developer", "content": "Be brief."}
    assert call["messages"][1]["content"] == "one two\nthree" and call["adapter"] is None
    assert [c.message.content for c in reply.choices] == ["echo: one two", "echo: one two"]
    assert [c.finish_reason for c in reply.choices] == ["length", "length"]
    assert reply.usage.completion_tokens == 6 and reply.usage.total_tokens == reply.usage.prompt_tokens + 6


def test_chat_with_a_registered_base_model_directory(client, server):
    reply = client.chat.completions.create(model="tiny-local", messages=[{"role": "user", "content": "hi"}])
    assert reply.model == "tiny-local" and server["engine"].calls[-1]["base"] == str(server["custom"])


@pytest.mark.parametrize("include_usage", [True, False])
def test_streaming_chat_sends_role_content_finish_usage_and_done(client, raw, include_usage):
    stream = client.chat.completions.create(model=BASE, messages=[{"role": "user", "content": "a b c"}],
                                            stream=True, stream_options={"include_usage": include_usage})
    chunks = list(stream)
    assert len({c.id for c in chunks}) == 1
    choice_chunks = [c for c in chunks if c.choices]
    assert choice_chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in choice_chunks) == "echo: a b c"
    assert choice_chunks[-1].choices[0].finish_reason == "stop"
    usage = [c.usage for c in chunks if c.usage]
    assert (len(usage) == 1 and usage[0].completion_tokens == 4) if include_usage else usage == []
    text = raw.post("/chat/completions", json={"model": BASE, "stream": True,
                                               "messages": [{"role": "user", "content": "x"}]}).text
    assert text.endswith("data: [DONE]\n\n") and text.startswith("data: {")


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "ft:smollm2-135m-instruct:local::nope1234", "messages": [{"role": "user", "content": "x"}]},
         404, "model"),
        ({"model": BASE, "messages": []}, 400, "messages"),
        ({"model": BASE, "messages": [{"role": "customer", "content": "x"}]}, 400, "messages[0].role"),
        ({"model": BASE, "messages": [{"role": "user", "content": "x"}], "temperature": 3}, 400, "temperature"),
        ({"model": BASE, "messages": [{"role": "user", "content": "x"}], "n": 0}, 400, "n"),
        ({"model": BASE, "messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}, 400,
         "stop"),
        ({"model": BASE, "messages": [{"role": "user", "content": "x"}], "logprobs": True}, 400, "logprobs"),
        ({"model": BASE, "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}, 400, "messages[0].content[0]"),
        ({"model": BASE}, 400, "messages"),
    ],
)
def test_bad_chat_requests(raw, body, status, param):
    response = raw.post("/chat/completions", json=body)
    assert response.status_code == status
    assert response.json()["error"]["param"] == param
    assert response.headers["x-should-retry"] == "false"


# -- models -----------------------------------------------------------------------------------------------------


def test_models_list_retrieve_and_delete_rules(client):
    ids = [m.id for m in client.models.list()]
    assert ids[:2] == [BASE, "tiny-local"]
    assert client.models.retrieve(BASE).owned_by == "system"
    with pytest.raises(openai.PermissionDeniedError, match="cannot be deleted"):
        client.models.delete(BASE)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.models.retrieve("ft:smollm2-135m-instruct:local::missing1")
    with pytest.raises(openai.NotFoundError):
        client.models.delete("ft:smollm2-135m-instruct:local::missing1")


# -- moderations ----------------------------------------------------------------------------------------------

class ScriptedModerator:
    """Stands in for the offline classifier (tests/test_moderation.py covers it): flags texts containing "idiot"."""

    name = "scripted-moderation-approx"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def moderate(self, texts, *, threshold=0.5):
        self.calls.append(list(texts))
        out = []
        for text in texts:
            bad = "idiot" in text
            out.append(ModerationResult(bad, {k: bad and k == "harassment" for k in CATEGORIES},
                                        {k: 0.9 if bad and k == "harassment" else 0.01 for k in CATEGORIES}))
        return out


@pytest.mark.parametrize(
    ("given", "flags"),
    [("you idiot", [True]), (["fine", "you idiot"], [False, True]),
     ([{"type": "text", "text": "fine"}, {"type": "text", "text": "idiot!"}], [False, True])],
)
def test_moderation_route_shapes_one_result_per_input(client, server, given, flags):
    result = client.moderations.create(input=given)
    assert result.model == "scripted-moderation-approx" and result.id.startswith("modr-")
    assert [r.flagged for r in result.results] == flags
    assert len(server["moderator"].calls[-1]) == len(flags)  # the injected classifier saw every input
    first = result.results[-1].model_dump(by_alias=True)
    assert set(first["categories"]) == set(CATEGORIES) == set(first["category_applied_input_types"])
    assert first["category_applied_input_types"]["violence"] == ["text"]


def test_moderation_refuses_images(raw):
    response = raw.post("/moderations", json={"input": [{"type": "image_url", "image_url": {"url": "http://x"}}]})
    assert response.status_code == 400 and response.json()["error"]["param"] == "input[0]"


# -- errors, auth, robustness -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "didn't provide an API key"), ({"Authorization": "Bearer wrong-key"}, "Incorrect API key"),
     ({"Authorization": f"Basic {KEY}"}, "didn't provide an API key")],
)
def test_requests_without_the_key_are_401s(server, headers, message):
    response = httpx.get(server["url"] + "/models", headers=headers)
    assert response.status_code == 401 and message in response.json()["error"]["message"]
    assert KEY not in response.text


def test_sdk_maps_wrong_key_to_authentication_error(server):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server["url"], api_key="nb-wrong", max_retries=0).models.list()


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/fine_tuning/jobs", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("post", "/fine_tuning/jobs", {"content": b"[1, 2]", "headers": {"content-type": "application/json"}}),
        ("post", "/chat/completions", {"content": b"model=x"}),
        ("post", "/moderations", {"json": {"input": 5}}),
        ("post", "/files", {"data": {"purpose": "fine-tune"}}),
        ("get", "/files?limit=abc", {}),
        ("get", "/fine_tuning/jobs?after=ftjob-none", {}),
        ("get", "/files?order=sideways", {}),
    ],
)
def test_malformed_requests_are_400s_in_openais_envelope(raw, method, path, kwargs):
    response = getattr(raw, method)(path, **kwargs)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"


def test_unknown_route_is_a_404_in_the_envelope(raw):
    response = raw.get("/nothing/here")
    assert response.status_code == 404 and response.json()["error"]["message"] == "Invalid URL (GET /v1/nothing/here)"


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                  max_size=3), max_leaves=8)
_fields = st.fixed_dictionaries({}, optional={
    "model": _json | st.just(BASE), "training_file": _json, "messages": _json, "method": _json, "metadata": _json,
    "stream": _json, "n": _json, "stop": _json, "hyperparameters": _json, "input": _json, "max_tokens": _json})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_fields, path=st.sampled_from(["/fine_tuning/jobs", "/chat/completions", "/moderations"]))
def test_no_json_body_makes_the_server_fail(raw, body, path):
    if path == "/moderations" and isinstance(body.get("input"), str):
        body = {**body, "input": 5}  # keep the real classifier out of this fuzz test
    response = raw.post(path, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_state_lives_in_the_data_directory(server):
    names = {p.name for p in Path(server["data_dir"]).iterdir()}
    assert {"state.db", "files", "jobs"} <= names
