"""``/v1/moderations``: the server's moderation classifier (by default the offline approximation of
:mod:`nbtools.moderation`, honestly named), given to the app like the chat engine."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from .. import ids
from ..errors import APIError, bad_request
from ..schemas import ContentPart, ModerationBody
from ..state import get_state

__all__ = ["router", "input_texts"]

router = APIRouter()


def input_texts(value: str | list) -> list[str]:
    """The texts to classify from ``input`` (a string, strings, or text parts; image parts are refused).

    >>> input_texts("hi"), input_texts(["a", "b"])
    (['hi'], ['a', 'b'])
    """
    if isinstance(value, str):
        return [value]
    texts = []
    for i, item in enumerate(value):
        if isinstance(item, ContentPart):
            if item.type != "text" or item.text is None:
                raise bad_request(f"Input part {i} has type {item.type!r}; the local moderation model reads text only.",
                                  param=f"input[{i}]")
            texts.append(item.text)
        else:
            texts.append(item)
    return texts


@router.post("/moderations")
async def moderations(request: Request, body: ModerationBody) -> dict:
    """Classify each input; one result per input, over OpenAI's 13 categories."""
    texts = input_texts(body.input)
    moderator = await run_in_threadpool(get_state(request).moderator)
    try:
        results = await run_in_threadpool(moderator.moderate, texts)
    except ImportError as exc:  # the offline classifier loads alt-profanity-check on first use
        raise APIError(500, f"The offline moderation classifier is not available: {exc}",
                       type="server_error") from None
    return {
        "id": ids.new_id(ids.MODERATION),
        "model": moderator.name,
        "results": [
            {
                "flagged": r.flagged,
                "categories": dict(r.categories),
                "category_scores": dict(r.category_scores),
                "category_applied_input_types": {key: ["text"] for key in r.category_scores},
            }
            for r in results
        ],
    }
