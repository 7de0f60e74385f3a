"""Write a corrected copy of a fine-tuning file and list every change.

Mechanical problems are fixed: a UTF-8 BOM, CRLF line ends, blank lines, ``weight`` given as "1" / 1.0 / true,
tool-call ``arguments`` given as an object instead of a JSON string, the older DPO key names, and (when asked)
examples over a token limit, truncated by dropping their oldest turns or dropped. Lines that still have errors
are reported as unfixable and copied unchanged, or dropped when ``drop_invalid=True`` -- never dropped silently::

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> src, dst = os.path.join(folder, "in.jsonl"), os.path.join(folder, "out.jsonl")
    >>> _ = open(src, "wb").write(b'\\xef\\xbb\\xbf{"messages": [{"role": "user", "content": "Hi"}, '
    ...                           b'{"role": "assistant", "content": "Hey!", "weight": "1"}]}\\r\\n\\r\\n')
    >>> report = fix_file(src, dst)
    >>> [(f.line, f.action) for f in report.fixes]
    [(1, 'strip_bom'), (1, 'crlf'), (1, 'coerce_weight'), (2, 'drop_blank')]
    >>> open(dst, encoding="utf-8").read()
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hey!","weight":1}]}\\n'
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping

import orjson

from ..errors import InputError, short_repr
from ..tokens import TokenCounter
from .issues import Issue, IssueCollector, error
from .rules import LEGACY_DPO_KEYS, check_example
from .scan import BOM, MAX_LINE_BYTES, _undecodable
from .validator import DEFAULT_ENCODING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Fix", "FixReport", "fix_file"]

# True and False are found too: they hash and compare equal to 1.0 and 0.0.
_WEIGHTS: dict[str | float, int] = {"1": 1, "0": 0, 1.0: 1, 0.0: 0}


@dataclass(frozen=True)
class Fix:
    """One change: source line, field, what was done, the value before and after (shortened)."""

    line: int
    field: str | None
    action: str
    before: str
    after: str


@dataclass(frozen=True, eq=False)
class FixReport:
    """What :func:`fix_file` did: lines in and out, kept fixes (capped per action) and all counts, unfixable errors."""

    src: str
    dst: str
    n_lines_in: int
    n_lines_out: int
    fixes: tuple[Fix, ...]
    fix_counts: Mapping[str, int]
    unfixable: tuple[Issue, ...]
    unfixable_counts: Mapping[str, int]
    n_invalid_written: int = 0

    @property
    def ok(self) -> bool:
        """True when every line written is free of errors."""
        return self.n_invalid_written == 0

    def to_dataframe(self) -> "pd.DataFrame":
        """The kept fixes as a table (line, field, action, before, after)."""
        import pandas as pd

        return pd.DataFrame([vars(fix) for fix in self.fixes], columns=["line", "field", "action", "before", "after"])


class _Fixer:
    def __init__(self, counter: TokenCounter | None, truncate_over: int | None, over_limit: str, max_per_action: int):
        self.counter = counter
        self.truncate_over = truncate_over
        self.over_limit = over_limit
        self.max_per_action = max_per_action
        self.fixes: list[Fix] = []
        self.counts: Counter[str] = Counter()
        self.unfixable = IssueCollector(max_per_action)
        self.invalid_written = 0

    def record(self, line: int, field: str | None, action: str, before: str, after: str) -> None:
        """Count a fix; keep it while fewer than max_per_action of its action are kept."""
        self.counts[action] += 1
        if self.counts[action] <= self.max_per_action:
            self.fixes.append(Fix(line, field, action, str(before), str(after)))

    def fix_object(self, obj: Any, line: int) -> tuple[Any, bool]:
        """Apply the mechanical fixes in place; True when something changed."""
        if not isinstance(obj, dict):
            return obj, False
        changed = False
        for old, new in LEGACY_DPO_KEYS.items():
            if old in obj and new not in obj:
                obj = {(new if k == old else k): v for k, v in obj.items()}
                self.record(line, old, "rename_key", old, new)
                changed = True
        lists = [("messages", obj.get("messages"))]
        if isinstance(obj.get("input"), dict):
            lists.append(("input.messages", obj["input"].get("messages")))
        lists += [(key, obj.get(key)) for key in ("preferred_output", "non_preferred_output")]
        for where, messages in lists:
            if isinstance(messages, list):
                for i, message in enumerate(messages):
                    if isinstance(message, dict):
                        changed |= self._fix_message(message, f"{where}[{i}]", line)
        return obj, changed

    def _fix_message(self, message: dict, at: str, line: int) -> bool:
        changed = False
        weight = message.get("weight")
        if message.get("role") == "assistant" and "weight" in message and type(weight) is not int:
            fixed = _WEIGHTS.get(weight) if isinstance(weight, (str, float, bool)) else None
            if fixed is not None:
                message["weight"] = fixed
                self.record(line, f"{at}.weight", "coerce_weight", short_repr(weight), short_repr(fixed))
                changed = True
        calls = message.get("tool_calls")
        targets = [(f"{at}.tool_calls[{k}].function", c.get("function")) for k, c in enumerate(calls)
                   if isinstance(c, dict)] if isinstance(calls, list) else []
        targets.append((f"{at}.function_call", message.get("function_call")))
        for where, function in targets:
            if isinstance(function, dict) and isinstance(function.get("arguments"), (dict, list)):
                text = json.dumps(function["arguments"], ensure_ascii=False)
                self.record(line, f"{where}.arguments", "stringify_arguments", short_repr(function["arguments"]), text)
                function["arguments"] = text
                changed = True
        return changed

    def fit(self, obj: dict, line: int) -> tuple[dict | None, bool]:
        """Truncate or drop an example over the token limit; (example or None when dropped, changed)."""
        if self.counter is None or self.truncate_over is None:
            return obj, False
        before = self.counter.count_example(obj).total
        if before <= self.truncate_over:
            return obj, False
        messages = obj.get("messages")
        if self.over_limit == "truncate" and isinstance(messages, list):
            kept = list(messages)
            while self.counter.count_example({**obj, "messages": kept}).total > self.truncate_over:
                shorter = _drop_oldest_turn(kept)
                if shorter is None:
                    break
                kept = shorter
            after = self.counter.count_example({**obj, "messages": kept}).total
            if after <= self.truncate_over:
                self.record(line, "messages", "truncate", f"{before} tokens, {len(messages)} messages",
                            f"{after} tokens, {len(kept)} messages")
                return {**obj, "messages": kept}, True
        self.record(line, None, "drop_over_limit", f"{before} tokens", f"dropped (limit {self.truncate_over})")
        return None, True


def _drop_oldest_turn(messages: list) -> list | None:
    """The messages without their oldest user turn (and the replies up to the next user message), or None."""
    users = [i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"]
    if len(users) < 2:
        return None
    return messages[: users[0]] + messages[users[1]:]


def fix_file(src: str | os.PathLike, dst: str | os.PathLike, *, model: str | None = None,
             truncate_over: int | None = None, over_limit: Literal["truncate", "drop"] = "truncate",
             drop_invalid: bool = False, max_fixes_per_action: int = 100) -> FixReport:
    """Write a corrected copy of `src` to `dst`; list each fix (capped per action, counts complete).

    `truncate_over` (tokens, counted for `model`): longer examples lose their oldest turns until they fit, or are
    dropped (`over_limit="drop"`, or when they cannot be shortened). Lines with remaining errors are copied
    unchanged and listed in ``unfixable`` (or dropped and listed, with `drop_invalid`).
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise InputError("no such file", file=str(src))
    if src.resolve() == dst.resolve():
        raise InputError("the corrected file must not overwrite its source", file=str(dst))
    if over_limit not in ("truncate", "drop"):
        raise InputError("over_limit must be 'truncate' or 'drop'", field="over_limit", value=over_limit)
    counter = None
    if truncate_over is not None:
        counter = TokenCounter.for_model(model) if model else TokenCounter.for_encoding(DEFAULT_ENCODING)
    fixer = _Fixer(counter, truncate_over, over_limit, max_fixes_per_action)
    n_in = n_out = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(dst.name + ".partial")
    with src.open("rb") as f, partial.open("wb") as out:
        while True:
            raw = f.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            n_in += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                n_out += _too_long(f, raw, out, fixer, n_in, drop_invalid)
                continue
            n_out += _fix_line(raw, n_in, out, fixer, drop_invalid)
    partial.replace(dst)
    errors, _ = fixer.unfixable.sorted()
    return FixReport(src=str(src), dst=str(dst), n_lines_in=n_in, n_lines_out=n_out, fixes=tuple(fixer.fixes),
                     fix_counts=dict(fixer.counts), unfixable=tuple(errors),
                     unfixable_counts=dict(fixer.unfixable.error_counts), n_invalid_written=fixer.invalid_written)


def _too_long(f, raw: bytes, out, fixer: _Fixer, line: int, drop_invalid: bool) -> int:
    """Copy (or drop) a line too long to hold, in pieces; returns lines written."""
    fixer.unfixable.add(error("line_too_long", f"line is over {MAX_LINE_BYTES / 2**20:,.0f} MiB", line=line))
    if drop_invalid:
        fixer.record(line, None, "drop_invalid", "line too long", "dropped")
    while True:
        if not drop_invalid:
            out.write(raw.rstrip(b"\r\n") if raw.endswith(b"\n") else raw)
        if raw.endswith(b"\n") or not raw:
            break
        raw = f.readline(1024 * 1024)
    if drop_invalid:
        return 0
    out.write(b"\n")
    fixer.invalid_written += 1
    return 1


def _fix_line(raw: bytes, line: int, out, fixer: _Fixer, drop_invalid: bool) -> int:
    """Fix one line and write it; returns the number of lines written (0 or 1)."""
    if line == 1 and raw.startswith(BOM):
        raw = raw[3:]
        fixer.record(line, None, "strip_bom", "BOM", "")
    body = raw.strip()
    if not body:
        fixer.record(line, None, "drop_blank", "blank line", "dropped")
        return 0
    if raw.endswith(b"\r\n"):
        fixer.record(line, None, "crlf", "\\r\\n", "\\n")
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _unfixable(body, [_undecodable(body, exc)], line, out, fixer, drop_invalid)
    obj, changed = fixer.fix_object(obj, line)
    check = check_example(obj)
    if check.has_errors:
        return _unfixable(body, [i for i in check.issues if i.severity == "error"], line, out, fixer, drop_invalid)
    fitted, resized = fixer.fit(obj, line)
    if fitted is None:
        return 0
    out.write(orjson.dumps(fitted) if changed or resized else body)
    out.write(b"\n")
    return 1


def _unfixable(body: bytes, issues: list[Issue], line: int, out, fixer: _Fixer, drop_invalid: bool) -> int:
    for issue in issues:
        fixer.unfixable.add(Issue(issue.severity, issue.code, issue.message, line, issue.field, issue.value,
                                  issue.hint))
    if drop_invalid:
        fixer.record(line, issues[0].field, "drop_invalid", str(issues[0]), "dropped")
        return 0
    out.write(body + b"\n")
    fixer.invalid_written += 1
    return 1
