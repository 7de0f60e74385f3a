"""The walkthrough summary reports what the files and the server say: the fine-tuned model of notebook 04 is the
one the run log holds and the local server serves, each place it names exists (or is marked missing), the stage
times are the recorded ones, and the prompt sizes are the counted ones."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbtools import TokenCounter, connect, read_system_prompts
from nbtools.csvfiles import write_csv
from nbtools.jobs import latest_job
from nbtools.walkthrough import walkthrough_summary, write_timings
from nbtools.walkthrough.summary import summary_record
from tutorial_support import ROOT, TUTORIAL_LABEL, ensure_tutorial_job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    ensure_tutorial_job()
    return connect("local")


@pytest.mark.timeout(3600)
def test_the_summary_matches_the_run_log_the_server_and_the_files(client, tmp_path):
    build = tmp_path / "build"
    (build / "workflow").mkdir(parents=True)
    for name in ("train.jsonl", "valid.jsonl"):  # the tutorial's files, copied; the others stay missing
        (build / "workflow" / name).write_bytes((ROOT / "build" / "workflow" / name).read_bytes())
    write_timings(build / "executed", [("01_clean_corpus", 31.5), ("04_launch_job", 140.0)])
    evals = pd.DataFrame([{"setup": "base", "answers": 6, "stopped by itself": 50.0},
                          {"setup": "fine-tuned + short prompt", "answers": 6, "stopped by itself": 100.0}])
    write_csv(evals, build / "workflow" / "eval_summary.csv")  # as EvalResult.write_summary writes it

    summary = walkthrough_summary(build, samples_dir=ROOT / "data" / "samples", client=client)

    job = latest_job(status="succeeded", label=TUTORIAL_LABEL)
    assert (summary.fine_tuned_model, summary.job_id, summary.base_model) == (job.fine_tuned_model, job.job_id,
                                                                             job.model)
    assert summary.served is True and summary.fine_tuned_model in {m.id for m in client.models.list()}
    for label, path, exists in summary.places:
        assert exists == path.exists(), label
    assert {label for label, _, exists in summary.places if exists} == {"training file", "validation file",
                                                                          "executed notebooks"}
    assert summary.stages == (("01_clean_corpus", 31.5), ("04_launch_job", 140.0)) and summary.total_seconds == 171.5
    prompts = read_system_prompts(ROOT / "data" / "samples" / "custom_instructions.md")
    counter = TokenCounter.for_model(job.model)
    assert summary.long_prompt_tokens == counter.count_messages([{"role": "system", "content": prompts.long}])
    assert summary.short_prompt_tokens == counter.count_messages([{"role": "system", "content": prompts.short}])
    assert 0.9 < summary.prompt_reduction < 1

    assert summary.evals.loc["fine-tuned + short prompt", "stopped by itself"] == "100.0"
    text = summary.to_text()
    assert summary.fine_tuned_model in text and "served by the local server" in text and "(missing)" in text
    assert any(summary.fine_tuned_model in step for step in summary.next_steps())
    record = json.loads(json.dumps(summary_record(summary)))
    assert record["fine_tuned_model"] == job.fine_tuned_model and record["served"] is True


def test_without_a_tutorial_job_the_summary_says_so(tmp_path):
    summary = walkthrough_summary(tmp_path / "build", samples_dir=tmp_path, home=tmp_path / "empty-home")
    assert summary.fine_tuned_model is None and summary.served is None and summary.stages == ()
    assert summary.long_prompt_tokens is None and "none (notebook 04 has not finished a job)" in summary.to_text()
