"""Stop strings across token boundaries: what a stream may send now and what it must hold back."""

from __future__ import annotations

import pytest

from nbtools.server.engine.stops import find_stop, sendable


@pytest.mark.parametrize(
    ("text", "stops", "expected"),
    [
        ("Hello", (), ("Hello", False)),
        ("Hello wor", ("world",), ("Hello ", False)),
        ("Hello w", ("world", "wow"), ("Hello ", False)),
        ("Hello world!", ("world",), ("Hello ", True)),
        ("a END b STOP", ("STOP", "END"), ("a ", True)),
        ("abc", ("c",), ("ab", True)),
        ("ab", ("bc", "abc"), ("", False)),
        ("Enjoy ☕", ("\n\n",), ("Enjoy ☕", False)),
        ("Enjoy \ufffd", ("\n\n",), ("Enjoy ", False)),
        ("Line\n", ("\n\n",), ("Line", False)),
        ("Line\n\nmore", ("\n\n",), ("Line", True)),
    ],
)
def test_sendable(text, stops, expected):
    assert sendable(text, stops) == expected


def test_streaming_pieces_reassemble_to_the_cut_text():
    """Feeding a reply one character at a time never sends stop-string text and ends on the same cut."""
    reply, stops = "Thanks for waiting! Stay grounded! ☕ and more", ("Stay grounded!",)
    sent = ""
    for i in range(1, len(reply) + 1):
        safe, stopped = sendable(reply[:i], stops)
        assert safe.startswith(sent)
        sent = safe
        if stopped:
            break
    assert sent == reply[: find_stop(reply, stops)] == "Thanks for waiting! "
