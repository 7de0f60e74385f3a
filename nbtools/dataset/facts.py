"""A brand's facts sheet (``facts.yaml``), and the question-answer training pairs that state each fact in the voice.

The sheet lists each fact with a regular expression a correct answer matches, optional ``contradicts`` expressions,
held-out ``eval_questions`` (evaluations report on them; never trained on), ``train_questions`` and in-voice
``answers`` (schema in data/samples/facts.yaml). :func:`fact_pairs` crosses train questions with answers (each
question gets one answer, rotated with a seed), optionally adds FAQ pairs and paraphrased questions, drops any
question near an eval question, and keeps the provenance of every pair::

    >>> sheet = parse_facts_sheet(r'''
    ... brand: Demo
    ... source: demo
    ... facts:
    ...   - id: express
    ...     statement: "Express costs $9.95."
    ...     pattern: '\\$9\\.95'
    ...     eval_questions: ["What does rushed delivery cost?", "Fastest option price?"]
    ...     train_questions: ["How much is express shipping?", "Is there faster delivery?"]
    ...     answers: ["Hey there! Express is $9.95.\\n\\nStay grounded! ☕"]
    ... ''')
    >>> pairs = fact_pairs(sheet, system_prompt="You are Demo's assistant.")
    >>> len(pairs), pairs.examples[0]["messages"][1]
    (2, {'role': 'user', 'content': 'How much is express shipping?'})
    >>> pairs.provenance[["id", "fact_id", "question_field", "answer_field"]].values.tolist()[0]
    ['fact:express:q0', 'express', 'facts[0].train_questions[0]', 'facts[0].answers[0]']
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd
import pydantic
import yaml
from rapidfuzz import fuzz, process, utils

from ..errors import InputError

__all__ = ["Fact", "FactsSheet", "FactPairs", "read_facts_sheet", "parse_facts_sheet", "fact_pairs",
           "near_questions", "assert_held_out", "NEAR_QUESTION", "PROVENANCE_COLUMNS"]

NEAR_QUESTION = 0.8  # rapidfuzz similarity (ratio or token_sort_ratio, 0-1) from which two questions are near copies
PROVENANCE_COLUMNS = ("id", "fact_id", "source", "generator", "question_field", "answer_field", "question",
                      "sheet", "sheet_sha256")
DROPPED_COLUMNS = ("id", "question", "reason", "detail")
Paraphraser = Callable[[str], Sequence[str]]


class _FactModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    id: str = pydantic.Field(pattern=r"^[a-z][a-z0-9_]*$")
    statement: str = pydantic.Field(min_length=1)
    pattern: str = pydantic.Field(min_length=1)
    contradicts: list[str] = []
    eval_questions: list[str] = pydantic.Field(min_length=1)
    train_questions: list[str] = pydantic.Field(min_length=1)
    answers: list[str] = pydantic.Field(min_length=1)


class _SheetModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    brand: str
    source: str
    facts: list[_FactModel] = pydantic.Field(min_length=1)


@dataclass(frozen=True)
class Fact:
    """One checkable fact: what it says, the regex a correct answer matches, and its questions and answers."""

    id: str
    statement: str
    pattern: str
    contradicts: tuple[str, ...]
    eval_questions: tuple[str, ...]
    train_questions: tuple[str, ...]
    answers: tuple[str, ...]
    line: int | None = None  # where the fact starts in its file

    def states(self, answer: str) -> bool:
        """True when `answer` matches the fact's pattern (case-insensitive)."""
        return re.search(self.pattern, answer, re.IGNORECASE) is not None

    def contradicted_by(self, answer: str) -> tuple[str, ...]:
        """The ``contradicts`` expressions `answer` matches (case-insensitive)."""
        return tuple(c for c in self.contradicts if re.search(c, answer, re.IGNORECASE))


@dataclass(frozen=True)
class FactsSheet:
    """A brand's facts, with where they were read from and the SHA-256 of that text (for provenance)."""

    brand: str
    source: str
    facts: tuple[Fact, ...]
    path: str | None = None
    sha256: str = ""

    def fact(self, fact_id: str) -> Fact:
        """The fact with this id (KeyError when there is none)."""
        for fact in self.facts:
            if fact.id == fact_id:
                return fact
        raise KeyError(fact_id)

    def eval_questions(self) -> list[str]:
        """Every held-out question of the sheet, in order."""
        return [q for fact in self.facts for q in fact.eval_questions]


def _fact_lines(text: str) -> list[int | None]:
    """The 1-based line where each entry of ``facts`` starts (None when the YAML has no such list)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "facts" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def parse_facts_sheet(text: str, *, source: str | None = None) -> FactsSheet:
    """Parse and check a facts sheet; InputError names the file, line and field of the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=source,
                         line=mark.line + 1 if mark else None) from None
    lines = _fact_lines(text)
    try:
        model = _SheetModel.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        index = loc[1] if len(loc) > 1 and loc[0] == "facts" and isinstance(loc[1], int) else None
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        raise InputError(first["msg"], file=source, line=lines[index] if index is not None and index < len(lines)
                         else None, field=field or None, value=first.get("input")) from None
    facts = []
    seen: set[str] = set()
    for i, item in enumerate(model.facts):
        line = lines[i] if i < len(lines) else None
        if item.id in seen:
            raise InputError("duplicate fact id", file=source, line=line, field=f"facts[{i}].id", value=item.id)
        seen.add(item.id)
        for name, expression in [("pattern", item.pattern)] + [(f"contradicts[{k}]", c)
                                                              for k, c in enumerate(item.contradicts)]:
            try:
                re.compile(expression, re.IGNORECASE)
            except re.error as exc:
                raise InputError(f"not a valid regular expression: {exc}", file=source, line=line,
                                 field=f"facts[{i}].{name}", value=expression) from None
        fact = Fact(item.id, item.statement, item.pattern, tuple(item.contradicts), tuple(item.eval_questions),
                    tuple(item.train_questions), tuple(item.answers), line)
        for k, answer in enumerate(fact.answers):
            if not fact.states(answer):
                raise InputError("answer does not match the fact's pattern", file=source, line=line,
                                 field=f"facts[{i}].answers[{k}]", value=answer)
        facts.append(fact)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return FactsSheet(model.brand, model.source, tuple(facts), source, digest)


def read_facts_sheet(path: str | os.PathLike[str]) -> FactsSheet:
    """Read a ``facts.yaml`` (see :func:`parse_facts_sheet`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("facts sheet not found", file=str(path))
    return parse_facts_sheet(path.read_text(encoding="utf-8"), source=str(path))


def _similarity(a: str, pool: Sequence[str]) -> tuple[str, float]:
    best = ("", 0.0)
    for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
        match = process.extractOne(a, pool, scorer=scorer, processor=utils.default_process)
        if match and match[1] / 100 > best[1]:
            best = (match[0], match[1] / 100)
    return best


def near_questions(questions: Iterable[str], others: Sequence[str], *,
                   threshold: float = NEAR_QUESTION) -> list[tuple[str, str, float]]:
    """(question, nearest other, similarity) for every question at least `threshold` similar to one of `others`.

    >>> near_questions(["How much is express shipping?"], ["how much is express shipping", "Do you ship abroad?"])
    [('How much is express shipping?', 'how much is express shipping', 1.0)]
    """
    others = list(others)
    if not others:
        return []
    out = []
    for question in questions:
        match, score = _similarity(question, others)
        if score >= threshold:
            out.append((question, match, round(score, 3)))
    return out


@dataclass(frozen=True, eq=False)
class FactPairs:
    """Generated question-answer examples, one id each, with the provenance of each and what was left out."""

    examples: list[dict[str, Any]]
    ids: list[str]
    provenance: pd.DataFrame
    dropped: pd.DataFrame  # id, question, reason (near an eval question, rejected in review, ...), detail

    def __len__(self) -> int:
        return len(self.examples)

    def summary(self) -> dict[str, Any]:
        """Counts: pairs, facts covered, pairs by source, dropped by reason."""
        covered = self.provenance.fact_id[self.provenance.fact_id != ""]
        return {"pairs": len(self.examples), "facts": int(covered.nunique()),
                "by_source": self.provenance.source.value_counts().to_dict(),
                "dropped": int(len(self.dropped)),
                "dropped_by_reason": self.dropped.reason.value_counts().to_dict() if len(self.dropped) else {}}

    def questions(self) -> list[str]:
        """The user question of every pair, in order."""
        return [next(m["content"] for m in e["messages"] if m["role"] == "user") for e in self.examples]

    def per_fact(self, n: int) -> FactPairs:
        """The first `n` pairs of each fact (pairs tied to no fact left out), in order: a short training file that
        still states every fact."""
        if n < 1:
            raise InputError("must be at least 1", field="n", value=n)
        counts: dict[str, int] = {}
        keep = []
        for i, fact_id in enumerate(self.provenance.fact_id.tolist()):
            if fact_id and counts.get(fact_id, 0) < n:
                counts[fact_id] = counts.get(fact_id, 0) + 1
                keep.append(i)
        return FactPairs([self.examples[i] for i in keep], [self.ids[i] for i in keep],
                         self.provenance.iloc[keep].reset_index(drop=True), self.dropped)

    def proposals(self, *, brand: str = "", created_at: str = "") -> list:
        """The pairs as :class:`nbtools.voice.rewrite.ProposedExample` for the review widget
        (``nbtools.review_widget(pairs.proposals(), decisions_path)``)."""
        from ..voice.rewrite import ProposedExample

        out = []
        for example, row in zip(self.examples, self.provenance.to_dict("records")):
            messages = example["messages"]
            system = next((m["content"] for m in messages if m["role"] == "system"), "")
            out.append(ProposedExample(
                proposal_id=row["id"], source_row_id=f"{row['sheet']}#{row['fact_id']}", question=row["question"],
                original=row.get("statement") or "", proposed=messages[-1]["content"],
                model=row["generator"], system_prompt=system, prompt=row["question_field"], profile_name=brand,
                profile_version=0, created_at=created_at, max_tokens=0, temperature=0.0))
        return out

    def write_provenance(self, dataset_path: str | os.PathLike[str], *, first_line: int = 1) -> Path:
        """Write the provenance of each pair, one JSON line each with its line in the dataset (the pairs start at
        `first_line`), to the dataset's sidecar ``<name>.provenance.jsonl`` (replaced); returns its path."""
        import json

        dataset_path = Path(dataset_path)
        sidecar = dataset_path.with_name(dataset_path.stem + ".provenance.jsonl")
        with open(sidecar, "w", encoding="utf-8") as out:
            for n, row in enumerate(self.provenance.to_dict("records")):
                fields = {k: v for k, v in row.items() if k != "id"}
                record = {"line": first_line + n, "proposal_id": row["id"]} | fields
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return sidecar

    def reviewed(self, decisions: Mapping[str, Any]) -> FactPairs:
        """The pairs after review: rejected ones dropped, edited ones with the reviewer's text. Template pairs not
        reviewed yet stay (their answers are the sheet's own); paraphrased ones need an accept or an edit."""
        examples, ids, rows, dropped = [], [], [], self.dropped.to_dict("records")
        for example, pair_id, row in zip(self.examples, self.ids, self.provenance.to_dict("records")):
            made = decisions.get(pair_id)
            if made is None and row["generator"] != "template":
                dropped.append({"id": pair_id, "question": row["question"], "reason": "not reviewed", "detail": ""})
                continue
            if made is not None and made.decision == "rejected":
                dropped.append({"id": pair_id, "question": row["question"], "reason": "rejected in review",
                                "detail": ""})
                continue
            if made is not None and made.decision == "edited":
                example = {"messages": example["messages"][:-1] + [{"role": "assistant", "content": made.text}]}
            examples.append(example)
            ids.append(pair_id)
            rows.append(row | {"decision": made.decision if made is not None else "template"})
        return FactPairs(examples, ids, pd.DataFrame(rows), pd.DataFrame(dropped, columns=list(DROPPED_COLUMNS)))


def _faq_pairs(path: str | os.PathLike[str]) -> list[tuple[str, str, int | None]]:
    """(question, answer, line) of a Q:/A: FAQ file, through the corpus reader."""
    from ..corpus.readers import read_corpus

    messages = read_corpus(path).messages
    out = []
    for _, rows in messages.groupby("conversation_id", sort=False):
        users = rows[rows.role == "user"].text.tolist()
        assistants = rows[rows.role == "assistant"]
        if users and len(assistants):
            line = assistants.source_line.iloc[0] if "source_line" in assistants else None
            out.append((users[0], assistants.text.iloc[0], None if line is None or pd.isna(line) else int(line)))
    return out


def _in_voice(answer: str, greeting: str, signoff: str) -> str:
    """`answer` with the brand's greeting and sign-off, unless it has them already."""
    body = answer.strip()
    if not body.startswith(greeting.rstrip("!")):
        body = f"{greeting} {body}"
    if not body.rstrip().endswith(signoff):
        body = f"{body}\n\n{signoff}"
    return body


def fact_pairs(sheet: FactsSheet, *, system_prompt: str | None = None, per_fact: int | None = None, seed: int = 0,
               faq: str | os.PathLike[str] | None = None, paraphrase: Paraphraser | None = None,
               valid: Sequence[Mapping[str, Any]] = (), train: Sequence[Mapping[str, Any]] = (),
               greeting: str = "Hey there!", signoff: str = "Stay grounded! ☕",
               threshold: float = NEAR_QUESTION) -> FactPairs:
    """Question-answer examples stating each fact of `sheet` (see the module docstring).

    `per_fact` caps the template pairs per fact (default: one per train question). `faq` adds the pairs of a Q:/A:
    file, their answers wrapped in `greeting` and `signoff`, each tied to the first fact whose pattern its answer
    matches (or to no fact). `paraphrase` (a function question -> other wordings, e.g. a chat model on any backend)
    adds questions with the same answer; those pairs need review (:meth:`FactPairs.reviewed`). Every question at
    least `threshold` similar to an eval question of the sheet, or to a user question of the `valid` examples (the
    validation split), is dropped, with its reason; so is a question asked twice, or already asked by a `train`
    example (the same prompt with two answers).
    """
    if per_fact is not None and per_fact < 1:
        raise InputError("per_fact must be at least 1", field="per_fact", value=per_fact)
    held_out = sheet.eval_questions()
    valid_questions = _user_questions(valid)
    seen = {" ".join(q.casefold().split()) for q in _user_questions(train)}
    rng = random.Random(seed)
    candidates: list[dict[str, Any]] = []
    for i, fact in enumerate(sheet.facts):
        offset = rng.randrange(len(fact.answers))
        for k, question in enumerate(fact.train_questions[:per_fact]):
            a = (k + offset) % len(fact.answers)
            base = {"fact_id": fact.id, "source": "facts sheet", "answer": fact.answers[a],
                    "answer_field": f"facts[{i}].answers[{a}]", "statement": fact.statement}
            candidates.append(base | {"id": f"fact:{fact.id}:q{k}", "generator": "template", "question": question,
                                      "question_field": f"facts[{i}].train_questions[{k}]"})
            for p, wording in enumerate(paraphrase(question) if paraphrase else ()):
                if isinstance(wording, str) and wording.strip() and wording.strip() != question:
                    candidates.append(base | {"id": f"fact:{fact.id}:q{k}:p{p}", "generator": "paraphrase",
                                              "question": wording.strip(),
                                              "question_field": f"facts[{i}].train_questions[{k}] (paraphrased)"})
    if faq is not None:
        for n, (question, answer, line) in enumerate(_faq_pairs(faq)):
            stated = next((f for f in sheet.facts if f.states(answer)), None)
            candidates.append({"id": f"faq:{n}", "fact_id": stated.id if stated else "", "source": "faq",
                               "generator": "template", "question": question,
                               "answer": _in_voice(answer, greeting, signoff),
                               "question_field": f"{Path(faq).name}, line {line}" if line else Path(faq).name,
                               "answer_field": f"{Path(faq).name} (answer in the voice)",
                               "statement": stated.statement if stated else ""})
    examples, ids, rows, dropped = [], [], [], []
    for row in candidates:
        near = near_questions([row["question"]], held_out, threshold=threshold)
        if near:
            dropped.append({"id": row["id"], "question": row["question"], "reason": "near an eval question",
                            "detail": f"{near[0][1]!r} ({near[0][2]:.2f})"})
            continue
        near = near_questions([row["question"]], valid_questions, threshold=threshold)
        if near:
            dropped.append({"id": row["id"], "question": row["question"], "reason": "near a validation question",
                            "detail": f"{near[0][1]!r} ({near[0][2]:.2f})"})
            continue
        key = " ".join(row["question"].casefold().split())
        if key in seen:  # the same question twice would teach two answers to one prompt
            dropped.append({"id": row["id"], "question": row["question"], "reason": "duplicate question",
                            "detail": ""})
            continue
        seen.add(key)
        messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
            {"role": "user", "content": row["question"]}, {"role": "assistant", "content": row["answer"]}]
        examples.append({"messages": messages})
        ids.append(row["id"])
        rows.append({c: row.get(c) for c in PROVENANCE_COLUMNS if c not in ("sheet", "sheet_sha256")}
                    | {"sheet": sheet.path or sheet.source, "sheet_sha256": sheet.sha256,
                       "statement": row["statement"]})
    pairs = FactPairs(examples, ids, pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS) + ["statement"]),
                      pd.DataFrame(dropped, columns=list(DROPPED_COLUMNS)))
    assert_held_out(pairs.questions(), sheet, threshold=threshold)
    return pairs


def _user_questions(examples: Sequence[Mapping[str, Any]]) -> list[str]:
    """The user messages' texts of chat or preference examples."""
    messages = [m for e in examples for m in (e.get("messages") or e.get("input", {}).get("messages", []))]
    return [m["content"] for m in messages if m.get("role") == "user" and isinstance(m.get("content"), str)]


def assert_held_out(questions: Iterable[str], sheet: FactsSheet, *, threshold: float = NEAR_QUESTION) -> None:
    """Raise InputError when a training question is near an eval question of `sheet` (the eval would be inflated).

    >>> sheet = FactsSheet("B", "s", (Fact("f", "s", "x", (), ("How much is express?",), ("q",), ("x",)),))
    >>> assert_held_out(["Do you ship abroad?"], sheet)
    >>> assert_held_out(["how much is express"], sheet)
    Traceback (most recent call last):
    ...
    nbtools.errors.InputError: field question: training question is near eval question 'How much is express?' (1.00) (got 'how much is express')
    """
    near = near_questions(questions, sheet.eval_questions(), threshold=threshold)
    if near:
        question, match, score = near[0]
        raise InputError(f"training question is near eval question {match!r} ({score:.2f})", field="question",
                         value=question)
