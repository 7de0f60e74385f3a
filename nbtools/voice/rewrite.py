"""Grow the training set in the voice: rewrite existing answers with a chosen model, as proposals with provenance.

A :class:`ProposedExample` records where it came from (source row id, model, the exact prompt, the profile name and
version, when) so an accepted example can always be traced back. The rewrites are asked through the compare room's
runner (:func:`nbtools.run_comparison`, one :class:`nbtools.ModelSetup`), so they are cached on disk like every other
set-up's answers. Proposals are kept in a JSONL file; saving the same proposal twice (same id) adds nothing, so
re-running a notebook cell is harmless.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..compare.cache import ResultCache
from ..compare.run import run_comparison
from ..compare.setups import ModelSetup
from ..errors import DataFormatError, InputError
from ..jsonl import append_jsonl, iter_records
from .profile import VoiceProfile

__all__ = ["ProposedExample", "rewrite_prompt", "propose_rewrites", "save_proposals", "load_proposals",
           "proposals_frame"]

REWRITE_TEMPLATE = (
    "A customer asked: {question}\n"
    "Our draft reply: {answer}\n\n"
    "Rewrite the draft reply in our brand voice. Keep every fact of the draft and add nothing new.{signoff_rule} "
    "Reply with the rewritten text only."
)


@dataclass(frozen=True)
class ProposedExample:
    """A rewritten answer proposed for the training set, with its provenance."""

    proposal_id: str
    source_row_id: str
    question: str
    original: str
    proposed: str
    model: str
    system_prompt: str
    prompt: str
    profile_name: str
    profile_version: int
    created_at: str
    max_tokens: int
    temperature: float


def rewrite_prompt(question: str, answer: str, profile: VoiceProfile) -> str:
    """The user message asking a model to rewrite `answer` into the voice of `profile`.

    >>> prompt = rewrite_prompt("Can I pause?", "Yes, in settings.", VoiceProfile(name="B", required_signoff="Bye!"))
    >>> print(prompt.replace(". ", ".\\n"))
    A customer asked: Can I pause?
    Our draft reply: Yes, in settings.
    <BLANKLINE>
    Rewrite the draft reply in our brand voice.
    Keep every fact of the draft and add nothing new.
    End with the line "Bye!".
    Reply with the rewritten text only.
    """
    rule = f' End with the line "{profile.required_signoff}".' if profile.required_signoff else ""
    return REWRITE_TEMPLATE.format(signoff_rule=rule, question=question.strip(), answer=answer.strip())


def _proposal_id(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"rw-{digest[:12]}"


def propose_rewrites(
    client: Any,
    rows: pd.DataFrame,
    profile: VoiceProfile,
    *,
    model: str,
    max_tokens: int = 120,
    temperature: float = 0.0,
    columns: tuple[str, str, str] = ("row_id", "question", "answer"),
    now: datetime | None = None,
    cache: ResultCache | str | os.PathLike[str] | bool | None = None,
) -> list[ProposedExample]:
    """Ask `model` to rewrite each row's answer into the voice; one proposal per row.

    `rows` has a row id, a question and an answer column (names in `columns`). The profile's instructions are the
    system prompt. The proposal id is a hash of source row, model, profile version and prompt, so asking again for
    the same rewrite gives the same id. The requests go through :func:`nbtools.run_comparison`; `cache` is its
    answer cache (None for the default one under the nbtools home, False for none).
    """
    id_col, question_col, answer_col = columns
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise InputError(f"rows need the columns {list(columns)}; missing {missing}", field=missing[0])
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    records = rows[list(columns)].to_dict("records")
    if not records:
        return []
    prompts = [rewrite_prompt(str(r[question_col]), str(r[answer_col]), profile) for r in records]
    setup = ModelSetup(f"rewrite into {profile.name} v{profile.version}", model, profile.instructions)
    answers = run_comparison(client, prompts, [setup], max_tokens=max_tokens, temperature=temperature, cache=cache)
    proposals = []
    for record, prompt, output in zip(records, prompts, answers["output"]):
        question, answer, proposed = str(record[question_col]), str(record[answer_col]), str(output).strip()
        proposals.append(
            ProposedExample(
                proposal_id=_proposal_id(str(record[id_col]), model, profile.name, profile.version, prompt,
                                         max_tokens, temperature),
                source_row_id=str(record[id_col]),
                question=question,
                original=answer,
                proposed=proposed,
                model=model,
                system_prompt=profile.instructions,
                prompt=prompt,
                profile_name=profile.name,
                profile_version=profile.version,
                created_at=stamp,
                max_tokens=max_tokens,
                temperature=temperature,
            )
        )
    return proposals


def load_proposals(path: str | os.PathLike[str]) -> list[ProposedExample]:
    """Proposals from a JSONL file, in file order (an empty list when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    names = {f.name for f in dataclasses.fields(ProposedExample)}
    proposals = []
    for number, data in iter_records(path):
        if set(data) != names:
            raise DataFormatError(f"expected a proposal object with fields {sorted(names)}", file=str(path),
                                  line=number, value=sorted(data))
        proposals.append(ProposedExample(**data))
    return proposals


def save_proposals(proposals: Iterable[ProposedExample], path: str | os.PathLike[str]) -> int:
    """Append the proposals not yet in the JSONL file at `path`; returns how many were added."""
    known = {p.proposal_id for p in load_proposals(path)}
    new = []
    for proposal in proposals:
        if proposal.proposal_id not in known:
            known.add(proposal.proposal_id)
            new.append(dataclasses.asdict(proposal))
    return append_jsonl(new, path)


def proposals_frame(proposals: Sequence[ProposedExample]) -> pd.DataFrame:
    """Proposals as a DataFrame, one row each (all fields as columns)."""
    columns = [f.name for f in dataclasses.fields(ProposedExample)]
    return pd.DataFrame([dataclasses.asdict(p) for p in proposals], columns=columns)
