"""How the widgets show an error raised by a function they called: one red line, and the error kept for tests.

A widget callback has nobody above it to report to: an exception raised there would vanish into the browser's
console. The widgets therefore catch it, show it in the widget (nbtools' own errors by their message, which names
file, line and field; anything else with its type so that it is not mistaken for advice) and keep it in a list.

    >>> from nbtools.errors import InputError
    >>> error_text(InputError("must be positive", field="max_tokens", value=0))
    'field max_tokens: must be positive (got 0)'
    >>> error_text(OSError("disk full"))
    'OSError: disk full'
    >>> error_html(ValueError("a < b"))
    '<span style="color:#b00020">⚠ ValueError: a &lt; b</span>'
"""

from __future__ import annotations

import html
from functools import wraps
from typing import Any, Callable, TypeVar

from .errors import NbtoolsError

__all__ = ["ERROR_COLOR", "error_text", "error_html", "shows_errors"]

ERROR_COLOR = "#b00020"
Method = TypeVar("Method", bound=Callable[..., Any])


def error_text(exc: BaseException) -> str:
    """The error as a person reads it: nbtools' errors by their message, any other with its type in front."""
    return str(exc) if isinstance(exc, NbtoolsError) else f"{type(exc).__name__}: {exc}"


def error_html(exc: BaseException) -> str:
    """The error as one escaped, red HTML line for an ``ipywidgets.HTML``."""
    return f'<span style="color:{ERROR_COLOR}">⚠ {html.escape(error_text(exc), quote=False)}</span>'


def shows_errors(method: Method) -> Method:
    """Decorate a widget method: clear ``self.error`` (an HTML widget), run, and on an exception show it there and
    append it to ``self.errors`` (the method then returns None).

    >>> class View:
    ...     def __init__(self):
    ...         self.error, self.errors = type("HTML", (), {"value": ""})(), []
    ...     @shows_errors
    ...     def run(self, n):
    ...         return 10 // n
    >>> view = View()
    >>> view.run(0), view.errors, view.error.value
    (None, [ZeroDivisionError('integer division or modulo by zero')], '<span style="color:#b00020">⚠ \
ZeroDivisionError: integer division or modulo by zero</span>')
    >>> view.run(5), view.error.value
    (2, '')
    """

    @wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.error.value = ""
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # a widget callback has nobody above it to report to
            self.errors.append(exc)
            self.error.value = error_html(exc)
            return None

    return run  # type: ignore[return-value]
