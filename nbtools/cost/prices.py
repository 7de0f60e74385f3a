"""The price table: model prices, limits, tokenizer and dates, kept as data (``nbtools/data/prices.csv``).

    >>> price_for("ft:gpt-4o-mini-2024-07-18:acme:support:Ajo5kvNY").model
    'gpt-4o-mini-2024-07-18'
    >>> price_for("gpt-4o-mini").training_per_1m_tokens
    3.0
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import DataFormatError, ModelNotFoundError

__all__ = ["ModelPrice", "load_price_table", "price_for", "DEFAULT_PRICE_TABLE"]

DEFAULT_PRICE_TABLE = "prices.csv"

_TEXT = ("model", "provider", "family", "tokenizer", "source")
_MONEY = (
    "training_per_1m_tokens",
    "input_per_1m_tokens",
    "cached_input_per_1m_tokens",
    "output_per_1m_tokens",
    "finetuned_input_per_1m_tokens",
    "finetuned_output_per_1m_tokens",
)
_INTS = ("context_window", "max_training_example_tokens")
_DATES = ("fine_tunable_until", "shutdown_date", "as_of")
_OPTIONAL = ("cached_input_per_1m_tokens", "fine_tunable_until", "shutdown_date", "cpu_train_tokens_per_second")
_TOKENIZERS = ("cl100k_base", "o200k_base", "local")


@dataclass(frozen=True)
class ModelPrice:
    """One row of the price table. Dollar figures are per 1M tokens; None where not published."""

    model: str
    provider: str
    family: str
    training_per_1m_tokens: float
    input_per_1m_tokens: float
    cached_input_per_1m_tokens: float | None
    output_per_1m_tokens: float
    finetuned_input_per_1m_tokens: float
    finetuned_output_per_1m_tokens: float
    context_window: int
    max_training_example_tokens: int
    tokenizer: str
    fine_tunable_until: dt.date | None
    shutdown_date: dt.date | None
    cpu_train_tokens_per_second: float | None
    source: str
    as_of: dt.date

    @property
    def is_local(self) -> bool:
        """True for models served by nbtools' own backend (priced in CPU time, not dollars)."""
        return self.provider == "local"


_COLUMNS = tuple(f.name for f in fields(ModelPrice))


def _parse_cell(column: str, raw: str, *, file: str, line: int):
    raw = raw.strip()
    if raw == "":
        if column in _OPTIONAL:
            return None
        raise DataFormatError("empty value", file=file, line=line, field=column)
    try:
        if column in _MONEY or column == "cpu_train_tokens_per_second":
            value = float(raw)
            if value < 0:
                raise ValueError("negative")
            return value
        if column in _INTS:
            value = int(raw)
            if value <= 0:
                raise ValueError("not positive")
            return value
        if column in _DATES:
            return dt.date.fromisoformat(raw)
    except ValueError:
        kind = "a date (YYYY-MM-DD)" if column in _DATES else "a non-negative number"
        raise DataFormatError(f"expected {kind}", file=file, line=line, field=column, value=raw) from None
    if column == "tokenizer" and raw not in _TOKENIZERS:
        raise DataFormatError(f"tokenizer must be one of {', '.join(_TOKENIZERS)}", file=file, line=line,
                              field=column, value=raw)
    return raw


def _read_rows(path: Path) -> list[ModelPrice]:
    name = str(path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(f"missing column(s) {', '.join(missing)}", file=name, line=1, field="header")
        rows: list[ModelPrice] = []
        seen: dict[str, int] = {}
        for line, record in enumerate(reader, start=2):
            values = {c: _parse_cell(c, record.get(c) or "", file=name, line=line) for c in _COLUMNS}
            if values["model"] in seen:
                raise DataFormatError(f"duplicate model (first on line {seen[values['model']]})", file=name,
                                      line=line, field="model", value=values["model"])
            seen[values["model"]] = line
            rows.append(ModelPrice(**values))
    if not rows:
        raise DataFormatError("the price table has no rows", file=name)
    return rows


@lru_cache(maxsize=8)
def _cached_rows(path: str, mtime: float) -> tuple[ModelPrice, ...]:
    return tuple(_read_rows(Path(path)))


def _rows(path: str | os.PathLike[str] | None) -> tuple[ModelPrice, ...]:
    if path is None:
        with resources.as_file(resources.files("nbtools") / "data" / DEFAULT_PRICE_TABLE) as default:
            return _cached_rows(str(default), default.stat().st_mtime)
    path = Path(path)
    if not path.is_file():
        raise DataFormatError("price table not found", file=str(path))
    return _cached_rows(str(path.resolve()), path.stat().st_mtime)


def load_price_table(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The price table as a DataFrame (one row per model), validated; `path` defaults to the bundled table."""
    return pd.DataFrame([vars(r) for r in _rows(path)], columns=list(_COLUMNS))


def price_for(model: str, *, table: str | os.PathLike[str] | None = None) -> ModelPrice:
    """The price row for `model`: an exact id, an alias ("gpt-4o-mini"), a snapshot, or a fine-tuned ``ft:`` id.

    An alias resolves to the table's newest snapshot of that family.
    """
    rows = _rows(table)
    name = model.split(":")[1] if model.startswith("ft:") and ":" in model[3:] else model
    exact = [r for r in rows if r.model == name]
    if exact:
        return exact[0]
    family = [r for r in rows if r.family == name or name.startswith(r.model)]
    if family:
        return max(family, key=lambda r: r.model)
    raise ModelNotFoundError(
        f"no price for model {model!r}; the table knows {', '.join(r.model for r in rows)} "
        "(add a row to your own price table and pass it as table=...)"
    )
