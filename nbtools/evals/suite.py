"""Eval suites: the questions to ask, with their conversation context and the fact each one needs.

A suite comes from a suite file (YAML or JSON Lines), from the brand's facts sheet (its held-out
``eval_questions``), or from a validation split (its customer questions, with the conversation before them).
Every reader checks the whole input before any model is asked, and its errors name the file, line and field.

A YAML suite file::

    name: brewtiful-spot-check
    facts: ../data/samples/facts.yaml     # optional, relative to this file: needed when a case names a fact
    cases:
      - question: How much does express shipping cost?
        fact: express_shipping
      - id: pause-after-hello
        context:                          # optional: the turns before the question
          - {role: user, content: "Hi, I'm Dana."}
          - {role: assistant, content: "Hey there, Dana! How can I help?"}
        question: Can I pause my plan?

A JSON Lines suite file holds one case per line (``{"question": ..., "fact": ..., "context": [...]}``).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "suite.jsonl"
    >>> _ = path.write_text('{"question": "Can I pause?"}\\n{"question": ""}\\n')
    >>> read_suite(path)
    Traceback (most recent call last):
    ...
    nbtools.errors.DataFormatError: .../suite.jsonl, line 2, field question: String should have at least 1 character (got '')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

import pydantic
import yaml

from ..dataset.facts import Fact, FactsSheet, read_facts_sheet
from ..errors import DataFormatError, InputError

__all__ = ["EvalCase", "EvalSuite", "read_suite", "facts_suite", "validation_suite", "suite_fact"]

_ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class EvalCase:
    """One question of a suite: `context` are the chat turns before it, `fact` the id of the fact it needs."""

    id: str
    question: str
    context: tuple[Mapping[str, str], ...] = ()
    fact: str | None = None
    reference: str | None = None  # the answer the data gave, when the case comes from a dataset


@dataclass(frozen=True)
class EvalSuite:
    """Questions plus what checks them: the facts sheet (for cases that name a fact)."""

    name: str
    cases: tuple[EvalCase, ...]
    facts: FactsSheet | None = None

    def __post_init__(self) -> None:
        if not self.cases:
            raise InputError("a suite needs at least one case", field="cases", value=[])
        ids = [c.id for c in self.cases]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise InputError("case ids must be unique", field="cases.id", value=duplicate)
        for case in self.cases:
            if case.fact is not None:
                if self.facts is None:
                    raise InputError("a case names a fact but the suite has no facts sheet", field=f"{case.id}.fact",
                                     value=case.fact)
                suite_fact(self, case.fact)

    def head(self, n: int) -> "EvalSuite":
        """The suite's first `n` cases."""
        return EvalSuite(self.name, self.cases[:n], self.facts)

    def __add__(self, other: "EvalSuite") -> "EvalSuite":
        return EvalSuite(f"{self.name} + {other.name}", self.cases + other.cases, self.facts or other.facts)


def suite_fact(suite: EvalSuite, fact_id: str) -> Fact:
    """The fact `fact_id` of the suite's facts sheet (InputError naming the sheet when it has none)."""
    try:
        if suite.facts is None:
            raise KeyError(fact_id)
        return suite.facts.fact(fact_id)
    except (KeyError, AttributeError):
        raise InputError("no such fact in the facts sheet", file=getattr(suite.facts, "path", None), field="fact",
                         value=fact_id) from None


# -- outside input: validated with pydantic, errors located in the file ------------------------------------------------

class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)


class _Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class _Case(_Strict):
    id: str | None = pydantic.Field(default=None, min_length=1)
    question: str = pydantic.Field(min_length=1)
    context: list[_Message] = []
    fact: str | None = None
    reference: str | None = None


class _SuiteFile(_Strict):
    name: str | None = None
    facts: str | None = None
    cases: list[_Case] = pydantic.Field(min_length=1)


def _yaml_line(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """The 1-based line of the YAML node at `loc` (the deepest one found), from the composed node tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _validate(model: type[pydantic.BaseModel], data: Any, *, file: str, line_of) -> Any:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        raise DataFormatError(first["msg"], file=file, line=line_of(loc), field=".".join(map(str, loc)) or None,
                              value=first.get("input")) from None


def _load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path)) from None
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFormatError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                              line=mark.line + 1 if mark is not None else None) from None


def _cases(parsed: Iterable[_Case], lines: Sequence[int | None], *, file: str,
           facts: FactsSheet | None) -> tuple[EvalCase, ...]:
    cases, seen = [], set()
    for i, (case, line) in enumerate(zip(parsed, lines)):
        case_id = case.id or f"case-{i + 1}"
        if case_id in seen:
            raise DataFormatError("case ids must be unique", file=file, line=line, field="id", value=case_id)
        seen.add(case_id)
        if case.fact is not None:
            if facts is None:
                raise DataFormatError("the case names a fact but the suite names no facts sheet (facts: path)",
                                      file=file, line=line, field="fact", value=case.fact)
            if case.fact not in {f.id for f in facts.facts}:
                raise DataFormatError(f"no such fact in {facts.path}", file=file, line=line, field="fact",
                                      value=case.fact)
        context = tuple({"role": m.role, "content": m.content} for m in case.context)
        cases.append(EvalCase(case_id, case.question, context, case.fact, case.reference))
    return tuple(cases)


def _read_jsonl_suite(path: Path, facts: FactsSheet | None) -> EvalSuite:
    parsed, lines = [], []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            values = json.loads(raw)
        except ValueError as exc:
            raise DataFormatError(f"not JSON ({exc})", file=str(path), line=number, value=raw.strip()) from None
        parsed.append(_validate(_Case, values, file=str(path), line_of=lambda loc, n=number: n))
        lines.append(number)
    if not parsed:
        raise DataFormatError("the suite has no cases", file=str(path))
    return EvalSuite(path.stem, _cases(parsed, lines, file=str(path), facts=facts), facts)


def read_suite(path: str | os.PathLike[str], *, facts: str | os.PathLike[str] | FactsSheet | None = None) -> EvalSuite:
    """The suite in a YAML (``.yaml``/``.yml``) or JSON Lines (``.jsonl``) file; see the module docstring.

    `facts` (a path or :class:`FactsSheet`) overrides the file's own ``facts:``; JSON Lines suites need it when a
    case names a fact.
    """
    path = Path(path)
    sheet = read_facts_sheet(facts) if isinstance(facts, (str, os.PathLike)) else facts
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl_suite(path, sheet)
    if suffix not in (".yaml", ".yml"):
        raise DataFormatError("a suite file must end in .yaml, .yml or .jsonl", file=str(path))
    data, root = _load_yaml(path)
    parsed = _validate(_SuiteFile, data, file=str(path), line_of=lambda loc: _yaml_line(root, loc))
    if sheet is None and parsed.facts:
        sheet = read_facts_sheet(path.parent / parsed.facts)
    lines = [_yaml_line(root, ("cases", i)) for i in range(len(parsed.cases))]
    return EvalSuite(parsed.name or path.stem, _cases(parsed.cases, lines, file=str(path), facts=sheet), sheet)


def facts_suite(facts: str | os.PathLike[str] | FactsSheet, *, per_fact: int | None = None) -> EvalSuite:
    """The facts sheet's held-out ``eval_questions`` as a suite: one case per question, needing its fact.

    `per_fact` keeps at most that many questions of each fact.
    """
    sheet = read_facts_sheet(facts) if isinstance(facts, (str, os.PathLike)) else facts
    cases = [EvalCase(f"{fact.id}-{i + 1}", question, fact=fact.id)
             for fact in sheet.facts for i, question in enumerate(fact.eval_questions[:per_fact])]
    return EvalSuite("facts", tuple(cases), sheet)


def validation_suite(examples: str | os.PathLike[str] | Iterable[Mapping[str, Any]], *, n: int | None = None,
                     turn: Literal["first", "last"] = "first", name: str = "validation") -> EvalSuite:
    """The customer questions of a validation split (chat-format JSONL or its records) as a suite.

    ``turn="first"``: each conversation's first customer message, no context. ``turn="last"``: its last customer
    message, with the turns before it (system prompt left out: the set-up brings its own) as context. The agent's
    reply in the data becomes the case's `reference`. Repeated questions are kept once; `n` caps the count.
    """
    from .. import read_jsonl  # wherever the package keeps it

    file = str(examples) if isinstance(examples, (str, os.PathLike)) else "<examples>"
    records = read_jsonl(examples) if isinstance(examples, (str, os.PathLike)) else examples
    if turn not in ("first", "last"):
        raise InputError("must be 'first' or 'last'", field="turn", value=turn)
    cases: list[EvalCase] = []
    seen: set[tuple] = set()
    for number, record in enumerate(records, 1):
        messages = record.get("messages") if isinstance(record, Mapping) else None
        if not isinstance(messages, list):
            raise DataFormatError("expected a chat example with a messages list", file=file, line=number,
                                  field="messages", value=record)
        turns = [m for m in messages if isinstance(m, Mapping) and m.get("role") in _ROLES[1:]
                 and isinstance(m.get("content"), str)]
        users = [i for i, m in enumerate(turns) if m["role"] == "user"]
        if not users:
            continue
        at = users[0] if turn == "first" else users[-1]
        context = tuple({"role": m["role"], "content": m["content"]} for m in turns[:at])
        reply = next((m["content"] for m in turns[at + 1:] if m["role"] == "assistant"), None)
        key = (turns[at]["content"], tuple(tuple(m.items()) for m in context))
        if not turns[at]["content"].strip() or key in seen:
            continue
        seen.add(key)
        cases.append(EvalCase(f"valid-{number}", turns[at]["content"], context, None, reply))
        if n is not None and len(cases) >= n:
            break
    if not cases:
        raise DataFormatError("no customer questions found", file=file, field="messages")
    return EvalSuite(name, tuple(cases))
