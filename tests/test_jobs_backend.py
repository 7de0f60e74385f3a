"""Jobs ask the connection for its backend instead of rebuilding it: a launch through a ``connect()`` client reads no
``server.json`` and sends no health check, and a plain ``openai.OpenAI`` client is classified once per client.

The server is the real HTTP layer in a thread (worker off: jobs are created and queued, nothing trains); the client
is the real ``openai`` SDK recording every request it sends. The real server process is in test_jobs_local.py.
"""

from __future__ import annotations

import httpx2
import openai
import pytest

from backend_support import ServerLookups
from nbtools.backend import Backend, client_backend, connect
from nbtools.jobs import JobSpec, find_jobs, launch_job, preflight, upload_file
from nbtools.server.config import ServerConfig
from server_support import Recorder, chat_lines, thread_server

KEY = "nb-jobs-backend-test-key-000000000"
LAUNCH = ["GET /v1/files", "POST /v1/files", "GET /v1/files", "POST /v1/files", "POST /v1/fine_tuning/jobs"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = ServerConfig(data_dir=tmp_path_factory.mktemp("server"), worker=False, api_key=KEY)
    with thread_server(config) as url:
        yield url


@pytest.fixture
def spec(tmp_path):
    unique = tmp_path.name  # other bytes in each test: no test finds the files of another on the shared server
    (tmp_path / "train.jsonl").write_text(chat_lines(12, reply=f"Hey there! ({unique})"), encoding="utf-8")
    (tmp_path / "valid.jsonl").write_text(chat_lines(4, reply=f"Sure thing. ({unique})"), encoding="utf-8")
    return JobSpec("smollm2-135m-instruct", tmp_path / "train.jsonl", validation_file=tmp_path / "valid.jsonl",
                   n_epochs=1, batch_size=4)


def _recording(recorder: Recorder) -> httpx2.Client:
    return httpx2.Client(event_hooks={"request": [recorder.on_request]})


CLIENTS = [
    # (id, how the client is made, kind the run log records, server.json reads for the whole launch)
    ("connect() to the local server", "connect", "local", 0),
    ("a plain openai.OpenAI client", "plain", "custom", 1),  # this thread server is not recorded in the home
]


@pytest.mark.parametrize("made, kind, reads", [c[1:] for c in CLIENTS], ids=[c[0] for c in CLIENTS])
def test_launch_asks_the_connection_for_its_backend(server, spec, tmp_path, monkeypatch, made, kind, reads):
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path / "home"))
    recorder = Recorder()
    if made == "connect":
        client = connect(Backend("local", server, KEY, key_source="local server"), http_client=_recording(recorder),
                         max_retries=0)
    else:
        client = openai.OpenAI(base_url=server, api_key=KEY, http_client=_recording(recorder), max_retries=0)
    check = preflight(spec)
    lookups = ServerLookups(monkeypatch)
    record = launch_job(client, spec, preflight=check, label="backend-test")
    # one lookup per client at most (it was three rebuilds per launch, each reading server.json and, when a
    # server ran, sending GET /v1/models); and no request beyond the launch's own
    assert lookups.calls == ["server.json read"] * reads
    assert [f"{r.method} {r.url.path}" for r in recorder.requests] == LAUNCH
    assert (record.backend, record.base_url) == (kind, server) and record.status == "validating_files"
    assert upload_file(client, spec.training_path).reused  # found again through the run log of this backend
    logged = find_jobs(label="backend-test", client=client)  # refreshes the job from the same backend
    assert [r.job_id for r in logged] == [record.job_id] and logged[0].backend == kind
    assert lookups.calls == ["server.json read"] * reads and client_backend(client).kind == kind


def test_jobs_of_another_backend_are_not_refreshed_from_this_one(server, spec, tmp_path, monkeypatch):
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path / "home"))
    local = connect(Backend("local", server, KEY, key_source="local server"), max_retries=0)
    record = launch_job(local, spec, preflight=preflight(spec), label="mine")
    recorder = Recorder()
    plain = openai.OpenAI(base_url=server, api_key=KEY, http_client=_recording(recorder), max_retries=0)
    found = find_jobs(label="mine", client=plain)  # same URL, but a custom backend: the local job is left alone
    assert [r.job_id for r in found] == [record.job_id] and recorder.requests == []
