"""Pre-flight: validation, cost (dollars or CPU minutes), lifecycle and confirmation, as one table of findings."""

from __future__ import annotations

import datetime as dt

import pytest

from nbtools.cost import estimate_training
from nbtools.errors import InputError
from nbtools.jobs import JobSpec, preflight
from nbtools.validate import validate_file
from server_support import chat_lines, dpo_lines

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def files(tmp_path):
    paths = {"train": tmp_path / "train.jsonl", "valid": tmp_path / "valid.jsonl", "dpo": tmp_path / "dpo.jsonl",
             "broken": tmp_path / "broken.jsonl", "few": tmp_path / "few.jsonl"}
    paths["train"].write_text(chat_lines(12), encoding="utf-8")
    paths["valid"].write_text(chat_lines(3), encoding="utf-8")
    paths["dpo"].write_text(dpo_lines(12), encoding="utf-8")
    paths["few"].write_text(chat_lines(4), encoding="utf-8")
    lines = chat_lines(12).splitlines()
    lines[4] = lines[4].replace('"role": "user"', '"role": "customer"')
    paths["broken"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _severities(result) -> dict[str, str]:
    return {f.check: f.severity for f in result.findings}


CASES = [
    # (id, spec options, preflight options, ok, needs confirmation, {check: severity})
    ("clean file, cheap model", {}, {}, True, False,
     {"training file": "ok", "validation file": "ok", "cost": "ok", "model": "warning"}),
    ("a broken line fails validation", {"training_file": "broken"}, {}, False, False,
     {"training file": "error"}),
    ("fewer than 10 training examples", {"training_file": "few"}, {}, False, False, {"training file": "error"}),
    ("a DPO file for a supervised job", {"training_file": "dpo", "validation_file": None}, {}, False, False,
     {"training file": "error"}),
    ("a DPO file for a DPO job (warned: no system message)",
     {"training_file": "dpo", "validation_file": None, "method": "dpo"}, {}, True, False,
     {"training file": "warning", "cost": "ok"}),
    ("over the dollar threshold", {"model": "gpt-4o-2024-08-06"}, {"max_usd": 0.0001}, False, True,
     {"cost": "warning"}),
    ("over the threshold but confirmed", {"model": "gpt-4o-2024-08-06"}, {"max_usd": 0.0001, "confirmed": True},
     True, True, {"cost": "warning"}),
    ("past the last day to start fine-tunes", {}, {"on": dt.date(2027, 2, 1)}, False, False, {"model": "error"}),
    ("gpt-3.5-turbo is shut down", {"model": "gpt-3.5-turbo-0125"}, {}, False, False, {"model": "error"}),
    ("a model nbtools does not know", {"model": "acme-llm-7b"}, {}, False, True,
     {"training file": "ok", "cost": "warning", "model": "warning"}),
]


@pytest.mark.parametrize("spec_options, options, ok, needs_confirmation, severities",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_findings_table(files, spec_options, options, ok, needs_confirmation, severities):
    spec_options = {"model": "gpt-4o-mini-2024-07-18", "training_file": "train", "validation_file": "valid",
                    **spec_options}
    for role in ("training_file", "validation_file"):
        spec_options[role] = files[spec_options[role]] if spec_options[role] else None
    result = preflight(JobSpec(**spec_options), **{"on": TODAY, **options})
    assert result.ok is ok, result.to_frame()
    assert result.needs_confirmation is needs_confirmation
    assert {k: v for k, v in _severities(result).items() if k in severities} == severities
    frame = result.to_frame()
    assert list(frame.columns) == ["check", "severity", "message"] and frame["message"].str.len().gt(0).all()


def test_the_cost_finding_matches_the_cost_module(files):
    spec = JobSpec("gpt-4o-mini-2024-07-18", files["train"], n_epochs=3)
    result = preflight(spec, on=TODAY)
    reference = estimate_training(validate_file(files["train"], model=spec.model).tokens.totals, model=spec.model,
                                  n_epochs=3)
    assert result.estimate == reference
    assert f"{reference.billed_tokens:,} training tokens" in _message(result, "cost")


def _message(result, check: str) -> str:
    return next(f.message for f in result.findings if f.check == check)


def test_the_confirm_callback_is_asked_only_when_needed(files):
    asked = []

    def confirm(pending):
        asked.append(pending.estimate.cost_usd)
        return True

    cheap = preflight(JobSpec("gpt-4o-mini-2024-07-18", files["train"]), confirm=confirm, on=TODAY)
    assert cheap.ok and asked == []
    dear = preflight(JobSpec("gpt-4o-2024-08-06", files["train"]), max_usd=0.0001, confirm=confirm, on=TODAY)
    assert dear.ok and dear.confirmed and len(asked) == 1 and asked[0] > 0.0001
    refused = preflight(JobSpec("gpt-4o-2024-08-06", files["train"]), max_usd=0.0001, confirm=lambda p: False,
                        on=TODAY)
    assert not refused.ok and "confirmation" in refused.problems[-1]


def test_a_failing_preflight_raises_one_error_listing_every_problem(files):
    result = preflight(JobSpec("gpt-4o-2024-08-06", files["broken"]), max_usd=0.0001, on=dt.date(2027, 2, 1))
    with pytest.raises(InputError) as caught:
        result.raise_for_problems()
    message = str(caught.value)
    assert "training file" in message and "customer" in message and "model:" in message
    assert "confirmation" not in message or "confirmed=True" in message


@pytest.mark.slow
def test_local_model_cost_is_cpu_time(files):
    spec = JobSpec("smollm2-135m-instruct", files["train"], n_epochs=1)
    result = preflight(spec, max_cpu_minutes=0.0001)
    assert result.estimate.cost_usd == 0 and result.estimate.cpu_seconds > 0
    assert "of CPU" in _message(result, "cost") and result.needs_confirmation
    assert preflight(spec).ok
