"""A chat model on any OpenAI-compatible backend as a paraphraser of customer questions, for :func:`fact_pairs`.

Off by default: template pairs need no model. With one, each train question of the facts sheet gets up to `n` other
wordings; their pairs keep the sheet's answer, carry ``generator="paraphrase"`` in their provenance and enter the
data only once reviewed (:meth:`FactPairs.reviewed`)::

    paraphrase = nbtools.model_paraphraser(nbtools.connect("local"), "smollm2-135m-instruct", n=2)
    pairs = nbtools.fact_pairs(sheet, paraphrase=paraphrase)
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from ..errors import BackendError, InputError

__all__ = ["model_paraphraser", "parse_paraphrases", "PARAPHRASE_PROMPT"]

PARAPHRASE_PROMPT = ("Rewrite this customer question in {n} different ways a customer might ask it. Keep its "
                     "meaning; one question per line, nothing else.\n\nQuestion: {question}")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def parse_paraphrases(text: str, question: str, n: int) -> list[str]:
    """The first `n` distinct question lines of a model's reply, without bullets or numbers, and not `question`.

    >>> parse_paraphrases("1. How much for express?\\n2) How much for express?\\nSure!\\n- Express price?", "x", 3)
    ['How much for express?', 'Express price?']
    """
    out: list[str] = []
    seen = {question.strip().casefold()}
    for line in (text or "").splitlines():
        line = _BULLET.sub("", line).strip().strip('"').strip()
        if not line.endswith("?") or len(line) < 8 or line.casefold() in seen:
            continue
        seen.add(line.casefold())
        out.append(line)
        if len(out) == n:
            break
    return out


def model_paraphraser(client: Any, model: str, *, n: int = 2, max_tokens: int = 80,
                      temperature: float = 0.7, seed: int | None = 0) -> Callable[[str], Sequence[str]]:
    """A function question -> up to `n` paraphrases, asking `model` through `client` (an ``openai.OpenAI``)."""
    if n < 1:
        raise InputError("n must be at least 1", field="n", value=n)

    def paraphrase(question: str) -> list[str]:
        import openai

        try:
            reply = client.chat.completions.create(
                model=model, max_tokens=max_tokens, temperature=temperature, seed=seed,
                messages=[{"role": "user", "content": PARAPHRASE_PROMPT.format(n=n, question=question)}])
        except openai.APIConnectionError:
            raise BackendError(f"the paraphrasing model {model!r} cannot be reached at {client.base_url}") from None
        except openai.APIStatusError as exc:
            raise BackendError(f"the backend at {client.base_url} refused to paraphrase with {model!r}: "
                               f"HTTP {exc.status_code}") from None
        return parse_paraphrases(reply.choices[0].message.content or "", question, n)

    return paraphrase
