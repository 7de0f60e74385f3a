"""Rewrite proposals: the prompt, provenance, and the proposals file (de-duplicated, errors located).

The model call itself is tested against the real local server in tests/test_voice_live.py.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from nbtools.errors import DataFormatError
from nbtools.voice import ProposedExample, VoiceProfile, load_proposals, proposals_frame, rewrite_prompt
from nbtools.voice import save_proposals

PROFILE = VoiceProfile(name="B", version=3, instructions="Be Brewtiful.", required_signoff="Stay grounded! ☕")


def make(n: int) -> ProposedExample:
    return ProposedExample(
        proposal_id=f"rw-{n:012d}", source_row_id=f"support_tickets.csv:{n}:answer", question="Can I pause?",
        original="Yes.", proposed="Hey there! Yes, pause any time.\nStay grounded! ☕", model="smollm2-135m-instruct",
        system_prompt="Be Brewtiful.", prompt="Rewrite", profile_name="B", profile_version=3,
        created_at="2026-11-20T09:00:00+00:00", max_tokens=80, temperature=0.0,
    )


def test_rewrite_prompt_holds_question_answer_and_signoff_rule():
    prompt = rewrite_prompt("  Can I pause my plan?\n", "Yes, in settings. ", PROFILE)
    assert "A customer asked: Can I pause my plan?\n" in prompt
    assert "Our draft reply: Yes, in settings.\n" in prompt
    assert 'End with the line "Stay grounded! ☕".' in prompt
    assert "End with the line" not in rewrite_prompt("q", "a", PROFILE.replace(required_signoff=""))


def test_proposals_file_round_trip_without_duplicates(tmp_path):
    path = tmp_path / "proposals.jsonl"
    assert load_proposals(path) == []
    assert save_proposals([make(1), make(2)], path) == 2
    assert save_proposals([make(2), make(3), make(3)], path) == 1
    loaded = load_proposals(path)
    assert loaded == [make(1), make(2), make(3)]
    frame = proposals_frame(loaded)
    assert list(frame.columns) == [f.name for f in dataclasses.fields(ProposedExample)]
    assert frame["source_row_id"].tolist() == [p.source_row_id for p in loaded]
    assert "☕" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "line, message",
    [("{broken", "not valid JSON"), ('{"proposal_id": "x"}', "expected a proposal object"), ("[1, 2]", "not an object")],
)
def test_bad_proposals_file_names_the_line(tmp_path, line, message):
    path = tmp_path / "proposals.jsonl"
    path.write_text(json.dumps(dataclasses.asdict(make(1))) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=message) as caught:
        load_proposals(path)
    assert caught.value.line == 3 and caught.value.file == str(path)
