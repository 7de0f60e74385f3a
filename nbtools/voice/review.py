"""Review proposed rewrites: record accept / edit / reject decisions in a file, and add accepted ones to a dataset.

Decisions are appended to a JSONL file as they are made, so a kernel restart resumes the review where it stopped;
when a proposal is decided twice, the later decision counts. Accepted examples become chat fine-tuning examples
(``{"messages": [...]}``) with their provenance in the DataFrame's other columns; :func:`add_to_dataset` appends
them to a JSONL dataset and keeps the provenance of each added line in a sidecar file.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Sequence

import pandas as pd

from ..errors import DataFormatError, InputError
from ..jsonl import append_jsonl, iter_records
from .rewrite import ProposedExample

__all__ = ["ReviewDecision", "DECISIONS", "record_decision", "read_decisions", "pending", "review_progress",
           "accepted_examples", "add_to_dataset", "provenance_path"]

DECISIONS = ("accepted", "edited", "rejected")
Decision = Literal["accepted", "edited", "rejected"]

_PROVENANCE_COLUMNS = ["proposal_id", "source_row_id", "model", "system_prompt", "prompt", "profile_name",
                       "profile_version", "proposed_at", "decision", "decided_at", "original"]


@dataclass(frozen=True)
class ReviewDecision:
    """What the reviewer decided for one proposal; `text` is the answer that goes into the dataset ("" if rejected)."""

    proposal_id: str
    decision: str
    text: str
    decided_at: str


def record_decision(
    path: str | os.PathLike[str],
    proposal: ProposedExample,
    decision: Decision,
    *,
    text: str | None = None,
    now: datetime | None = None,
) -> ReviewDecision:
    """Append one decision to the decisions file and return it.

    ``accepted`` keeps the proposed text; ``edited`` needs the reviewer's `text`; ``rejected`` keeps no text.
    """
    if decision not in DECISIONS:
        raise InputError(f"decision must be one of {', '.join(DECISIONS)}", field="decision", value=decision)
    if decision == "accepted":
        final = proposal.proposed
    elif decision == "edited":
        if text is None or not text.strip():
            raise InputError("an edited answer cannot be empty", field="text", value=text)
        final = text.strip()
    else:
        final = ""
    if decision == "accepted" and not final.strip():
        raise InputError("the proposed answer is empty: edit it or reject it", field="proposed", value=final)
    made = ReviewDecision(proposal.proposal_id, decision, final,
                          (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"))
    append_jsonl([dataclasses.asdict(made)], path)
    return made


def read_decisions(path: str | os.PathLike[str]) -> dict[str, ReviewDecision]:
    """The decisions in the file, by proposal id (the latest per id); empty when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return {}
    names = {f.name for f in dataclasses.fields(ReviewDecision)}
    decisions: dict[str, ReviewDecision] = {}
    for number, data in iter_records(path):
        if set(data) != names:
            raise DataFormatError(f"expected a decision with fields {sorted(names)}", file=str(path),
                                  line=number, value=data)
        if data["decision"] not in DECISIONS:
            raise DataFormatError(f"decision must be one of {', '.join(DECISIONS)}", file=str(path),
                                  line=number, field="decision", value=data["decision"])
        decisions[data["proposal_id"]] = ReviewDecision(**data)
    return decisions


def pending(proposals: Sequence[ProposedExample], decisions: dict[str, ReviewDecision]) -> list[ProposedExample]:
    """The proposals not decided yet, in order."""
    return [p for p in proposals if p.proposal_id not in decisions]


def review_progress(proposals: Sequence[ProposedExample], decisions: dict[str, ReviewDecision]) -> dict[str, int]:
    """Counts of accepted, edited, rejected and pending proposals."""
    counts = Counter(decisions[p.proposal_id].decision for p in proposals if p.proposal_id in decisions)
    return {d: counts.get(d, 0) for d in DECISIONS} | {"pending": len(pending(proposals, decisions))}


def accepted_examples(
    proposals: Sequence[ProposedExample],
    decisions: dict[str, ReviewDecision],
    *,
    system_prompt: str | None = None,
) -> pd.DataFrame:
    """Accepted and edited proposals as chat examples: a ``messages`` column plus provenance columns.

    `system_prompt` (e.g. the fine-tuned model's short prompt) opens each example when given.
    """
    rows = []
    for p in proposals:
        made = decisions.get(p.proposal_id)
        if made is None or made.decision == "rejected":
            continue
        messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages += [{"role": "user", "content": p.question}, {"role": "assistant", "content": made.text}]
        rows.append({"messages": messages, "proposal_id": p.proposal_id, "source_row_id": p.source_row_id,
                     "model": p.model, "system_prompt": p.system_prompt, "prompt": p.prompt,
                     "profile_name": p.profile_name, "profile_version": p.profile_version,
                     "proposed_at": p.created_at, "decision": made.decision, "decided_at": made.decided_at,
                     "original": p.original})
    return pd.DataFrame(rows, columns=["messages"] + _PROVENANCE_COLUMNS)


def provenance_path(dataset_path: str | os.PathLike[str]) -> Path:
    """The provenance sidecar of a JSONL dataset: ``train.jsonl`` → ``train.provenance.jsonl``."""
    path = Path(dataset_path)
    return path.with_name(path.stem + ".provenance.jsonl")


def add_to_dataset(accepted: pd.DataFrame, dataset_path: str | os.PathLike[str]) -> int:
    """Append accepted examples to a JSONL dataset (``{"messages": ...}`` lines); returns how many were added.

    Each added line's provenance (its line number in the dataset, proposal id, source row, model, prompt, profile
    version, decision) goes to the sidecar :func:`provenance_path`. Examples whose proposal is already in the
    sidecar are skipped, so adding twice changes nothing.
    """
    missing = [c for c in ["messages"] + _PROVENANCE_COLUMNS if c not in accepted.columns]
    if missing:
        raise InputError(f"not an accepted-examples table: missing columns {missing} (use accepted_examples)")
    dataset_path = Path(dataset_path)
    sidecar = provenance_path(dataset_path)
    known = set()
    for number, record in iter_records(sidecar) if sidecar.exists() else ():
        if not isinstance(record.get("proposal_id"), str):
            raise DataFormatError("not a provenance record", file=str(sidecar), line=number, field="proposal_id",
                                  value=record.get("proposal_id"))
        known.add(record["proposal_id"])
    lines = 0
    if dataset_path.exists():
        data = dataset_path.read_bytes()
        lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        if data and not data.endswith(b"\n"):
            with open(dataset_path, "ab") as handle:
                handle.write(b"\n")
    dataset_path.parent.mkdir(parents=True, exist_ok=True)
    added = 0
    with open(dataset_path, "a", encoding="utf-8") as out, open(sidecar, "a", encoding="utf-8") as side:
        for record in accepted.to_dict("records"):
            if record["proposal_id"] in known:
                continue
            out.write(json.dumps({"messages": record["messages"]}, ensure_ascii=False) + "\n")
            lines += 1
            provenance = {"line": lines} | {c: record[c] for c in _PROVENANCE_COLUMNS}
            side.write(json.dumps(provenance, ensure_ascii=False, default=str) + "\n")
            known.add(record["proposal_id"])
            added += 1
    return added
