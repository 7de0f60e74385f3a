"""Checkpoint directories of a run, and how to tell a complete one from a half-written one.

The transformers Trainer writes ``<output_dir>/checkpoint-<step>/``: the PEFT adapter (``adapter_config.json``,
``adapter_model.safetensors``) and tokenizer, which make it loadable as a chat model, plus ``optimizer.pt``,
``scheduler.pt``, ``rng_state.pth`` and ``trainer_state.json``, which make it resumable. Only once all of that is on
disk does the engine add ``nbtools_checkpoint.json`` (written aside, then renamed into place): a directory without
that marker is incomplete (for example a crash hit mid-write) and is never reported nor resumed from.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from .contract import StepMetrics

__all__ = ["MARKER", "write_marker", "read_marker", "is_complete", "latest_checkpoint", "CheckpointKind"]

MARKER = "nbtools_checkpoint.json"
CheckpointKind = Literal["epoch", "pause"]
_NAME = re.compile(r"^checkpoint-(\d+)$")


def write_marker(path: Path, *, step: int, epoch: int, kind: CheckpointKind, trained_tokens: int,
                 metrics: StepMetrics | None) -> None:
    """Mark checkpoint dir `path` complete (atomic: a reader sees the whole marker or none)."""
    payload: dict[str, Any] = {
        "step": step,
        "epoch": epoch,
        "kind": kind,
        "trained_tokens": trained_tokens,
        "metrics": asdict(metrics) if metrics is not None else None,
    }
    tmp = path / (MARKER + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path / MARKER)


def read_marker(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of a complete checkpoint dir, or None when `path` is not one."""
    marker = Path(path) / MARKER
    if not marker.is_file():
        return None
    return json.loads(marker.read_text(encoding="utf-8"))


def is_complete(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a completely written checkpoint dir."""
    return read_marker(path) is not None


def latest_checkpoint(output_dir: str | os.PathLike[str]) -> Path | None:
    """The complete checkpoint with the highest step under a run's `output_dir` (epoch or pause), or None.

    This is where a worker resumes an interrupted job from (after a pause, a crash or a kill).

    >>> latest_checkpoint("/nonexistent") is None
    True
    """
    root = Path(output_dir)
    if not root.is_dir():
        return None
    found = []
    for child in root.iterdir():
        match = _NAME.match(child.name)
        if match and child.is_dir() and is_complete(child):
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None
