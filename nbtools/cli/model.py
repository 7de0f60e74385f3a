"""``nbtools model``: take a fine-tuned model of the local server to other runtimes, and check that it still
answers as it did here.

    nbtools model export ft:smollm2-135m-instruct:local:brew:ab12 --format merged --out export/merged
    nbtools model export ft:…:ckpt-step-3 --format gguf --out export/gguf        # f16 + q8_0
    nbtools model export --verify export/merged

Exit codes: 0 exported (or verified), 1 verification failed, 2 an error (unknown model id or format, ``--out`` not
empty). A failed export leaves nothing behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("model", help="export a fine-tuned model (adapter, merged, GGUF, Ollama, vLLM)",
                            description="Export a model of the local server for transformers, llama.cpp, Ollama or "
                                        "vLLM, and verify an export's answers against the server's.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="export MODEL as --format into --out, or --verify an export",
                                description="Export MODEL (a fine-tuned model or checkpoint id the local server "
                                            "lists; for merged, gguf and ollama also a base model) with a model "
                                            "card, or verify an existing export.")
    export.add_argument("model", nargs="?", help="model id, e.g. ft:smollm2-135m-instruct:local:brew:ab12")
    export.add_argument("--format", metavar="FORMAT",
                        help="adapter | merged | gguf | ollama | vllm")
    export.add_argument("--out", type=Path, metavar="DIR", help="new (or empty) directory to write the export into")
    export.add_argument("--verify", type=Path, metavar="DIR",
                        help="reload the export in DIR and compare its greedy answers with the local server's")
    export.add_argument("--replace", action="store_true", help="replace a previous model export at --out")
    export.add_argument("--home", type=Path, help="nbtools home of the local server (default $NBTOOLS_HOME)")
    export.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..modelexport import export_model, verify_model_export

    if args.verify is not None:
        if args.model or args.format or args.out:
            raise ConfigError("--verify DIR takes no MODEL, --format or --out")
        result = verify_model_export(args.verify)
        print(result.summary())
        return 0 if result.passed else 1
    if not (args.model and args.format and args.out):
        raise ConfigError("give MODEL, --format and --out (or --verify DIR)")
    done = export_model(args.model, format=args.format, out=args.out, home=args.home, replace=args.replace)
    print(f"Exported {done.model} as {done.format} to {done.path} in {done.seconds:.0f} s:")
    for name in done.files:
        print(f"  {name}")
    print(f"Check it: nbtools model export --verify {done.path}")
    return 0
