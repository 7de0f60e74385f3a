"""The few chat calls the voice tools make, through any client with ``.chat.completions.create`` (openai.OpenAI).

The client is always passed in (the local server's ``local_client()`` by default in the notebooks); nothing here
reads keys or settings. API failures become :class:`~nbtools.errors.BackendError` naming the model.
"""

from __future__ import annotations

from typing import Any, Iterator

import openai

from ..errors import BackendError

__all__ = ["chat_messages", "stream_reply", "complete", "model_ids"]


def chat_messages(system: str | None, prompt: str) -> list[dict[str, str]]:
    """Chat messages for one prompt, with a system message when `system` is not blank.

    >>> chat_messages("Be brief.", "Hi")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    >>> chat_messages("  ", "Hi")
    [{'role': 'user', 'content': 'Hi'}]
    """
    messages = [{"role": "system", "content": system}] if system and system.strip() else []
    return messages + [{"role": "user", "content": prompt}]


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


def complete(
    client: Any, model: str, messages: list[dict[str, Any]], *, max_tokens: int = 80, temperature: float = 0.0,
    **params: Any,
) -> str:
    """The reply's text, without streaming."""
    try:
        response = client.chat.completions.create(
            model=model, messages=messages, max_tokens=max_tokens, temperature=temperature, **params
        )
    except openai.OpenAIError as exc:
        raise BackendError(f"chat with model {model!r} failed: {exc}") from exc
    return response.choices[0].message.content or ""


def model_ids(client: Any) -> list[str]:
    """Ids of the models the backend serves, sorted (base models before ``ft:`` models)."""
    try:
        ids = [m.id for m in client.models.list()]
    except openai.OpenAIError as exc:
        raise BackendError(f"listing models failed: {exc}") from exc
    return sorted(ids, key=lambda i: (i.startswith("ft:"), i))
