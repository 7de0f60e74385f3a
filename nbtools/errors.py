"""The one place nbtools' errors live.

Every error nbtools raises is an :class:`NbtoolsError`. Errors about a user's input carry *where* (file, line,
field) and *what* (the offending value, shortened) so that a message alone is enough to fix the problem::

    >>> raise InputError("role must be one of system, user, assistant, tool", file="train.jsonl", line=12,
    ...                  field="messages[1].role", value="customer")
    Traceback (most recent call last):
    ...
    nbtools.errors.InputError: train.jsonl, line 12, field messages[1].role: role must be one of system, user, assistant, tool (got 'customer')

The library raises; the CLI and the widgets turn these into messages for people. Secrets never go into a message:
use :func:`nbtools.settings.mask_secret` before putting a key anywhere near one.
"""

from __future__ import annotations

__all__ = [
    "NbtoolsError",
    "InputError",
    "DataFormatError",
    "JsonlError",
    "ConfigError",
    "BackendError",
    "JobError",
    "ModelNotFoundError",
    "short_repr",
]

_MAX_VALUE_CHARS = 80


def short_repr(value: object, limit: int = _MAX_VALUE_CHARS) -> str:
    """repr() cut to `limit` characters, for error messages.

    >>> short_repr("x" * 200, limit=10)
    "'xxxxxxxx…"
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NbtoolsError(Exception):
    """Base class of every error nbtools raises on purpose."""


class InputError(NbtoolsError, ValueError):
    """Bad user input, located as precisely as we know: file, line (1-based), field, offending value."""

    _NO_VALUE = object()

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = _NO_VALUE,
    ) -> None:
        self.reason = message
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.value = None if value is self._NO_VALUE else value
        self.has_value = value is not self._NO_VALUE
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field}")
        text = (", ".join(where) + ": " if where else "") + self.reason
        if self.has_value:
            text += f" (got {short_repr(self.value)})"
        return text


class DataFormatError(InputError):
    """A file or table is not in a format nbtools can read (not JSONL, no usable columns, binary, …)."""


class JsonlError(DataFormatError):
    """A line of a JSON Lines file that cannot be read as a JSON object (see :mod:`nbtools.jsonl`).

    `code` says why, for programs: ``invalid_json``, ``not_utf8``, ``binary_content``, ``line_too_long`` or
    ``not_an_object``.
    """

    def __init__(self, message: str, *, code: str, **where: object) -> None:
        self.code = code
        super().__init__(message, **where)  # type: ignore[arg-type]


class ConfigError(NbtoolsError, ValueError):
    """Settings, keys or backend choices that cannot work together."""


class BackendError(NbtoolsError, RuntimeError):
    """The fine-tuning backend (local server or hosted API) failed or could not be reached."""


class JobError(BackendError):
    """A fine-tuning job ended in a state the caller did not ask for (failed, cancelled)."""


class ModelNotFoundError(NbtoolsError, LookupError):
    """A model id that no backend, price table or registry knows."""
