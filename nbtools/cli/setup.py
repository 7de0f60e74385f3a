"""``nbtools setup``: check the offline tokenizer files and prepare the local base model."""

from __future__ import annotations

import argparse
import time

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("setup", help="verify offline tokenizer files and convert the local base model once")
    parser.add_argument("--skip-model", action="store_true", help="do not prepare the local base model")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..basemodels import DEFAULT_BASE_MODEL, base_model_dir
    from ..tokens.encodings import OFFLINE_ENCODINGS, get_encoding

    for name in OFFLINE_ENCODINGS:
        get_encoding(name)  # raises ConfigError on a missing file or a hash mismatch
        print(f"tokenizer {name}: ok (SHA-256 matches tiktoken's)")
    if not args.skip_model:
        started = time.monotonic()
        path = base_model_dir(DEFAULT_BASE_MODEL)
        print(f"base model {DEFAULT_BASE_MODEL}: ready in {path} ({time.monotonic() - started:.0f} s)")
    return 0
