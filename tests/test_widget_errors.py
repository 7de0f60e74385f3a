"""The one widget error helper: what a person reads, escaped HTML, and a decorated callback on real ipywidgets."""

from __future__ import annotations

import ipywidgets as w
import pytest

from nbtools.errors import BackendError, DataFormatError, InputError
from nbtools.widget_errors import ERROR_COLOR, error_html, error_text, shows_errors


@pytest.mark.parametrize(
    "exc, text",
    [
        (InputError("must be positive", field="max_tokens", value=0), "field max_tokens: must be positive (got 0)"),
        (DataFormatError("not valid JSON", file="train.jsonl", line=3), "train.jsonl, line 3: not valid JSON"),
        (BackendError("set-up 'base' failed: HTTP 404"), "set-up 'base' failed: HTTP 404"),
        (OSError("disk full"), "OSError: disk full"),
        (ValueError("<b>bold</b> & more"), "ValueError: <b>bold</b> & more"),
    ],
)
def test_error_text_names_foreign_errors_by_type(exc, text):
    assert error_text(exc) == text
    shown = error_html(exc)
    assert shown.startswith(f'<span style="color:{ERROR_COLOR}">⚠ ') and shown.endswith("</span>")
    assert "<b>" not in shown  # escaped: an error message cannot inject markup


class View:
    """The shape the decorator expects: an HTML error line and a list of errors."""

    def __init__(self) -> None:
        self.error, self.errors, self.done = w.HTML(), [], []

    @shows_errors
    def act(self, value: int) -> int:
        if value < 0:
            raise InputError("must not be negative", field="value", value=value)
        self.done.append(value)
        return value * 2


def test_a_decorated_callback_shows_keeps_and_then_clears_its_error():
    view = View()
    assert view.act(-1) is None and view.done == []
    assert [type(e) for e in view.errors] == [InputError]
    assert "field value: must not be negative (got -1)" in view.error.value
    button = w.Button()
    button.on_click(lambda _: view.act(4))
    button.click()
    assert view.done == [4] and view.error.value == "" and len(view.errors) == 1  # cleared by the next good call
