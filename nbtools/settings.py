"""Where nbtools keeps its state, and how secrets are shown.

State (the local server's database, uploaded files, converted base models, run logs) lives under one directory:
``$NBTOOLS_HOME`` if set, else ``~/.nbtools``. Tests and CI point ``NBTOOLS_HOME`` at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["home_dir", "model_cache_dir", "mask_secret"]

HOME_ENV = "NBTOOLS_HOME"
MODEL_CACHE_ENV = "NBTOOLS_MODEL_CACHE"


def home_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """The nbtools state directory (created if missing): `home`, else $NBTOOLS_HOME, else ~/.nbtools."""
    chosen = home if home is not None else os.environ.get(HOME_ENV) or Path.home() / ".nbtools"
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_cache_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """Where converted base models are kept: $NBTOOLS_MODEL_CACHE if set, else <home>/models.

    Kept apart from the rest of the state so that tests with a throw-away home reuse one converted model.
    """
    chosen = os.environ.get(MODEL_CACHE_ENV) if home is None else None
    path = Path(chosen).expanduser().resolve() if chosen else home_dir(home) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def mask_secret(secret: str | None) -> str:
    """A key as it may be printed: its kind prefix and last 4 characters only.

    >>> mask_secret("sk-proj-" + "abcdefghijklmnop" + "1234")
    'sk-…1234'
    >>> mask_secret(None)
    '(none)'
    >>> mask_secret("short")
    '…'
    """
    if not secret:
        return "(none)"
    if len(secret) < 12:
        return "…"
    prefix = secret[:3] if secret[:3] in {"sk-", "nb-"} else ""
    return f"{prefix}…{secret[-4:]}"
