"""GGUF and Ollama exports: the merged model converted by llama.cpp's converter, and a Modelfile beside it.

The converter writes the chat template (``tokenizer.chat_template``) and the special tokens (``tokenizer.ggml.eos_
token_id``, …) into the GGUF's metadata from the merged directory's tokenizer and generation config; the Modelfile's
``TEMPLATE`` is derived from the same chat template (:func:`~.templates.ollama_template`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from .converter import GGUF_TYPES, convert_to_gguf
from .source import ExportSource
from .templates import end_of_turn, ollama_template
from .writers import write_merged

__all__ = ["write_gguf", "write_ollama", "gguf_name", "modelfile_text", "read_gguf_metadata", "OLLAMA_GGUF"]

OLLAMA_GGUF = "f16"  # the Modelfile's weights: the full-precision conversion (verified token for token)


def gguf_name(outtype: str) -> str:
    """File name of one GGUF conversion.

    >>> gguf_name("q8_0")
    'model-q8_0.gguf'
    """
    return f"model-{outtype}.gguf"


def write_gguf(source: ExportSource, out: Path, *, types: tuple[str, ...] = GGUF_TYPES) -> list[str]:
    """The merged model as GGUF, one file per type (f16 and q8_0), plus the tokenizer for transformers' loader."""
    work = Path(tempfile.mkdtemp(prefix=".merged.", dir=out))
    try:
        write_merged(source, work)
        for outtype in types:
            convert_to_gguf(work, out / gguf_name(outtype), outtype)
        for name in ("NOTICE",):
            if (work / name).is_file():
                shutil.copy2(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return sorted(p.name for p in out.iterdir() if p.is_file())


def modelfile_text(gguf_file: str, template: str, stops: list[str], system: str | None) -> str:
    """An Ollama Modelfile: FROM the GGUF, the TEMPLATE, a stop per end-of-turn token, greedy, the SYSTEM prompt.

    >>> print(modelfile_text("model-f16.gguf", "{{ .Prompt }}{{ .Response }}</s>", ["</s>"], "Be brief."))
    FROM ./model-f16.gguf
    TEMPLATE \"\"\"{{ .Prompt }}{{ .Response }}</s>\"\"\"
    PARAMETER stop "</s>"
    PARAMETER temperature 0
    SYSTEM \"\"\"Be brief.\"\"\"
    <BLANKLINE>
    """
    lines = [f"FROM ./{gguf_file}", f'TEMPLATE """{template}"""']
    lines += [f'PARAMETER stop "{stop}"' for stop in stops]
    lines.append("PARAMETER temperature 0")
    if system:
        lines.append(f'SYSTEM """{system}"""')
    return "\n".join(lines) + "\n"


def write_ollama(source: ExportSource, out: Path, *, system: str | None) -> list[str]:
    """The f16 GGUF and a Modelfile for ``ollama create NAME -f Modelfile``."""
    from transformers import AutoTokenizer

    write_gguf(source, out, types=(OLLAMA_GGUF,))
    tokenizer = AutoTokenizer.from_pretrained(str(source.base_dir))
    eot, _ = end_of_turn(tokenizer)
    stops = list(dict.fromkeys([eot, *([tokenizer.eos_token] if tokenizer.eos_token else [])]))
    text = modelfile_text(gguf_name(OLLAMA_GGUF), ollama_template(tokenizer), stops, system)
    (out / "Modelfile").write_text(text, encoding="utf-8")
    return sorted(p.name for p in out.iterdir() if p.is_file())


def read_gguf_metadata(path: Path) -> dict[str, Any]:
    """The GGUF's chat template, architecture and special token ids (read with the ``gguf`` package).

    Raises ValueError (from the reader) when the file is not a whole GGUF.
    """
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    out: dict[str, Any] = {}
    for key in ("tokenizer.chat_template", "general.architecture", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.eot_token_id", "tokenizer.ggml.bos_token_id"):
        field = reader.get_field(key)
        out[key] = field.contents() if field is not None else None
    return out
