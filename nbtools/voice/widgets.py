"""Thin ipywidgets views: the voice studio (A/B custom instructions, live streaming) and the rewrite review.

Each studio cell (instructions A or B for one model) is a compare-room set-up (:class:`nbtools.ModelSetup`), so its
messages are built exactly as :func:`nbtools.run_comparison` builds them; the studio streams it (the runner does not).
The widgets compute nothing themselves: they call plain functions handed to them (:class:`StudioActions`, a
`decide` function) and keep what they showed in plain attributes (``answers``, ``checks``, ``decisions``,
``errors``), so tests drive them by setting ``.value`` and calling ``.click()`` and then read state and files.
Errors raised by those functions are shown in the widget (and kept in ``errors``), never swallowed.
:func:`voice_studio` and :func:`review_widget` wire the real functions.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import ipywidgets as w
import pandas as pd

from ..widget_errors import error_html, shows_errors
from ..compare.setups import ModelSetup
from .chat import model_ids, stream_reply
from .checks import Embedder, VoiceCheck, check_answer
from .profile import VoiceProfile, list_versions, load_profile, save_profile
from .review import Decision, ReviewDecision, pending, read_decisions, record_decision, review_progress
from .rewrite import ProposedExample
from .scoring import checks_table

__all__ = ["StudioActions", "VoiceStudio", "ReviewWidget", "studio_actions", "voice_studio", "review_widget"]

VARIANTS = ("A", "B")


@dataclass(frozen=True)
class StudioActions:
    """The functions the studio calls: stream a reply, check an answer, save / load / list profile versions."""

    stream: Callable[[ModelSetup, str], Iterable[str]]  # (set-up, user prompt) -> text chunks
    check: Callable[[str, VoiceProfile], VoiceCheck]
    save: Callable[[VoiceProfile], VoiceProfile]
    load: Callable[[str, int | None], VoiceProfile]  # (name, version or None for the newest)
    versions: Callable[[str], list[int]]


def _table_html(frame: pd.DataFrame) -> str:
    marks = {True: "✅", False: "❌", None: "–"}
    shown = frame.assign(passed=frame["passed"].map(lambda v: marks[None if v is None else bool(v)]))
    return shown.to_html(index=False, escape=True, border=0)


class VoiceStudio:
    """Edit two custom-instruction variants, run a prompt against chosen models with streaming, check the voice."""

    def __init__(
        self, profile: VoiceProfile, actions: StudioActions, *, models: Sequence[str], instructions_b: str = ""
    ) -> None:
        self.actions = actions
        self.profile = profile
        self.answers: dict[tuple[str, str], str] = {}
        self.checks: dict[tuple[str, str], VoiceCheck] = {}
        self.errors: list[Exception] = []
        self.outputs: dict[tuple[str, str], w.Output] = {}
        self.setups: dict[tuple[str, str], ModelSetup] = {}
        self.check_views: dict[tuple[str, str], w.HTML] = {}

        area = {"width": "100%", "height": "180px"}
        self.name = w.Text(value=profile.name, description="Profile")
        self.instructions = {
            "A": w.Textarea(value=profile.instructions, description="A", layout=area),
            "B": w.Textarea(value=instructions_b, description="B", layout=area),
        }
        self.models = w.SelectMultiple(options=list(models), value=tuple(models[:1]), description="Models", rows=4)
        self.prompt = w.Textarea(placeholder="A customer question…", description="Prompt", layout={"width": "100%"})
        self.run_button = w.Button(description="Run A and B", button_style="primary", icon="play")
        self.keep = w.ToggleButtons(options=VARIANTS, value="A", description="Save", tooltips=["keep A", "keep B"])
        self.save_button = w.Button(description="Save version", icon="save")
        self.versions = w.Dropdown(description="Version", options=[])
        self.load_button = w.Button(description="Load", icon="folder-open")
        self.status = w.HTML()
        self.error = w.HTML()
        self.results = w.VBox()

        self.run_button.on_click(lambda _: self.run())
        self.save_button.on_click(lambda _: self.save())
        self.load_button.on_click(lambda _: self.load())
        self._refresh_versions()
        self.view = w.VBox([
            w.HBox([self.name, self.versions, self.load_button]),
            w.HBox([w.VBox([w.HTML("<b>Instructions A</b>"), self.instructions["A"]], layout={"width": "50%"}),
                    w.VBox([w.HTML("<b>Instructions B</b>"), self.instructions["B"]], layout={"width": "50%"})]),
            w.HBox([self.keep, self.save_button]),
            w.HBox([self.models, self.prompt]),
            self.run_button, self.status, self.error, self.results,
        ])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def _refresh_versions(self) -> None:
        numbers = self.actions.versions(self.profile.name)
        self.versions.options = [(f"v{n}", n) for n in reversed(numbers)]
        if self.profile.version in numbers:
            self.versions.value = self.profile.version

    @shows_errors
    def run(self) -> None:
        """Stream the prompt's answer from every chosen model under both instruction variants, then check each."""
        prompt = self.prompt.value.strip()
        if not prompt:
            raise ValueError("type a prompt first")
        if not self.models.value:
            raise ValueError("choose at least one model")
        for shown in (self.answers, self.checks, self.outputs, self.check_views, self.setups):
            shown.clear()
        rows = []
        for model in self.models.value:
            cells = []
            for variant in VARIANTS:
                key = (variant, model)
                self.outputs[key] = w.Output(layout={"border": "1px solid #ddd", "padding": "4px"})
                self.check_views[key] = w.HTML()
                cells.append(w.VBox([w.HTML(f"<b>{html.escape(model)}</b> · instructions {variant}"),
                                     self.outputs[key], self.check_views[key]], layout={"width": "50%"}))
            rows.append(w.HBox(cells))
        self.results.children = rows
        for model in self.models.value:
            for variant in VARIANTS:
                key = (variant, model)
                self.setups[key] = ModelSetup(f"{model} · instructions {variant}", model,
                                              self.instructions[variant].value)
                self.status.value = f"running {html.escape(model)} with instructions {variant}…"
                self.answers[key] = ""
                for chunk in self.actions.stream(self.setups[key], prompt):
                    self.answers[key] += chunk
                    self.outputs[key].append_stdout(chunk)
                self.checks[key] = self.actions.check(self.answers[key], self.profile)
                self.check_views[key].value = _table_html(checks_table(self.checks[key]))
        self.status.value = f"done: {len(self.answers)} answers"

    def checks_frame(self) -> pd.DataFrame:
        """The last run's answers and their checks, one row per (variant, model)."""
        rows = [{"variant": v, "model": m, "answer": self.answers[(v, m)]} | c.as_row()
                for (v, m), c in self.checks.items()]
        return pd.DataFrame(rows)

    @shows_errors
    def save(self) -> None:
        """Save the profile with the kept variant's instructions (a new version when anything changed)."""
        kept = self.instructions[self.keep.value].value
        edited = self.profile.replace(name=self.name.value.strip(), instructions=kept)
        saved = self.actions.save(edited)
        self.profile = saved
        self._refresh_versions()
        self.status.value = f"saved {html.escape(saved.name)} as version {saved.version}"

    @shows_errors
    def load(self) -> None:
        """Load the version chosen in the dropdown (the newest when none) into variant A."""
        loaded = self.actions.load(self.name.value.strip(), self.versions.value)
        self.profile = loaded
        self.name.value = loaded.name
        self.instructions["A"].value = loaded.instructions
        self._refresh_versions()
        self.status.value = f"loaded {html.escape(loaded.name)} version {loaded.version}"


class ReviewWidget:
    """Show each pending proposal (original vs proposed, checks) with Accept / Accept edited / Reject buttons."""

    def __init__(
        self,
        proposals: Sequence[ProposedExample],
        *,
        decide: Callable[[ProposedExample, Decision, str | None], ReviewDecision],
        decisions: dict[str, ReviewDecision] | None = None,
        check: Callable[[str], VoiceCheck] | None = None,
    ) -> None:
        self.proposals = list(proposals)
        self.decide = decide
        self.check = check
        self.decisions: dict[str, ReviewDecision] = dict(decisions or {})
        self.errors: list[Exception] = []
        self.current: ProposedExample | None = None

        self.progress = w.HTML()
        self.original = w.HTML()
        self.proposed = w.Textarea(layout={"width": "100%", "height": "140px"}, continuous_update=False)
        self.checks_view = w.HTML()
        self.accept_button = w.Button(description="Accept", button_style="success", icon="check")
        self.edit_button = w.Button(description="Accept edited", button_style="info", icon="edit")
        self.reject_button = w.Button(description="Reject", button_style="danger", icon="times")
        self.skip_button = w.Button(description="Skip", icon="forward")
        self.error = w.HTML()
        self.accept_button.on_click(lambda _: self._decide("accepted"))
        self.edit_button.on_click(lambda _: self._decide("edited"))
        self.reject_button.on_click(lambda _: self._decide("rejected"))
        self.skip_button.on_click(lambda _: self.skip())
        self.proposed.observe(lambda change: self._show_checks(change["new"]), names="value")
        self.view = w.VBox([
            self.progress, self.original, w.HTML("<b>Proposed</b> (edit, then “Accept edited”)"), self.proposed,
            self.checks_view,
            w.HBox([self.accept_button, self.edit_button, self.reject_button, self.skip_button]), self.error,
        ])
        self._show(self._next_pending(None))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def _next_pending(self, after: ProposedExample | None) -> ProposedExample | None:
        todo = pending(self.proposals, self.decisions)
        if after is not None and after in todo:
            position = todo.index(after)
            todo = todo[position + 1:] + todo[:position]
        return todo[0] if todo else None

    def _show(self, proposal: ProposedExample | None) -> None:
        self.current = proposal
        counts = review_progress(self.proposals, self.decisions)
        decided = len(self.proposals) - counts["pending"]
        self.progress.value = (f"<b>{decided} of {len(self.proposals)} decided</b> · {counts['accepted']} accepted, "
                               f"{counts['edited']} edited, {counts['rejected']} rejected")
        for button in (self.accept_button, self.edit_button, self.reject_button, self.skip_button):
            button.disabled = proposal is None
        if proposal is None:
            self.original.value = "<i>All proposals are decided.</i>"
            self.proposed.value = ""
            self.checks_view.value = ""
            return
        esc = partial(html.escape, quote=False)
        self.original.value = (
            f"<div style='white-space:pre-wrap'><b>Question</b> ({esc(proposal.source_row_id)})<br>"
            f"{esc(proposal.question)}<br><b>Original answer</b><br>{esc(proposal.original)}<br>"
            f"<small>proposed by {esc(proposal.model)} with profile {esc(proposal.profile_name)} "
            f"v{proposal.profile_version}</small></div>"
        )
        self.proposed.value = proposal.proposed
        self._show_checks(proposal.proposed)

    def _show_checks(self, text: str) -> None:
        if self.check is None or self.current is None:
            return
        try:
            self.checks_view.value = _table_html(checks_table(self.check(text)))
        except Exception as exc:  # shown, like every callback error
            self.errors.append(exc)
            self.error.value = error_html(exc)

    @shows_errors
    def _decide(self, decision: Decision) -> None:
        if self.current is None:
            raise ValueError("nothing left to review")
        text = self.proposed.value if decision == "edited" else None
        if text is not None and text.strip() == self.current.proposed.strip():
            raise ValueError("the text is unchanged: edit it first, or click Accept")
        made = self.decide(self.current, decision, text)
        self.decisions[made.proposal_id] = made
        self._show(self._next_pending(self.current))

    @shows_errors
    def skip(self) -> None:
        """Move to the next pending proposal without deciding this one."""
        self._show(self._next_pending(self.current))


def studio_actions(
    client: Any, directory: str | os.PathLike[str], *, embedder: Embedder | None = None, max_tokens: int = 80
) -> StudioActions:
    """The real studio functions: stream from `client`, check with `embedder`, keep profiles in `directory`."""

    def stream(setup: ModelSetup, prompt: str) -> Iterable[str]:
        return stream_reply(setup.client or client, setup.model, setup.messages(prompt), max_tokens=max_tokens,
                            **setup.params)

    return StudioActions(
        stream=stream,
        check=partial(_check, embedder=embedder),
        save=partial(save_profile, directory=directory),
        load=lambda name, version: load_profile(directory, name, version=version),
        versions=lambda name: [v.version for v in list_versions(directory, name)],
    )


def _check(answer: str, profile: VoiceProfile, *, embedder: Embedder | None) -> VoiceCheck:
    return check_answer(answer, profile, embedder=embedder)


def voice_studio(
    client: Any,
    profile: VoiceProfile,
    *,
    directory: str | os.PathLike[str],
    instructions_b: str = "",
    models: Sequence[str] | None = None,
    embedder: Embedder | None = None,
    max_tokens: int = 80,
) -> VoiceStudio:
    """The voice studio wired to `client` (models from ``client.models.list()`` unless given) and `directory`."""
    chosen = list(models) if models is not None else model_ids(client)
    actions = studio_actions(client, directory, embedder=embedder, max_tokens=max_tokens)
    return VoiceStudio(profile, actions, models=chosen, instructions_b=instructions_b)


def review_widget(
    proposals: Sequence[ProposedExample],
    decisions_path: str | os.PathLike[str],
    *,
    profile: VoiceProfile | None = None,
    embedder: Embedder | None = None,
) -> ReviewWidget:
    """The review widget recording decisions in `decisions_path` (resuming from it), checking against `profile`."""
    path = Path(decisions_path)

    def decide(proposal: ProposedExample, decision: Decision, text: str | None) -> ReviewDecision:
        return record_decision(path, proposal, decision, text=text)

    check = None if profile is None else partial(_check, profile=profile, embedder=embedder)
    return ReviewWidget(proposals, decide=decide, decisions=read_decisions(path), check=check)
