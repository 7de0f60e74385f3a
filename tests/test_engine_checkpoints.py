"""Checkpoint completeness markers and finding where to resume."""

from __future__ import annotations

import pytest

from nbtools.server.engine.checkpoints import MARKER, is_complete, latest_checkpoint, read_marker, write_marker
from nbtools.server.engine.contract import StepMetrics


def make(root, name, *, complete=True, kind="epoch"):
    path = root / name
    path.mkdir()
    (path / "adapter_model.safetensors").write_bytes(b"x")
    if complete:
        write_marker(path, step=int(name.split("-")[-1]) if "-" in name else 0, epoch=1, kind=kind, trained_tokens=10,
                     metrics=StepMetrics(step=1, total_steps=2, train_loss=1.0, train_mean_token_accuracy=0.5))
    return path


@pytest.mark.parametrize(
    ("dirs", "expected"),
    [
        ([], None),
        ([("checkpoint-4", True)], "checkpoint-4"),
        ([("checkpoint-4", True), ("checkpoint-12", True), ("checkpoint-8", True)], "checkpoint-12"),
        ([("checkpoint-4", True), ("checkpoint-8", False)], "checkpoint-4"),  # half-written: skipped
        ([("checkpoint-8", False)], None),
        ([("final", True), ("checkpoint-3", True)], "checkpoint-3"),
    ],
)
def test_latest_checkpoint(tmp_path, dirs, expected):
    for name, complete in dirs:
        make(tmp_path, name, complete=complete)
    found = latest_checkpoint(tmp_path)
    assert (found.name if found else None) == expected


def test_marker_round_trip(tmp_path):
    path = make(tmp_path, "checkpoint-3", kind="pause")
    marker = read_marker(path)
    assert marker["kind"] == "pause" and marker["step"] == 3 and marker["trained_tokens"] == 10
    assert marker["metrics"]["train_loss"] == 1.0
    assert is_complete(path)
    assert not (path / (MARKER + ".tmp")).exists()
    assert read_marker(tmp_path) is None
