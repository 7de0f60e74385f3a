"""The ``nbtools`` command line: one sub-module per command, each with ``register(subparsers)``.

Handlers import their heavy dependencies (torch, transformers) inside the function, so ``nbtools validate`` starts
fast. Library errors (:class:`nbtools.errors.NbtoolsError`) are printed for people, never as a traceback, and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import NbtoolsError

__all__ = ["main", "build_parser", "COMMANDS"]

# Each name is a module nbtools/cli/<name>.py exposing register(subparsers).
COMMANDS: tuple[str, ...] = ("setup", "clean", "serve", "validate", "estimate", "export", "jobs", "walkthrough", "eval", "model")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every registered command)."""
    parser = argparse.ArgumentParser(
        prog="nbtools", description="Prepare chat fine-tuning data, run a local OpenAI-compatible fine-tuning server."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nbtools`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NbtoolsError as exc:
        print(f"nbtools {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nbtools {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
