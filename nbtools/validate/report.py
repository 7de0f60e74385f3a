"""The result of validating a fine-tuning file: issues, counts, and per-example token counts from the same pass.

``report.ok`` is True when there is no error (warnings allowed). ``report.tokens`` holds one billed total and one
trained count per valid example as compact numpy arrays, so cost estimation needs no second pass over the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

from ..tokens.stats import TokenStats  # re-exported: a report's token counts
from .issues import Issue

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ValidationReport", "TokenStats", "FATAL_CODES", "Kind"]

Kind = Literal["sft", "dpo", "mixed", "unknown"]
# File-level problems after which nothing in the file can be used.
FATAL_CODES = frozenset({"empty_file", "binary_file", "utf16_file"})


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """Everything one validation pass found. ``errors``/``warnings`` keep the first issues of each code; the
    ``*_counts`` count all of them."""

    path: str | None
    kind: Kind
    method: str
    n_lines: int
    n_examples: int
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    error_counts: Mapping[str, int]
    warning_counts: Mapping[str, int]
    tokens: TokenStats
    n_bytes: int = 0

    @property
    def ok(self) -> bool:
        """True when the file has no error (it can be uploaded; warnings are advice)."""
        return not self.error_counts

    @property
    def unusable(self) -> bool:
        """True when the input is not a JSONL text file at all (empty, binary, UTF-16)."""
        return any(code in FATAL_CODES for code in self.error_counts)

    @property
    def n_errors(self) -> int:
        """All errors, including those beyond the per-code cap."""
        return sum(self.error_counts.values())

    @property
    def n_warnings(self) -> int:
        """All warnings, including those beyond the per-code cap."""
        return sum(self.warning_counts.values())

    @property
    def first_error(self) -> Issue | None:
        """The error on the earliest line (file-level errors first), or None."""
        return self.errors[0] if self.errors else None

    def issues(self) -> tuple[Issue, ...]:
        """Kept errors then kept warnings."""
        return self.errors + self.warnings

    def to_dataframe(self) -> "pd.DataFrame":
        """The kept issues as a table: severity, code, line, field, message, value, hint, text."""
        import pandas as pd

        columns = ["severity", "code", "line", "field", "message", "value", "hint", "text"]
        frame = pd.DataFrame([issue.as_dict() for issue in self.issues()], columns=columns)
        return frame.astype({"line": "Int64"})

    def summary(self) -> dict[str, Any]:
        """A JSON-ready overview: counts, kind, token statistics."""
        return {
            "path": self.path,
            "ok": self.ok,
            "kind": self.kind,
            "method": self.method,
            "n_lines": self.n_lines,
            "n_examples": self.n_examples,
            "n_bytes": self.n_bytes,
            "n_errors": self.n_errors,
            "n_warnings": self.n_warnings,
            "error_counts": dict(sorted(self.error_counts.items())),
            "warning_counts": dict(sorted(self.warning_counts.items())),
            "first_error": None if self.first_error is None else str(self.first_error),
            "tokens": self.tokens.summary(),
        }
