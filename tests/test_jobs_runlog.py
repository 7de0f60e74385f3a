"""The run log: launches and status updates fold into one record per job, filters find them, a fresh process reads
them, and a damaged line is reported with its file and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.errors import DataFormatError, JobError
from nbtools.jobs import JobRecord, RunLog, find_jobs, latest_job


def _record(job_id: str, *, backend: str = "local", created_at: int = 1_795_000_000, **extra) -> JobRecord:
    return JobRecord(job_id=job_id, backend=backend, base_url=extra.pop("base_url", "http://127.0.0.1:8765/v1"),
                     model=extra.pop("model", "smollm2-135m-instruct"), training_file="file-t",
                     created_at=created_at, **extra)


@pytest.fixture
def log(tmp_path) -> RunLog:
    log = RunLog(tmp_path)
    log.record_job(_record("ftjob-old", created_at=100, label="04_launch_job"))
    log.record_job(_record("ftjob-openai", backend="openai", base_url="https://api.openai.com/v1",
                           model="gpt-4o-mini-2024-07-18", created_at=200))
    log.record_job(_record("ftjob-new", created_at=300, label="04_launch_job", suffix="brew"))
    log.update_job("ftjob-old", status="succeeded", fine_tuned_model="ft:smollm2-135m-instruct:local::old",
                   result_files=["file-r1"])
    log.update_job("ftjob-new", status="running")
    return log


def test_updates_fold_into_the_launch_record(log):
    jobs = {r.job_id: r for r in log.jobs()}
    assert jobs["ftjob-old"].status == "succeeded" and jobs["ftjob-old"].result_files == ("file-r1",)
    assert jobs["ftjob-old"].fine_tuned_model == "ft:smollm2-135m-instruct:local::old"
    assert jobs["ftjob-new"].status == "running" and jobs["ftjob-new"].suffix == "brew"
    assert jobs["ftjob-openai"].status == "validating_files" and not jobs["ftjob-openai"].terminal
    assert [json.loads(line)["event"] for line in log.jobs_path.read_text().splitlines()] == [
        "created", "created", "created", "update", "update"]


FILTERS = [
    ({}, ["ftjob-new", "ftjob-openai", "ftjob-old"]),
    ({"kind": "local"}, ["ftjob-new", "ftjob-old"]),
    ({"kind": "local", "status": "succeeded"}, ["ftjob-old"]),
    ({"status": ("running", "succeeded")}, ["ftjob-new", "ftjob-old"]),
    ({"label": "04_launch_job"}, ["ftjob-new", "ftjob-old"]),
    ({"model": "gpt-4o-mini-2024-07-18"}, ["ftjob-openai"]),
    ({"base_url": "https://api.openai.com/v1/"}, ["ftjob-openai"]),
    ({"kind": "custom"}, []),
]


@pytest.mark.parametrize("filters, expected", FILTERS)
def test_find_jobs_filters_newest_first(log, filters, expected):
    assert [r.job_id for r in find_jobs(home=log.home, **filters)] == expected


def test_latest_job_prefers_the_later_launch_within_one_second(tmp_path):
    log = RunLog(tmp_path)
    for job_id in ("ftjob-first", "ftjob-second"):
        log.record_job(_record(job_id, created_at=500))
    assert latest_job(home=tmp_path).job_id == "ftjob-second"


def test_latest_job_without_a_match_says_what_was_asked(log):
    with pytest.raises(JobError, match=r"kind='custom', status='succeeded'.*launch one first"):
        latest_job(kind="custom", status="succeeded", home=log.home)


def test_a_damaged_line_is_reported_with_file_and_line(log):
    with open(log.jobs_path, "a", encoding="utf-8") as handle:
        handle.write('{"event": "update", "job_id": \n')
    with pytest.raises(DataFormatError) as caught:
        log.jobs()
    assert caught.value.file == str(log.jobs_path) and caught.value.line == 6


def test_updating_an_unknown_field_is_refused(log):
    with pytest.raises(ValueError, match="api_key"):
        log.update_job("ftjob-new", api_key="sk-nope")


def test_a_fresh_process_finds_the_job(log):
    """What a kernel restart looks like: a new interpreter, the same NBTOOLS_HOME."""
    code = ("import nbtools; r = nbtools.latest_job(kind='local', status='succeeded'); "
            "print(r.job_id, r.fine_tuned_model)")
    env = {**os.environ, "NBTOOLS_HOME": str(log.home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ftjob-old", "ft:smollm2-135m-instruct:local::old"]
