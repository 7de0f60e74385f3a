"""The command-line launcher (the entry point for ``accelerate launch``): spec parsing, JSON-lines hooks, a run."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from engine_support import QUESTIONS, chat_example, write_jsonl
from nbtools.errors import InputError
from nbtools.server.engine import StepMetrics
from nbtools.server.engine.launch import JsonLinesHooks, spec_from_json

SPEC = {"job_id": "j1", "method": "supervised", "base_model": "smollm2-135m-instruct",
        "training_file": "train.jsonl", "validation_file": None, "seed": 3, "output_dir": "out",
        "hyperparameters": {"n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 1.0}}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**SPEC, "epochs": 3}, "epochs"),  # unknown field
        ({**SPEC, "hyperparameters": {"n_epochs": 1}}, None),  # incomplete hyperparameters
        ({"job_id": "j1", "hyperparameters": SPEC["hyperparameters"]}, None),  # missing fields
    ],
)
def test_bad_specs(data, field):
    with pytest.raises(InputError) as raised:
        spec_from_json(data)
    assert raised.value.field == field


@pytest.mark.parametrize(("content", "expected"), [(None, "continue"), ("pause\n", "pause"), ("CANCEL", "cancel"),
                                                   ("go on", "continue")])
def test_control_file(tmp_path, content, expected):
    control = tmp_path / "control"
    if content is not None:
        control.write_text(content)
    assert JsonLinesHooks(io.StringIO(), control_file=control).control() == expected


def test_only_the_main_process_prints():
    metrics = StepMetrics(step=1, total_steps=2, train_loss=1.5, train_mean_token_accuracy=0.25)
    main, other = io.StringIO(), io.StringIO()
    JsonLinesHooks(main).on_step(metrics, 10)
    JsonLinesHooks(other, main_process=False).on_step(metrics, 10)
    assert json.loads(main.getvalue()) == {"event": "step", **metrics.__dict__, "trained_tokens": 10}
    assert other.getvalue() == ""


@pytest.mark.slow
def test_a_run_from_the_command_line(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", [chat_example(q) for q in QUESTIONS[:4]])
    (tmp_path / "spec.json").write_text(json.dumps({**SPEC, "training_file": str(tmp_path / "train.jsonl"),
                                                    "output_dir": str(tmp_path / "out")}))
    (tmp_path / "control").write_text("pause")
    done = subprocess.run([sys.executable, "-m", "nbtools.server.engine.launch", str(tmp_path / "spec.json"),
                           "--control-file", str(tmp_path / "control"), "--max-length", "96"],
                          capture_output=True, text=True, timeout=300, check=True)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events if e["event"] != "log"] == ["step", "result"]
    result = events[-1]
    assert (result["status"], result["steps_done"], result["total_steps"]) == ("paused", 1, 2)
    assert result["resume_checkpoint"].endswith("checkpoint-1")
