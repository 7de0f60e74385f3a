"""Identifiers in OpenAI's shapes: a prefix plus random base62 (``file-…``, ``ftjob-…``, ``ftckpt_…``).

>>> new_id("ftjob-").startswith("ftjob-"), len(new_id("ftjob-"))
(True, 30)
>>> fine_tuned_model_id("smollm2-135m-instruct", "local", "brew", "AbCd1234")
'ft:smollm2-135m-instruct:local:brew:AbCd1234'
>>> checkpoint_model_id("smollm2-135m-instruct", "local", None, "Zz99Yy88", 6)
'ft:smollm2-135m-instruct:local::Zz99Yy88:ckpt-step-6'
"""

from __future__ import annotations

import re
import secrets
import string

__all__ = [
    "FILE",
    "JOB",
    "EVENT",
    "CHECKPOINT",
    "CHAT",
    "MODERATION",
    "new_id",
    "short_id",
    "fine_tuned_model_id",
    "checkpoint_model_id",
    "sanitize_suffix",
    "sanitize_filename",
]

FILE, JOB, EVENT, CHECKPOINT, CHAT, MODERATION = "file-", "ftjob-", "ftevent-", "ftckpt_", "chatcmpl-", "modr-"

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """`prefix` followed by `length` random base62 characters."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def short_id() -> str:
    """The 8-character id that ends a fine-tuned model name."""
    return new_id("", 8)


def fine_tuned_model_id(base: str, org: str, suffix: str | None, id8: str) -> str:
    """``ft:BASE:ORG:SUFFIX:ID8`` (SUFFIX empty when none was given), as the real service names tuned models."""
    return f"ft:{base}:{org}:{suffix or ''}:{id8}"


def checkpoint_model_id(base: str, org: str, suffix: str | None, id8: str, step: int) -> str:
    """``ft:BASE:ORG:SUFFIX:ID8:ckpt-step-N``: the model name of an intermediate checkpoint."""
    return f"{fine_tuned_model_id(base, org, suffix, id8)}:ckpt-step-{step}"


_SUFFIX_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def sanitize_suffix(suffix: str) -> str:
    """A suffix safe inside a model id: characters other than letters, digits, ``.``, ``_``, ``-`` become ``-``.

    >>> sanitize_suffix("Brew voice: v2/final")
    'Brew-voice-v2-final'
    """
    return _SUFFIX_BAD.sub("-", suffix).strip("-")


_FILENAME_BAD = re.compile(r"[\x00-\x1f\x7f]+")


def sanitize_filename(name: str | None, *, limit: int = 255) -> str:
    """The user's file name as harmless metadata: no directories, no control characters, bounded length.

    >>> sanitize_filename("../../etc/passwd")
    'passwd'
    >>> sanitize_filename("C:\\\\data\\\\train.jsonl")
    'train.jsonl'
    >>> sanitize_filename("")
    'upload'
    """
    base = re.split(r"[/\\]", name or "")[-1]
    base = _FILENAME_BAD.sub("", base).strip()
    if base in {"", ".", ".."}:
        return "upload"
    return base[:limit]
