"""`nbtools estimate`: one pass, the same numbers as the library, located errors, JSON for machines."""

from __future__ import annotations

import json

import pytest

from nbtools.cli import main
from nbtools.cost import estimate_training
from nbtools.tokens import TokenCounter


def _examples(n):
    return [{"messages": [{"role": "system", "content": "You are Brewtiful Coffee's assistant."},
                          {"role": "user", "content": f"Question number {i} about my order?"},
                          {"role": "assistant", "content": f"Hey there! Answer {i}.\n\nStay grounded! ☕"}]}
            for i in range(n)]


@pytest.fixture
def train_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in _examples(12)), encoding="utf-8")
    return path


def test_json_output_matches_the_library(train_file, capsys):
    assert main(["estimate", str(train_file), "--model", "gpt-4o-mini", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    counter = TokenCounter.for_model("gpt-4o-mini")
    counts = [counter.count_example(e).total for e in _examples(12)]
    expected = estimate_training(counts, model="gpt-4o-mini")
    assert out["estimate"]["billed_tokens"] == expected.billed_tokens
    assert out["estimate"]["n_epochs"] == expected.n_epochs == 8  # 100 // 12
    assert out["estimate"]["cost_usd"] == pytest.approx(expected.cost_usd)
    assert out["lifecycle"]["can_fine_tune"] in (True, False)


def test_human_output_for_the_local_model_says_cpu_time(train_file, capsys):
    assert main(["estimate", str(train_file), "--model", "smollm2-135m-instruct", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "epochs: 2" in out and "$0 (local model)" in out and "CPU time" in out


def test_a_retired_model_is_warned_about(train_file, capsys):
    main(["estimate", str(train_file), "--model", "gpt-3.5-turbo-0125"])
    assert "shut down on 2026-10-23" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, code, message",
    [
        (None, 2, "no such file"),
        ("", 2, "no valid example"),
        ('{"messages": [{"role": "customer", "content": "hi"}]}\n', 2, "no valid example"),
    ],
)
def test_unusable_input_exits_2_with_a_clear_message(tmp_path, capsys, content, code, message):
    path = tmp_path / "bad.jsonl"
    if content is not None:
        path.write_text(content)
    assert main(["estimate", str(path), "--model", "gpt-4o-mini"]) == code
    assert message in capsys.readouterr().err


def test_bad_epochs_and_unknown_model(train_file, capsys):
    assert main(["estimate", str(train_file), "--model", "gpt-4o-mini", "--epochs", "99"]) == 2
    assert "n_epochs" in capsys.readouterr().err
    assert main(["estimate", str(train_file), "--model", "llama-9"]) == 2
    assert "no price for model 'llama-9'" in capsys.readouterr().err
