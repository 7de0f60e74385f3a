"""Export a model of the local server: :func:`export_model` resolves the id, takes the server's reference answers,
writes the format into a private staging directory and renames it into place, so that a failed export leaves
nothing behind and an unknown id or format writes nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError, InputError
from .card import model_card
from .reference import MAX_TOKENS, reference_answers, reference_prompts, training_system_prompt
from .source import ExportSource, resolve_source, sha256_file
from .templates import end_of_turn

__all__ = ["MODEL_EXPORT_FORMATS", "MANIFEST", "ModelExport", "export_model", "read_manifest"]

MODEL_EXPORT_FORMATS = ("adapter", "merged", "gguf", "ollama", "vllm")
MANIFEST = "nbtools_export.json"
_NOT_HASHED = (MANIFEST, "README.md")


@dataclass(frozen=True)
class ModelExport:
    """A finished export: where it is, its format, the files written (relative paths) and how long it took."""

    model: str
    format: str
    path: Path
    files: tuple[str, ...]
    seconds: float


def _check_out(out: Path, replace: bool) -> None:
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    if replace and (out / MANIFEST).is_file():
        return
    raise ConfigError(f"{out} already exists and is not an empty directory"
                      + ("" if not replace else f" nor an nbtools model export (no {MANIFEST})")
                      + ": choose a new --out directory" + ("" if replace else " (or replace a previous export)"))


def _write(source: ExportSource, fmt: str, staging: Path, system: str | None) -> None:
    from . import gguf, writers

    if fmt == "adapter":
        writers.write_adapter(source, staging)
    elif fmt == "merged":
        writers.write_merged(source, staging)
    elif fmt == "vllm":
        writers.write_vllm(source, staging)
    elif fmt == "gguf":
        gguf.write_gguf(source, staging)
    else:
        gguf.write_ollama(source, staging, system=system)


def _file_records(root: Path) -> dict[str, dict[str, Any]]:
    return {str(p.relative_to(root)): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in _NOT_HASHED}


def _manifest(source: ExportSource, fmt: str, staging: Path, references, system: str | None,
              eval_results: Mapping[str, Any] | None) -> dict[str, Any]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source.base_dir))
    eot, eot_id = end_of_turn(tokenizer)
    serve = (staging / "serve.sh").read_text(encoding="utf-8").strip() if (staging / "serve.sh").is_file() else None
    return {
        "nbtools_export": 1, "format": fmt, "model": source.model_id, "base": source.base,
        "base_dir": str(source.base_dir), "adapter": str(source.adapter) if source.adapter else None,
        "job_id": source.job_id, "method": source.method, "hyperparameters": source.hyperparameters,
        "training_files": [{"role": f.role, "filename": f.filename, "sha256": f.sha256, "bytes": f.bytes}
                           for f in source.training_files],
        "eval_results": dict(eval_results) if eval_results else None,
        "chat_template": tokenizer.chat_template, "end_of_turn": eot, "end_of_turn_id": eot_id,
        "system_prompt": system, "serve": serve, "max_tokens": MAX_TOKENS,
        "verification_prompts": len(references), "reference": [r.record() for r in references],
        "files": _file_records(staging), "created_at": int(time.time()),
    }


def export_model(model: str, *, format: str, out: str | os.PathLike[str], home: str | os.PathLike[str] | None = None,
                 data_dir: str | os.PathLike[str] | None = None, eval_results: Mapping[str, Any] | None = None,
                 replace: bool = False) -> ModelExport:
    """Export local-server model `model` (fine-tuned model, checkpoint, or base model for merged/gguf/ollama) as
    `format` into the new directory `out`, with a model card and the server's reference answers for verification.
    `replace` lets a previous model export at `out` be replaced (once the new one is complete); `eval_results`
    (any JSON-ready mapping, e.g. ``eval_summary(...).to_dict("records")``) goes into the model card.

    ``export_model("ft:smollm2-135m-instruct:local:brew:ab12", format="merged", out="export/merged")
    -> ModelExport(format="merged", files=("chat_template.jinja", "config.json", …, "model.safetensors", …))``
    """
    started = time.monotonic()
    if format not in MODEL_EXPORT_FORMATS:
        raise InputError(f"unknown export format: use one of {', '.join(MODEL_EXPORT_FORMATS)}", field="format",
                         value=format)
    target = Path(out).expanduser().resolve()
    _check_out(target, replace)
    source = resolve_source(model, home=home, data_dir=data_dir)
    if source.adapter is None and format in ("adapter", "vllm"):
        raise InputError(f"{model!r} is a base model: format {format!r} exports a fine-tuned model's adapter "
                         "(a base model exports as merged, gguf or ollama)", field="format", value=format)
    if format in ("gguf", "ollama"):
        from .converter import converter_dir

        converter_dir()  # a missing converter fails before anything is written
    system = training_system_prompt(source)
    references = reference_answers(source, reference_prompts(source))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _write(source, format, staging, system)
        manifest = _manifest(source, format, staging, references, system, eval_results)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        (staging / "README.md").write_text(model_card(manifest), encoding="utf-8")
        staging.chmod(0o755)
        if target.exists():  # an empty directory the caller made, or a previous export to replace
            previous = target.with_name(f".{target.name}.previous")
            shutil.rmtree(previous, ignore_errors=True)
            os.replace(target, previous)
            os.replace(staging, target)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = tuple(sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()))
    return ModelExport(model, format, target, files, time.monotonic() - started)


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of export directory `path`; a ConfigError when `path` is not an nbtools export."""
    file = Path(path) / MANIFEST
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is not an nbtools model export (no {MANIFEST})") from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"{file}: not readable as JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") not in MODEL_EXPORT_FORMATS:
        raise ConfigError(f"{file}: not an nbtools export manifest (format {manifest.get('format')!r})"
                          if isinstance(manifest, dict) else f"{file}: expected a JSON object")
    return manifest
