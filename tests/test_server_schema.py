"""Every endpoint's response validates against its component schema in OpenAI's official OpenAPI document.

The document is loaded once (tests/server_support.openapi_document), $refs resolved, validated with jsonschema.
Two deliberate deviations, both decided for compatibility with the real service (see the README, "The local OpenAI-compatible server"), are patched
into the schema here, each explicitly and nowhere else:

* ``FineTuningJob.error`` is an object with null fields on jobs that have not failed (the real service does this;
  the spec allows only null or a fully filled object);
* ``FineTuningJob.status`` is ``paused`` after a pause (the spec's own pause example shows it; its enum lacks it).
"""

from __future__ import annotations

import copy
import json

import httpx
import jsonschema
import pytest

from server_support import (assert_schema, chat_lines, client_for, openapi_document, shared_server, trained_job,
                            wait_for)

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"


def _job_patches(*, paused: bool = False) -> dict:
    schema = copy.deepcopy(openapi_document()["components"]["schemas"]["FineTuningJob"])
    null_error = {"type": "object", "properties": {k: {"type": "null"} for k in ("code", "message", "param")},
                  "required": ["code", "message", "param"]}
    schema["properties"]["error"] = {"anyOf": [schema["properties"]["error"], null_error]}
    if paused:
        schema["properties"]["status"]["enum"] = [*schema["properties"]["status"]["enum"], "paused"]
    return {"FineTuningJob": schema}


@pytest.fixture(scope="module")
def server():
    return shared_server()


@pytest.fixture(scope="module")
def client(server):
    return client_for(server, max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def raw(server):
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"},
                      timeout=300) as c:
        yield c


@pytest.fixture(scope="module")
def trained():
    return trained_job()


@pytest.fixture(scope="module")
def upload(raw):
    response = raw.post("/files", files={"file": ("train.jsonl", chat_lines(12).encode())},
                        data={"purpose": "fine-tune"})
    assert response.status_code == 200
    return response.json()


def test_create_file(upload):
    assert_schema("OpenAIFile", upload)


def test_list_files(raw, upload):
    body = raw.get("/files", params={"limit": 2}).json()
    assert body["data"]
    assert_schema("ListFilesResponse", body)


def test_retrieve_file(raw, upload):
    assert_schema("OpenAIFile", raw.get(f"/files/{upload['id']}").json())


def test_file_content(raw, upload):
    content = raw.get(f"/files/{upload['id']}/content")
    schema = openapi_document()["paths"]["/files/{file_id}/content"]["get"]["responses"]["200"]["content"]
    jsonschema.validate(content.content.decode("utf-8"), schema["application/json"]["schema"])  # {"type": "string"}
    assert content.content == chat_lines(12).encode()


def test_delete_file(raw):
    made = raw.post("/files", files={"file": ("x.txt", b"x")}, data={"purpose": "user_data"}).json()
    assert_schema("DeleteFileResponse", raw.delete(f"/files/{made['id']}").json())


def test_create_job(raw, upload):
    body = raw.post("/fine_tuning/jobs", json={"model": BASE, "training_file": upload["id"], "suffix": "schema",
                                               "metadata": {"suite": "schema"}}).json()
    assert_schema("FineTuningJob", body, patches=_job_patches())
    raw.post(f"/fine_tuning/jobs/{body['id']}/cancel")


def test_list_jobs(raw, trained):
    body = raw.get("/fine_tuning/jobs", params={"limit": 50}).json()
    assert any(j["status"] == "succeeded" for j in body["data"])
    assert_schema("ListPaginatedFineTuningJobsResponse", body, patches=_job_patches())


def test_retrieve_succeeded_job(raw, trained):
    body = raw.get(f"/fine_tuning/jobs/{trained['job'].id}").json()
    assert body["status"] == "succeeded" and body["result_files"]
    assert_schema("FineTuningJob", body, patches=_job_patches())


def test_retrieve_failed_job_needs_no_patch(raw):
    bad = raw.post("/files", files={"file": ("few.jsonl", chat_lines(3).encode())}, data={"purpose": "fine-tune"})
    job = raw.post("/fine_tuning/jobs", json={"model": BASE, "training_file": bad.json()["id"]}).json()
    failed = wait_for(lambda: (lambda j: j if j["status"] == "failed" else None)(
        raw.get(f"/fine_tuning/jobs/{job['id']}").json()), timeout=120, what="the job to fail")
    assert_schema("FineTuningJob", failed)


def test_pause_resume_cancel(raw, client, upload):
    job = raw.post("/fine_tuning/jobs", json={"model": BASE, "training_file": upload["id"], "method": {
        "type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4, "batch_size": 4}}}}).json()
    wait_for(lambda: any(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(job["id"], limit=5)),
             timeout=300, what="the job to train")
    paused = raw.post(f"/fine_tuning/jobs/{job['id']}/pause").json()
    assert paused["status"] == "paused"
    assert_schema("FineTuningJob", paused, patches=_job_patches(paused=True))
    wait_for(lambda: any(e.message.startswith("Fine-tuning job paused at step")
                         for e in client.fine_tuning.jobs.list_events(job["id"], limit=10)), timeout=120,
             what="the pause to take effect")
    resumed = raw.post(f"/fine_tuning/jobs/{job['id']}/resume").json()
    assert resumed["status"] == "queued"
    assert_schema("FineTuningJob", resumed, patches=_job_patches())
    cancelled = raw.post(f"/fine_tuning/jobs/{job['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert_schema("FineTuningJob", cancelled, patches=_job_patches())


def test_list_events(raw, trained):
    body = raw.get(f"/fine_tuning/jobs/{trained['job'].id}/events", params={"limit": 100}).json()
    assert {e["type"] for e in body["data"]} == {"message", "metrics"}
    assert_schema("ListFineTuningJobEventsResponse", body)


def test_list_checkpoints(raw, trained):
    body = raw.get(f"/fine_tuning/jobs/{trained['job'].id}/checkpoints").json()
    assert len(body["data"]) == 2
    assert_schema("ListFineTuningJobCheckpointsResponse", body)


def test_chat_completion(raw, trained):
    body = raw.post("/chat/completions", json={"model": trained["job"].fine_tuned_model, "max_tokens": 8, "n": 2,
                                               "messages": [{"role": "user", "content": "Hi!"}]}).json()
    assert len(body["choices"]) == 2
    assert_schema("CreateChatCompletionResponse", body)


def test_chat_completion_stream_chunks(raw, trained):
    request = {"model": trained["job"].fine_tuned_model, "max_tokens": 6, "stream": True,
               "stream_options": {"include_usage": True}, "messages": [{"role": "user", "content": "Hi!"}]}
    with raw.stream("POST", "/chat/completions", json=request) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = [line[len("data: "):] for line in response.iter_lines() if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    for chunk in chunks:
        assert_schema("CreateChatCompletionStreamResponse", chunk)


def test_list_models(raw, trained):
    body = raw.get("/models").json()
    assert trained["job"].fine_tuned_model in [m["id"] for m in body["data"]]
    assert_schema("ListModelsResponse", body)


def test_retrieve_model(raw, trained):
    assert_schema("Model", raw.get(f"/models/{trained['job'].fine_tuned_model}").json())


def test_delete_model(raw):
    # a model of its own, so that the suite's shared fine-tuned model stays
    made = raw.post("/files", files={"file": ("x.jsonl", chat_lines(10).encode())}, data={"purpose": "fine-tune"})
    job = raw.post("/fine_tuning/jobs", json={"model": BASE, "training_file": made.json()["id"], "method": {
        "type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 8}}}}).json()
    done = wait_for(lambda: (lambda j: j if j["status"] in ("succeeded", "failed") else None)(
        raw.get(f"/fine_tuning/jobs/{job['id']}").json()), timeout=600, what="the job to finish")
    assert done["status"] == "succeeded", done["error"]
    assert_schema("DeleteModelResponse", raw.delete(f"/models/{done['fine_tuned_model']}").json())


def test_moderations(raw):
    body = raw.post("/moderations", json={"input": ["Thanks, the beans arrived!", "You idiot, I hate you"]}).json()
    assert len(body["results"]) == 2 and "approx" in body["model"]
    assert_schema("CreateModerationResponse", body)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", "/models/ft:nope:x", {}, 404),
        ("post", "/fine_tuning/jobs", {"json": {"model": BASE}}, 400),
        ("get", "/fine_tuning/jobs/ftjob-nope", {}, 404),
        ("post", "/chat/completions", {"content": b"{", "headers": {"content-type": "application/json"}}, 400),
    ],
)
def test_errors(raw, method, path, kwargs, status):
    response = getattr(raw, method)(path, **kwargs)
    assert response.status_code == status
    assert_schema("ErrorResponse", response.json())


@pytest.mark.parametrize(
    ("component", "payload"),
    [
        ("OpenAIFile", {"id": "file-x", "object": "file", "bytes": 1, "created_at": 1, "filename": "a",
                        "purpose": "fine-tune"}),  # no status
        ("FineTuningJobEvent", {"id": "e", "object": "fine_tuning.job.event", "created_at": 1, "level": "debug",
                                "message": "m"}),  # level outside the enum
        ("Model", {"id": "m", "object": "model", "created": "yesterday", "owned_by": "x"}),
    ],
)
def test_the_schema_check_itself_rejects_wrong_shapes(component, payload):
    with pytest.raises(AssertionError):
        assert_schema(component, payload)
