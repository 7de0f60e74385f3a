"""Problems found in a fine-tuning file: one :class:`Issue` per problem, collected with a cap per code.

An issue says where (file, line, field path such as ``messages[2].content``), what (a code and a sentence), the
offending value (shortened) and, where useful, what was expected::

    >>> issue = error("unknown_role", "unknown role", line=12, field="messages[1].role", value="customer",
    ...               hint="expected one of system, user, assistant, tool", file="train.jsonl")
    >>> str(issue)
    "train.jsonl, line 12, field messages[1].role: unknown role (got 'customer'); expected one of system, user, assistant, tool"

A 512 MB file can hold millions of identical problems, so :class:`IssueCollector` keeps at most
``max_per_code`` issues of each code (the earliest ones) and keeps counting the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Literal

from ..errors import short_repr

__all__ = ["Issue", "IssueCollector", "Severity", "NO_VALUE", "error", "warning"]

Severity = Literal["error", "warning"]

# Default of error()/warning(): "no offending value to show" (None itself is a value worth showing: content null).
NO_VALUE = object()


@dataclass(frozen=True)
class Issue:
    """One problem: severity, code, location (line 1-based, field path), message, value, hint.

    ``value`` is the shortened repr of the offending value (``"None"`` for a null), or None when there is none to
    show. Build issues with :func:`error` and :func:`warning`, which shorten the value with ``short_repr``.
    """

    severity: Severity
    code: str
    message: str
    line: int | None = None
    field: str | None = None
    value: str | None = None
    hint: str | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = [part for part in (self.file, self.line and f"line {self.line}", self.field and f"field {self.field}")
                 if part]
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.value is not None:
            text += f" (got {self.value})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def as_dict(self) -> dict:
        """A plain dict (JSON-ready): the fields plus the rendered ``text``."""
        return {
            "severity": self.severity,
            "code": self.code,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "value": self.value,
            "hint": self.hint,
            "text": str(self),
        }


def _make(severity: Severity, code: str, message: str, value: object, where: dict) -> Issue:
    return Issue(severity, code, message, value=None if value is NO_VALUE else short_repr(value), **where)


def error(code: str, message: str, *, value: object = NO_VALUE, **where) -> Issue:
    """An error Issue; `value` is the offending value (shortened), `where` holds line/field/hint/file."""
    return _make("error", code, message, value, where)


def warning(code: str, message: str, *, value: object = NO_VALUE, **where) -> Issue:
    """A warning Issue; `value` is the offending value (shortened), `where` holds line/field/hint/file."""
    return _make("warning", code, message, value, where)


class IssueCollector:
    """Keeps the first `max_per_code` issues of each code and counts all of them, errors and warnings apart.

    >>> c = IssueCollector(max_per_code=1)
    >>> c.extend([error("bad_json", "not JSON", line=1), error("bad_json", "not JSON", line=2)])
    >>> len(c.errors), c.error_counts["bad_json"]
    (1, 2)
    """

    def __init__(self, max_per_code: int = 100) -> None:
        if max_per_code < 0:
            raise ValueError("max_per_code must be >= 0")
        self.max_per_code = max_per_code
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.error_counts: Counter[str] = Counter()
        self.warning_counts: Counter[str] = Counter()

    def add(self, issue: Issue) -> None:
        """Count `issue`; keep it if fewer than `max_per_code` of its code are kept."""
        kept, counts = (
            (self.errors, self.error_counts) if issue.severity == "error" else (self.warnings, self.warning_counts)
        )
        counts[issue.code] += 1
        if counts[issue.code] <= self.max_per_code:
            kept.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        """Add several issues."""
        for issue in issues:
            self.add(issue)

    def merge(self, other: "IssueCollector", *, line_offset: int = 0) -> None:
        """Fold in the issues of a later chunk of the same file whose line numbers start after `line_offset`."""
        for kept, counts, theirs, their_counts in (
            (self.errors, self.error_counts, other.errors, other.error_counts),
            (self.warnings, self.warning_counts, other.warnings, other.warning_counts),
        ):
            room: Counter[str] = Counter()
            for issue in theirs:
                room[issue.code] += 1
                if counts[issue.code] + room[issue.code] <= self.max_per_code:
                    line = None if issue.line is None else issue.line + line_offset
                    kept.append(replace(issue, line=line))
            counts.update(their_counts)

    def sorted(self) -> tuple[tuple[Issue, ...], tuple[Issue, ...]]:
        """Errors and warnings ordered by line (file-level issues, with no line, first)."""

        def key(issue: Issue) -> tuple[int, str]:
            return (issue.line or 0, issue.field or "")

        return tuple(sorted(self.errors, key=key)), tuple(sorted(self.warnings, key=key))
