"""``nbtools validate FILE``: check a fine-tuning JSONL file; optionally write a corrected copy.

Exit codes: 0 valid (warnings allowed), 1 errors found, 2 unusable input (missing, empty, binary, UTF-16 file).
``--json`` prints ``{"summary": ..., "issues": [...], "fix": ...}`` for machines.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys

__all__ = ["register", "run", "format_report"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="check a chat fine-tuning JSONL file (SFT or DPO), count tokens",
                            description="Check a fine-tuning JSONL file against OpenAI's current format, count "
                                        "tokens per example; exit 0 valid, 1 errors, 2 unusable input.")
    parser.add_argument("file", help="the JSONL file")
    parser.add_argument("--model", help="count tokens and check limits for this model (e.g. gpt-4o-mini)")
    parser.add_argument("--method", choices=("auto", "supervised", "dpo"), default="auto",
                        help="expected format (default: auto, from the lines)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--fix", metavar="OUT", help="write a corrected copy to OUT, then validate that copy")
    parser.add_argument("--truncate", action="store_true",
                        help="with --fix: shorten examples over the model's token limit (oldest turns first)")
    parser.add_argument("--drop-long", action="store_true", help="with --fix: drop examples over the token limit")
    parser.add_argument("--drop-invalid", action="store_true",
                        help="with --fix: drop lines that still have errors (they are listed)")
    parser.add_argument("--min-examples", type=int, default=10, help="fewest examples a file needs (default 10)")
    parser.add_argument("--max-issues", type=int, default=100, help="issues kept per code (all are counted)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for large files (default: 2 for files over 64 MB)")
    parser.set_defaults(func=run)


def _table(rows: list[list[str]], width: int) -> list[str]:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        text = "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
        lines.append(text if len(text) <= width else text[: width - 1] + "…")
    return lines


def format_report(report, *, width: int = 120) -> str:
    """A person-readable summary and issue tables of a ValidationReport."""
    name = report.path or "records"
    out = [f"{name}: {report.n_lines:,} lines, {report.n_examples:,} examples ({report.kind}), "
           f"{report.n_errors:,} errors, {report.n_warnings:,} warnings"]
    stats = report.tokens.summary()
    if stats["n"]:
        limit = f", limit {stats['limit']:,}" if stats["limit"] else ""
        out.append(f"tokens ({stats['encoding']}{', ' + stats['model'] if stats['model'] else ''}{limit}): "
                   f"{stats['billed_total']:,} billed per epoch, {stats['trained_total']:,} trained; per example "
                   f"min {stats['min']:,}, median {stats['median']:,.0f}, p90 {stats['p90']:,.0f}, "
                   f"max {stats['max']:,}; {stats['n_over_limit']:,} over the limit")
    for title, issues, counts in (("ERRORS", report.errors, report.error_counts),
                                  ("WARNINGS", report.warnings, report.warning_counts)):
        if not issues:
            continue
        out.append(f"\n{title}")
        rows = [["line", "field", "code", "message"]]
        for issue in issues:
            message = issue.message + (f" (got {issue.value})" if issue.value is not None else "")
            message += f"; {issue.hint}" if issue.hint else ""
            rows.append([str(issue.line or "-"), issue.field or "-", issue.code, message])
        out.extend(_table(rows, width))
        shown: dict[str, int] = {}
        for issue in issues:
            shown[issue.code] = shown.get(issue.code, 0) + 1
        for code, count in sorted(counts.items()):
            if count > shown.get(code, 0):
                out.append(f"… and {count - shown.get(code, 0):,} more {code}")
    out.append("\nvalid" if report.ok else "\nNOT valid: fix the errors above (nbtools validate FILE --fix OUT "
               "fixes the mechanical ones)")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from ..validate import fix_file, token_limit_for, validate_file

    options = dict(model=args.model, method=args.method, max_issues_per_code=args.max_issues,
                   min_examples=args.min_examples, workers=args.workers,
                   progress=not args.json and sys.stderr.isatty())
    limit = token_limit_for(args.model) if args.model else None
    wants = args.truncate or args.drop_long
    if wants and limit is None:
        print("nbtools validate: --truncate/--drop-long need --model with a known token limit", file=sys.stderr)
        return 2
    report = validate_file(args.file, **options)
    fix = None
    if args.fix:
        fix = fix_file(args.file, args.fix, model=args.model, truncate_over=limit if wants else None,
                       over_limit="drop" if args.drop_long else "truncate", drop_invalid=args.drop_invalid)
        original, report = report, validate_file(args.fix, **options)
    if args.json:
        payload = {"summary": report.summary(), "issues": [i.as_dict() for i in report.issues()]}
        if fix is not None:
            payload["original_summary"] = original.summary()
            payload["fix"] = {"dst": fix.dst, "n_lines_in": fix.n_lines_in, "n_lines_out": fix.n_lines_out,
                              "fix_counts": dict(fix.fix_counts), "fixes": [vars(f) for f in fix.fixes],
                              "unfixable": [i.as_dict() for i in fix.unfixable],
                              "unfixable_counts": dict(fix.unfixable_counts)}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        width = shutil.get_terminal_size((120, 20)).columns
        if fix is not None:
            print(f"{original.path}: {original.n_errors:,} errors, {original.n_warnings:,} warnings before fixing")
            print(f"wrote {fix.dst}: {fix.n_lines_in:,} lines in, {fix.n_lines_out:,} out; fixes: "
                  + (", ".join(f"{k} {v:,}" for k, v in sorted(fix.fix_counts.items())) or "none")
                  + (f"; unfixable lines: {sum(fix.unfixable_counts.values()):,}" if fix.unfixable_counts else ""))
        print(format_report(report, width=width))
    if report.unusable:
        return 2
    return 0 if report.ok else 1
