"""Run cleaning steps in order and keep the books: every input row ends up kept or rejected, with a reason.

    >>> import pandas as pd
    >>> from nbtools.corpus import read_corpus
    >>> raw = pd.DataFrame({"question": ["Where is my order?", "Where is my order?", "Hi"],
    ...                     "answer": ["<p>On its way!</p>", "<p>On its way!</p>", ""]})
    >>> result = CleaningPipeline([StripMarkup(), LengthFilter(min_chars_by_role={}), ExactDuplicates(),
    ...                            DropIncompleteConversations()]).run(read_corpus(raw))
    >>> len(result.cleaned), len(result.rejects), result.n_input
    (2, 4, 6)
    >>> result.report()[["step", "in", "modified", "dropped", "out"]].values.tolist()[-1]
    ['drop_incomplete_conversations', 3, 0, 1, 2]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..csvfiles import write_csv
from ..errors import NbtoolsError
from .boilerplate import StripBoilerplate
from .dedup import ExactDuplicates, NearDuplicates, RepeatedMessages
from .pii import RedactPII
from .readers import REJECT_COLUMNS, CorpusRead
from .safety import SafetyScreen
from .steps import Change, Step, StepOutcome
from .structure import DropIncompleteConversations
from .text import FixUnicode, LanguageFilter, LengthFilter, NormalizeWhitespace, StripMarkup

__all__ = ["CleaningPipeline", "CleaningResult", "AccountingError", "default_steps", "checked_apply", "rejects_for",
           "LEDGER_COLUMNS", "REJECT_ROW_COLUMNS"]

LEDGER_COLUMNS = ("row_id", "step", "action", "reason", "before", "after", "duplicate_of")
REJECT_ROW_COLUMNS = (*REJECT_COLUMNS, "role", "duplicate_of")


class AccountingError(NbtoolsError, AssertionError):
    """A step lost or invented rows: the books of kept + dropped no longer match the input."""


def default_steps() -> list[Step]:
    """The default cleaning steps for support corpora, in a sensible order (each can be configured or left out)."""
    return [
        FixUnicode(),
        StripMarkup(),
        StripBoilerplate(),
        RedactPII(),
        NormalizeWhitespace(),
        LengthFilter(),
        LanguageFilter(),
        SafetyScreen(),
        RepeatedMessages(),
        ExactDuplicates(),
        NearDuplicates(),
        DropIncompleteConversations(),
    ]


@dataclass(frozen=True)
class CleaningResult:
    """Cleaned messages, the ledger of every change, the rejects, and the per-step counts."""

    cleaned: pd.DataFrame
    ledger: pd.DataFrame
    rejects: pd.DataFrame
    n_input: int
    step_counts: tuple[dict, ...]
    settings: tuple[dict, ...] = field(default=())

    def report(self) -> pd.DataFrame:
        """Counts per step: rows in, modified, dropped, out (the first row is reading, with unreadable records)."""
        return pd.DataFrame(list(self.step_counts))

    def examples(self, per_kind: int = 2) -> pd.DataFrame:
        """A few ledger rows for each step and action, to see what each kind of change did."""
        if self.ledger.empty:
            return self.ledger
        return self.ledger.groupby(["step", "action"], sort=False).head(per_kind).reset_index(drop=True)

    def save_rejects(self, path: str | os.PathLike[str]) -> Path:
        """Write the rejects to CSV (``.csv``) or JSON Lines (``.jsonl``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jsonl":
            self.rejects.to_json(path, orient="records", lines=True, force_ascii=False)
        else:
            write_csv(self.rejects, path)
        return path

    def save_report(self, path: str | os.PathLike[str], **extra) -> Path:
        """Write :meth:`summary` (plus `extra` keys) as JSON: counts per step and every step's settings."""
        import json

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**self.summary(), **extra}, indent=2, default=str), encoding="utf-8")
        return path

    def summary(self) -> dict:
        """Machine-readable totals and the per-step table."""
        return {"input_rows": self.n_input, "kept": len(self.cleaned),
                "dropped": int((self.rejects.step != "read").sum()),
                "unreadable_records": int((self.rejects.step == "read").sum()),
                "modified_rows": int(self.ledger[self.ledger.action == "modified"].row_id.nunique()),
                "steps": list(self.step_counts), "settings": list(self.settings)}


def checked_apply(step: Step, table: pd.DataFrame, apply=None) -> tuple[StepOutcome, dict]:
    """Run one step (``step.apply``, or `apply`) and check its books: (outcome, {step, in, modified, dropped, out}).

    Raises AccountingError when the rows kept plus the rows dropped are not exactly the rows that went in.
    """
    before_ids = set(table.row_id)
    outcome = (apply or step.apply)(table)
    after_ids = set(outcome.table.row_id)
    dropped = [c.row_id for c in outcome.changes if c.action == "dropped"]
    if len(dropped) != len(set(dropped)) or after_ids & set(dropped) or after_ids | set(dropped) != before_ids:
        raise AccountingError(
            f"step {step.name}: {len(before_ids)} rows in, {len(after_ids)} kept + {len(dropped)} dropped; "
            f"unaccounted: {sorted(before_ids - after_ids - set(dropped))[:5]}, "
            f"invented: {sorted(after_ids - before_ids)[:5]}")
    modified = {c.row_id for c in outcome.changes if c.action == "modified"}
    return outcome, {"step": step.name, "in": len(before_ids), "modified": len(modified), "dropped": len(dropped),
                     "out": len(after_ids)}


def rejects_for(ledger: pd.DataFrame, originals: pd.DataFrame) -> pd.DataFrame:
    """One rejects row per dropped ledger entry, with the source, line, conversation and role of its original row
    (`originals` is indexed by row_id)."""
    drops = ledger[ledger.action == "dropped"]
    if drops.empty:
        return pd.DataFrame(columns=list(REJECT_ROW_COLUMNS))
    original = originals.loc[drops.row_id.tolist(), ["source", "source_line", "conversation_id", "role"]]
    return pd.DataFrame({"row_id": drops.row_id.to_numpy(), "source": original.source.to_numpy(),
                         "source_line": original.source_line.to_numpy(),
                         "conversation_id": original.conversation_id.to_numpy(), "step": drops.step.to_numpy(),
                         "reason": drops.reason.to_numpy(), "text": drops.before.to_numpy(),
                         "role": original.role.to_numpy(), "duplicate_of": drops.duplicate_of.to_numpy()},
                        columns=list(REJECT_ROW_COLUMNS))


class CleaningPipeline:
    """An ordered list of steps. ``run`` applies them and checks the books after every step."""

    def __init__(self, steps: Sequence[Step] | None = None) -> None:
        self.steps = list(default_steps() if steps is None else steps)

    def __repr__(self) -> str:
        return f"CleaningPipeline([{', '.join(s.name for s in self.steps)}])"

    def run(self, read: CorpusRead | pd.DataFrame) -> CleaningResult:
        """Clean a :class:`CorpusRead` (or a canonical message table); raises AccountingError if rows go missing."""
        table = read if isinstance(read, pd.DataFrame) else read.messages
        read_rejects = pd.DataFrame(columns=list(REJECT_COLUMNS)) if isinstance(read, pd.DataFrame) else read.rejects
        if table.row_id.duplicated().any():
            duplicated = table.row_id[table.row_id.duplicated()].iloc[0]
            raise AccountingError(f"row_id must be unique; duplicated: {duplicated!r}")
        originals = table.set_index("row_id", drop=False)
        n_input = len(table)
        counts = [{"step": "read", "in": n_input + len(read_rejects), "modified": 0, "dropped": len(read_rejects),
                   "out": n_input}]
        changes: list[Change] = []
        for step in self.steps:
            outcome, count = checked_apply(step, table)
            counts.append(count)
            changes.extend(outcome.changes)
            table = outcome.table
        ledger = pd.DataFrame([vars(c) for c in changes], columns=list(LEDGER_COLUMNS))
        rejects = self._rejects(ledger, originals, read_rejects)
        if len(table) + int((rejects.step != "read").sum()) != n_input:
            raise AccountingError(f"{n_input} rows read but {len(table)} kept + "
                                  f"{int((rejects.step != 'read').sum())} dropped")
        return CleaningResult(table.reset_index(drop=True), ledger, rejects, n_input, tuple(counts),
                              tuple({"step": s.name, **s.settings()} for s in self.steps))

    @staticmethod
    def _rejects(ledger: pd.DataFrame, originals: pd.DataFrame, read_rejects: pd.DataFrame) -> pd.DataFrame:
        dropped = rejects_for(ledger, originals)
        frames = [f for f in (read_rejects, dropped) if not f.empty]
        if not frames:
            return dropped
        return pd.concat(frames, ignore_index=True)
