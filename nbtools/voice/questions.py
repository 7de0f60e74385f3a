"""The held-out questions the voice set-ups answer: the first user message of each chat example.

The set-ups themselves are the compare room's (:class:`nbtools.ModelSetup`, :func:`nbtools.standard_setups`) and so
is running them (:func:`nbtools.run_comparison`, answers cached on disk); :func:`nbtools.score_answers` then checks
the ``output`` column of its table against the voice profile.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

__all__ = ["user_questions"]


def user_questions(examples: Iterable[Mapping[str, Any]], *, n: int | None = None) -> list[str]:
    """The first user message of each chat example, without repeats, at most `n` of them.

    >>> user_questions([{"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi?"},
    ...                               {"role": "assistant", "content": "Hey there!"}]}, {"input": {}}])
    ['Hi?']
    """
    found: list[str] = []
    for example in examples:
        messages = example.get("messages") if isinstance(example, Mapping) else None
        text = next((m.get("content") for m in messages or () if isinstance(m, Mapping) and m.get("role") == "user"),
                    None)
        if isinstance(text, str) and text.strip() and text not in found:
            found.append(text)
            if n is not None and len(found) >= n:
                break
    return found
