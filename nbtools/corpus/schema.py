"""The canonical message table every reader produces, and how source columns map onto it.

One row per message: ``row_id`` (stable, unique), ``source`` (file name), ``source_line`` (1-based line or data row
where the record starts), ``conversation_id``, ``turn`` (0-based order), ``role`` (system | user | assistant),
``text``; any other source columns ride along unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

__all__ = [
    "CANONICAL_COLUMNS",
    "ROLES",
    "DEFAULT_ROLE_MAP",
    "ColumnMapping",
    "DetectedFormat",
    "guess_column",
    "role_for",
]

CANONICAL_COLUMNS: tuple[str, ...] = ("row_id", "source", "source_line", "conversation_id", "turn", "role", "text")
ROLES = ("system", "user", "assistant")

DEFAULT_ROLE_MAP: dict[str, str] = {
    **dict.fromkeys(("customer", "client", "user", "human", "visitor", "guest", "caller", "requester", "q"), "user"),
    **dict.fromkeys(("agent", "bot", "support", "assistant", "staff", "rep", "operator", "ai", "gpt", "a"),
                    "assistant"),
    "system": "system",
}

# Candidate column names, most specific first (compared case-insensitively, ignoring spaces/underscores/dashes).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "question": ("question", "customer_question", "customer_message", "prompt", "input", "query", "request",
                 "customer_text", "body", "message"),
    "answer": ("answer", "agent_reply", "reply", "response", "agent_response", "output", "completion",
               "resolution", "agent_answer"),
    "conversation_id": ("conversation_id", "conversation", "thread_id", "thread", "ticket_id", "ticket", "chat_id",
                        "session_id", "case_id", "dialog_id", "id"),
    "turn": ("turn", "turn_index", "seq", "sequence", "position", "index", "message_index", "order"),
    "timestamp": ("timestamp", "created_at", "time", "date", "datetime", "sent_at"),
    "speaker": ("speaker", "role", "author", "sender", "from", "who", "participant"),
    "text": ("text", "content", "message", "body", "utterance", "value"),
}


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def guess_column(columns: Sequence[str], kind: str, *, exclude: Sequence[str] = ()) -> str | None:
    """The first column of `columns` that looks like `kind` (see COLUMN_ALIASES), skipping `exclude`.

    >>> guess_column(["Ticket ID", "Agent_Reply", "Question"], "answer")
    'Agent_Reply'
    """
    by_norm = {_norm(c): c for c in columns if c not in exclude}
    for alias in COLUMN_ALIASES[kind]:
        if _norm(alias) in by_norm:
            return by_norm[_norm(alias)]
    return None


def role_for(speaker: object, role_map: Mapping[str, str]) -> str | None:
    """Canonical role of a speaker label, or None when the map does not know it.

    >>> role_for("Agent", DEFAULT_ROLE_MAP), role_for("customer", DEFAULT_ROLE_MAP), role_for("cat", DEFAULT_ROLE_MAP)
    ('assistant', 'user', None)
    """
    if not isinstance(speaker, str):
        return None
    return role_map.get(speaker.strip().lower())


@dataclass(frozen=True)
class ColumnMapping:
    """Which source columns hold what. Leave a field None to let the reader detect it.

    Q/A sources use `question` + `answer`; message-per-row sources use `conversation_id` + `speaker` + `text`
    (+ `turn` or `timestamp` for order). `role_map` maps speaker labels to roles.
    """

    question: str | None = None
    answer: str | None = None
    conversation_id: str | None = None
    turn: str | None = None
    timestamp: str | None = None
    speaker: str | None = None
    text: str | None = None
    role_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLE_MAP))


@dataclass(frozen=True)
class DetectedFormat:
    """What a reader found: file format, record layout, and which column plays which part."""

    source: str
    file_format: str  # csv | jsonl | text | dataframe
    layout: str  # qa | messages | conversations | transcript
    columns: tuple[str, ...]
    mapping: Mapping[str, str | None]
    n_records: int
    n_messages: int
    n_rejected: int
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One paragraph for people."""
        used = ", ".join(f"{k}={v!r}" for k, v in self.mapping.items() if v)
        text = (f"{self.source}: {self.file_format}, {self.layout} layout; {self.n_records} records → "
                f"{self.n_messages} messages, {self.n_rejected} unreadable; columns used: {used}")
        return text + "".join(f"; {n}" for n in self.notes)
