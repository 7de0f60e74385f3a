"""``nbtools estimate FILE --model M``: tokens, epochs, training cost (or CPU time) and lifecycle warnings.

One streaming pass over the file (the validator's) gives per-example billed tokens; the rest is arithmetic over the
price table. Exit codes: 0 estimated, 1 the file has errors (estimate of the valid examples still printed),
2 unusable input. ``--json`` prints the estimate, the token summary and the warnings for machines.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("estimate", help="estimate training tokens, epochs and cost of a fine-tuning JSONL file",
                            description="Count billed tokens per example (message overhead included) and estimate "
                                        "epochs, billed training tokens and cost for a model from the price table.")
    parser.add_argument("file", help="the training JSONL file")
    parser.add_argument("--model", required=True, help="model to price (e.g. gpt-4o-mini, smollm2-135m-instruct)")
    parser.add_argument("--epochs", default="auto", help='number of epochs or "auto" (default)')
    parser.add_argument("--prices", help="your own price table CSV (default: the bundled one)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def _epochs(text: str) -> int | str:
    return text if text == "auto" else int(text) if text.isdigit() else text


def run(args: argparse.Namespace) -> int:
    from ..cost import estimate_training, fine_tuning_status, price_for
    from ..errors import InputError
    from ..validate import validate_file

    price = price_for(args.model, table=args.prices)
    report = validate_file(args.file, model=price.model)
    if report.tokens.n == 0:
        raise InputError("no valid example to estimate", file=args.file,
                         value=f"{report.n_errors} errors; run `nbtools validate {args.file}`")
    estimate = estimate_training(report.tokens.totals, model=price.model, n_epochs=_epochs(args.epochs),
                                 table=args.prices)
    status = fine_tuning_status(price.model, table=args.prices)
    if args.json:
        print(json.dumps({"estimate": estimate.summary(), "tokens": report.tokens.summary(),
                          "errors": report.n_errors, "lifecycle": {"can_fine_tune": status.can_fine_tune,
                          "is_served": status.is_served, "warnings": list(status.warnings)}}, default=str, indent=2))
    else:
        t = report.tokens.summary()
        print(f"{args.file}: {estimate.n_examples:,} examples ({report.n_errors:,} lines with errors left out)")
        print(f"tokens per example: min {t['min']:,}, median {t['median']:,.0f}, p90 {t['p90']:,.0f}, "
              f"max {t['max']:,}; {estimate.examples_over_limit:,} over the {estimate.max_training_example_tokens:,}"
              " limit (truncated when billed)")
        print(f"epochs: {estimate.n_epochs} ({args.epochs}); billed training tokens: {estimate.billed_tokens:,}")
        if price.is_local:
            minutes = (estimate.cpu_seconds or 0) / 60
            print(f"cost: $0 (local model); estimated CPU time ≈ {minutes:.1f} min on this project's 2-core CPU")
        else:
            print(f"cost: ${estimate.cost_usd:,.2f} at ${price.training_per_1m_tokens:,.2f}/1M training tokens "
                  f"(prices as of {estimate.price_as_of})")
        for warning in status.warnings:
            print(f"warning: {warning}")
    return 1 if report.n_errors else 0
