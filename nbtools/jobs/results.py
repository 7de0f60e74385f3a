"""A job's result file (per-step metrics CSV) as a DataFrame and a chart. Plain and base64-encoded CSV both read:
the documentation describes plain CSV, the hosted service (and nbtools' server, like it) serves base64.

    >>> csv = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\\n1,1.5,0.5,,\\n2,0.9,0.7,1.1,0.6\\n"
    >>> import base64
    >>> parse_result_file(base64.b64encode(csv.encode())).equals(parse_result_file(csv))
    True
    >>> parse_result_file(csv)["valid_loss"].tolist()
    [nan, 1.1]
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING, Any

from ..errors import BackendError, DataFormatError

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["parse_result_file", "read_result_file", "result_figure", "RESULT_COLUMNS"]

RESULT_COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")


def _looks_like_csv(text: str) -> bool:
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return "step" in [cell.strip() for cell in header.split(",")]


def _as_text(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DataFormatError("result file is neither CSV text nor base64", file=name, value=data[:40]) from None
    if _looks_like_csv(text):
        return text
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise DataFormatError("result file is neither a CSV with a 'step' column nor base64-encoded CSV", file=name,
                              line=1, value=text[:60]) from None
    if not _looks_like_csv(decoded):
        raise DataFormatError("base64-decoded result file has no 'step' column in its header", file=name, line=1,
                              value=decoded[:60])
    return decoded


def parse_result_file(data: bytes | str, *, name: str = "result file") -> "pd.DataFrame":
    """Result-file content (plain or base64 CSV) -> one row per step, numeric columns, empty cells as NaN."""
    import pandas as pd

    text = _as_text(data, name)
    try:
        frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"result file is not valid CSV: {exc}", file=name) from None
    for column in frame.columns:
        converted = pd.to_numeric(frame[column], errors="coerce")
        bad = converted.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.idxmax())
            raise DataFormatError("not a number", file=name, line=row + 2, field=column, value=frame[column][row])
        frame[column] = converted
    frame["step"] = frame["step"].astype("int64")
    return frame.sort_values("step", kind="stable").reset_index(drop=True)


def read_result_file(client: Any, file_id: str) -> "pd.DataFrame":
    """Download result file `file_id` from the backend and parse it."""
    import openai

    try:
        content = client.files.content(file_id).read()
    except openai.APIStatusError as exc:
        raise BackendError(f"could not download result file {file_id}: {exc.message}") from None
    return parse_result_file(content, name=file_id)


def result_figure(frame: "pd.DataFrame", *, title: str = "Fine-tuning result file: loss per step") -> "go.Figure":
    """Training and validation loss per step from a parsed result file (validation points where computed)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for column, name, mode in (("train_loss", "training loss", "lines+markers"),
                               ("valid_loss", "validation loss", "markers")):
        if column in frame and frame[column].notna().any():
            shown = frame[frame[column].notna()]
            fig.add_trace(go.Scatter(x=shown["step"], y=shown[column], mode=mode, name=name))
    fig.update_layout(title=title, xaxis_title="training step (one batch)",
                      yaxis_title="loss (cross-entropy, nats/token)")
    return fig
