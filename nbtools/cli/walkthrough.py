"""``nbtools walkthrough``: run the tutorial notebooks in order on the sample data, keep executed snapshots, and
print what the run made (the fine-tuned model, time per stage, prompt savings, eval results, where files are).

    nbtools walkthrough                      # notebooks/0*.ipynb -> build/executed/, then the summary
    nbtools walkthrough --summary-only       # only the summary of the last run
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "walkthrough",
        help="run the tutorial notebooks in order and summarise what they made",
        description="Execute the tutorial notebooks in order (each reads what the previous wrote), write signed "
        "snapshot copies with their widget state to BUILD/executed, then print a summary of the run.",
    )
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run, in order (default: notebooks/0*.ipynb)")
    parser.add_argument("--build", type=Path, default=Path("build"), help="build folder (default build/)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds a cell may take (default 1800)")
    parser.add_argument("--summary-only", action="store_true", help="do not run anything, summarise the last run")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..backend import connect
    from ..walkthrough import run_notebooks, walkthrough_summary, write_timings
    from ..walkthrough.summary import summary_record

    executed = args.build / "executed"
    if not args.summary_only:
        sources = args.notebooks or sorted(Path("notebooks").glob("0*.ipynb"))
        if not sources:
            print("nbtools walkthrough: no notebooks found (run it from the repository folder)", file=sys.stderr)
            return 2
        done: list[tuple[str, float]] = []

        def report(run) -> None:
            done.append((run.name, run.seconds))
            write_timings(executed, done)
            print(f"  {run.name:<24} {run.seconds:6.0f} s", flush=True)

        print(f"Running {len(sources)} notebooks (executed copies go to {executed}/)", flush=True)
        run_notebooks(sources, executed, timeout=args.timeout, on_done=report)
    summary = walkthrough_summary(args.build, client=connect("local"))
    print(json.dumps(summary_record(summary), indent=1) if args.json else "\n" + summary.to_text())
    return 0
