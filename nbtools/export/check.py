"""Did the export keep the data? Re-import every format and compare with what went in.

JSONL, CSV and Parquet must give back every example identically. ShareGPT may change or leave out an example only
where the export reported it (``llamafactory/conversion_losses.csv``); anything else counts as ``unexplained``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .bundle import import_dataset
from .manifest import read_manifest
from .records import ARGUMENT_PARTS

__all__ = ["RoundTripCheck", "check_round_trip"]

_LOSSLESS = ("jsonl", "csv", "parquet")
_COLUMNS = ["format", "part", "expected", "imported", "identical", "changed_as_reported", "left_out_as_reported",
            "unexplained"]


@dataclass(frozen=True)
class RoundTripCheck:
    """One row per (format, part): how many examples came back identical, changed or left out as reported."""

    rows: tuple[dict[str, Any], ...]

    @property
    def ok(self) -> bool:
        """Lossless formats identical everywhere, and no format changed anything it did not report."""
        return all(row["unexplained"] == 0 and (row["format"] not in _LOSSLESS or row["identical"] == row["expected"])
                   for row in self.rows)

    def to_dataframe(self) -> pd.DataFrame:
        """The rows as a table."""
        return pd.DataFrame(list(self.rows), columns=_COLUMNS)


def _reported(out_dir: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    name = (manifest.get("format_losses") or {}).get("file")
    if not name:
        return pd.DataFrame(columns=["format", "part", "index", "field", "detail"])
    return pd.read_csv(out_dir / name, dtype={"index": int}, keep_default_na=False)


def _compare(fmt: str, part: str, expected: Sequence[dict], imported: Sequence[dict],
             reported: pd.DataFrame) -> dict[str, Any]:
    mine = reported[(reported["format"] == fmt) & (reported["part"] == part)]
    changed = set(mine["index"])
    left_out = set(mine.loc[mine["detail"].str.contains("not written"), "index"])
    kept = [i for i in range(len(expected)) if i not in left_out]
    identical = changed_ok = unexplained = 0
    for index, back in zip(kept, imported):
        if back == expected[index]:
            identical += 1
        elif index in changed:
            changed_ok += 1
        else:
            unexplained += 1
    unexplained += abs(len(kept) - len(imported))  # examples missing or extra without a report
    return {"format": fmt, "part": part, "expected": len(expected), "imported": len(imported),
            "identical": identical, "changed_as_reported": changed_ok, "left_out_as_reported": len(left_out),
            "unexplained": unexplained}


def check_round_trip(out_dir: str | os.PathLike[str], *, train: Sequence[dict],
                     valid: Sequence[dict] | None = None, dpo_train: Sequence[dict] | None = None,
                     dpo_valid: Sequence[dict] | None = None) -> RoundTripCheck:
    """Re-import each format of an export and compare, part by part, with the examples that were exported."""
    out = Path(out_dir)
    manifest = read_manifest(out)
    reported = _reported(out, manifest)
    given = {"train": train, "valid": valid, "dpo_train": dpo_train, "dpo_valid": dpo_valid}
    rows = []
    for fmt in manifest["formats"]:
        imported = import_dataset(out, format=fmt).parts()
        for arg, part in ARGUMENT_PARTS.items():
            expected = list(given[arg] or [])
            if expected or imported.get(part):
                rows.append(_compare(fmt, part, expected, imported.get(part, []), reported))
    return RoundTripCheck(tuple(rows))
