"""The result file of a finished job: one CSV row per step, served base64-encoded as the real service does.

>>> rows = [{"step": 1, "train_loss": 1.523471, "train_mean_token_accuracy": 0.5},
...         {"step": 2, "train_loss": 0.57719, "train_mean_token_accuracy": 0.75, "valid_loss": 0.9,
...          "valid_mean_token_accuracy": 0.6}]
>>> print(result_csv(rows), end="")
step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy
1,1.52347,0.5,,
2,0.57719,0.75,0.9,0.6
>>> base64.b64decode(encode_result(rows)).decode().splitlines()[0]
'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy'
"""

from __future__ import annotations

import base64
import csv
import io
from typing import Any, Iterable, Mapping

__all__ = ["COLUMNS", "RESULT_FILENAME", "result_csv", "encode_result"]

COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")
RESULT_FILENAME = "compiled_results.csv"

# CSV column -> metric name in events and checkpoints (the service calls train accuracy differently in each).
_SOURCE = {"train_accuracy": "train_mean_token_accuracy"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 5))
    return str(value)


def result_csv(metrics: Iterable[Mapping[str, Any]]) -> str:
    """Plain CSV text of per-step metrics (empty cells where a metric was not computed at that step)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in metrics:
        writer.writerow([_cell(row.get(_SOURCE.get(col, col))) for col in COLUMNS])
    return out.getvalue()


def encode_result(metrics: Iterable[Mapping[str, Any]]) -> bytes:
    """The result file's bytes as served: the CSV, base64-encoded."""
    return base64.b64encode(result_csv(metrics).encode("utf-8"))
