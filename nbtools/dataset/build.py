"""Chat fine-tuning examples (SFT) from the cleaned message table, one example per conversation.

Input: one row per message with ``row_id``, ``conversation_id``, ``turn`` (0-based order), ``role`` ("system" |
"user" | "assistant") and ``text``. Output: ``{"messages": [system?, user, assistant, user, assistant, ...]}``.
``train_on`` sets the per-message ``weight``: "all" (every assistant turn, no weight keys written), "last" (only
the last assistant turn), or a predicate over the assistant text (weight 0 for turns that fail it, e.g. off-voice
replies). Nothing is lost silently: conversations that cannot form an example go to ``rejects`` and single
messages left out go to ``dropped_messages``, each with a reason::

    >>> import pandas as pd
    >>> table = pd.DataFrame({"row_id": ["a", "b", "c", "d"], "conversation_id": ["c1"] * 3 + ["c2"],
    ...                       "turn": [0, 1, 2, 0], "role": ["user", "assistant", "assistant", "assistant"],
    ...                       "text": ["Hi!", "Hey there!", "How can I help?", "Hello?"]})
    >>> result = build_sft_examples(table, system_prompt="You are Brewtiful's assistant.")
    >>> result.examples[0]["messages"][2]
    {'role': 'assistant', 'content': 'Hey there!\\n\\nHow can I help?'}
    >>> result.n_merged, result.rejects["reason"].tolist()
    (1, ['no user message'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Union

import pandas as pd

from ..errors import InputError
from .result import DROPPED_COLUMNS, REJECT_COLUMNS, BuildResult

__all__ = ["build_sft_examples", "TrainOn", "REQUIRED_COLUMNS"]

TrainOn = Union[Literal["all", "last"], Callable[[str], bool]]
REQUIRED_COLUMNS = ("conversation_id", "turn", "role", "text")
_ROLES = ("system", "user", "assistant")


@dataclass
class _Message:
    role: str
    text: str
    row_ids: list[str]


def _check_table(messages: pd.DataFrame) -> None:
    if not isinstance(messages, pd.DataFrame):
        raise InputError("expected a pandas DataFrame of messages", value=type(messages).__name__)
    missing = [c for c in REQUIRED_COLUMNS if c not in messages.columns]
    if missing:
        raise InputError("message table lacks required columns " + ", ".join(missing), field="columns",
                         value=list(messages.columns))


def _row_ids(frame: pd.DataFrame) -> list[str]:
    if "row_id" in frame.columns:
        return frame["row_id"].astype(str).tolist()
    return [f"row {i}" for i in frame.index]


def build_sft_examples(messages: pd.DataFrame, *, system_prompt: str | None = None, train_on: TrainOn = "all",
                       merge_consecutive: bool = True) -> BuildResult:
    """Build one multi-turn chat example per conversation; see the module docstring for the rules."""
    _check_table(messages)
    if not (train_on in ("all", "last") or callable(train_on)):
        raise InputError("train_on must be 'all', 'last' or a function of the assistant text", field="train_on",
                         value=train_on)
    examples: list[dict] = []
    ids: list[str] = []
    sources: list[list[str]] = []
    rejects: list[dict] = []
    dropped: list[dict] = []
    n_merged = 0
    table = messages.assign(_row_id=_row_ids(messages), _order=range(len(messages)))
    for conversation_id, rows in table.groupby("conversation_id", sort=False):
        rows = rows.sort_values(["turn", "_order"], kind="stable")
        built = _conversation(str(conversation_id), rows, system_prompt, train_on, merge_consecutive, dropped)
        if isinstance(built, str):
            rejects.append({"id": str(conversation_id), "reason": built, "n_rows": len(rows),
                            "row_ids": rows["_row_id"].tolist()})
            # rows already listed as dropped messages are part of the rejected conversation: list them once
            dropped[:] = [d for d in dropped if d["id"] != str(conversation_id)]
            continue
        example, used, merged = built
        n_merged += merged
        examples.append(example)
        ids.append(str(conversation_id))
        sources.append(used)
    return BuildResult(examples=examples, ids=ids, row_ids=sources,
                       rejects=pd.DataFrame(rejects, columns=REJECT_COLUMNS),
                       dropped_messages=pd.DataFrame(dropped, columns=DROPPED_COLUMNS), n_merged=n_merged,
                       n_rows_in=len(messages))


def _conversation(conversation_id: str, rows: pd.DataFrame, system_prompt: str | None, train_on: TrainOn,
                  merge_consecutive: bool, dropped: list[dict]) -> tuple[dict, list[str], int] | str:
    """The example, the rows it uses and its number of merges; or the reason it cannot be built."""

    def drop(row_ids: list[str], role: str, reason: str) -> None:
        dropped.extend({"row_id": r, "id": conversation_id, "role": role, "reason": reason} for r in row_ids)

    turns: list[_Message] = []
    systems: list[_Message] = []
    merged = 0
    for row_id, role, text in zip(rows["_row_id"], rows["role"], rows["text"]):
        text = text if isinstance(text, str) else ""
        if role not in _ROLES:
            drop([row_id], str(role), "unknown role")
        elif not text.strip():
            drop([row_id], role, "empty text")
        elif role == "system":
            if turns:
                drop([row_id], role, "system message inside the conversation")
            else:
                systems.append(_Message(role, text, [row_id]))
        elif turns and turns[-1].role == role:
            if not merge_consecutive:
                return f"consecutive {role} messages"
            turns[-1].text += "\n\n" + text
            turns[-1].row_ids.append(row_id)
            merged += 1
        else:
            turns.append(_Message(role, text, [row_id]))
    if not turns:
        return "no usable message (all empty or unknown roles)"
    if not any(t.role == "assistant" for t in turns):
        return "no assistant reply"
    if not any(t.role == "user" for t in turns):
        return "no user message"
    if not any(a.role == "user" and b.role == "assistant" for a, b in zip(turns, turns[1:])):
        return "no assistant reply after a user message"
    while turns and turns[0].role == "assistant":
        first = turns.pop(0)
        drop(first.row_ids, "assistant", "assistant message before the first user message")
    while turns and turns[-1].role == "user":
        last = turns.pop()
        drop(last.row_ids, "user", "user message without an assistant reply")
    weights = _weights([t.text for t in turns if t.role == "assistant"], train_on)
    if weights is not None and not any(weights):
        return "no assistant turn passes train_on"
    out: list[dict[str, Any]] = []
    if systems:
        out.append({"role": "system", "content": "\n\n".join(s.text for s in systems)})
    elif system_prompt:
        out.append({"role": "system", "content": system_prompt})
    k = 0
    for turn in turns:
        message: dict[str, Any] = {"role": turn.role, "content": turn.text}
        if turn.role == "assistant":
            if weights is not None:
                message["weight"] = weights[k]
            k += 1
        out.append(message)
    used = [r for m in systems + turns for r in m.row_ids]
    return {"messages": out}, used, merged


def _weights(texts: list[str], train_on: TrainOn) -> list[int] | None:
    if train_on == "all":
        return None
    if train_on == "last":
        return [0] * (len(texts) - 1) + [1]
    return [1 if train_on(text) else 0 for text in texts]
