"""Validate a fine-tuning JSONL file (or in-memory records) in one streaming pass.

    >>> import json, tempfile, os
    >>> lines = [{"messages": [{"role": "system", "content": "You are Brewtiful's assistant."},
    ...                        {"role": "user", "content": f"Question {i}?"},
    ...                        {"role": "assistant", "content": "Hey there! Stay grounded! ☕"}]} for i in range(10)]
    >>> lines[3]["messages"][1]["role"] = "customer"
    >>> path = os.path.join(tempfile.mkdtemp(), "train.jsonl")
    >>> _ = open(path, "w", encoding="utf-8").write("\\n".join(json.dumps(x) for x in lines))
    >>> report = validate_file(path, model="gpt-4o-mini")
    >>> report.ok, report.kind, report.n_examples, report.tokens.n
    (False, 'sft', 10, 9)
    >>> print(report.first_error)
    train.jsonl, line 4, field messages[1].role: unknown role (got 'customer'); expected one of system, user, assistant, tool (or developer, function)

Large files can be split between worker processes (``workers=2``): each scans a byte range that starts at a line
boundary; their results are merged in order, so the report is the same as with one worker.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import orjson
from tqdm.auto import tqdm

from ..errors import InputError
from ..tokens import TokenCounter
from .issues import Issue, error, warning
from .limits import token_limit_for
from .report import Kind, TokenStats, ValidationReport
from .rules import Method
from .scan import Scan

__all__ = ["validate_file", "validate_records", "MIN_EXAMPLES", "DEFAULT_ENCODING"]

MIN_EXAMPLES = 10  # OpenAI refuses training files with fewer examples
DEFAULT_ENCODING = "o200k_base"  # counts when no model is named (the current OpenAI families)
_AUTO_PARALLEL_BYTES = 64 * 1024 * 1024
_SNIFF_BYTES = 8192
_MAGIC = (
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a zip archive (or an Excel/Office file)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "an executable"),
)
_METHODS = ("auto", "supervised", "dpo")


def _counter_and_limit(model: str | None) -> tuple[TokenCounter, int | None]:
    if model is None:
        return TokenCounter.for_encoding(DEFAULT_ENCODING), None
    return TokenCounter.for_model(model), token_limit_for(model)


def _sniff(head: bytes) -> Issue | None:
    """A file-level problem visible in the first bytes: empty, UTF-16, binary (a known magic number, NUL bytes
    in the first line or in more than 1% of the bytes; a later stray binary line is a line-level error)."""
    if not head:
        return error("empty_file", "file is empty", hint="a training file needs at least 10 examples")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return error("utf16_file", "file is UTF-16 encoded, not UTF-8", hint="save it as UTF-8 JSON Lines")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return error("binary_file", f"file is binary: it looks like {what}, not JSON Lines text",
                         value=head[:16], hint="fine-tuning files are UTF-8 JSONL, one JSON object per line")
    first_line = head.split(b"\n", 1)[0]
    if b"\x00" in first_line or head.count(b"\x00") > len(head) // 100:
        return error("binary_file", "file is binary (it contains NUL bytes), not JSON Lines text",
                     value=head[:16], hint="fine-tuning files are UTF-8 JSONL, one JSON object per line")
    return None


def _line_starts(path: Path, size: int, parts: int) -> list[int]:
    """Byte offsets that split the file into about `parts` ranges, each starting at the beginning of a line."""
    starts = [0]
    with path.open("rb") as f:
        for k in range(1, parts):
            f.seek(max(size * k // parts - 1, starts[-1]))
            while True:  # move to just after the next newline, reading in bounded pieces
                piece = f.readline(1024 * 1024)
                if not piece or piece.endswith(b"\n"):
                    break
            position = f.tell()
            if starts[-1] < position < size:
                starts.append(position)
    return starts


def _scan_range(path: str, start: int, end: int | None, method: Method, max_per_code: int, model: str | None
                ) -> Scan:
    counter, limit = _counter_and_limit(model)
    with open(path, "rb") as f:
        return Scan(method=method, max_per_code=max_per_code, counter=counter, limit=limit).scan_range(f, start, end)


def _check_options(method: str, max_issues_per_code: int) -> None:
    if method not in _METHODS:
        raise InputError("method must be one of " + ", ".join(_METHODS), field="method", value=method)
    if max_issues_per_code < 1:
        raise InputError("max_issues_per_code must be at least 1", field="max_issues_per_code",
                         value=max_issues_per_code)


def validate_file(path: str | os.PathLike, *, model: str | None = None, method: Method = "auto",
                  max_issues_per_code: int = 100, min_examples: int = MIN_EXAMPLES, workers: int | None = 1,
                  progress: bool = False) -> ValidationReport:
    """Validate a fine-tuning JSONL file in one pass: format, file-level rules, token counts for `model`.

    `workers` processes split a large file by byte ranges (None: 2 for files over 64 MB on a multi-core machine).
    Raises InputError when the file does not exist; every problem inside the file is an Issue in the report.
    """
    _check_options(method, max_issues_per_code)
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file" if not path.exists() else "not a file", file=str(path))
    size = path.stat().st_size
    with path.open("rb") as f:
        fatal = _sniff(f.read(_SNIFF_BYTES))
    counter, limit = _counter_and_limit(model)
    if fatal is not None:
        scan = Scan(method=method, max_per_code=max_issues_per_code)
        scan.add_issue(fatal, None)
        return _finish(scan, path=path, method=method, model=model, limit=limit, encoding=counter.name,
                       min_examples=min_examples)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if size >= _AUTO_PARALLEL_BYTES else 1
    starts = _line_starts(path, size, workers) if workers > 1 else [0]
    with tqdm(total=size, unit="B", unit_scale=True, desc=f"validating {path.name}", disable=not progress) as bar:
        if len(starts) == 1:
            with path.open("rb") as f:
                scan = Scan(method=method, max_per_code=max_issues_per_code, counter=counter, limit=limit)
                scan.scan_range(f, 0, None, progress=bar)
        else:
            ends = starts[1:] + [None]
            # This process scans the first range while forked workers (which inherit the loaded tokenizer) scan
            # the others: n workers = this process + n - 1 children.
            with ProcessPoolExecutor(len(starts) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_scan_range, str(path), s, e, method, max_issues_per_code, model)
                           for s, e in zip(starts[1:], ends[1:])]
                with path.open("rb") as f:
                    scan = Scan(method=method, max_per_code=max_issues_per_code, counter=counter, limit=limit)
                    scan.scan_range(f, starts[0], ends[0], progress=bar)
                for future in futures:
                    scan.merge(future.result())
            bar.update(size - starts[1])  # the workers' ranges, from where this process's range ended
    return _finish(scan, path=path, method=method, model=model, limit=limit, encoding=counter.name,
                   min_examples=min_examples)


def validate_records(records: Iterable[Any], *, model: str | None = None, method: Method = "auto",
                     max_issues_per_code: int = 100, min_examples: int = MIN_EXAMPLES) -> ValidationReport:
    """Validate in-memory examples (dicts) like lines of a file; "line" numbers are 1-based record positions.

    >>> report = validate_records([{"messages": [{"role": "user", "content": "Hi"}]}], min_examples=1)
    >>> [(i.code, i.line, i.field) for i in report.errors]
    [('no_assistant_message', 1, 'messages')]
    """
    _check_options(method, max_issues_per_code)
    counter, limit = _counter_and_limit(model)
    scan = Scan(method=method, max_per_code=max_issues_per_code, counter=counter, limit=limit)
    for line, record in enumerate(records, start=1):
        scan.n_lines += 1
        try:
            orjson.dumps(record)
        except TypeError as exc:  # in-memory data can hold what no JSONL line can
            scan.n_examples += 1
            scan.add_issue(error("not_json", f"record is not JSON data: {exc}", value=record), line)
            continue
        scan.add_object(record, line)
    return _finish(scan, path=None, method=method, model=model, limit=limit, encoding=counter.name,
                   min_examples=min_examples)


def _duplicate_prompts(scan: Scan) -> None:
    """Warn about every example whose system/user text repeats an earlier one, naming the earlier line."""
    digests = np.frombuffer(scan.prompt_digests, dtype=np.uint64)
    lines = np.frombuffer(scan.prompt_lines, dtype=np.uint32)
    if digests.size < 2:
        return
    order = np.argsort(digests, kind="stable")  # equal digests stay in line order
    sorted_digests, sorted_lines = digests[order], lines[order]
    new_run = np.r_[True, sorted_digests[1:] != sorted_digests[:-1]]
    first_line = sorted_lines[np.flatnonzero(new_run)][np.cumsum(new_run) - 1]
    repeats = np.flatnonzero(~new_run)
    if not repeats.size:
        return
    repeats = repeats[np.argsort(sorted_lines[repeats], kind="stable")]
    keep = repeats[: scan.collector.max_per_code]
    for i in keep:
        scan.collector.add(warning("duplicate_prompt", f"same system and user text as line {int(first_line[i])}",
                                   line=int(sorted_lines[i]), field="messages",
                                   hint="duplicates weigh that prompt more; drop them unless intended"))
    scan.collector.warning_counts["duplicate_prompt"] += int(repeats.size - keep.size)


def _finish(scan: Scan, *, path: Path | None, method: str, model: str | None, limit: int | None,
            encoding: str | None, min_examples: int) -> ValidationReport:
    collector = scan.collector
    fatal = any(code in ("empty_file", "binary_file", "utf16_file") for code in collector.error_counts)
    if not fatal and scan.n_examples == 0:
        collector.add(error("empty_file", "file has no examples (only blank lines)" if scan.n_lines else
                            "no examples", hint=f"a training file needs at least {min_examples} examples"))
        fatal = True
    if not fatal and scan.n_examples < min_examples:
        collector.add(error("too_few_examples", f"file has {scan.n_examples} examples; at least {min_examples} "
                            "are needed", value=scan.n_examples))
    kinds = [kind for kind in ("sft", "dpo") if scan.kinds[kind]]
    kind: Kind = "mixed" if len(kinds) == 2 else "sft" if kinds == ["sft"] else "dpo" if kinds == ["dpo"] else "unknown"
    if kind == "mixed" and method == "auto":
        minority = min(kinds, key=lambda k: scan.kinds[k])
        collector.add(error("mixed_formats", f"file mixes chat examples ({scan.kinds['sft']}) and preference pairs "
                            f"({scan.kinds['dpo']}); first {minority} line here", line=scan.first_line_of[minority],
                            hint="a job uses one method: split the file"))
    _duplicate_prompts(scan)
    errors, warnings = collector.sorted()
    if path is not None:
        errors = tuple(replace(issue, file=path.name) for issue in errors)
        warnings = tuple(replace(issue, file=path.name) for issue in warnings)
    tokens = TokenStats(
        encoding=encoding, model=model, limit=limit,
        lines=np.frombuffer(scan.token_lines, dtype=np.uint32).copy(),
        totals=np.frombuffer(scan.token_totals, dtype=np.uint32).copy(),
        trained=np.frombuffer(scan.token_trained, dtype=np.uint32).copy(),
    )
    return ValidationReport(
        path=None if path is None else str(path), kind=kind, method=method, n_lines=scan.n_lines,
        n_examples=scan.n_examples, errors=errors, warnings=warnings, error_counts=dict(collector.error_counts),
        warning_counts=dict(collector.warning_counts), tokens=tokens, n_bytes=scan.n_bytes,
    )
