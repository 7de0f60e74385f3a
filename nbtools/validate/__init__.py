"""Validate chat fine-tuning JSONL against OpenAI's current format, streaming, with token counts and an auto-fix.

Modules: issues (Issue records, capped collection), messages / tooldefs / rules (format checks of one line),
limits (per-model token limits), scan (the streaming pass), validator (validate_file / validate_records),
report (ValidationReport, TokenStats), autofix (fix_file).
"""

from .autofix import Fix, FixReport, fix_file
from .issues import Issue
from .limits import token_limit_for
from .report import TokenStats, ValidationReport
from .rules import check_example
from .validator import validate_file, validate_records

__all__ = [
    "Fix",
    "FixReport",
    "Issue",
    "TokenStats",
    "ValidationReport",
    "check_example",
    "fix_file",
    "token_limit_for",
    "validate_file",
    "validate_records",
]
