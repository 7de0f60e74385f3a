"""What a cleaning step is, and the records it leaves behind.

A step is a small frozen dataclass (its settings) with ``apply(table) -> StepOutcome``. Row steps only implement
``clean(text, row) -> Keep | Drop`` and get ``apply`` from :class:`RowStep`; table steps (duplicates, safety, whole
conversations) implement ``apply`` themselves. Every row a step drops or changes yields a :class:`Change` with the
step's name and a reason, which is how the pipeline proves that nothing is lost silently::

    >>> import pandas as pd
    >>> class Upper(RowStep):
    ...     name = "upper"
    ...     def clean(self, text, row):
    ...         return Drop("empty") if not text else Keep(text.upper(), "upper-cased")
    >>> table = pd.DataFrame({"row_id": ["a", "b"], "conversation_id": ["c", "c"], "text": ["hi", ""]})
    >>> outcome = Upper().apply(table)
    >>> outcome.table.text.tolist(), [(c.row_id, c.action, c.reason) for c in outcome.changes]
    (['HI'], [('a', 'modified', 'upper-cased'), ('b', 'dropped', 'empty')])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Mapping

import pandas as pd

__all__ = ["Change", "Keep", "Drop", "StepOutcome", "Step", "RowStep", "drop_conversations", "records"]


@dataclass(frozen=True)
class Change:
    """One row dropped or modified by one step, with the reason and the text before (and after)."""

    row_id: str
    step: str
    action: Literal["modified", "dropped"]
    reason: str
    before: str
    after: str | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Keep:
    """Keep the row with `text`; a non-empty `reason` says why the text changed."""

    text: str
    reason: str = ""


@dataclass(frozen=True)
class Drop:
    """Drop the row, saying why (and which row it duplicates, for duplicates)."""

    reason: str
    duplicate_of: str | None = None


@dataclass(frozen=True)
class StepOutcome:
    """The table after a step, and every change the step made."""

    table: pd.DataFrame
    changes: tuple[Change, ...]


class Step:
    """Base of all steps: a name (for the ledger) and apply()."""

    name: ClassVar[str] = "step"

    def apply(self, table: pd.DataFrame) -> StepOutcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def settings(self) -> dict:
        """The step's configuration, for reports and manifests."""
        return {k: (sorted(v) if isinstance(v, (set, frozenset)) else v) for k, v in vars(self).items()}


class RowStep(Step):
    """A step that decides row by row from the row's text (and its other columns)."""

    def clean(self, text: str, row: Mapping) -> Keep | Drop:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        keep_mask, texts, changes = [], [], []
        for row in records(table):
            before = row["text"] if isinstance(row["text"], str) else ""
            decision = self.clean(before, row)
            if isinstance(decision, Drop):
                keep_mask.append(False)
                texts.append(before)
                changes.append(Change(row["row_id"], self.name, "dropped", decision.reason, before,
                                      duplicate_of=decision.duplicate_of))
            else:
                keep_mask.append(True)
                texts.append(decision.text)
                if decision.text != before:
                    changes.append(Change(row["row_id"], self.name, "modified", decision.reason or "changed",
                                          before, decision.text))
        out = table.copy()
        out["text"] = texts
        mask = pd.Series(keep_mask, index=out.index, dtype=bool)
        return StepOutcome(out[mask].reset_index(drop=True), tuple(changes))


def drop_conversations(table: pd.DataFrame, reasons: Mapping[str, tuple[str, str | None]], step: str) -> StepOutcome:
    """Drop every row of the conversations in `reasons` ({conversation_id: (reason, duplicate_of)})."""
    mask = table.conversation_id.isin(list(reasons))
    changes = tuple(
        Change(r["row_id"], step, "dropped", reasons[r["conversation_id"]][0],
               r["text"] if isinstance(r["text"], str) else "", duplicate_of=reasons[r["conversation_id"]][1])
        for r in records(table[mask])
    )
    return StepOutcome(table[~mask].reset_index(drop=True), changes)


def records(table: pd.DataFrame) -> list[dict]:
    """``table.to_dict("records")``, the same dicts of the same values, built column by column (each column's
    ``tolist`` boxes its values to Python ones in C, where to_dict boxes them one value at a time: several times
    faster on the chunks the steps see).

    >>> table = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, None]}).astype({"b": object})
    >>> records(table)
    [{'a': 1, 'b': 'x', 'c': 0.5}, {'a': 2, 'b': 'y', 'c': nan}]
    >>> records(table.iloc[:1]) == table.iloc[:1].to_dict("records")
    True
    """
    if not len(table.columns):
        return [{} for _ in range(len(table))]
    names = table.columns.tolist()  # once: iterating a string Index again for every row costs more than the rows
    columns = [table.iloc[:, i].tolist() for i in range(len(names))]
    return [dict(zip(names, values)) for values in zip(*columns)]
