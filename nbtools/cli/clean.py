"""``nbtools clean INPUT... --out DIR``: read raw corpora, run the cleaning steps, write everything down.

Writes ``cleaned_messages.csv`` and ``.parquet``, ``rejects.csv`` (every dropped row and unreadable record, with step
and reason), ``ledger.csv`` (every change, before and after) and ``cleaning_report.json`` (counts per step and each
step's settings). Exit 0 on success, 2 on unusable input. ``--json`` prints the summary for machines.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register", "run", "STEP_NAMES"]

STEP_NAMES = ("fix_unicode", "strip_markup", "strip_boilerplate", "redact_pii", "normalize_whitespace",
              "length_filter", "language_filter", "safety_screen", "repeated_messages", "exact_duplicates",
              "near_duplicates", "drop_incomplete_conversations")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("clean", help="clean raw support corpora (CSV, JSONL, text) into a message table",
                            description="Read raw corpora, run the cleaning steps in order, and write the cleaned "
                                        "table, the rejects with reasons, the change ledger and a report.")
    parser.add_argument("inputs", nargs="+", help="corpus files (.csv, .jsonl, .txt)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--steps",
                        help=f"comma-separated steps to run, in order (default: all: {','.join(STEP_NAMES)})")
    parser.add_argument("--languages", default="en", help="allowed languages, comma-separated (default: en)")
    parser.add_argument("--near-threshold", type=float, default=0.8, help="near-duplicate Jaccard threshold")
    parser.add_argument("--safety-threshold", type=float, default=0.8, help="safety-screen score threshold")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def _steps(args: argparse.Namespace):
    from ..corpus import LanguageFilter, NearDuplicates, SafetyScreen, default_steps
    from ..errors import InputError

    configured = {
        "language_filter": LanguageFilter(allowed=frozenset(x.strip() for x in args.languages.split(",") if x.strip())),
        "near_duplicates": NearDuplicates(threshold=args.near_threshold),
        "safety_screen": SafetyScreen(threshold=args.safety_threshold),
    }
    by_name = {s.name: configured.get(s.name, s) for s in default_steps()}
    if not args.steps:
        return list(by_name.values())
    chosen = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in by_name]
    if unknown:
        raise InputError(f"unknown step(s); choose from {', '.join(STEP_NAMES)}", field="--steps", value=unknown)
    return [by_name[s] for s in chosen]


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..corpus import CleaningPipeline, read_corpora
    from ..csvfiles import write_csv

    read = read_corpora(args.inputs)
    result = CleaningPipeline(_steps(args)).run(read)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(result.cleaned, out / "cleaned_messages.csv")
    result.cleaned.to_parquet(out / "cleaned_messages.parquet", index=False)
    result.save_rejects(out / "rejects.csv")
    write_csv(result.ledger, out / "ledger.csv")
    summary = {**result.summary(), "detected": [d.describe() for d in read.detected], "out": str(out)}
    result.save_report(out / "cleaning_report.json", detected=summary["detected"])
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        for d in read.detected:
            print(d.describe())
        print(result.report().to_string(index=False))
        print(f"{summary['input_rows']} messages read: {summary['kept']} kept, {summary['dropped']} dropped, "
              f"{summary['modified_rows']} modified; {summary['unreadable_records']} unreadable records; "
              f"files in {out}")
    return 0
