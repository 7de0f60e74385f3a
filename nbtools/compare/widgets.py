"""The comparison widget: a thin ipywidgets view for rating pairs of answers side by side, blind by default.

It computes nothing: it shows :class:`~.ratings.Pairing` objects and hands each click to the `rate` function it was
given (:func:`compare_widget` wires :func:`~.ratings.record_rating` on a ratings file). What it did stays in plain
attributes (``ratings``, ``errors``), so tests drive it by setting ``.value`` and calling ``.click()``, then read the
ratings file. Errors raised by `rate` are shown in the widget, never swallowed.

    widget = compare_widget(blind_pairs(results, against="fine-tuned + short prompt"), "ratings.jsonl")
    widget                       # in JupyterLab: read both answers, click "Left is better", "Right is better" or "Tie"
    widget.rate("left", notes="warmer")   # the same from code (what the buttons call)
"""

from __future__ import annotations

import html
import os
from typing import Any, Callable, Sequence

import ipywidgets as w

from ..errors import InputError
from ..widget_errors import shows_errors
from .ratings import Pairing, Rating, read_ratings, record_rating

__all__ = ["CompareWidget", "compare_widget"]

RateFunction = Callable[[Pairing, str, str, bool], Rating]  # (pairing, choice, notes, blind) -> the recorded rating
_BOX = ("white-space: pre-wrap; border: 1px solid #ccc; border-radius: 4px; padding: 8px; min-height: 120px; "
        "font-size: 13px; line-height: 1.4")
_PROMPT_CHARS = 70


class CompareWidget(w.VBox):
    """Prompt list, both answers side by side, blind-mode toggle, rating buttons, notes and progress."""

    def __init__(self, pairings: Sequence[Pairing], rate: RateFunction, *, rated: Sequence[str] = (),
                 blind: bool = True) -> None:
        if not pairings:
            raise InputError("nothing to compare: no pairings (run_comparison, then blind_pairs)", field="pairings",
                             value=list(pairings))
        self.pairings = list(pairings)
        self._rate = rate
        self.rated: set[str] = {p.pair_id for p in self.pairings} & set(rated)
        self.ratings: list[Rating] = []
        self.errors: list[Exception] = []
        self._index = next((i for i, p in enumerate(self.pairings) if p.pair_id not in self.rated), 0)

        self.prompt_list = w.Select(options=self._options(), value=self._index, rows=min(8, len(self.pairings)),
                                    description="Pairs", layout={"width": "100%"})
        self.blind = w.ToggleButton(value=blind, description="Blind mode", icon="eye-slash",
                                    tooltip="hide which set-up wrote which answer")
        self.prompt = w.HTML()
        self.left_title, self.right_title = w.HTML(), w.HTML()
        self.left_output, self.right_output = w.HTML(), w.HTML()
        self.notes = w.Textarea(placeholder="Why? (optional, saved with the rating)", description="Notes",
                                layout={"width": "100%"})
        self.left_button = w.Button(description="Left is better", button_style="success", icon="arrow-left")
        self.right_button = w.Button(description="Right is better", button_style="success", icon="arrow-right")
        self.tie_button = w.Button(description="Tie", icon="equals")
        self.progress = w.Label()
        self.message = w.HTML()
        self.error = w.HTML()

        self.prompt_list.observe(self._on_select, names="value")
        self.blind.observe(lambda _: self._show(), names="value")
        self.left_button.on_click(lambda _: self.rate("left"))
        self.right_button.on_click(lambda _: self.rate("right"))
        self.tie_button.on_click(lambda _: self.rate("tie"))
        self._show()
        super().__init__([
            w.HTML("<b>Compare answers</b>: which one would you send to the customer?"),
            self.prompt_list, self.blind, self.prompt,
            w.HBox([w.VBox([self.left_title, self.left_output], layout={"width": "50%"}),
                    w.VBox([self.right_title, self.right_output], layout={"width": "50%"})]),
            w.HBox([self.left_button, self.tie_button, self.right_button]),
            self.notes, self.progress, self.message, self.error,
        ])

    @property
    def current(self) -> Pairing:
        """The pairing on screen."""
        return self.pairings[self._index]

    def _options(self) -> list[tuple[str, int]]:
        options = []
        for i, pairing in enumerate(self.pairings):
            text = " ".join(pairing.prompt.split())
            text = text if len(text) <= _PROMPT_CHARS else text[: _PROMPT_CHARS - 1] + "…"
            options.append((f"{'✓' if pairing.pair_id in self.rated else '·'} {i + 1}. {text}", i))
        return options

    def _title(self, side: str, pairing: Pairing) -> str:
        if self.blind.value:
            return f"<b>{side}</b>"
        setup, model = ((pairing.left_setup, pairing.left_model) if side == "Left"
                        else (pairing.right_setup, pairing.right_model))
        return f"<b>{side}</b> · {html.escape(setup)} <code>{html.escape(model)}</code>"

    def _show(self) -> None:
        pairing = self.current
        self.prompt.value = f"<b>Customer:</b> {html.escape(pairing.prompt)}"
        self.left_title.value = self._title("Left", pairing)
        self.right_title.value = self._title("Right", pairing)
        self.left_output.value = f'<div style="{_BOX}">{html.escape(pairing.left_output) or "<i>(empty)</i>"}</div>'
        self.right_output.value = f'<div style="{_BOX}">{html.escape(pairing.right_output) or "<i>(empty)</i>"}</div>'
        done = len(self.rated)
        self.progress.value = (f"{done} of {len(self.pairings)} pairs rated"
                               + (" — all done" if done == len(self.pairings) else ""))

    def _on_select(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] != self._index:
            self._index = change["new"]
            self._show()

    def _next_unrated(self) -> int:
        """The next unrated pairing after the one on screen; once all are rated, simply the next one (a second
        pass re-rates pairs in order, the newest rating of a pair counting)."""
        n = len(self.pairings)
        for step in range(1, n + 1):
            candidate = (self._index + step) % n
            if self.pairings[candidate].pair_id not in self.rated:
                return candidate
        return (self._index + 1) % n

    @shows_errors
    def rate(self, choice: str, *, notes: str | None = None) -> Rating:
        """Record `choice` (left, right or tie) about the pairing on screen, with the notes box's text (or `notes`),
        then move on to the next unrated pairing. This is what the three buttons call."""
        pairing = self.current
        rating = self._rate(pairing, choice, self.notes.value if notes is None else notes, self.blind.value)
        self.ratings.append(rating)
        self.rated.add(pairing.pair_id)
        verdict = "a tie" if rating.winner is None else f"{html.escape(rating.winner)} preferred"
        self.message.value = (f"Saved: {choice} ({verdict}; left was {html.escape(pairing.left_setup)}, right was "
                              f"{html.escape(pairing.right_setup)}).")
        self.notes.value = ""
        self._index = self._next_unrated()
        self.prompt_list.unobserve(self._on_select, names="value")
        try:
            self.prompt_list.options = self._options()
            self.prompt_list.value = self._index
        finally:
            self.prompt_list.observe(self._on_select, names="value")
        self._show()
        return rating


def compare_widget(pairings: Sequence[Pairing], ratings_path: str | os.PathLike[str], *,
                   blind: bool = True) -> CompareWidget:
    """A :class:`CompareWidget` whose buttons append to the ratings file `ratings_path` (pairs already rated there
    are ticked and skipped)."""
    done = [r.pair_id for r in read_ratings(ratings_path, pairings=pairings)]

    def rate(pairing: Pairing, choice: str, notes: str, blind_mode: bool) -> Rating:
        return record_rating(ratings_path, pairing, choice, notes=notes, blind=blind_mode)

    return CompareWidget(pairings, rate, rated=done, blind=blind)
