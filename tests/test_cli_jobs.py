"""`nbtools jobs`: masked backend settings, the pre-flight gate, the run log listing, and launch → cancel → watch
against the real local server."""

from __future__ import annotations

import json
import re

import pytest

from backend_support import ServerLookups
from nbtools.cli import main
from nbtools.jobs import JobRecord, RunLog
from server_support import chat_lines, shared_server

KEY = "-".join(["sk", "proj", "CLItestKEYdoNOTuse0000000000000000abcd"])  # assembled: no key-shaped text


@pytest.fixture
def files(tmp_path):
    (tmp_path / "train.jsonl").write_text(chat_lines(12), encoding="utf-8")
    broken = chat_lines(12).replace('"role": "user"', '"role": "customer"', 1)
    (tmp_path / "broken.jsonl").write_text(broken, encoding="utf-8")
    return tmp_path


def test_backend_shows_the_settings_with_the_key_masked(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert main(["jobs", "--backend", "openai", "backend"]) == 0
    out = capsys.readouterr().out
    assert "https://api.openai.com/v1" in out and "sk-…abcd" in out and KEY not in out


@pytest.mark.parametrize("name, options, words", [
    ("broken.jsonl", [], ["pre-flight check failed", "customer", "broken.jsonl"]),
    ("train.jsonl", ["--max-usd", "0.000001"], ["pre-flight check failed", "confirmation"]),
])
def test_launch_stops_at_a_failing_preflight(monkeypatch, files, capsys, name, options, words):
    monkeypatch.chdir(files)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # never used: nothing is sent when the pre-flight fails
    code = main(["jobs", "--backend", "openai", "launch", str(files / name), "--model", "gpt-4o-2024-08-06",
                 *options])
    err = capsys.readouterr().err
    assert code == 2 and all(word in err for word in words), err
    assert KEY not in err


def test_list_prints_the_run_log(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path))
    RunLog(tmp_path).record_job(JobRecord(job_id="ftjob-cli", backend="local", base_url="http://127.0.0.1:1/v1",
                                          model="smollm2-135m-instruct", training_file="file-1", created_at=5,
                                          label="cli"))
    assert main(["jobs", "list", "--json"]) == 0
    assert [r["job_id"] for r in json.loads(capsys.readouterr().out)] == ["ftjob-cli"]
    assert main(["jobs", "list", "--status", "succeeded"]) == 0
    assert "no jobs in the run log" in capsys.readouterr().out


@pytest.mark.slow
def test_launch_cancel_watch_on_the_local_server(monkeypatch, files, capsys):
    server = shared_server()
    monkeypatch.setenv("NBTOOLS_HOME", str(server.data_dir.parent))
    monkeypatch.chdir(files)
    lookups = ServerLookups(monkeypatch)
    code = main(["jobs", "launch", "train.jsonl", "--model", "smollm2-135m-instruct", "--epochs", "1",
                 "--label", "cli-test"])
    out = capsys.readouterr().out
    assert code == 0 and "ok       training file" in out, out
    # connect() finds the running server once; the launch asks the connection, it does not look again
    assert lookups.calls == ["server.json read", "health check"]
    job_id = re.search(r"launched (ftjob-\w+) on the local backend", out).group(1)
    assert main(["jobs", "cancel", job_id]) == 0
    assert capsys.readouterr().out.strip() == f"{job_id}: cancelled"
    assert main(["jobs", "watch", job_id]) == 1  # the watched job did not succeed
    assert capsys.readouterr().out.startswith(f"{job_id}: cancelled")
    assert main(["jobs", "list", "--status", "cancelled", "--json"]) == 0
    assert job_id in [r["job_id"] for r in json.loads(capsys.readouterr().out)]


@pytest.mark.slow
def test_backend_shows_the_running_local_server_with_its_key_masked(monkeypatch, tmp_path, capsys):
    server = shared_server()
    monkeypatch.setenv("NBTOOLS_HOME", str(server.data_dir.parent))
    monkeypatch.chdir(tmp_path)
    assert main(["jobs", "--backend", "local", "backend"]) == 0
    out = capsys.readouterr().out
    assert server.base_url in out and "local server" in out
    assert server.api_key not in out and f"…{server.api_key[-4:]}" in out
