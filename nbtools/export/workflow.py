"""Gather what the tutorial notebooks wrote into ``build/workflow/`` as inputs for :func:`export_dataset`.

Which file feeds which part (files that are missing are skipped; only ``train.jsonl`` is required)::

    sft/train        train.jsonl + tools_train.jsonl          (notebook 02)
    sft/validation   valid.jsonl                              (notebook 02)
    dpo/train        dpo_train.jsonl + dpo_from_ratings.jsonl (notebooks 02 and 05)
    dpo/validation   dpo_valid.jsonl                          (notebook 02)
    rejects          rejects.csv, cleaned messages: cleaned_messages.parquet, cleaning report:
                     cleaning_report.json                     (notebook 01)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .bundle import read_examples
from .records import ARGUMENT_PARTS

__all__ = ["WORKFLOW_FILES", "WorkflowInputs", "workflow_inputs"]

# export_dataset argument -> the workflow files it is made of, in order.
WORKFLOW_FILES: dict[str, tuple[str, ...]] = {
    "train": ("train.jsonl", "tools_train.jsonl"),
    "valid": ("valid.jsonl",),
    "dpo_train": ("dpo_train.jsonl", "dpo_from_ratings.jsonl"),
    "dpo_valid": ("dpo_valid.jsonl",),
    "rejects": ("rejects.csv",),
    "cleaned": ("cleaned_messages.parquet",),
    "cleaning": ("cleaning_report.json",),
}


@dataclass(frozen=True, eq=False)
class WorkflowInputs:
    """The workflow files found, read into :func:`export_dataset` arguments, with where each part came from."""

    workflow_dir: Path
    found: tuple[tuple[str, str, int | None], ...]  # (argument, file name, examples or None for side files)
    arguments: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row per file found: the export argument it feeds, the file, and its number of examples."""
        frame = pd.DataFrame(list(self.found), columns=["argument", "file", "examples"])
        return frame.astype({"examples": "Int64"})

    def examples(self) -> dict[str, list[dict[str, Any]]]:
        """Only the example arguments (train, valid, dpo_train, dpo_valid) that were found."""
        return {arg: value for arg, value in self.arguments.items() if arg in ARGUMENT_PARTS}

    def provenance(self) -> tuple[str, ...]:
        """Lines for the dataset card, e.g. "train: train.jsonl (120), tools_train.jsonl (12)"."""
        lines = []
        for argument in WORKFLOW_FILES:
            files = [f"{name} ({n})" if n is not None else name for arg, name, n in self.found if arg == argument]
            if files:
                lines.append(f"{argument}: " + ", ".join(files))
        return tuple(lines)


def workflow_inputs(workflow_dir: str | os.PathLike[str]) -> WorkflowInputs:
    """Read the workflow folder's files (see the module docstring); InputError when train.jsonl is missing."""
    folder = Path(workflow_dir)
    if not (folder / "train.jsonl").is_file():
        raise InputError("no train.jsonl: run notebooks 01_clean_corpus and 02_build_jsonl first (or pass "
                         "your own files to export_dataset)", file=str(folder))
    found: list[tuple[str, str, int | None]] = []
    arguments: dict[str, Any] = {}
    for argument, names in WORKFLOW_FILES.items():
        for name in names:
            path = folder / name
            if not path.is_file():
                continue
            if argument in ARGUMENT_PARTS:
                examples = list(read_examples(path, format="jsonl"))
                arguments.setdefault(argument, []).extend(examples)
                found.append((argument, name, len(examples)))
            else:
                arguments[argument] = path
                found.append((argument, name, None))
    return WorkflowInputs(folder, tuple(found), arguments)
