"""The export's manifest: what is in it, how it was made, and the SHA-256 of every file, checked on demand.

    >>> token_stats([ExampleTokens(10, 4, 2), ExampleTokens(30, 12, 4)])["billed"]
    {'total': 40, 'min': 10, 'mean': 20.0, 'median': 20.0, 'p95': 29.0, 'max': 30}
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping, Sequence

import pandas as pd

from ..errors import DataFormatError, InputError
from ..tokens import ExampleTokens
from ..tokens.stats import token_stats as token_summary

__all__ = [
    "MANIFEST_NAME",
    "sha256_file",
    "file_entry",
    "token_stats",
    "parts_frame",
    "write_manifest",
    "read_manifest",
    "inside",
    "FileProblem",
    "ManifestCheck",
    "verify_manifest",
    "provenance_summary",
]

MANIFEST_NAME = "manifest.json"
_CHUNK = 1024 * 1024


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(root: Path, path: Path, **facts: Any) -> dict[str, Any]:
    """Manifest entry for one file: its path relative to `root` (POSIX), byte size, SHA-256 and any `facts`."""
    return {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": sha256_file(path),
            **facts}


def _summary(values: Sequence[int]) -> dict[str, Any]:
    stats = token_summary(values)
    return {key: getattr(stats, key) for key in ("total", "min", "mean", "median", "p95", "max")}


def token_stats(tokens: Sequence[ExampleTokens]) -> dict[str, Any]:
    """Per-example billed and trained token statistics of one part (total, min, mean, median, p95, max)."""
    if not tokens:
        return {"examples": 0}
    return {
        "examples": len(tokens),
        "billed": _summary([t.total for t in tokens]),
        "trained": _summary([t.trained for t in tokens]),
    }


_PART_COLUMNS = (("billed", ("total", "mean", "p95", "max")), ("trained", ("total", "mean")))


def parts_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """One row per exported part: examples and the main token statistics (the manifest has them all)."""
    rows = []
    for part, facts in manifest["parts"].items():
        stats = facts.get("tokens", {})
        row = {"part": part, "examples": facts["examples"]}
        for kind, keys in _PART_COLUMNS:
            row.update({f"{kind}_{key}": stats.get(kind, {}).get(key) for key in keys})
        rows.append(row)
    return pd.DataFrame(rows)


def write_manifest(manifest: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    """Write ``manifest.json`` (UTF-8, indented, keys in the given order)."""
    path = Path(out_dir) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of an export directory (DataFormatError when it is missing or unreadable)."""
    path = Path(out_dir) / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"no {MANIFEST_NAME}: not an nbtools export directory", file=str(Path(out_dir)))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"not valid JSON ({exc})", file=str(path)) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise DataFormatError("a manifest is an object with a 'files' list", file=str(path), field="files")
    return manifest


@dataclass(frozen=True)
class FileProblem:
    """A file that does not match the manifest: ``problem`` is "missing", "changed" or "outside"."""

    path: str
    problem: str
    expected: str
    actual: str


@dataclass(frozen=True)
class ManifestCheck:
    """Result of re-hashing an export: problems with listed files, and files present but not listed."""

    out_dir: str
    checked: int
    problems: tuple[FileProblem, ...]
    unlisted: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every listed file exists with its recorded size and SHA-256 (unlisted files are allowed)."""
        return not self.problems

    def to_dataframe(self) -> pd.DataFrame:
        """One row per problem (path, problem, expected, actual)."""
        return pd.DataFrame([vars(p) for p in self.problems], columns=["path", "problem", "expected", "actual"])


def inside(root: Path, relative: Any) -> Path | None:
    """`root`/`relative` if `relative` is a plain relative path that stays inside `root`, else None."""
    if not isinstance(relative, str) or not relative:
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative:
        return None
    return root.joinpath(*pure.parts)


def verify_manifest(out_dir: str | os.PathLike[str]) -> ManifestCheck:
    """Re-hash every file the manifest lists and report what is missing or changed.

    A manifest path that is absolute or climbs out of the directory is reported as "outside", never opened.
    """
    root = Path(out_dir)
    manifest = read_manifest(root)
    problems: list[FileProblem] = []
    listed = {MANIFEST_NAME}
    for entry in manifest["files"]:
        relative = entry.get("path") if isinstance(entry, dict) else None
        path = inside(root, relative)
        if path is None or not isinstance(relative, str):  # (inside() is None for every non-string)
            problems.append(FileProblem(str(relative), "outside", "a path inside the export", str(relative)))
            continue
        listed.add(PurePosixPath(relative).as_posix())
        if not path.is_file():
            problems.append(FileProblem(relative, "missing", str(entry.get("sha256")), "(no file)"))
            continue
        size, digest = path.stat().st_size, sha256_file(path)
        if size != entry.get("bytes") or digest != entry.get("sha256"):
            expected = f"{entry.get('bytes')} bytes, sha256 {entry.get('sha256')}"
            problems.append(FileProblem(relative, "changed", expected, f"{size} bytes, sha256 {digest}"))
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    return ManifestCheck(str(root), len(manifest["files"]), tuple(problems), tuple(sorted(present - listed)))


def provenance_summary(dataset_path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """For the manifest: what a dataset's provenance sidecar (``train.jsonl`` -> ``train.provenance.jsonl``, written
    by ``add_to_dataset`` and ``FactPairs.write_provenance``) says about its generated lines: how many, by source and
    generator, and the facts sheets they came from with their SHA-256. None when the dataset has no sidecar."""
    path = Path(dataset_path)
    sidecar = path.with_name(path.stem + ".provenance.jsonl")
    if not sidecar.is_file():
        return None
    records = []
    for number, text in enumerate(sidecar.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"not valid JSON ({exc.msg})", file=str(sidecar), line=number) from None
        if not isinstance(record, dict) or not isinstance(record.get("line"), int):
            raise DataFormatError("a provenance record is an object with an integer 'line'", file=str(sidecar),
                                  line=number, field="line", value=record)
        records.append(record)
    frame = pd.DataFrame(records)
    count = lambda column: ({str(k): int(v) for k, v in frame[column].value_counts().items()}  # noqa: E731
                            if column in frame else {})
    sheets = (frame.dropna(subset=["sheet"]).groupby("sheet").sheet_sha256.first().to_dict()
              if {"sheet", "sheet_sha256"} <= set(frame.columns) else {})
    return {"dataset": path.name, "provenance": sidecar.name, "generated_lines": len(records),
            "by_source": count("source"), "by_generator": count("generator") or count("model"),
            "facts_sheets": [{"path": k, "sha256": v} for k, v in sorted(sheets.items())]}
