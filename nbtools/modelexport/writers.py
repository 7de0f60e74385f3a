"""Write one export format into an (empty, private) directory: the adapter, the merged model, the vLLM layout.

Each writer returns the relative paths of the files it wrote. GGUF and Ollama are in :mod:`.gguf`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import ModelNotFoundError
from .source import ExportSource
from .templates import end_of_turn

__all__ = ["write_adapter", "write_merged", "write_vllm", "ADAPTER_FILES", "VLLM_ADAPTER_DIR", "VLLM_BASE_DIR"]

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
VLLM_BASE_DIR = "base"
VLLM_ADAPTER_DIR = "lora"


def _need_adapter(source: ExportSource, fmt: str) -> Path:
    if source.adapter is None:
        raise ModelNotFoundError(f"{source.model_id!r} is a base model: format {fmt!r} needs a fine-tuned model or "
                                 "checkpoint (a base model exports as 'merged', 'gguf' or 'ollama')")
    return source.adapter


def _tokenizer(source: ExportSource):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(source.base_dir))


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)  # the base model's files are never rewritten in place: a hard link is a safe copy
    except OSError:
        shutil.copy2(src, dst)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def write_adapter(source: ExportSource, out: Path) -> list[str]:
    """The LoRA adapter in PEFT's format (adapter_config.json + adapter_model.safetensors) and the tokenizer with
    its chat template, for ``PeftModel.from_pretrained(base, out)``."""
    adapter = _need_adapter(source, "adapter")
    for name in ADAPTER_FILES:
        if not (adapter / name).is_file():
            raise ModelNotFoundError(f"{adapter}: the adapter of {source.model_id!r} has no {name}")
        shutil.copy2(adapter / name, out / name)
    _tokenizer(source).save_pretrained(out)
    return _files(out)


def _eos_ids(configured, end_id: int) -> int | list[int]:
    """The generation config's EOS ids with the end-of-turn id first (one id stays a plain int)."""
    eos = configured if isinstance(configured, list) else [] if configured is None else [configured]
    ids = [end_id, *[i for i in eos if i != end_id]]
    return ids[0] if len(ids) == 1 else ids


def write_merged(source: ExportSource, out: Path) -> list[str]:
    """The adapter merged into the base (``merge_and_unload``), saved as a Hugging Face model directory: float32
    safetensors, tokenizer and chat template, and a generation config whose EOS is the end-of-turn token."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(source.base_dir), dtype=torch.float32)
    if source.adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(source.adapter)).merge_and_unload()
    tokenizer = _tokenizer(source)
    _, end_id = end_of_turn(tokenizer)
    model.generation_config.eos_token_id = _eos_ids(model.generation_config.eos_token_id, end_id)
    if model.generation_config.pad_token_id is None and tokenizer.pad_token_id is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    if (source.base_dir / "NOTICE").is_file():  # licence terms travel with the weights (Gemma)
        shutil.copy2(source.base_dir / "NOTICE", out / "NOTICE")
    return _files(out)


def write_vllm(source: ExportSource, out: Path) -> list[str]:
    """``base/`` (the exact base weights the adapter was trained on) and ``lora/`` (the adapter), plus
    ``serve.sh``: ``vllm serve ./base --enable-lora --lora-modules MODEL_ID=./lora``."""
    adapter = _need_adapter(source, "vllm")
    for path in source.base_dir.iterdir():
        if path.is_file():
            _link_or_copy(path, out / VLLM_BASE_DIR / path.name)
    (out / VLLM_ADAPTER_DIR).mkdir()
    for name in ADAPTER_FILES:
        shutil.copy2(adapter / name, out / VLLM_ADAPTER_DIR / name)
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = f"./{VLLM_BASE_DIR}"
    (out / VLLM_ADAPTER_DIR / "adapter_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (out / "serve.sh").write_text(vllm_command(source.model_id, int(config.get("r", 16))) + "\n", encoding="utf-8")
    (out / "serve.sh").chmod(0o755)
    return _files(out)


def vllm_command(model_id: str, rank: int) -> str:
    """The ``vllm serve`` line for a vLLM export directory (run from inside it).

    >>> vllm_command("ft:m:local:brew:ab12", 8)
    "vllm serve ./base --enable-lora --max-lora-rank 8 --lora-modules 'ft:m:local:brew:ab12=./lora'"
    """
    return (f"vllm serve ./{VLLM_BASE_DIR} --enable-lora --max-lora-rank {max(8, rank)} "
            f"--lora-modules '{model_id}=./{VLLM_ADAPTER_DIR}'")
