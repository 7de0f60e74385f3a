"""The chat calls the voice tools make besides the comparison runner: a streamed reply (the studio) and the models a
backend serves. Through any client with ``.chat.completions.create`` (openai.OpenAI).

The client is always passed in (``nbtools.connect("local")`` in the notebooks); nothing here reads keys or
settings. The messages come from a set-up (:meth:`nbtools.ModelSetup.messages`). API failures become
:class:`~nbtools.errors.BackendError` naming the model. Answers of whole set-ups, cached, come from
:func:`nbtools.run_comparison`, which does not stream.
"""

from __future__ import annotations

from typing import Any, Iterator

import openai

from ..errors import BackendError

__all__ = ["stream_reply", "model_ids"]


def stream_reply(
    client: Any, model: str, messages: list[dict[str, Any]], *, max_tokens: int = 80, temperature: float = 0.0,
    **params: Any,
) -> Iterator[str]:
    """Yield the reply's text as it streams in (chunks without text, like a final usage chunk, are skipped)."""
    try:
        stream = client.chat.completions.create(
            model=model, messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True, **params
        )
        for chunk in stream:
            for choice in chunk.choices or ():
                text = getattr(choice.delta, "content", None)
                if text:
                    yield text
    except openai.OpenAIError as exc:
        raise BackendError(f"chat with model {model!r} failed: {exc}") from exc


def model_ids(client: Any) -> list[str]:
    """Ids of the models the backend serves, sorted (base models before ``ft:`` models)."""
    try:
        ids = [m.id for m in client.models.list()]
    except openai.OpenAIError as exc:
        raise BackendError(f"listing models failed: {exc}") from exc
    return sorted(ids, key=lambda i: (i.startswith("ft:"), i))
