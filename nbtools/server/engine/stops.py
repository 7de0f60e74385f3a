"""Stop strings in streamed text: what may be sent now, and what must wait for the next token.

A stop string may arrive split over several tokens ("Stay" + " grounded"), so a streamed reply must hold back any
tail that could still become one, and a decoded text ending in U+FFFD (the start of a multi-byte character whose
other bytes are in the next token, e.g. "☕") must wait too.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["find_stop", "sendable"]

_INCOMPLETE = "\ufffd"


def find_stop(text: str, stops: Sequence[str]) -> int:
    """Index of the earliest stop string in `text`, or -1.

    >>> find_stop("Hello END there STOP", ["STOP", "END"])
    6
    >>> find_stop("Hello", ["STOP"])
    -1
    """
    hits = [text.find(s) for s in stops if s and s in text]
    return min(hits) if hits else -1


def sendable(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """(prefix of `text` that is safe to send now, whether a stop string was found).

    When a stop string occurs, the text before it is final. Otherwise the longest tail that is a proper prefix of a
    stop string is held back, and so is a trailing incomplete character.

    >>> sendable("Thanks! Stay gro", ["Stay grounded!"])
    ('Thanks! ', False)
    >>> sendable("Thanks! Stay grounded! Bye", ["Stay grounded!"])
    ('Thanks! ', True)
    >>> sendable("Enjoy \\ufffd", [])
    ('Enjoy ', False)
    """
    cut = find_stop(text, stops)
    if cut >= 0:
        return text[:cut], True
    hold = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), hold, -1):
            if text.endswith(stop[:k]):
                hold = k
                break
    safe = text[: len(text) - hold]
    return safe.rstrip(_INCOMPLETE), False
