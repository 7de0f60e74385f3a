"""llama.cpp's Hugging Face -> GGUF converter (``convert_hf_to_gguf.py`` and its ``gguf-py``), run as a subprocess.

The converter is not vendored: it ships inside the llama-cpp-python sdist on PyPI, and :func:`install_converter`
(run by ``scripts/setup.sh --test``, or ``python -m nbtools.modelexport.converter``) downloads that sdist with pip
and unpacks only the converter into ``tools/llama.cpp`` beside the model cache (``~/.nbtools/tools/llama.cpp``).
``$NBTOOLS_LLAMA_CPP`` may name another llama.cpp checkout. It runs in this Python: torch, transformers, numpy and sentencepiece.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..errors import ConfigError
from ..settings import model_cache_dir

__all__ = ["LLAMA_CPP_PYTHON", "converter_dir", "install_converter", "convert_to_gguf", "GGUF_TYPES"]

LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"
CONVERTER_ENV = "NBTOOLS_LLAMA_CPP"
GGUF_TYPES = ("f16", "q8_0")
_SCRIPT = "convert_hf_to_gguf.py"
_MEMBERS = (_SCRIPT, "conversion/", "gguf-py/", "LICENSE")


def _default_dir() -> Path:
    """``tools/llama.cpp`` beside the model cache (``~/.nbtools/tools/llama.cpp`` by default): like the converted
    base models, it is shared by throw-away homes (the tests')."""
    return model_cache_dir().parent / "tools" / "llama.cpp"


def converter_dir() -> Path:
    """The llama.cpp directory holding ``convert_hf_to_gguf.py``; a ConfigError saying how to get it if missing."""
    chosen = os.environ.get(CONVERTER_ENV)
    directory = Path(chosen).expanduser() if chosen else _default_dir()
    if not (directory / _SCRIPT).is_file():
        raise ConfigError(f"llama.cpp's {_SCRIPT} is not at {directory}: run `python -m nbtools.modelexport.converter`"
                          f" (downloads the {LLAMA_CPP_PYTHON} sdist from PyPI and unpacks its converter), "
                          f"or set ${CONVERTER_ENV} to a llama.cpp checkout")
    return directory


def install_converter() -> Path:
    """Download the llama-cpp-python sdist with pip and unpack its GGUF converter; returns the directory."""
    target = _default_dir()
    if (target / _SCRIPT).is_file():
        return target
    with tempfile.TemporaryDirectory(prefix="nbtools-llama-cpp-") as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
                        "llama-cpp-python", LLAMA_CPP_PYTHON, "-d", tmp], check=True)
        [sdist] = Path(tmp).glob("llama_cpp_python-*.tar.gz")
        staging = Path(tempfile.mkdtemp(prefix="llama.cpp.", dir=_ensure(target.parent)))
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                _, _, inner = member.name.partition("/vendor/llama.cpp/")
                if inner and any(inner == m or inner.startswith(m) for m in _MEMBERS) and (member.isfile()
                                                                                            or member.isdir()):
                    member.name = inner
                    archive.extract(member, staging, filter="data")
        os.replace(staging, target)
    return target


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def convert_to_gguf(model_dir: Path, outfile: Path, outtype: str) -> None:
    """Convert Hugging Face model directory `model_dir` to GGUF `outfile` (``--outtype f16|q8_0``)."""
    if outtype not in GGUF_TYPES:
        raise ConfigError(f"GGUF type must be one of {GGUF_TYPES} (got {outtype!r})")
    directory = converter_dir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(directory / "gguf-py"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(directory / _SCRIPT), str(model_dir), "--outtype", outtype,
                           "--outfile", str(outfile)], env=env, capture_output=True, text=True)
    if done.returncode != 0 or not outfile.is_file():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-6:])
        raise ConfigError(f"{_SCRIPT} --outtype {outtype} failed (exit {done.returncode}):\n{tail}")


if __name__ == "__main__":  # python -m nbtools.modelexport.converter
    print(install_converter())
