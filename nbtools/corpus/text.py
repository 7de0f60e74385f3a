"""Text repair steps: mojibake and Unicode, markup, whitespace, length, language.

    >>> FixUnicode().clean("donâ€™t worry, cafÃ© au lait", {}).text
    "don't worry, café au lait"
    >>> StripMarkup().clean("<p>Hi &amp; welcome!<br>See <a href='https://x.example'>our FAQ</a></p>", {}).text
    'Hi & welcome!\\nSee our FAQ'
    >>> NormalizeWhitespace().clean("  Hello   there \\n\\n\\n\\nbye  ", {}).text
    'Hello there\\n\\nbye'
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Literal, Mapping

import ftfy
import pandas as pd

from .language import classify_texts
from .steps import Drop, Keep, RowStep, Step, StepOutcome, drop_conversations

__all__ = ["FixUnicode", "StripMarkup", "NormalizeWhitespace", "LengthFilter", "LanguageFilter"]


@dataclass(frozen=True)
class FixUnicode(RowStep):
    """Repair mojibake and odd characters with ftfy, then normalise to `form` (NFC keeps accents composed)."""

    form: Literal["NFC", "NFD", "NFKC", "NFKD"] = "NFC"
    name: ClassVar[str] = "fix_unicode"

    def clean(self, text: str, row: Mapping) -> Keep:
        fixed = fix_unicode(text, self.form)
        return Keep(fixed, "repaired mojibake / Unicode" if fixed != text else "")


# Printable ASCII, tab and newline, without "&" (an HTML entity's start): ftfy has nothing to fix in such text
# (mojibake, curly quotes, ligatures, wide characters, C1 controls and surrogates are all non-ASCII; terminal
# escapes, other control characters and "\r" line breaks are excluded) and every normal form leaves it alone.
_PLAIN_ASCII = re.compile(r"[\t\n\x20-\x25\x27-\x7e]*")
_SEGMENT = re.compile(r"[^\n]*\n|[^\n]+")
_Form = Literal["NFC", "NFD", "NFKC", "NFKD"]
_MAX_SEGMENT = 1_000_000  # ftfy's max_decode_length


def fix_unicode(text: str, form: _Form = "NFC") -> str:
    """``unicodedata.normalize(form, ftfy.fix_text(text, normalization=form))``, faster, with the same result.

    ftfy fixes text in independent segments (lines); this does the same, skipping plain-ASCII lines and caching
    the others (sign-offs such as "Stay grounded! ☕" recur in every message). As in ftfy, once a line holds a
    "<" the later lines are not HTML-unescaped.

        >>> fix_unicode("donâ€™t worry\\nStay grounded! ☕")
        "don't worry\\nStay grounded! ☕"
    """
    if _PLAIN_ASCII.fullmatch(text):
        return text
    if len(text) > _MAX_SEGMENT:
        return unicodedata.normalize(form, ftfy.fix_text(text, normalization=form))
    out: list[str] = []
    unescape_html: str | bool = "auto"
    for segment in _SEGMENT.findall(text):
        if unescape_html == "auto" and "<" in segment:
            unescape_html = False
        out.append(segment if _PLAIN_ASCII.fullmatch(segment) else _fix_segment(segment, form, unescape_html))
    return unicodedata.normalize(form, "".join(out))


# 8,192 lines per worker: recurring lines (sign-offs, templates) stay cached; at 65,536 the cache grew each worker by
# ~60-90 MB on a million messages (benchmarks/README.md, fourteenth session)
@lru_cache(maxsize=8192)
def _fix_segment(segment: str, form: _Form, unescape_html: str | bool) -> str:
    return ftfy.fix_text(segment, normalization=form, unescape_html=unescape_html)


_MARKUP_HINT = re.compile(r"<[a-zA-Z/!][^>]*>|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol")


@dataclass(frozen=True)
class StripMarkup(RowStep):
    """Turn HTML into plain text: link text kept, <br>/<p>/<li> become line breaks, entities unescaped."""

    keep_link_urls: bool = False
    name: ClassVar[str] = "strip_markup"

    def clean(self, text: str, row: Mapping) -> Keep:
        if not _MARKUP_HINT.search(text):
            return Keep(text)
        from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(text, "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        if self.keep_link_urls:
            for a in soup.find_all("a", href=True):
                a.append(f" ({a['href']})")
        for tag in soup.find_all(_BLOCK_TAGS):
            tag.insert_before("\n")
            if tag.name != "br":
                tag.insert_after("\n")
        plain = soup.get_text()
        plain = re.sub(r"[ \t]*\n[ \t]*", "\n", plain).strip()
        plain = re.sub(r"\n{3,}", "\n\n", plain)
        return Keep(plain, "stripped HTML markup" if plain != text else "")


@dataclass(frozen=True)
class NormalizeWhitespace(RowStep):
    """Collapse runs of spaces/tabs, trim lines, keep at most `max_blank_lines` blank lines in a row."""

    max_blank_lines: int = 1
    name: ClassVar[str] = "normalize_whitespace"

    def clean(self, text: str, row: Mapping) -> Keep:
        lines = [re.sub(r"[ \t\u00a0\u2000-\u200b\u3000]+", " ", line).strip() for line in text.splitlines()]
        out, blank = [], 0
        for line in lines:
            blank = blank + 1 if not line else 0
            if blank <= self.max_blank_lines:
                out.append(line)
        cleaned = "\n".join(out).strip()
        return Keep(cleaned, "normalised whitespace" if cleaned != text else "")


@dataclass(frozen=True)
class LengthFilter(RowStep):
    """Drop empty, too-short and too-long messages, in characters and (optionally) tokens.

    Defaults suit support corpora: empty anywhere is dropped; an agent reply under 12 characters ("ok", ".") says
    nothing to learn from; anything over 4,000 characters is usually a pasted log. Token limits (`min_tokens`,
    `max_tokens`) count with the tiktoken `encoding` (o200k_base: GPT-4o and later), offline.

        >>> LengthFilter(max_tokens=3).clean("Where is my order, please?", {"role": "user"}).reason
        'too long: 7 tokens > 3 (o200k_base)'
    """

    min_chars: int = 1
    max_chars: int = 4000
    min_chars_by_role: Mapping[str, int] = field(default_factory=lambda: {"assistant": 12})
    min_tokens: int = 0
    max_tokens: int | None = None
    encoding: str = "o200k_base"
    name: ClassVar[str] = "length_filter"

    def clean(self, text: str, row: Mapping) -> Keep | Drop:
        stripped = text.strip()
        if not stripped:
            return Drop("empty message")
        minimum = max(self.min_chars, self.min_chars_by_role.get(row.get("role", ""), 0))
        if len(stripped) < minimum:
            return Drop(f"too short: {len(stripped)} characters < {minimum} (minimum for {row.get('role')} messages)")
        if len(stripped) > self.max_chars:
            return Drop(f"too long: {len(stripped):,} characters > {self.max_chars:,}")
        if self.min_tokens or self.max_tokens is not None:
            tokens = _counter(self.encoding).count_text(stripped)
            if tokens < self.min_tokens:
                return Drop(f"too short: {tokens} tokens < {self.min_tokens} ({self.encoding})")
            if self.max_tokens is not None and tokens > self.max_tokens:
                return Drop(f"too long: {tokens:,} tokens > {self.max_tokens:,} ({self.encoding})")
        return Keep(text)


@lru_cache(maxsize=4)
def _counter(encoding: str):
    from ..tokens import TokenCounter

    return TokenCounter.for_encoding(encoding)


@dataclass(frozen=True)
class LanguageFilter(Step):
    """Keep conversations whose text is in `allowed` languages (py3langid on the whole conversation, a chunk's
    conversations at once: :func:`~nbtools.corpus.language.classify_texts`).

    Short messages are unreliable alone, so the unit is the conversation; one below `min_confidence` is kept and
    left to the other steps rather than dropped on a guess.
    """

    allowed: frozenset[str] = frozenset({"en"})
    min_confidence: float = 0.8
    name: ClassVar[str] = "language_filter"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        texts: dict = {}  # conversation id -> its texts, in table order (as groupby(sort=False) gives them)
        for cid, text in zip(table.conversation_id.tolist(), table.text.tolist()):
            if cid is None or cid != cid:  # groupby leaves out missing ids
                continue
            texts.setdefault(cid, []).append(text)
        joined = {cid: "\n".join(t for t in group if isinstance(t, str)) for cid, group in texts.items()}
        joined = {cid: text for cid, text in joined.items() if text.strip()}
        reasons = {}
        for cid, (lang, confidence) in zip(joined, classify_texts(list(joined.values()))):
            if lang not in self.allowed and confidence >= self.min_confidence:
                reasons[cid] = (f"language {lang!r} (confidence {confidence:.2f}) not in allowed "
                                f"{sorted(self.allowed)}", None)
        return drop_conversations(table, reasons, self.name)

