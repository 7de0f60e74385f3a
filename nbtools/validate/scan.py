"""One streaming pass over JSONL bytes (read by :mod:`nbtools.jsonl`): per-line checks and token counts.

Memory stays bounded whatever the file size: a line longer than ``MAX_LINE_BYTES`` is skipped in pieces (reported,
never held whole), at most ``max_per_code`` issues of each code are kept, and per-example facts go into compact
arrays (4 bytes per token count, 12 bytes per prompt digest) rather than Python objects.
A pass can cover a byte range of the file, so two worker processes can split a large file; :meth:`Scan.merge`
joins their results, renumbering lines.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import replace
from typing import IO, Any

from ..errors import JsonlError
from ..jsonl import BLANK, BOM, MAX_LINE_BYTES, iter_lines, parse_line
from ..tokens import TokenCounter
from .issues import Issue, IssueCollector, error, warning
from .rules import Method, check_example

__all__ = ["Scan", "line_issue", "MAX_LINE_BYTES", "BOM"]  # BOM, MAX_LINE_BYTES: nbtools.jsonl's, for the autofix

_HINTS = {
    "binary_content": "fine-tuning files are UTF-8 JSON Lines",
    "not_utf8": "save the file as UTF-8",
    "invalid_json": "every line must be one complete JSON object",
    "line_too_long": "split or remove it",
}


def line_issue(problem: JsonlError) -> Issue:
    """The validator's issue for a line the JSONL reader refused (same reason, same value)."""
    return error(problem.code, problem.reason, value=problem.value, hint=_HINTS.get(problem.code))


def _undecodable(raw: bytes, exc: Exception) -> Issue:
    """The issue of a line that did not parse (for the autofix, which reads lines itself)."""
    try:
        parse_line(raw)
    except JsonlError as problem:
        return line_issue(problem)
    return error("invalid_json", f"line is not valid JSON: {exc}", value=raw[:200], hint=_HINTS["invalid_json"])


class Scan:
    """The results of one pass (or one byte range of a file): counts, kept issues, token and prompt arrays."""

    def __init__(self, *, method: Method = "auto", max_per_code: int = 100, counter: TokenCounter | None = None,
                 limit: int | None = None) -> None:
        self.method = method
        self.limit = limit
        self.counter = counter
        self.collector = IssueCollector(max_per_code)
        self.n_lines = 0
        self.n_examples = 0
        self.n_bytes = 0
        self.kinds: Counter[str] = Counter()
        self.first_line_of: dict[str, int] = {}
        self.token_lines = array("I")
        self.token_totals = array("I")
        self.token_trained = array("I")
        self.prompt_digests = array("Q")
        self.prompt_lines = array("I")

    def add_issue(self, issue: Issue, line: int | None) -> None:
        """Record a problem found at `line`."""
        self.collector.add(replace(issue, line=line) if line is not None else issue)

    def add_object(self, obj: Any, line: int) -> None:
        """Check one parsed example and count its tokens."""
        self.n_examples += 1
        check = check_example(obj, method=self.method, counter=self.counter)
        if check.kind is not None:
            self.kinds[check.kind] += 1
            self.first_line_of.setdefault(check.kind, line)
        for issue in check.issues:
            self.collector.add(replace(issue, line=line))
        if check.prompt_key is not None:
            self.prompt_digests.append(int.from_bytes(check.prompt_key, "little"))
            self.prompt_lines.append(line)
        tokens = check.tokens
        if tokens is not None:
            self.token_lines.append(line)
            self.token_totals.append(tokens.total)
            self.token_trained.append(tokens.trained)
            if self.limit is not None and tokens.total > self.limit:
                self.collector.add(warning(
                    "over_token_limit", f"example has {tokens.total:,} tokens, over the model's {self.limit:,} "
                    "per training example: it would be truncated", line=line, value=tokens.total,
                    hint=f"drop or truncate it (fix_file(..., truncate_over={self.limit}) or nbtools validate --fix "
                         "OUT --truncate)"))

    def add_line(self, raw: bytes | None, size: int, line: int, *, first_in_file: bool = False) -> None:
        """Process one raw line of the file (None: too long to read)."""
        self.n_lines += 1
        self.n_bytes += size
        if first_in_file and raw is not None and raw.startswith(BOM):
            self.add_issue(warning("bom", "file starts with a UTF-8 byte-order mark (BOM)",
                                   hint="nbtools and the local server skip it; the auto-fix removes it"), line)
        try:
            obj = parse_line(raw, size=size, first=first_in_file)
        except JsonlError as problem:
            self.n_examples += 1
            self.add_issue(line_issue(problem), line)
            return
        if obj is BLANK:
            self.add_issue(warning("blank_line", "blank line", hint="the auto-fix removes blank lines"), line)
            return
        self.add_object(obj, line)

    def scan_range(self, f: IO[bytes], start: int, end: int | None, *, progress: Any = None) -> "Scan":
        """Process the lines starting in [start, end) of an open binary file; line numbers count from the start."""
        line = 0
        pending = 0
        for raw, size in iter_lines(f, start, end):
            line += 1
            self.add_line(raw, size, line, first_in_file=(start == 0 and line == 1))
            if progress is not None:
                pending += size
                if pending >= 4 * 1024 * 1024:
                    progress.update(pending)
                    pending = 0
        if progress is not None and pending:
            progress.update(pending)
        return self

    def merge(self, later: "Scan") -> None:
        """Append the results of the next byte range (its line numbers start after ours)."""
        offset = self.n_lines
        self.collector.merge(later.collector, line_offset=offset)
        for kind, line in later.first_line_of.items():
            self.first_line_of.setdefault(kind, line + offset)
        self.kinds.update(later.kinds)
        self.n_lines += later.n_lines
        self.n_examples += later.n_examples
        self.n_bytes += later.n_bytes
        self.token_lines.extend(line + offset for line in later.token_lines)
        self.token_totals.extend(later.token_totals)
        self.token_trained.extend(later.token_trained)
        self.prompt_digests.extend(later.prompt_digests)
        self.prompt_lines.extend(line + offset for line in later.prompt_lines)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["counter"] = None  # tokenizers stay in their process
        return state
