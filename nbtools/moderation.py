"""An offline moderation classifier shaped like OpenAI's, labelled honestly as a local approximation.

It is NOT OpenAI's moderation model. What it estimates:

- ``harassment``: the probability of offensive language from ``alt-profanity-check`` (a linear SVM over word
  n-grams trained on public toxic-comment data), for any offensive text, aimed at someone or not;
- ``harassment/threatening`` and ``violence``: that score, raised when a short list of threat phrases matches;
- ``self-harm`` and ``self-harm/intent``: a short list of self-harm phrases;
- every other category (hate, illicit, sexual, …) is reported as 0.0: this classifier cannot judge them.

The classifier is an object passed to whoever needs it, like the server's chat engine: the corpus safety screen
(``SafetyScreen(moderator=...)``) and the local server's ``/v1/moderations`` (``create_app(config,
moderator_factory=...)``) take any :class:`Moderator` and default to :class:`OfflineModerator`. Tests hand them a
scripted one; a caller with a real moderation endpoint passes an OpenAI client to the corpus screen instead.
:func:`moderate` is the one-call form.

    >>> [r.flagged for r in moderate(["Thanks, the new grinder works great!", "you are a fucking idiot"])]
    [False, True]
    >>> scripted = OfflineModerator(offensive=lambda texts: [0.7 if "darn" in t else 0.0 for t in texts])
    >>> [r.category_scores["harassment"] for r in scripted.moderate(["darn it", "thanks"])]
    [0.7, 0.0]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence, runtime_checkable

from .errors import InputError

__all__ = [
    "MODEL_NAME",
    "CATEGORIES",
    "ESTIMATED_CATEGORIES",
    "ModerationResult",
    "Moderator",
    "OffensiveScorer",
    "OfflineModerator",
    "moderate",
    "profanity_scorer",
]

MODEL_NAME = "nbtools-offline-moderation-approx-1"

CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

ESTIMATED_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "self-harm",
    "self-harm/intent",
    "violence",
)

_THREAT = re.compile(
    r"\b(i(?:'| wi)ll (?:kill|hurt|find|beat|destroy) (?:you|u)|(?:kill|hurt|shoot|stab) (?:you|u|yourself)\b"
    r"|you(?:'re| are) (?:dead|going to die)|watch your back)",
    re.IGNORECASE,
)
_SELF_HARM = re.compile(
    r"\b(kill myself|end my life|hurt myself|suicid\w*|want to die|self[- ]harm)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class ModerationResult:
    """One input's verdict over OpenAI's 13 category keys (scores in [0, 1])."""

    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]


# texts -> probability that each is offensive language, in [0, 1]
OffensiveScorer = Callable[[list[str]], Sequence[float]]


@runtime_checkable
class Moderator(Protocol):
    """What the safety screen and the server's moderation route call: a model name and :meth:`moderate`."""

    name: str

    def moderate(self, texts: Sequence[str], *, threshold: float = 0.5) -> list[ModerationResult]:
        """One verdict per text, in order."""
        ...


def profanity_scorer() -> OffensiveScorer:
    """alt-profanity-check's ``predict_prob`` (importing it loads its scikit-learn model)."""
    from profanity_check import predict_prob

    return predict_prob


# Cheap exact pre-checks for the phrase lists: each pattern needs one of these words (compared case-insensitively).
# re.IGNORECASE also matches four non-ASCII letters to ASCII ones (checked over every code point: U+0130 İ,
# U+0131 ı, U+017F ſ, U+212A Kelvin sign); a text holding one of them always goes to the patterns.
_THREAT_WORDS = ("kill", "hurt", "find", "beat", "destroy", "shoot", "stab", "dead", "die", "watch your back")
_SELF_HARM_WORDS = ("kill myself", "end my life", "hurt myself", "suicid", "want to die", "self")
_CASE_TWINS = ("\u0130", "\u0131", "\u017f", "\u212a")


def _may_match(text: str, lowered: str | None, words: tuple[str, ...]) -> bool:
    return lowered is None or any(w in lowered for w in words)


def _scores(text: str, offensive: float) -> dict[str, float]:
    scores = dict.fromkeys(CATEGORIES, 0.0)
    lowered = None if any(c in text for c in _CASE_TWINS) else text.lower()
    threat = 1.0 if _may_match(text, lowered, _THREAT_WORDS) and _THREAT.search(text) else 0.0
    self_harm = 1.0 if _may_match(text, lowered, _SELF_HARM_WORDS) and _SELF_HARM.search(text) else 0.0
    scores["harassment"] = offensive
    scores["harassment/threatening"] = max(threat * 0.9, min(offensive, threat))
    scores["violence"] = threat * 0.8
    scores["self-harm"] = self_harm * 0.9
    scores["self-harm/intent"] = self_harm * 0.8
    return {k: round(float(v), 6) if v else 0.0 for k, v in scores.items()}


class OfflineModerator:
    """The offline approximation: an offensive-language score (alt-profanity-check unless `offensive` is given) and the
    threat and self-harm phrase lists, mapped onto OpenAI's 13 categories. The scorer loads on first use and stays
    with this object (make one and pass it around to load the model once)."""

    name = MODEL_NAME

    def __init__(self, offensive: OffensiveScorer | None = None) -> None:
        self._offensive = offensive

    def __repr__(self) -> str:
        return f"OfflineModerator(name={self.name!r})"

    def moderate(self, texts: Sequence[str], *, threshold: float = 0.5) -> list[ModerationResult]:
        """Classify each text; a category is flagged when its score reaches `threshold`.

        `texts` -> one ModerationResult per text, in order. Empty strings are never flagged.
        """
        if not 0.0 < threshold <= 1.0:
            raise InputError("threshold must be in (0, 1]", field="threshold", value=threshold)
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return []
        if self._offensive is None:
            self._offensive = profanity_scorer()
        offensive = self._offensive(texts) if any(texts) else [0.0] * len(texts)
        results = []
        for text, prob in zip(texts, offensive):
            scores = _scores(text, float(prob) if text.strip() else 0.0)
            categories = {k: v >= threshold for k, v in scores.items()}
            results.append(ModerationResult(any(categories.values()), categories, scores))
        return results


def moderate(texts: Sequence[str], *, threshold: float = 0.5) -> list[ModerationResult]:
    """:meth:`OfflineModerator.moderate` with a fresh offline classifier (the scikit-learn model itself is loaded
    once per process, by Python's import of alt-profanity-check)."""
    return OfflineModerator().moderate(texts, threshold=threshold)
