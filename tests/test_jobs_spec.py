"""JobSpec: the API's ranges are enforced before anything is sent, and the request body it builds is valid
against the official OpenAPI schema (``CreateFineTuningJobRequest``)."""

from __future__ import annotations

import pytest

from nbtools.errors import InputError
from nbtools.jobs import JobSpec
from server_support import assert_schema

BAD = [
    # (options, field named in the error)
    ({"n_epochs": 0}, "n_epochs"),
    ({"n_epochs": 51}, "n_epochs"),
    ({"n_epochs": 2.5}, "n_epochs"),
    ({"n_epochs": "many"}, "n_epochs"),
    ({"batch_size": 257}, "batch_size"),
    ({"batch_size": True}, "batch_size"),
    ({"learning_rate_multiplier": 0}, "learning_rate_multiplier"),
    ({"learning_rate_multiplier": -1.0}, "learning_rate_multiplier"),
    ({"method": "dpo", "beta": 0}, "beta"),
    ({"method": "dpo", "beta": 2.5}, "beta"),
    ({"beta": 0.1}, "beta"),  # beta on a supervised job
    ({"method": "reinforcement"}, "method"),
    ({"suffix": ""}, "suffix"),
    ({"suffix": "x" * 65}, "suffix"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**31}, "seed"),
    ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
    ({"metadata": {"k" * 65: "v"}}, "metadata"),
    ({"metadata": {"run": 3}}, "metadata[run]"),
    ({"model": " "}, "model"),
]


@pytest.mark.parametrize("options, field", BAD, ids=[f"{f}={o}"[:60] for o, f in BAD])
def test_out_of_range_options_are_refused_naming_the_field(options, field):
    options = {"model": "gpt-4o-mini-2024-07-18", **options}
    with pytest.raises(InputError) as caught:
        JobSpec(training_file="train.jsonl", **options)
    assert caught.value.field == field


GOOD = [
    ({}, {"type": "supervised", "supervised": {}}),
    ({"n_epochs": 1, "batch_size": 4}, {"type": "supervised", "supervised": {"hyperparameters": {
        "n_epochs": 1, "batch_size": 4}}}),
    ({"n_epochs": 50, "batch_size": 256, "learning_rate_multiplier": 0.1},
     {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 50, "batch_size": 256,
                                                               "learning_rate_multiplier": 0.1}}}),
    ({"method": "dpo", "beta": 2, "n_epochs": 1}, {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 1,
                                                                                               "beta": 2}}}),
    ({"method": "dpo"}, {"type": "dpo", "dpo": {}}),
]


@pytest.mark.parametrize("options, method", GOOD)
def test_method_payload_sends_only_what_was_set(options, method):
    assert JobSpec("gpt-4o-mini-2024-07-18", "train.jsonl", **options).method_payload() == method


@pytest.mark.parametrize("options", [o for o, _ in GOOD] + [
    {"suffix": "brew-voice", "seed": 0, "metadata": {"notebook": "04_launch_job"}},
    {"suffix": "x" * 64, "seed": 2**31 - 1, "validation": True},
])
def test_create_arguments_are_valid_against_the_openapi_schema(options):
    options = dict(options)
    validation = options.pop("validation", False)
    spec = JobSpec("gpt-4o-mini-2024-07-18", "train.jsonl", validation_file="valid.jsonl" if validation else None,
                   **options)
    body = spec.create_arguments("file-train", "file-valid" if validation else None)
    assert_schema("CreateFineTuningJobRequest", body)
    assert ("validation_file" in body) == validation
    assert "hyperparameters" not in body  # the deprecated top-level field is never used


def test_the_spec_is_frozen_and_compares_by_value():
    a = JobSpec("m", "t.jsonl", n_epochs=1, metadata={"a": "b"})
    assert a == JobSpec("m", "t.jsonl", n_epochs=1, metadata={"a": "b"})
    with pytest.raises(AttributeError):
        a.n_epochs = 2


SCHEMA_AGREES = [  # (method, hyperparameter or top-level field, a value JobSpec refuses)
    ("supervised", "n_epochs", 0), ("supervised", "n_epochs", 51), ("supervised", "batch_size", 0),
    ("supervised", "batch_size", 257), ("supervised", "learning_rate_multiplier", 0), ("dpo", "beta", 0),
    ("dpo", "beta", 2.5), (None, "suffix", "x" * 65), (None, "suffix", ""), (None, "seed", -1), (None, "seed", 2**31),
]


@pytest.mark.parametrize("method, name, value", SCHEMA_AGREES)
def test_the_ranges_are_the_openapi_schemas(method, name, value):
    """Each of these values is refused by the official schema and by JobSpec alike."""
    from server_support import schema_validator

    validator = schema_validator("CreateFineTuningJobRequest")

    def body(v):
        made = {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-1"}
        if method is None:
            made[name] = v
        else:
            made["method"] = {"type": method, method: {"hyperparameters": {name: v}}}
        return made

    assert not validator.is_valid(body(value))
    options = {"method": method or "supervised", name: value}
    with pytest.raises(InputError):
        JobSpec("gpt-4o-mini-2024-07-18", "train.jsonl", **options)
