"""``nbtools clean INPUT... --out DIR``: read raw corpora, run the cleaning steps, write everything down.

Streams the input in chunks of whole conversations (bounded memory, any size) and writes ``cleaned_messages``,
``rejects`` (every dropped row and unreadable record, with step and reason) and ``ledger`` (every change, before and
after), each as ``.parquet`` and ``.csv`` (``--no-csv``: Parquet only), and ``cleaning_report.json`` (counts per
step, each step's settings, the engine and its speed). ``--engine local`` runs the per-conversation steps in
``--workers`` processes; ``--engine dask`` on a Dask cluster (``--scheduler ADDRESS``, or a local one). Exit 0 on
success, 2 on unusable input (an unreadable file fails before anything is written). ``--json`` prints the summary.
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
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="where the per-conversation steps run: local worker processes (default) or Dask")
    parser.add_argument("--workers", type=int, help="worker processes (default: every core; 1: no pool)")
    parser.add_argument("--scheduler", help="Dask scheduler address for --engine dask (default: a local cluster)")
    parser.add_argument("--chunk-rows", type=int, default=5000, help="messages per chunk (default 5000)")
    parser.add_argument("--no-csv", action="store_true", help="write Parquet only, no CSV copies")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
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
    from ..corpus import stream_clean

    if args.scheduler and args.engine != "dask":
        from ..errors import InputError

        raise InputError("--scheduler needs --engine dask", field="--scheduler", value=args.scheduler)
    result = stream_clean(args.inputs, args.out, steps=_steps(args), engine=args.engine, workers=args.workers,
                          scheduler=args.scheduler, chunk_rows=args.chunk_rows, progress=not args.no_progress,
                          csv=not args.no_csv)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        for line in summary["detected"]:
            print(line)
        print(result.report().to_string(index=False))
        print(f"{summary['input_rows']} messages read: {summary['kept']} kept, {summary['dropped']} dropped, "
              f"{summary['modified_rows']} modified; {summary['unreadable_records']} unreadable records; "
              f"{summary['messages_per_second']} messages/s ({result.engine}, {result.workers} workers); "
              f"files in {result.out}")
    return 0
