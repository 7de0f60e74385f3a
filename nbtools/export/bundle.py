"""Export a dataset in every format in one folder, and import it back from any of them.

    >>> import tempfile
    >>> example = {"messages": [{"role": "user", "content": "Where is my order?"},
    ...                         {"role": "assistant", "content": "Hey there! It ships today. Stay grounded! ☕"}]}
    >>> out = tempfile.mkdtemp()
    >>> result = export_dataset(out, train=[example] * 3, options=ExportOptions(created_at="2026-11-01T00:00:00Z"))
    >>> result.manifest["counts"]
    {'sft/train': 3}
    >>> import_dataset(out, format="parquet").train == [example] * 3
    True
    >>> verify_manifest(out).ok
    True

Layout: ``README.md`` (dataset card), ``manifest.json``, ``sft/{train,validation}.jsonl`` and
``dpo/{train,validation}.jsonl`` (OpenAI format; the card's configs), ``tables/<kind>_<split>.{csv,parquet}``,
``llamafactory/<kind>_<split>.json`` + ``dataset_info.json`` (+ ``conversion_losses.csv`` when ShareGPT cannot hold
something), ``rejects/``, ``cleaned/messages.parquet``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import pandas as pd
from tqdm.auto import tqdm

from ..csvfiles import read_csv, write_csv
from ..jsonl import read_jsonl, write_jsonl
from ..errors import ConfigError, DataFormatError, InputError
from ..tokens import ExampleTokens, TokenCounter
from . import sharegpt
from .card import dataset_card, loss_summary
from .manifest import (
    MANIFEST_NAME,
    file_entry,
    inside,
    parts_frame,
    read_manifest,
    token_stats,
    verify_manifest,
    write_manifest,
)
from .records import ARGUMENT_PARTS, PARTS, FormatLoss, example_kind
from .tables import TABLE_SUFFIXES, frame_examples, read_table, write_table

__all__ = [
    "FORMATS",
    "DEFAULT_COUNT_MODEL",
    "ExportOptions",
    "ExportResult",
    "ImportedDataset",
    "export_dataset",
    "import_dataset",
    "read_examples",
]

FORMATS = ("jsonl", "csv", "parquet", "sharegpt")
# Counting needs no model files with a tiktoken model; pass the local model's id to count with its own tokenizer.
DEFAULT_COUNT_MODEL = "gpt-4o-mini-2024-07-18"
_PROGRESS_FROM = 5_000  # examples: below this, counting takes well under a second and shows no bar
_RELATIVE = {
    "jsonl": "{kind}/{split}.jsonl",
    "csv": "tables/{kind}_{split}.csv",
    "parquet": "tables/{kind}_{split}.parquet",
    "sharegpt": "llamafactory/{kind}_{split}.json",
}


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class ExportOptions:
    """How to export: formats (JSONL is always written), the model whose tokenizer counts, and card facts.

    ``provenance``: lines for the card saying where the examples came from (e.g. "train: train.jsonl (120)").
    """

    formats: tuple[str, ...] = FORMATS
    model: str = DEFAULT_COUNT_MODEL
    name: str = "support-chat-dataset"
    description: str = ""
    license: str = "unknown"
    language: tuple[str, ...] = ("en",)
    created_at: str | None = None
    provenance: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown:
            raise ConfigError(f"unknown export format(s) {unknown}; choose from {', '.join(FORMATS)}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", self.name):
            raise ConfigError(f"dataset name {self.name!r}: use letters, digits, '.', '_' or '-' (it names files)")


@dataclass(frozen=True, eq=False)
class ExportResult:
    """What an export wrote: its folder, the manifest (with every file's hash) and the format losses."""

    out_dir: Path
    manifest: dict[str, Any]
    losses: tuple[FormatLoss, ...]

    @property
    def card_path(self) -> Path:
        """The dataset card, ``README.md``."""
        return self.out_dir / "README.md"

    @property
    def manifest_path(self) -> Path:
        """``manifest.json``."""
        return self.out_dir / MANIFEST_NAME

    def files_frame(self) -> pd.DataFrame:
        """One row per file: path, format, part, rows, bytes, sha256."""
        columns = ["path", "format", "part", "rows", "bytes", "sha256"]
        frame = pd.DataFrame(self.manifest["files"]).reindex(columns=columns)
        return frame.astype({"rows": "Int64"})

    def parts_frame(self) -> pd.DataFrame:
        """One row per part: examples, billed tokens (total, mean, p95, max) and trained tokens (total, mean)."""
        return parts_frame(self.manifest)

    def losses_frame(self) -> pd.DataFrame:
        """One row per field a format could not hold: format, part, index, field, detail."""
        columns = ["format", "part", "index", "field", "detail"]
        return pd.DataFrame([vars(loss) for loss in self.losses], columns=columns)


@dataclass(frozen=True, eq=False)
class ImportedDataset:
    """Examples read back from an export (or one file), in the shape :func:`export_dataset` takes."""

    train: list[dict[str, Any]]
    valid: list[dict[str, Any]] = field(default_factory=list)
    dpo_train: list[dict[str, Any]] = field(default_factory=list)
    dpo_valid: list[dict[str, Any]] = field(default_factory=list)
    rejects: pd.DataFrame | None = None
    manifest: dict[str, Any] | None = None
    format: str = "jsonl"

    def parts(self) -> dict[str, list[dict[str, Any]]]:
        """Non-empty parts by name ("sft/train", "sft/validation", "dpo/train", "dpo/validation")."""
        named = ((part, getattr(self, arg)) for arg, part in ARGUMENT_PARTS.items())
        return {part: examples for part, examples in named if examples}


# --- reading ----------------------------------------------------------------------------------------------------


def _detect_format(path: Path) -> str:
    if path.suffix in TABLE_SUFFIXES:
        return path.suffix[1:]
    if path.suffix == ".json":
        return "sharegpt"
    if path.suffix == ".jsonl":
        first = next(iter(read_jsonl(path)), None)
        return "sharegpt" if isinstance(first, dict) and "conversations" in first else "jsonl"
    raise InputError("cannot tell the format from the file name; expected .jsonl, .json, .csv or .parquet",
                     file=str(path))


def read_examples(path: str | os.PathLike[str], *, format: str | None = None) -> Iterator[dict[str, Any]]:
    """Stream OpenAI-format examples from any exported file: JSONL, CSV, Parquet, or ShareGPT (.json/.jsonl).

    The format comes from the file (suffix, and for .jsonl whether lines hold ``conversations``) unless given.
    """
    path = Path(path)
    chosen = format or _detect_format(path)
    if chosen in ("csv", "parquet"):
        yield from read_table(path)
    elif chosen == "sharegpt":
        yield from sharegpt.read_sharegpt(path)
    elif chosen == "jsonl":
        for number, example in enumerate(read_jsonl(path), start=1):
            example_kind(example, file=str(path), line=number)
            yield example
    else:
        raise ConfigError(f"unknown format {chosen!r}; choose from {', '.join(FORMATS)}")


def import_dataset(path: str | os.PathLike[str], *, format: str = "jsonl", verify: bool = True) -> ImportedDataset:
    """Read an export folder back from one of its formats (hashes checked first), or a single examples file.

    A single file's chat examples land in ``train`` and its preference pairs in ``dpo_train``.
    """
    path = Path(path)
    if path.is_file():
        examples = list(read_examples(path))
        return ImportedDataset(train=[e for e in examples if "messages" in e],
                               dpo_train=[e for e in examples if "messages" not in e], format=_detect_format(path))
    manifest = read_manifest(path)
    if verify:
        check = verify_manifest(path)
        if not check.ok:
            first = check.problems[0]
            raise DataFormatError(f"{len(check.problems)} file(s) do not match the manifest; first: {first.path} is "
                                  f"{first.problem} (expected {first.expected}, found {first.actual})",
                                  file=str(path / MANIFEST_NAME))
    parts: dict[str, list[dict[str, Any]]] = {}
    for part, facts in manifest.get("parts", {}).items():
        if format not in facts:
            available = sorted(k for k in facts if k in FORMATS)
            raise InputError(f"this export has no {format} files; it has {', '.join(available)}", file=str(path))
        parts[part] = list(read_examples(_listed(path, facts[format]), format=format))
    rejects = manifest.get("rejects")
    return ImportedDataset(
        **{arg: parts.get(part, []) for arg, part in ARGUMENT_PARTS.items()},
        rejects=_read_frame(_listed(path, rejects["path"])) if rejects else None,
        manifest=manifest,
        format=format,
    )


def _listed(root: Path, relative: Any) -> Path:
    """A file named by the manifest, refused when the name points outside the export."""
    path = inside(root, relative)
    if path is None:
        raise DataFormatError("manifest names a file outside the export", file=str(root / MANIFEST_NAME),
                              value=relative)
    return path


# --- inputs -----------------------------------------------------------------------------------------------------


def _read_frame(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return pd.DataFrame(list(read_jsonl(path)))
    return read_csv(path)


def _examples(source: Any, part: str) -> list[dict[str, Any]]:
    """Examples from a list of dicts, a file, a DataFrame (an ``example`` column or an export table), or a builder
    result (anything with ``.examples``); each checked to be of the part's kind and writable as JSON."""
    if source is None:
        return []
    if isinstance(source, (str, os.PathLike)):
        examples = list(read_examples(source))
    elif isinstance(source, pd.DataFrame):
        if "example" in source.columns:
            examples = [json.loads(e) if isinstance(e, str) else e for e in source["example"]]
        else:
            examples = list(frame_examples(source, file=part))
    elif hasattr(source, "examples"):
        examples = list(source.examples)
    else:
        examples = list(source)
    want = PARTS[part][0]
    for index, example in enumerate(examples):
        kind = example_kind(example, file=part, line=index + 1)
        if kind != want:
            raise InputError(f"a {kind} example in the {part} part (expected {want} examples)", file=part,
                             line=index + 1)
        try:
            json.dumps(example, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InputError(f"cannot be written as JSON ({exc})", file=part, line=index + 1) from None
    return [dict(example) for example in examples]


_MAX_TABLE_ROWS = 100  # tables in a cleaning report (a ledger, say) larger than this are summarised


def _json_value(value: Any) -> Any:
    """JSON for values json does not know: small tables as records, big ones as a summary, numbers, else text."""
    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        if len(value) <= _MAX_TABLE_ROWS:
            return json.loads(value.to_json(orient="records", force_ascii=False))
        return {"table_rows": len(value), "columns": [str(c) for c in value.columns],
                "note": f"table of {len(value)} rows not copied into the manifest"}
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return str(value)


def _plain(cleaning: Any) -> Any:
    """The cleaning report as plain JSON values (from a dict, a dataclass, an object with to_dict, or a file)."""
    if cleaning is None:
        return None
    if isinstance(cleaning, (str, os.PathLike)):
        try:
            cleaning = json.loads(Path(cleaning).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("no such file", file=str(cleaning)) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFormatError(f"the cleaning report must be JSON ({exc})", file=str(cleaning)) from None
    elif hasattr(cleaning, "to_dict") and not isinstance(cleaning, Mapping):
        cleaning = cleaning.to_dict()
    elif dataclasses.is_dataclass(cleaning) and not isinstance(cleaning, type):
        cleaning = {f.name: getattr(cleaning, f.name) for f in dataclasses.fields(cleaning)}
    return json.loads(json.dumps(cleaning, ensure_ascii=False, default=_json_value))


def _frame_source(source: Any, what: str) -> pd.DataFrame | Path | None:
    if source is None or isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InputError("no such file", file=str(path), field=what)
        return path
    raise InputError(f"{what} must be a DataFrame or a file path", field=what, value=type(source).__name__)


# --- writing ----------------------------------------------------------------------------------------------------


def _prepare(out_dir: Path) -> None:
    """Make `out_dir` ready: new or empty, or a previous export whose listed files are removed (nothing else)."""
    if not out_dir.exists():
        out_dir.mkdir(parents=True)
        return
    if not out_dir.is_dir():
        raise InputError("is a file, not a folder", file=str(out_dir))
    if not any(out_dir.iterdir()):
        return
    if not (out_dir / MANIFEST_NAME).is_file():
        raise InputError("folder is not empty and holds no nbtools export; choose an empty or new folder",
                         file=str(out_dir))
    for entry in read_manifest(out_dir)["files"]:
        target = inside(out_dir, entry.get("path") if isinstance(entry, dict) else None)
        if target is not None and target.is_file():
            target.unlink()
            if target.parent != out_dir and not any(target.parent.iterdir()):
                target.parent.rmdir()
    (out_dir / MANIFEST_NAME).unlink()


def _count(examples: Sequence[Mapping[str, Any]], counter: TokenCounter, part: str) -> list[ExampleTokens]:
    rows = tqdm(examples, desc=f"counting tokens ({part})", unit="example", disable=len(examples) < _PROGRESS_FROM)
    return [counter.count_example(example) for example in rows]


def export_dataset(
    out_dir: str | os.PathLike[str],
    *,
    train: Any,
    valid: Any = None,
    dpo_train: Any = None,
    dpo_valid: Any = None,
    rejects: pd.DataFrame | str | os.PathLike[str] | None = None,
    cleaned: pd.DataFrame | str | os.PathLike[str] | None = None,
    cleaning: Any = None,
    options: ExportOptions | None = None,
) -> ExportResult:
    """Write train/validation examples (SFT and DPO) in every chosen format, plus rejects, card and manifest.

    Example inputs are lists of dicts, files, DataFrames or builder results; `cleaned` is the cleaned message
    table (its ``source`` column gives the card's provenance); `cleaning` the cleaning report (steps and settings).
    `out_dir` must be new, empty, or a previous export (whose listed files are replaced). Every input is read and
    checked before anything is written.
    """
    options = options or ExportOptions()
    out = Path(out_dir)
    parts = _gather_parts({"train": train, "valid": valid, "dpo_train": dpo_train, "dpo_valid": dpo_valid})
    rejects_source, cleaned_source = _frame_source(rejects, "rejects"), _frame_source(cleaned, "cleaned")
    cleaning = _plain(cleaning)
    counter = TokenCounter.for_model(options.model)
    tokens = {part: _count(examples, counter, part) for part, examples in parts.items()}
    formats = ("jsonl",) + tuple(f for f in FORMATS[1:] if f in options.formats)

    _prepare(out)
    entries: list[tuple[Path, dict[str, Any]]] = []
    written = _write_parts(out, parts, tokens, formats, name=options.name, entries=entries)
    manifest = _manifest_head(options, counter, formats, written.facts)
    manifest.update(_write_llamafactory_info(out, written.llamafactory, entries))
    manifest.update(_write_side_files(out, rejects_source, cleaned_source, manifest["counts"], entries))
    manifest["cleaning"] = cleaning
    manifest["format_losses"] = _write_losses(out, written.losses, entries)
    manifest["tables"] = any(f in formats for f in ("csv", "parquet"))
    _write_card_and_manifest(out, manifest, entries)
    return ExportResult(out, manifest, written.losses)


def _gather_parts(sources: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The non-empty parts by name ("sft/train", ...) from export_dataset's example arguments, each checked."""
    parts = {ARGUMENT_PARTS[arg]: examples for arg, source in sources.items()
             if (examples := _examples(source, ARGUMENT_PARTS[arg]))}
    if "sft/train" not in parts:
        raise InputError("the training set is empty: an export needs chat examples in train", field="train")
    return parts


@dataclass(frozen=True)
class _WrittenParts:
    """What writing the example files produced: each part's manifest facts, the format losses, and the ShareGPT
    datasets for LLaMA-Factory (dataset name -> (file name, is a ranking dataset))."""

    facts: dict[str, dict[str, Any]]
    losses: tuple[FormatLoss, ...]
    llamafactory: dict[str, tuple[str, bool]]


def _write_parts(out: Path, parts: Mapping[str, list[dict[str, Any]]], tokens: Mapping[str, list[ExampleTokens]],
                 formats: Sequence[str], *, name: str, entries: list[tuple[Path, dict[str, Any]]]) -> _WrittenParts:
    """Write every part in every format (appending each file to `entries`)."""
    part_facts: dict[str, dict[str, Any]] = {}
    losses: list[FormatLoss] = []
    lf_datasets: dict[str, tuple[str, bool]] = {}
    n_examples = sum(len(examples) for examples in parts.values())
    bar = tqdm(total=len(parts) * len(formats), desc="writing", unit="file", disable=n_examples < _PROGRESS_FROM)
    for part, examples in parts.items():
        kind, split = PARTS[part]
        facts: dict[str, Any] = {"examples": len(examples), "tokens": token_stats(tokens[part])}
        for fmt in formats:
            bar.set_postfix_str(f"{part} {fmt}")
            relative = _RELATIVE[fmt].format(kind=kind, split=split)
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "jsonl":
                rows = write_jsonl(examples, path)
            elif fmt == "sharegpt":
                rows, part_losses = sharegpt.write_sharegpt(examples, path, part=part)
                losses.extend(part_losses)
                lf_datasets[f"{name}_{kind}_{split}"] = (path.name, kind == "dpo")
            else:
                rows = write_table(examples, path, tokens=tokens[part])
            facts[fmt] = relative
            entries.append((path, {"format": fmt, "part": part, "rows": rows}))
            bar.update()
        part_facts[part] = facts
    bar.close()
    return _WrittenParts(part_facts, tuple(losses), lf_datasets)


def _manifest_head(options: ExportOptions, counter: TokenCounter, formats: Sequence[str],
                   part_facts: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The manifest's first keys: what the dataset is, how it was counted, and its parts."""
    return {
        "name": options.name,
        "description": options.description,
        "created_at": options.created_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nbtools_version": _version(),
        "token_model": options.model,
        "tokenizer": counter.name,
        "license": options.license,
        "language": list(options.language),
        "formats": list(formats),
        "provenance": list(options.provenance),
        "counts": {part: facts["examples"] for part, facts in part_facts.items()},
        "parts": dict(part_facts),
    }


def _write_llamafactory_info(out: Path, lf_datasets: Mapping[str, tuple[str, bool]],
                             entries: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """``llamafactory/dataset_info.json`` for the ShareGPT files, when any were written; its manifest section."""
    if not lf_datasets:
        return {}
    info_path = out / "llamafactory" / "dataset_info.json"
    info = sharegpt.dataset_info((name, file, ranking) for name, (file, ranking) in lf_datasets.items())
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    entries.append((info_path, {"format": "llamafactory-dataset-info"}))
    return {"llamafactory": {"dataset_info": "llamafactory/dataset_info.json", "datasets": sorted(lf_datasets)}}


def _write_side_files(out: Path, rejects: pd.DataFrame | Path | None, cleaned: pd.DataFrame | Path | None,
                      counts: dict[str, int], entries: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """The rejects table and the cleaned message table, when given; their manifest sections (`counts` updated)."""
    sections: dict[str, Any] = {}
    if rejects is not None:
        sections["rejects"] = _write_side_table(rejects, out / "rejects", "rejects", entries)
        counts["rejects"] = sections["rejects"]["rows"]
    if cleaned is not None:
        frame = cleaned if isinstance(cleaned, pd.DataFrame) else _read_frame(cleaned)
        path = out / "cleaned" / "messages.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path, index=False)
        entries.append((path, {"format": "parquet", "part": "cleaned_messages", "rows": len(frame)}))
        sections["cleaned_messages"] = {"path": "cleaned/messages.parquet", "rows": len(frame)}
        counts["cleaned_messages"] = len(frame)
        if "source" in frame.columns:
            sections["sources"] = {str(k): int(v) for k, v in frame["source"].value_counts().items()}
    return sections


def _write_losses(out: Path, losses: Sequence[FormatLoss], entries: list[tuple[Path, dict[str, Any]]]) -> dict:
    """The format losses' manifest section, and ``llamafactory/conversion_losses.csv`` when there are any."""
    loss_records: list[Mapping[str, Any]] = [vars(loss) for loss in losses]  # FormatLoss is flat: no copy needed
    section: dict[str, Any] = {"total": len(losses), "summary": loss_summary(loss_records), "file": None}
    if losses:
        path = out / "llamafactory" / "conversion_losses.csv"
        write_csv(pd.DataFrame(loss_records), path)
        entries.append((path, {"format": "losses", "rows": len(losses)}))
        section["file"] = "llamafactory/conversion_losses.csv"
    return section


def _write_card_and_manifest(out: Path, manifest: dict[str, Any], entries: list[tuple[Path, dict[str, Any]]]) -> None:
    """Hash every written file into the manifest, write the dataset card (listed too), then ``manifest.json``."""
    manifest["files"] = [file_entry(out, path, **facts) for path, facts in entries]
    card = out / "README.md"
    card.write_text(dataset_card(manifest), encoding="utf-8")
    manifest["files"].append(file_entry(out, card, format="card"))
    write_manifest(manifest, out)


def _write_side_table(source: pd.DataFrame | Path, folder: Path, stem: str,
                      entries: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """Write a DataFrame as CSV, or copy a file byte for byte; returns its manifest facts (path, rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(source, pd.DataFrame):
        path, rows = folder / f"{stem}.csv", len(source)
        write_csv(source, path)
    else:
        path = folder / f"{stem}{source.suffix}"
        shutil.copyfile(source, path)
        rows = len(_read_frame(path))
    entries.append((path, {"format": path.suffix[1:], "part": stem, "rows": rows}))
    return {"path": path.relative_to(folder.parent).as_posix(), "rows": rows}
