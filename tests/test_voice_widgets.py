"""The studio and review widgets, driven as a user would: set values, click buttons, then check files and state.

The studio streams through the function it is given; here a plain generator stands in for the model, so these
tests are about the view (live rendering, checks, save/load, errors). tests/test_voice_live.py runs the studio
against the real local server.
"""

from __future__ import annotations

from nbtools.errors import BackendError
from nbtools.voice import (
    ProposedExample,
    ReviewWidget,
    StudioActions,
    VoiceProfile,
    VoiceStudio,
    check_answer,
    list_versions,
    load_profile,
    read_decisions,
    review_widget,
)
from nbtools.voice.widgets import studio_actions

PROFILE = VoiceProfile(name="Brewtiful", instructions="Long instructions: greet with Hey there!",
                       banned_phrases=("per our policy",), required_signoff="Stay grounded! ☕",
                       required_elements=("Hey there",))
REPLIES = {
    "A": ["Hey there! ", "Your beans ", "ship Monday.", "\nStay grounded! ☕"],
    "B": ["Per our policy ", "it ships Monday."],
}


class Recorder:
    """Streams a fixed reply per instruction variant and records every call it gets."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[tuple[str, str, str]] = []
        self.fail_on = fail_on

    def __call__(self, setup, prompt: str):
        self.calls.append((setup.model, setup.system, prompt))
        self.messages = setup.messages(prompt)  # what the runner would send for this set-up
        if setup.model == self.fail_on:
            raise BackendError(f"chat with model {setup.model!r} failed: connection refused")
        yield from REPLIES["A" if setup.system.startswith("Long") else "B"]


def make_studio(tmp_path, stream) -> VoiceStudio:
    actions = studio_actions(client=None, directory=tmp_path / "profiles")
    actions = StudioActions(stream=stream, check=actions.check, save=actions.save, load=actions.load,
                            versions=actions.versions)
    return VoiceStudio(PROFILE, actions, models=["smollm2-135m-instruct", "ft:smollm2-135m-instruct:local:v:1"],
                       instructions_b="Short prompt.")


def test_run_streams_every_model_and_variant_into_its_output(tmp_path):
    stream = Recorder()
    studio = make_studio(tmp_path, stream)
    studio.models.value = tuple(studio.models.options)
    studio.prompt.value = "When does my order ship?"
    studio.run_button.click()
    assert studio.errors == [] and studio.error.value == ""
    models = list(studio.models.options)
    assert stream.calls == [(m, s, "When does my order ship?") for m in models
                            for s in ("Long instructions: greet with Hey there!", "Short prompt.")]
    assert stream.messages == [{"role": "system", "content": "Short prompt."},
                               {"role": "user", "content": "When does my order ship?"}]
    assert {(v, m): s.label for (v, m), s in studio.setups.items()} == {
        (v, m): f"{m} · instructions {v}" for m in models for v in "AB"}
    for model in models:
        for variant in "AB":
            chunks = REPLIES[variant]
            assert studio.answers[(variant, model)] == "".join(chunks)
            # streamed: one stream output per chunk, in order
            assert [o["text"] for o in studio.outputs[(variant, model)].outputs] == chunks
            assert "<table" in studio.check_views[(variant, model)].value
    frame = studio.checks_frame()
    assert len(frame) == 4
    by_variant = frame.groupby("variant")["pass_all"].all()
    assert by_variant["A"] and not frame.loc[frame["variant"] == "B", "pass_no_banned"].any()
    assert "done: 4 answers" in studio.status.value


def test_callback_errors_are_shown_not_swallowed(tmp_path):
    studio = make_studio(tmp_path, Recorder(fail_on="ft:smollm2-135m-instruct:local:v:1"))
    studio.run_button.click()
    assert "type a prompt first" in studio.error.value
    studio.prompt.value = "Hi"
    studio.models.value = ("ft:smollm2-135m-instruct:local:v:1",)
    studio.run_button.click()
    assert "connection refused" in studio.error.value
    assert [type(e) for e in studio.errors] == [ValueError, BackendError]
    studio.models.value = ("smollm2-135m-instruct",)
    studio.run_button.click()
    assert studio.error.value == ""  # cleared by the next good run


def test_save_writes_versions_from_the_kept_variant_and_load_restores_them(tmp_path):
    studio = make_studio(tmp_path, Recorder())
    directory = tmp_path / "profiles"
    studio.save_button.click()
    assert [v.version for v in list_versions(directory, "Brewtiful")] == [1]
    studio.save_button.click()  # nothing changed: no new version
    assert [v.version for v in list_versions(directory, "Brewtiful")] == [1]
    studio.instructions["B"].value = "Variant B wins."
    studio.keep.value = "B"
    studio.save_button.click()
    assert load_profile(directory, "Brewtiful") == PROFILE.replace(version=2, instructions="Variant B wins.")
    assert [o[1] for o in studio.versions.options] == [2, 1] and studio.versions.value == 2
    assert "version 2" in studio.status.value
    studio.versions.value = 1
    studio.load_button.click()
    assert studio.instructions["A"].value == PROFILE.instructions and studio.profile.version == 1
    studio.name.value = "Nobody"
    studio.load_button.click()
    assert "no saved voice profile named 'Nobody'" in studio.error.value


def proposals() -> list[ProposedExample]:
    return [
        ProposedExample(
            proposal_id=f"rw-{n}", source_row_id=f"support_tickets.csv:{n}:answer", question=f"Question {n}?",
            original=f"Curt <b>answer</b> {n}.", proposed=f"Hey there! Answer {n}.\nStay grounded! ☕",
            model="smollm2-135m-instruct", system_prompt="Be Brewtiful.", prompt=f"Rewrite {n}", profile_name="B",
            profile_version=1, created_at="2026-11-20T09:00:00+00:00", max_tokens=80, temperature=0.0,
        )
        for n in range(1, 5)
    ]


def test_review_accept_edit_reject_are_saved_and_a_restart_resumes(tmp_path):
    path = tmp_path / "decisions.jsonl"
    items = proposals()
    widget = review_widget(items, path, profile=PROFILE)
    assert widget.current == items[0] and "0 of 4 decided" in widget.progress.value
    assert "&lt;b&gt;answer&lt;/b&gt;" in widget.original.value  # shown escaped, never as markup
    assert "✅" in widget.checks_view.value
    widget.accept_button.click()
    assert widget.current == items[1]
    widget.edit_button.click()  # unchanged text: refused, nothing written
    assert "unchanged" in widget.error.value and len(read_decisions(path)) == 1
    widget.proposed.value = "Hey there! A better answer.\nStay grounded! ☕"
    widget.edit_button.click()
    widget.skip_button.click()  # leave item 3 for later
    assert widget.current == items[3]
    widget.reject_button.click()
    assert widget.current == items[2]  # wraps round to the skipped one
    decisions = read_decisions(path)
    assert {k: (d.decision, d.text) for k, d in decisions.items()} == {
        "rw-1": ("accepted", items[0].proposed),
        "rw-2": ("edited", "Hey there! A better answer.\nStay grounded! ☕"),
        "rw-4": ("rejected", ""),
    }
    # "kernel restart": a new widget from the same file starts at the one still pending
    again = review_widget(items, path, profile=PROFILE)
    assert again.current == items[2] and "3 of 4 decided" in again.progress.value
    again.accept_button.click()
    assert again.current is None and again.accept_button.disabled
    assert "All proposals are decided" in again.original.value
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4


def test_review_checks_follow_edits_and_decide_errors_are_shown(tmp_path):
    def failing(proposal, decision, text):
        raise OSError("disk full")

    widget = ReviewWidget(proposals(), decide=failing, check=lambda text: check_answer(text, PROFILE))
    widget.proposed.value = "Per our policy, no."
    assert "per our policy" in widget.checks_view.value
    widget.accept_button.click()
    assert "OSError: disk full" in widget.error.value and widget.current.proposal_id == "rw-1"
    assert widget.decisions == {}
