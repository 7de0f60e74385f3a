"""Whole-conversation checks after the other steps: a training example needs a question and an answer.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"row_id": ["1", "2", "3"], "conversation_id": ["a", "a", "b"],
    ...                   "role": ["user", "assistant", "user"], "text": ["Hi?", "Hey there!", "Hello?"]})
    >>> out = DropIncompleteConversations().apply(t)
    >>> out.table.row_id.tolist(), [c.reason for c in out.changes]
    (['1', '2'], ['conversation has no assistant message left'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from .steps import Step, StepOutcome, drop_conversations

__all__ = ["DropIncompleteConversations"]


@dataclass(frozen=True)
class DropIncompleteConversations(Step):
    """Drop conversations left without a user and an assistant message (their remaining rows are recorded)."""

    required_roles: tuple[str, ...] = ("user", "assistant")
    name: ClassVar[str] = "drop_incomplete_conversations"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        roles = table.groupby("conversation_id", sort=False).role.agg(set)
        reasons = {}
        for cid, present in roles.items():
            missing = [r for r in self.required_roles if r not in present]
            if missing:
                reasons[cid] = (f"conversation has no {' or '.join(missing)} message left", None)
        return drop_conversations(table, reasons, self.name)
