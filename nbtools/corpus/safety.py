"""The safety screen: offensive or harmful messages, by the offline classifier or a backend's moderation endpoint.

By default the offline classifier (:class:`nbtools.moderation.OfflineModerator`, a labelled local approximation)
judges each message; pass another :class:`~nbtools.moderation.Moderator` as `moderator` (tests pass a scripted one),
or any OpenAI-compatible client as `client` to use its ``/v1/moderations`` endpoint instead (batched).
Policy: drop the flagged message's whole conversation (default; a reply to an abusive message is no example to
learn from), drop only the message, or keep it and mark it in a ``safety_flags`` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pandas as pd

from ..errors import BackendError, InputError
from ..moderation import Moderator, OfflineModerator
from .steps import Change, Step, StepOutcome, drop_conversations, records

__all__ = ["SafetyScreen"]


@dataclass(frozen=True)
class SafetyScreen(Step):
    """Flag messages whose moderation score reaches `threshold`; act on them according to `policy`."""

    threshold: float = 0.8
    policy: Literal["drop_conversation", "drop_message", "mark"] = "drop_conversation"
    roles: tuple[str, ...] = ("user", "assistant")
    client: Any = None  # an openai.OpenAI client: use its moderation endpoint instead of the offline classifier
    moderator: Moderator | None = None  # the classifier when there is no client (None: OfflineModerator())
    model: str | None = None  # moderation model for the client (None: the backend's default)
    batch_size: int = 32
    name: ClassVar[str] = "safety_screen"

    def settings(self) -> dict:
        """Settings without the client object (which holds a key) or the classifier object: the backend by name."""
        out = {k: v for k, v in vars(self).items() if k not in ("client", "moderator")}
        if self.client is not None:
            out["backend"] = "moderation endpoint"
        else:
            out["backend"] = f"classifier {(self.moderator or OfflineModerator()).name}"
        return out

    def _flags(self, texts: list[str]) -> list[list[str]]:
        if self.client is None:
            results = (self.moderator or OfflineModerator()).moderate(texts, threshold=self.threshold)
            return [[k for k, v in r.categories.items() if v] for r in results]
        flags = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            kwargs = {"input": batch} | ({"model": self.model} if self.model else {})
            try:
                response = self.client.moderations.create(**kwargs)
            except Exception as exc:  # the SDK's errors: report which batch, keep the cause
                raise BackendError(f"moderation endpoint failed on messages {start + 1}–{start + len(batch)}: "
                                   f"{type(exc).__name__}: {exc}") from exc
            for result in response.results:
                scores = result.category_scores.model_dump(by_alias=True)
                flags.append([k for k, v in scores.items() if v is not None and v >= self.threshold])
        return flags

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        if self.policy not in ("drop_conversation", "drop_message", "mark"):
            raise InputError("policy must be drop_conversation, drop_message or mark", field="policy",
                             value=self.policy)
        screened = table[table.role.isin(self.roles)]
        texts = [t if isinstance(t, str) else "" for t in screened.text]
        flags = dict(zip(screened.row_id, self._flags(texts))) if texts else {}
        flagged = {rid: f for rid, f in flags.items() if f}
        if self.policy == "mark":
            out = table.copy()
            out["safety_flags"] = [", ".join(flagged.get(r, [])) for r in out.row_id]
            return StepOutcome(out, ())
        if self.policy == "drop_message":
            mask = table.row_id.isin(list(flagged))
            changes = tuple(Change(r["row_id"], self.name, "dropped",
                                   f"flagged by the safety screen: {', '.join(flagged[r['row_id']])}", r["text"])
                            for r in records(table[mask]))
            return StepOutcome(table[~mask].reset_index(drop=True), changes)
        by_conversation: dict[str, tuple[str, str | None]] = {}
        for r in records(table[table.row_id.isin(list(flagged))]):
            by_conversation.setdefault(r["conversation_id"], (
                f"conversation has a message flagged by the safety screen ({r['row_id']}: "
                f"{', '.join(flagged[r['row_id']])})", None))
        return drop_conversations(table, by_conversation, self.name)
