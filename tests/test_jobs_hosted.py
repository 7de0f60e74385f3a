"""The hosted (OpenAI) path without a network: the real ``openai`` SDK, built by ``connect(kind="openai")`` with a
fake key, talks to an ``httpx2.MockTransport`` that records every request and answers in the service's shapes.

What is checked is what would go over the wire: URLs (api.openai.com only), the Authorization header, the multipart
upload, the create-job JSON body (valid against the official OpenAPI schema), the events cursor, cancel, and that
the key never reaches the run log.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx2
import pytest

from nbtools.backend import connect
from nbtools.jobs import JobSpec, cancel_job, find_jobs, launch_job, poll_events, preflight, upload_file
from nbtools.jobs.upload import content_hash
from server_support import assert_schema, chat_lines

KEY = "-".join(["sk", "proj", "FAKEhostedKEYforTESTS0000000000000000wxyz"])  # assembled: no key-shaped text in the file
TODAY = dt.date(2026, 11, 25)


class FakeService:
    """Just enough of the fine-tuning API to answer the SDK, recording each request."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.files: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.events: list[dict] = []  # oldest first
        self.uploads = 0

    def add_file(self, filename: str, size: int) -> str:
        self.uploads += 1
        file_id = f"file-{self.uploads}"
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": size, "created_at": 1795000000,
                               "filename": filename, "purpose": "fine-tune", "status": "processed"}
        return file_id

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        if path == "/v1/files" and method == "GET":
            data = [f for f in self.files.values() if f["purpose"] == request.url.params.get("purpose")]
            return httpx2.Response(200, json={"object": "list", "data": data, "has_more": False,
                                              "first_id": None, "last_id": None})
        if path == "/v1/files" and method == "POST":
            body = request.read()
            filename = re.search(rb'name="file"; filename="([^"]+)"', body).group(1).decode()
            content = body.split(b"\r\n\r\n", 2)[-1].rsplit(b"\r\n--", 1)[0]
            return httpx2.Response(200, json=self.files[self.add_file(filename, len(content))])
        if match := re.fullmatch(r"/v1/files/([^/]+)", path):
            found = self.files.get(match.group(1))
            if found is None:
                return httpx2.Response(404, json={"error": {"message": f"No such File object: {match.group(1)}",
                                                            "type": "invalid_request_error", "param": "id",
                                                            "code": None}})
            return httpx2.Response(200, json=found)
        if path == "/v1/fine_tuning/jobs" and method == "POST":
            body = json.loads(request.read())
            job = {"id": f"ftjob-{len(self.jobs) + 1}", "object": "fine_tuning.job", "created_at": 1795000100,
                   "error": None, "fine_tuned_model": None, "finished_at": None, "hyperparameters": None,
                   "model": body["model"], "organization_id": "org-fake", "result_files": [],
                   "seed": body.get("seed", 1), "status": "validating_files", "trained_tokens": None,
                   "training_file": body["training_file"], "validation_file": body.get("validation_file"),
                   "method": body["method"], "metadata": body.get("metadata")}
            self.jobs[job["id"]] = job
            return httpx2.Response(200, json=job)
        if match := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)/events", path):
            newest_first = self.events[::-1]
            after = request.url.params.get("after")
            if after:
                newest_first = newest_first[[e["id"] for e in newest_first].index(after) + 1:]
            limit = int(request.url.params.get("limit", 20))
            return httpx2.Response(200, json={"object": "list", "data": newest_first[:limit],
                                              "has_more": len(newest_first) > limit})
        if match := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)/cancel", path):
            job = self.jobs[match.group(1)]
            job["status"] = "cancelled"
            return httpx2.Response(200, json=job)
        return httpx2.Response(404, json={"error": {"message": f"unexpected {method} {path}",
                                                    "type": "invalid_request_error", "param": None, "code": None}})

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


@pytest.fixture
def service():
    return FakeService()


@pytest.fixture
def client(service):
    return connect("openai", env_file=None, environ={"OPENAI_API_KEY": KEY}, max_retries=0,
                   http_client=httpx2.Client(transport=httpx2.MockTransport(service)))


@pytest.fixture
def spec(tmp_path):
    (tmp_path / "train.jsonl").write_text(chat_lines(12), encoding="utf-8")
    (tmp_path / "valid.jsonl").write_text(chat_lines(3, reply="Hey there! Sure thing. Stay grounded! ☕"),
                                          encoding="utf-8")
    return JobSpec("gpt-4o-mini-2024-07-18", tmp_path / "train.jsonl", validation_file=tmp_path / "valid.jsonl",
                   n_epochs=2, batch_size=4, learning_rate_multiplier=0.5, suffix="brew-voice", seed=42,
                   metadata={"notebook": "04_launch_job"})


def test_launch_sends_the_documented_requests_to_api_openai_com(service, client, spec, tmp_path):
    record = launch_job(client, spec, preflight=preflight(spec, on=TODAY), label="hosted", home=tmp_path / "home")
    assert service.calls() == ["GET /v1/files", "POST /v1/files", "GET /v1/files", "POST /v1/files",
                               "POST /v1/fine_tuning/jobs"]
    assert {r.url.host for r in service.requests} == {"api.openai.com"}
    assert {r.url.scheme for r in service.requests} == {"https"}
    assert {r.headers["authorization"] for r in service.requests} == {f"Bearer {KEY}"}
    assert service.requests[0].url.params["purpose"] == "fine-tune"
    # multipart upload: purpose field, hash-bearing file name, the file's exact bytes
    upload = service.requests[1]
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = upload.read()
    sha, _ = content_hash(spec.training_path)
    assert b'name="purpose"\r\n\r\nfine-tune\r\n' in body
    assert f'filename="train-{sha[:16]}.jsonl"'.encode() in body
    assert spec.training_path.read_bytes() in body
    # create job: the JSON body, valid against the official schema
    created = json.loads(service.requests[-1].read())
    assert created == {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-1", "validation_file": "file-2",
                       "method": {"type": "supervised", "supervised": {"hyperparameters": {
                           "n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5}}},
                       "suffix": "brew-voice", "seed": 42, "metadata": {"notebook": "04_launch_job"}}
    assert_schema("CreateFineTuningJobRequest", created)
    assert service.requests[-1].headers["content-type"] == "application/json"
    # the run log has the job, and no trace of the key
    assert (record.backend, record.base_url, record.job_id) == ("openai", "https://api.openai.com/v1", "ftjob-1")
    assert find_jobs(kind="openai", home=tmp_path / "home")[0].files["training"]["sha256"] == sha
    for path in (tmp_path / "home" / "runs").iterdir():
        assert KEY not in path.read_text(encoding="utf-8") and KEY[-20:] not in path.read_text(encoding="utf-8")


def test_relaunching_reuses_the_uploads(service, client, spec, tmp_path):
    home = tmp_path / "home"
    launch_job(client, spec, preflight=preflight(spec, on=TODAY), home=home)
    service.requests.clear()
    second = launch_job(client, spec, preflight=preflight(spec, on=TODAY), home=home)
    assert service.calls() == ["GET /v1/files/file-1", "GET /v1/files/file-2", "POST /v1/fine_tuning/jobs"]
    assert (second.training_file, second.validation_file) == ("file-1", "file-2") and len(service.files) == 2


def test_a_file_already_on_the_service_is_found_by_name_and_size(service, client, spec, tmp_path):
    sha, size = content_hash(spec.training_path)
    existing = service.add_file(f"train-{sha[:16]}.jsonl", size)
    service.add_file(f"train-{sha[:16]}.jsonl", size + 1)  # same name, other bytes: not a match
    found = upload_file(client, spec.training_path, home=tmp_path / "fresh-home")
    assert (found.file_id, found.reused, found.found_by) == (existing, True, "file list")
    assert "POST /v1/files" not in service.calls()


def test_a_file_deleted_on_the_service_is_uploaded_again(service, client, spec, tmp_path):
    home = tmp_path / "home"
    first = upload_file(client, spec.training_path, home=home)
    del service.files[first.file_id]
    again = upload_file(client, spec.training_path, home=home)
    assert again.file_id != first.file_id and again.found_by == "upload"
    assert service.calls()[-3:] == [f"GET /v1/files/{first.file_id}", "GET /v1/files", "POST /v1/files"]


def test_new_events_are_read_through_the_after_cursor(service, client):
    service.events = [{"id": f"ftevent-{i}", "object": "fine_tuning.job.event", "created_at": 1795000000 + i,
                       "level": "info", "type": "message", "message": f"event {i}", "data": {}} for i in range(5)]
    first = poll_events(client, "ftjob-1", page_size=2)
    assert [e["id"] for e in first] == [f"ftevent-{i}" for i in range(5)]
    cursors = [r.url.params.get("after") for r in service.requests]
    assert cursors == [None, "ftevent-3", "ftevent-1"]  # newest first; `after` pages towards older events
    service.events.append({**service.events[-1], "id": "ftevent-5", "message": "event 5"})
    service.requests.clear()
    later = poll_events(client, "ftjob-1", known={e["id"] for e in first}, page_size=2)
    assert [e["id"] for e in later] == ["ftevent-5"] and len(service.requests) == 1


def test_cancel_posts_to_the_cancel_endpoint(service, client, spec, tmp_path):
    record = launch_job(client, spec, preflight=preflight(spec, on=TODAY), home=tmp_path)
    job = cancel_job(client, record.job_id, home=tmp_path)
    assert job["status"] == "cancelled" and service.calls()[-1] == f"POST /v1/fine_tuning/jobs/{record.job_id}/cancel"
    assert find_jobs(home=tmp_path)[0].status == "cancelled"
