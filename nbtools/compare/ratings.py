"""Blind pairwise ratings: pair the answers, shuffle left and right, record choices, win rates, DPO export.

A :class:`Pairing` shows two set-ups' answers to one prompt; which one is on the left is drawn from a seeded random
generator per pair (so the same seed gives the same screen) and recorded. Ratings go to an append-only JSON Lines
file, one line per click: the prompt, both sides as shown (``left_*`` then ``right_*``, set-up, model, output),
whether the order was swapped, the choice (``left`` | ``right`` | ``tie``), notes, blind or not, and a UTC timestamp.
Rating a pair again adds a line; the newest line of a pair is the one that counts.

    >>> import pandas as pd, tempfile, os
    >>> results = pd.DataFrame({"prompt_id": [0, 0], "prompt": ["Can I pause?"] * 2, "setup": ["base", "tuned"],
    ...     "model": ["m", "ft:m"], "output": ["Yes.", "Hey there! Sure. Stay grounded! ☕"]})
    >>> [pair] = blind_pairs(results, seed=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "ratings.jsonl")
    >>> rating = record_rating(path, pair, "left" if pair.left_setup == "tuned" else "right")
    >>> rating.winner, win_rates(read_ratings(path))[["setup", "wins", "losses"]].values.tolist()
    ('tuned', [['tuned', 1, 0], ['base', 0, 1]])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..errors import DataFormatError, InputError
from ..jsonl import append_jsonl, iter_records

__all__ = [
    "Pairing",
    "Rating",
    "DpoExport",
    "CHOICES",
    "blind_pairs",
    "record_rating",
    "read_ratings",
    "win_rates",
    "win_rate_chart",
    "export_dpo",
]

CHOICES = ("left", "right", "tie")
_SIDE = ("setup", "model", "output")


@dataclass(frozen=True)
class Pairing:
    """Two set-ups' answers to one prompt, in the order shown: ``left_*`` on the left, ``right_*`` on the right.

    `swapped` is True when the shuffle put the pair's second set-up on the left; `seed` is the shuffle's seed.
    """

    pair_id: str
    prompt_id: int
    prompt: str
    left_setup: str
    left_model: str
    left_output: str
    right_setup: str
    right_model: str
    right_output: str
    swapped: bool
    seed: int


@dataclass(frozen=True)
class Rating:
    """One recorded choice about a :class:`Pairing` (what the ratings file holds, one per line)."""

    pair_id: str
    prompt: str
    left_setup: str
    left_model: str
    left_output: str
    right_setup: str
    right_model: str
    right_output: str
    swapped: bool
    seed: int
    choice: str
    notes: str
    blind: bool
    rated_at: str
    prompt_id: int | None = None

    @property
    def winner(self) -> str | None:
        """The preferred set-up's label (None for a tie)."""
        return {"left": self.left_setup, "right": self.right_setup}.get(self.choice)

    @property
    def loser(self) -> str | None:
        """The other set-up's label (None for a tie)."""
        return {"left": self.right_setup, "right": self.left_setup}.get(self.choice)

    def as_dict(self) -> dict[str, Any]:
        """The ratings-file line of this rating (with ``shown_order``: the left then the right set-up)."""
        return {**dataclasses.asdict(self), "shown_order": [self.left_setup, self.right_setup]}


def _pair_id(prompt: str, sides: Iterable[tuple[str, str, str]]) -> str:
    """Names the exact comparison: the prompt and both (set-up, model, output), order-free."""
    canonical = json.dumps([prompt, sorted(sides)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def blind_pairs(results: pd.DataFrame, *, against: str | None = None, pairs: Sequence[tuple[str, str]] | None = None,
                seed: int = 0) -> list[Pairing]:
    """Pairings of answers to the same prompt, left/right order shuffled per pair with `seed` (and recorded).

    Which set-ups meet: every set-up against `against` (e.g. the fine-tuned one), or the explicit `pairs` of labels,
    or by default every two set-ups. Rows with an ``error`` are left out. Pairings come prompt by prompt.
    """
    needed = [c for c in ("prompt_id", "prompt", "setup", "model", "output") if c not in results.columns]
    if needed:
        raise InputError("not a comparison table (run_comparison's result)", field="columns", value=needed)
    if against is not None and pairs is not None:
        raise InputError("give either against= or pairs=, not both", field="against", value=against)
    answered = results[results["error"].isna()] if "error" in results.columns else results
    labels = results.attrs.get("setups") or list(dict.fromkeys(results["setup"]))
    known = set(results["setup"])
    chosen: list[tuple[str, ...]]
    if against is not None:
        if against not in known:
            raise InputError("no such set-up in the results", field="against", value=against)
        chosen = [(label, against) for label in labels if label != against and label in known]
    elif pairs is not None:
        chosen = [tuple(p) for p in pairs]
        for i, pair in enumerate(chosen):
            if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= known:
                raise InputError("each pair must name two different set-ups of the results", field=f"pairs[{i}]",
                                 value=pair)
    else:
        chosen = list(itertools.combinations([label for label in labels if label in known], 2))
    out = []
    for prompt_id, group in answered.groupby("prompt_id", sort=True):
        by_setup = {row.setup: row for row in group.itertuples(index=False)}
        for first, second in chosen:
            if first not in by_setup or second not in by_setup:
                continue
            a, b = by_setup[first], by_setup[second]
            pair_id = _pair_id(a.prompt, [(r.setup, r.model, r.output) for r in (a, b)])
            swapped = random.Random(f"{seed}:{pair_id}").random() < 0.5
            left, right = (b, a) if swapped else (a, b)
            out.append(Pairing(pair_id, int(prompt_id), a.prompt, left.setup, left.model, left.output or "",
                               right.setup, right.model, right.output or "", swapped, seed))
    return out


def record_rating(path: str | os.PathLike[str], pairing: Pairing, choice: str, *, notes: str = "",
                  blind: bool = True, now: dt.datetime | None = None) -> Rating:
    """Append the choice about `pairing` to the ratings file `path` (created with its folders); returns it."""
    if choice not in CHOICES:
        raise InputError(f"choice must be one of {', '.join(CHOICES)}", field="choice", value=choice)
    if not isinstance(pairing, Pairing):
        raise InputError("expected a Pairing (from blind_pairs)", field="pairing", value=pairing)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    values = {k: v for k, v in dataclasses.asdict(pairing).items() if k in {f.name for f in dataclasses.fields(Rating)}}
    rating = Rating(**values, choice=choice, notes=notes or "", blind=bool(blind), rated_at=stamp)
    append_jsonl([rating.as_dict()], path)  # one write of one line: appends do not interleave
    return rating


_TYPES = {"pair_id": str, "prompt": str, "left_setup": str, "left_model": str, "left_output": str,
          "right_setup": str, "right_model": str, "right_output": str, "swapped": bool, "seed": int,
          "choice": str, "notes": str, "blind": bool, "rated_at": str}


def _rating_from_line(values: Any, *, file: str, line: int) -> Rating:
    if not isinstance(values, dict):
        raise DataFormatError("a rating line must be a JSON object", file=file, line=line, value=values)
    for name, kind in _TYPES.items():
        if name not in values:
            raise DataFormatError("missing field", file=file, line=line, field=name)
        if not isinstance(values[name], kind) or (kind is int and isinstance(values[name], bool)):
            raise DataFormatError(f"must be a {kind.__name__}", file=file, line=line, field=name, value=values[name])
    if values["choice"] not in CHOICES:
        raise DataFormatError(f"must be one of {', '.join(CHOICES)}", file=file, line=line, field="choice",
                              value=values["choice"])
    return Rating(**{k: values[k] for k in _TYPES}, prompt_id=values.get("prompt_id"))


def read_ratings(path: str | os.PathLike[str], *, pairings: Sequence[Pairing] | None = None,
                 latest: bool = True) -> list[Rating]:
    """The ratings in the file, oldest first; a missing file has none.

    `latest` keeps only the newest rating of each pair; `pairings` keeps only ratings of those pairs (ratings of
    earlier runs with other models stay in the file but out of the summary). A bad line raises
    :class:`~nbtools.errors.DataFormatError` naming the file, line and field.
    """
    path = Path(path)
    if not path.exists():
        return []
    ratings = [_rating_from_line(values, file=str(path), line=number) for number, values in iter_records(path)]
    if pairings is not None:
        wanted = {p.pair_id for p in pairings}
        ratings = [r for r in ratings if r.pair_id in wanted]
    if latest:
        newest = {r.pair_id: i for i, r in enumerate(ratings)}
        ratings = [r for i, r in enumerate(ratings) if newest[r.pair_id] == i]
    return ratings


def win_rates(ratings: Sequence[Rating]) -> pd.DataFrame:
    """One row per set-up: comparisons rated, wins, ties, losses, win rate and score (a tie counts half), in %.

    Sorted by score, best first.
    """
    counts: dict[str, dict[str, int]] = {}
    for r in ratings:
        for side in (r.left_setup, r.right_setup):
            counts.setdefault(side, {"wins": 0, "ties": 0, "losses": 0})
        if r.choice == "tie":
            counts[r.left_setup]["ties"] += 1
            counts[r.right_setup]["ties"] += 1
        else:
            winner, loser = r.winner, r.loser
            assert winner is not None and loser is not None, r.choice  # the choice is "left" or "right" here
            counts[winner]["wins"] += 1
            counts[loser]["losses"] += 1
    rows = []
    for setup, c in counts.items():
        n = c["wins"] + c["ties"] + c["losses"]
        rows.append({"setup": setup, "rated": n, **c, "win_rate_pct": 100.0 * c["wins"] / n,
                     "score_pct": 100.0 * (c["wins"] + 0.5 * c["ties"]) / n})
    columns = ["setup", "rated", "wins", "ties", "losses", "win_rate_pct", "score_pct"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["score_pct", "wins"], ascending=False, kind="stable").reset_index(drop=True)


def win_rate_chart(summary: pd.DataFrame, *, title: str | None = None):
    """A horizontal stacked bar per set-up: share of its rated comparisons won, tied and lost (plotly Figure)."""
    import plotly.graph_objects as go

    needed = [c for c in ("setup", "rated", "wins", "ties", "losses") if c not in summary.columns]
    if needed:
        raise InputError("not a win-rate table (win_rates' result)", field="columns", value=needed)
    shown = summary.iloc[::-1]  # best on top
    figure = go.Figure()
    for column, name, color in (("wins", "won", "#2e7d32"), ("ties", "tie", "#9e9e9e"), ("losses", "lost", "#c62828")):
        share = 100.0 * shown[column] / shown["rated"].where(shown["rated"] > 0)
        figure.add_bar(y=shown["setup"], x=share, name=name, orientation="h", marker_color=color,
                       customdata=shown[[column, "rated"]].to_numpy(),
                       hovertemplate="%{y}: %{x:.0f}% " + name + " (%{customdata[0]} of %{customdata[1]})"
                                     "<extra></extra>")
    total = int(summary["rated"].sum() // 2)
    figure.update_layout(barmode="stack", title=title or f"Blind ratings: share of comparisons won ({total} rated)",
                         xaxis_title="share of the set-up's rated comparisons (%)", yaxis_title="set-up",
                         xaxis_range=[0, 100], legend_title_text="result")
    return figure


@dataclass(frozen=True)
class DpoExport:
    """What :func:`export_dpo` wrote and what it left out, and why."""

    path: Path
    written: int
    ties_skipped: int
    identical_skipped: int
    empty_skipped: int

    @property
    def message(self) -> str:
        """A sentence saying what was written and what was skipped."""
        skipped = [f"{n} {what}" for n, what in ((self.ties_skipped, "tie(s): no preference to learn"),
                                                 (self.identical_skipped, "pair(s) with identical answers"),
                                                 (self.empty_skipped, "pair(s) with an empty answer")) if n]
        return (f"wrote {self.written} preference pair(s) to {self.path}"
                + ("; skipped " + ", ".join(skipped) if skipped else ""))

    def __str__(self) -> str:
        return self.message


def export_dpo(ratings: Sequence[Rating], path: str | os.PathLike[str], *,
               system_prompt: str | None = None) -> DpoExport:
    """Write the rated pairs as OpenAI DPO JSONL (``input`` / ``preferred_output`` / ``non_preferred_output``).

    The preferred answer is the chosen one. Ties carry no preference and are skipped, as are pairs whose answers are
    identical or empty; the result says how many. `system_prompt` goes first in every ``input`` (use the prompt of
    the model the next round will train, e.g. the short prompt of the fine-tuned model); None sends none.
    """
    from ..jsonl import write_jsonl
    from ..dataset.preference import build_dpo_pairs

    decided = [r for r in ratings if r.choice != "tie"]
    table = pd.DataFrame({
        "row_id": [r.pair_id for r in decided],
        "question": [r.prompt for r in decided],
        "approved_reply": [r.left_output if r.choice == "left" else r.right_output for r in decided],
        "draft_reply": [r.right_output if r.choice == "left" else r.left_output for r in decided],
    })
    built = build_dpo_pairs(table, system_prompt=system_prompt)
    reasons = built.rejects["reason"].astype(str) if len(built.rejects) else pd.Series([], dtype=str)
    identical = int(reasons.str.contains("identical").sum())
    written = write_jsonl(built.examples, path)
    return DpoExport(path=Path(path), written=written, ties_skipped=len(ratings) - len(decided),
                     identical_skipped=identical, empty_skipped=len(built.rejects) - identical)
