"""What every builder returns: the examples, their ids, and everything that did not make it, with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["BuildResult", "REJECT_COLUMNS", "DROPPED_COLUMNS"]

REJECT_COLUMNS = ["id", "reason", "n_rows", "row_ids"]
DROPPED_COLUMNS = ["row_id", "id", "role", "reason"]


@dataclass(frozen=True, eq=False)
class BuildResult:
    """Examples (OpenAI fine-tuning dicts) with one id each (conversation or source row), plus what was left out.

    ``rejects``: whole conversations/rows that could not form an example (id, reason, n_rows, row_ids).
    ``dropped_messages``: single messages left out of an example that was built (row_id, id, role, reason).
    ``n_merged``: consecutive same-role messages joined into one. ``row_ids``: the source rows of each example,
    so every input row is in exactly one of: an example, ``dropped_messages``, ``rejects``.
    """

    examples: list[dict[str, Any]]
    ids: list[str]
    row_ids: list[list[str]] = field(default_factory=list)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    dropped_messages: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DROPPED_COLUMNS))
    n_merged: int = 0
    n_rows_in: int = 0

    def __len__(self) -> int:
        return len(self.examples)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per example: id, number of messages, trained assistant turns, first user text, the example."""
        rows = []
        for example_id, example in zip(self.ids, self.examples):
            messages = example.get("messages") or example.get("input", {}).get("messages", [])
            assistants = [m for m in messages if m.get("role") == "assistant"]
            user = next((m.get("content") for m in messages if m.get("role") == "user"), None)
            rows.append({"id": example_id, "n_messages": len(messages),
                         "n_trained": sum(1 for m in assistants if m.get("weight", 1) == 1),
                         "user": user, "example": example})
        return pd.DataFrame(rows, columns=["id", "n_messages", "n_trained", "user", "example"])

    def summary(self) -> dict[str, Any]:
        """Counts: examples, rejects by reason, dropped messages by reason, merges."""
        return {
            "examples": len(self.examples),
            "rows_in": self.n_rows_in,
            "rejected": int(len(self.rejects)),
            "rejected_by_reason": self.rejects["reason"].value_counts().to_dict() if len(self.rejects) else {},
            "dropped_messages": int(len(self.dropped_messages)),
            "dropped_by_reason": (self.dropped_messages["reason"].value_counts().to_dict()
                                  if len(self.dropped_messages) else {}),
            "merged_messages": self.n_merged,
        }
