"""Review decisions on file, accepted examples with provenance, appending them to a JSONL dataset."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from nbtools.errors import DataFormatError, InputError
from nbtools.voice import (
    ProposedExample,
    accepted_examples,
    add_to_dataset,
    pending,
    provenance_path,
    read_decisions,
    record_decision,
    review_progress,
)

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def proposal(n: int, proposed: str | None = None) -> ProposedExample:
    return ProposedExample(
        proposal_id=f"rw-{n:012d}", source_row_id=f"support_tickets.csv:{n}:answer", question=f"Question {n}?",
        original=f"Curt answer {n}.", proposed=proposed if proposed is not None else f"Hey there! Answer {n}.",
        model="smollm2-135m-instruct", system_prompt="Be Brewtiful.", prompt=f"Rewrite {n}", profile_name="B",
        profile_version=2, created_at="2026-11-20T09:00:00+00:00", max_tokens=80, temperature=0.0,
    )


PROPOSALS = [proposal(n) for n in range(1, 5)]


def test_decisions_round_trip_and_the_latest_counts(tmp_path):
    path = tmp_path / "review" / "decisions.jsonl"
    made = [
        record_decision(path, PROPOSALS[0], "accepted", now=NOW),
        record_decision(path, PROPOSALS[1], "edited", text="  Hey there! Better.  ", now=NOW),
        record_decision(path, PROPOSALS[2], "rejected", now=NOW),
        record_decision(path, PROPOSALS[2], "accepted", now=NOW),  # changed mind
    ]
    assert [m.text for m in made] == ["Hey there! Answer 1.", "Hey there! Better.", "", "Hey there! Answer 3."]
    decisions = read_decisions(path)
    assert decisions == {m.proposal_id: m for m in (made[0], made[1], made[3])}
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4  # appended, nothing rewritten
    assert [p.proposal_id for p in pending(PROPOSALS, decisions)] == [PROPOSALS[3].proposal_id]
    assert review_progress(PROPOSALS, decisions) == {"accepted": 2, "edited": 1, "rejected": 0, "pending": 1}


@pytest.mark.parametrize(
    "decision, text, item, field",
    [("maybe", None, proposal(1), "decision"), ("edited", "   ", proposal(1), "text"),
     ("edited", None, proposal(1), "text"), ("accepted", None, proposal(1, proposed="  "), "proposed")],
)
def test_invalid_decisions_are_refused_and_not_written(tmp_path, decision, text, item, field):
    path = tmp_path / "decisions.jsonl"
    with pytest.raises(InputError) as caught:
        record_decision(path, item, decision, text=text)
    assert caught.value.field == field
    assert not path.exists()


@pytest.mark.parametrize(
    "line, message, field",
    [("{not json", "not valid JSON", None), ('{"proposal_id": "x"}', "expected a decision", None),
     ('{"proposal_id": "x", "decision": "maybe", "text": "", "decided_at": "t"}', "decision must be", "decision")],
)
def test_bad_decision_files_name_the_line(tmp_path, line, message, field):
    path = tmp_path / "decisions.jsonl"
    record_decision(path, PROPOSALS[0], "accepted")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n" + line + "\n")
    with pytest.raises(DataFormatError, match=message) as caught:
        read_decisions(path)
    assert (caught.value.line, caught.value.field) == (3, field)


def test_accepted_examples_carry_their_provenance(tmp_path):
    path = tmp_path / "decisions.jsonl"
    record_decision(path, PROPOSALS[0], "accepted", now=NOW)
    record_decision(path, PROPOSALS[1], "edited", text="Hey there! Edited.", now=NOW)
    record_decision(path, PROPOSALS[2], "rejected", now=NOW)
    frame = accepted_examples(PROPOSALS, read_decisions(path), system_prompt="You are Brewtiful's assistant.")
    assert frame["proposal_id"].tolist() == [PROPOSALS[0].proposal_id, PROPOSALS[1].proposal_id]
    assert frame["messages"][1] == [
        {"role": "system", "content": "You are Brewtiful's assistant."},
        {"role": "user", "content": "Question 2?"},
        {"role": "assistant", "content": "Hey there! Edited."},
    ]
    first = frame.iloc[0]
    assert (first["source_row_id"], first["model"], first["profile_version"], first["decision"], first["prompt"]) == (
        "support_tickets.csv:1:answer", "smollm2-135m-instruct", 2, "accepted", "Rewrite 1")
    assert first["decided_at"] == NOW.isoformat() and first["original"] == "Curt answer 1."
    empty = accepted_examples(PROPOSALS, {})
    assert empty.empty and "messages" in empty.columns


def test_add_to_dataset_appends_once_with_line_aligned_provenance(tmp_path):
    dataset = tmp_path / "train.jsonl"
    existing = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"}]}
    dataset.write_text(json.dumps(existing), encoding="utf-8")  # no trailing newline on purpose
    decisions_path = tmp_path / "decisions.jsonl"
    for item in PROPOSALS[:3]:
        record_decision(decisions_path, item, "accepted", now=NOW)
    decisions = read_decisions(decisions_path)
    frame = accepted_examples(PROPOSALS, decisions)
    assert add_to_dataset(frame.iloc[:2], dataset) == 2
    assert add_to_dataset(frame, dataset) == 1  # the first two are already there
    assert add_to_dataset(frame, dataset) == 0
    lines = [json.loads(line) for line in dataset.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == existing and len(lines) == 4
    assert all(set(line) == {"messages"} for line in lines)
    sidecar = provenance_path(dataset)
    assert sidecar.name == "train.provenance.jsonl"
    records = [json.loads(line) for line in sidecar.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [2, 3, 4]
    for record in records:
        example = lines[record["line"] - 1]
        decided = decisions[record["proposal_id"]]
        assert example["messages"][-1]["content"] == decided.text
        assert record["profile_version"] == 2 and record["source_row_id"].startswith("support_tickets.csv:")


def test_add_to_dataset_needs_an_accepted_table(tmp_path):
    import pandas as pd

    with pytest.raises(InputError, match="missing columns"):
        add_to_dataset(pd.DataFrame({"messages": []}), tmp_path / "train.jsonl")
