"""``nbtools export``: write a dataset folder for other trainers (JSONL, CSV, Parquet, ShareGPT, card, manifest),
or ``--verify`` one against its manifest.

    nbtools export --train train.jsonl --valid valid.jsonl --dpo-train dpo_train.jsonl \\
        --rejects rejects.csv --cleaning-report report.json --out export/
    nbtools export --verify export/
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    from ..export.bundle import DEFAULT_COUNT_MODEL, FORMATS

    parser = sub.add_parser(
        "export",
        help="export a dataset for other trainers (JSONL, CSV, Parquet, ShareGPT) with card and manifest",
        description="Write train/validation examples in the formats other trainers read, with the rejects, a "
        "dataset card (README.md) and a manifest of SHA-256 hashes; or check an export with --verify.",
    )
    inputs = parser.add_argument_group("inputs (JSONL, CSV, Parquet or ShareGPT files; repeat to concatenate)")
    for flag, what in (("--train", "chat examples for training"), ("--valid", "chat examples for validation"),
                       ("--dpo-train", "preference pairs for training"),
                       ("--dpo-valid", "preference pairs for validation")):
        inputs.add_argument(flag, type=Path, action="append", default=[], metavar="FILE", help=what)
    inputs.add_argument("--rejects", type=Path, metavar="FILE", help="rows left out, with reasons (copied as is)")
    inputs.add_argument("--cleaned", type=Path, metavar="FILE", help="the cleaned message table (.parquet or .csv)")
    inputs.add_argument("--cleaning-report", type=Path, metavar="FILE", help="cleaning steps and settings (JSON)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, metavar="DIR", help="export folder (new, empty, or a previous export)")
    mode.add_argument("--verify", type=Path, metavar="DIR", help="re-hash an export's files against its manifest")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated formats (default {','.join(FORMATS)}; jsonl is always written)")
    parser.add_argument("--model", default=DEFAULT_COUNT_MODEL,
                        help=f"model whose tokenizer counts tokens (default {DEFAULT_COUNT_MODEL})")
    parser.add_argument("--name", default="support-chat-dataset", help="dataset name (card title, file names)")
    parser.add_argument("--description", default="", help="one paragraph for the dataset card")
    parser.add_argument("--license", default="unknown", help="license id for the card (default unknown)")
    parser.add_argument("--language", action="append", default=[], help="language code (repeatable; default en)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary")
    parser.set_defaults(func=run)


def _examples(paths: list[Path]) -> list[dict[str, Any]] | None:
    from ..export import read_examples

    return list(itertools.chain.from_iterable(read_examples(p) for p in paths)) if paths else None


def _verify(args: argparse.Namespace) -> int:
    from ..export import verify_manifest

    check = verify_manifest(args.verify)
    if args.json:
        print(json.dumps({"ok": check.ok, "checked": check.checked,
                          "problems": [dataclasses.asdict(p) for p in check.problems],
                          "unlisted": list(check.unlisted)}, ensure_ascii=False, indent=2))
    else:
        for problem in check.problems:
            print(f"{problem.problem:8} {problem.path}: expected {problem.expected}, found {problem.actual}")
        for path in check.unlisted:
            print(f"unlisted {path} (not in the manifest)")
        verdict = "all match" if check.ok else f"{len(check.problems)} do not match"
        print(f"{check.checked} files checked against {args.verify}/manifest.json: {verdict}")
    return 0 if check.ok else 1


def run(args: argparse.Namespace) -> int:
    if args.verify is not None:
        return _verify(args)
    from ..errors import InputError
    from ..export import ExportOptions, export_dataset

    if not args.train:
        raise InputError("--train is required with --out", field="--train")
    options = ExportOptions(
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
        model=args.model,
        name=args.name,
        description=args.description,
        license=args.license,
        language=tuple(args.language) or ("en",),
        provenance=tuple(f"{flag}: " + ", ".join(p.name for p in paths)
                         for flag, paths in (("train", args.train), ("valid", args.valid),
                                             ("dpo_train", args.dpo_train), ("dpo_valid", args.dpo_valid)) if paths),
    )
    result = export_dataset(
        args.out,
        train=_examples(args.train),
        valid=_examples(args.valid),
        dpo_train=_examples(args.dpo_train),
        dpo_valid=_examples(args.dpo_valid),
        rejects=args.rejects,
        cleaned=args.cleaned,
        cleaning=args.cleaning_report,
        options=options,
    )
    manifest = result.manifest
    if args.json:
        print(json.dumps({"out_dir": str(result.out_dir), "counts": manifest["counts"], "files": manifest["files"],
                          "format_losses": manifest["format_losses"]}, ensure_ascii=False, indent=2))
        return 0
    print(result.files_frame().drop(columns="sha256").to_string(index=False))
    for group in manifest["format_losses"]["summary"]:
        print(f"not kept by {group['format']}: {group['field']} ({group['count']}x): {group['detail']}")
    if manifest["format_losses"]["file"]:
        print(f"every conversion loss is listed in {result.out_dir / manifest['format_losses']['file']}")
    counts = ", ".join(f"{part} {n}" for part, n in manifest["counts"].items())
    print(f"exported {counts} to {result.out_dir} (card README.md, hashes in manifest.json)")
    return 0
