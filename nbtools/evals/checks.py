"""The built-in checks: each a pure function of (question, context, answer, finish_reason) -> Verdict.

A :class:`Verdict` is a ``(passed, reason)`` pair. Checks that need settings (the voice rules, the fact a question
needs) are made by a factory that returns such a function.

- :func:`stopped_by_itself`: the model ended the answer (finish_reason ``stop``), it was not cut at max_tokens;
- :func:`no_placeholder`: no redaction placeholder (``[NAME]``, ``<PERSON>``, ``{{name}}``, …) in the answer;
- :func:`no_pii`: no e-mail address, phone or payment-card number, found by the corpus cleaner's detectors
  (:class:`nbtools.RedactPII`; team addresses such as ``help@`` are not personal);
- :func:`no_loop`: no line and no 6-word sequence repeated 3 or more times;
- :func:`no_invented_name`: a name in a greeting or sign-off ("Hey there, Hana!") only when the conversation
  gave that name, found with the cleaner's greeting-name pattern;
- :func:`voice_check` (rules): greeting, sign-off, banned phrases and length from the voice profile
  (:func:`nbtools.check_answer`), and at most one pun;
- :func:`fact_check` (fact, sheet): the answer states the fact and contradicts none of the sheet's facts.

    >>> no_loop("Where is my order?", (), "Hey there!\\nStay grounded!\\nStay grounded!\\nStay grounded!", "stop")
    Verdict(passed=False, reason="line 'Stay grounded!' repeated 3 times")
    >>> no_invented_name("Where is my order?", (), "Hey there, Hana! It ships Monday.", "stop").passed
    False
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple, Sequence

from ..corpus.pii import GREETING_NAME, NOT_NAMES, RedactPII
from ..errors import InputError
from ..voice.checks import VoiceThresholds, check_answer, count_words
from ..voice.profile import VoiceProfile
from ..dataset.facts import Fact, FactsSheet

__all__ = ["Verdict", "VoiceRules", "CheckFn", "CHECK_ORDER", "stopped_by_itself", "no_placeholder", "no_pii",
           "no_loop", "no_invented_name", "voice_check", "fact_check", "voice_rules_from_files", "find_placeholders"]


class Verdict(NamedTuple):
    """A check's result: passed or not, and why (a short sentence)."""

    passed: bool
    reason: str


Context = Sequence[Mapping[str, str]]
CheckFn = Callable[[str, Context, str, "str | None"], Verdict]

# The order tables and charts show the checks in.
CHECK_ORDER: tuple[str, ...] = ("stopped", "no_placeholder", "no_pii", "no_loop", "no_invented_name", "voice", "fact")

# The placeholder kinds the corpus cleaner emits, plus the usual names of other redaction tools (NER labels).
_KINDS = sorted({*RedactPII().placeholders, "PERSON", "CUSTOMER", "CUSTOMER_NAME", "FIRST_NAME", "LAST_NAME",
                 "ADDRESS", "LOCATION", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "ORDER_ID", "REDACTED"})
_KIND = "|".join(_KINDS)
_PLACEHOLDER = re.compile(rf"\[(?:{_KIND})(?:_\d+)?\]|<(?:{_KIND})(?:_\d+)?>|\{{\{{\s*(?:{_KIND})\s*\}}\}}",
                          re.IGNORECASE)  # [NAME] [name] <PERSON_1> {{ name }}
_CAPS_TOKEN = re.compile(r"\[[A-Z][A-Z_]{2,}\]")  # any other all-capitals token in brackets: [ORDER_NUMBER]
_PII_KINDS = ("EMAIL", "PHONE", "CARD")
_PII_FINDER = RedactPII(redact_greeting_names=False, conversation_names=False, name_columns=(), pii_columns=(),
                        placeholders={k: f"\x00{k}\x00" for k in RedactPII().placeholders})
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LOOP_WORDS, _LOOP_TIMES = 6, 3


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def stopped_by_itself(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
    """Passes when the backend says the model stopped (``stop``), not cut at the token limit (``length``).

    >>> stopped_by_itself("Hi?", (), "Hey there", "length")
    Verdict(passed=False, reason="cut at max_tokens (finish_reason 'length')")
    """
    if finish_reason == "stop":
        return Verdict(True, "stopped by itself")
    return Verdict(False, f"cut at max_tokens (finish_reason {finish_reason!r})" if finish_reason == "length"
                   else f"did not stop by itself (finish_reason {finish_reason!r})")


def find_placeholders(text: str) -> list[str]:
    """The redaction placeholders in `text`.

    >>> find_placeholders("Hi [NAME], mail <person> or {{ name }}; [order] stays; so does [Note].")
    ['[NAME]', '<person>', '{{ name }}']
    """
    spans = {m.span(): m.group(0) for pattern in (_PLACEHOLDER, _CAPS_TOKEN) for m in pattern.finditer(text)}
    return [spans[span] for span in sorted(spans)]


def no_placeholder(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
    """Passes when the answer holds no redaction placeholder (see :func:`find_placeholders`).

    >>> no_placeholder("Hi?", (), "Hey there, [NAME]!", "stop")
    Verdict(passed=False, reason="placeholder '[NAME]'")
    """
    found = find_placeholders(answer)
    if found:
        return Verdict(False, "placeholder " + ", ".join(_quote(t) for t in dict.fromkeys(found)))
    return Verdict(True, "no placeholder")


def no_pii(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
    """Passes when the corpus cleaner finds no e-mail address, phone or card number in the answer.

    >>> no_pii("Hi?", (), "Write to help@brewtiful.example or dana.k@example.com", "stop")
    Verdict(passed=False, reason='EMAIL found')
    """
    redacted = _PII_FINDER.clean(answer, {}).text
    kinds = [k for k in _PII_KINDS if f"\x00{k}\x00" in redacted]
    return Verdict(False, ", ".join(kinds) + " found") if kinds else Verdict(True, "no personal data")


def no_loop(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
    """Passes unless a line, or a sequence of 6 words, occurs 3 or more times.

    >>> no_loop("Hi?", (), "So we can roast it for you, so we can roast it for you, so we can roast it for you!", "stop")
    Verdict(passed=False, reason="words 'so we can roast it for' repeated 3 times")
    """
    shown: dict[str, str] = {}
    for raw in answer.splitlines():
        if raw.strip():
            shown.setdefault(" ".join(raw.split()).casefold(), raw.strip())
    lines = Counter(" ".join(raw.split()).casefold() for raw in answer.splitlines() if raw.strip())
    line, times = max(lines.items(), key=lambda kv: kv[1], default=("", 0))
    if times >= _LOOP_TIMES:
        return Verdict(False, f"line {_quote(shown[line])} repeated {times} times")
    words = [w.casefold() for w in _WORDS.findall(answer)]
    grams = Counter(tuple(words[i:i + _LOOP_WORDS]) for i in range(len(words) - _LOOP_WORDS + 1))
    gram, times = max(grams.items(), key=lambda kv: kv[1], default=((), 0))
    if times >= _LOOP_TIMES:
        return Verdict(False, f"words {_quote(' '.join(gram))} repeated {times} times")
    return Verdict(True, "no repetition")


def _conversation_text(question: str, context: Context) -> str:
    return "\n".join([str(m.get("content", "")) for m in context] + [question])


def no_invented_name(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
    """Passes when every name the answer greets or signs off to ("Hey there, Hana!") was given in the conversation.

    >>> no_invented_name("Hi, I'm Hana. Where is my order?", (), "Hey there, Hana! It ships Monday.", "stop")
    Verdict(passed=True, reason='no invented name')
    """
    said = {w.casefold() for w in _WORDS.findall(_conversation_text(question, context))}
    invented = []
    for match in GREETING_NAME.finditer(answer):
        name = match.group("name")
        if name.split()[0] in NOT_NAMES:
            continue
        if not all(part.casefold() in said for part in name.split()):
            invented.append(match.group(0).strip())
    if invented:
        return Verdict(False, "addresses a name the conversation never gave: " + ", ".join(map(_quote, invented)))
    return Verdict(True, "no invented name")


@dataclass(frozen=True)
class VoiceRules:
    """The voice rules an answer must follow: the profile's greeting (a required element), sign-off, banned
    phrases and length (`thresholds`), and at most `max_puns` of the `puns`."""

    profile: VoiceProfile
    puns: tuple[str, ...] = ()
    max_puns: int = 1
    thresholds: VoiceThresholds = field(default_factory=VoiceThresholds)


def _count_puns(answer: str, puns: Sequence[str]) -> list[str]:
    lowered = answer.casefold()
    return [p for p in puns for _ in re.finditer(rf"(?<!\w){re.escape(p.casefold())}", lowered)]


def voice_check(rules: VoiceRules) -> CheckFn:
    """A check of the voice rules (greeting, sign-off, banned phrases, length, puns).

    >>> rules = VoiceRules(VoiceProfile("B", required_signoff="Stay grounded! ☕", required_elements=("Hey there",)),
    ...                    puns=("a latte", "perk"))
    >>> voice_check(rules)("Hi?", (), "Hey there! Thanks a latte, it's a perk.\\n\\nStay grounded! ☕", "stop")
    Verdict(passed=False, reason="2 puns ('a latte', 'perk'); at most 1")
    """
    if not isinstance(rules, VoiceRules):
        raise InputError("expected VoiceRules (nbtools.voice_rules_from_files(...))", field="voice", value=rules)

    def voice(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
        check = check_answer(answer, rules.profile, thresholds=rules.thresholds)
        passes = check.passes()
        problems = []
        if check.missing_elements:
            problems.append("missing " + ", ".join(map(_quote, check.missing_elements)))
        if check.has_signoff is False:
            problems.append(f"last line is not the sign-off {_quote(rules.profile.required_signoff)}")
        if check.banned_found:
            problems.append("banned " + ", ".join(map(_quote, check.banned_found)))
        if not passes["length"]:
            t = rules.thresholds
            problems.append(f"{count_words(answer)} words (want {t.min_words} to {t.max_words})")
        puns = _count_puns(answer, rules.puns)
        if len(puns) > rules.max_puns:
            problems.append(f"{len(puns)} puns ({', '.join(map(_quote, puns))}); at most {rules.max_puns}")
        return Verdict(not problems, "; ".join(problems) or "in the voice")

    return voice


def voice_rules_from_files(style_guide: str | os.PathLike[str], custom_instructions: str | os.PathLike[str], *,
                           name: str = "brand", max_puns: int = 1,
                           thresholds: VoiceThresholds = VoiceThresholds()) -> VoiceRules:
    """Voice rules from the brand's style guide and custom instructions (:func:`nbtools.voice_profile_from_files`);
    the puns are the quoted list items under the style guide's heading that mentions puns."""
    from ..voice.sources import read_listed_under, voice_profile_from_files

    profile = voice_profile_from_files(style_guide, custom_instructions, name=name)
    puns = read_listed_under(style_guide, "pun")
    return VoiceRules(profile, puns, max_puns, thresholds)


def fact_check(fact: Fact, sheet: FactsSheet | None = None) -> CheckFn:
    """A check that the answer states `fact` (matches its pattern) and contradicts none of the sheet's facts.

    >>> express = Fact("express", "Express is $9.95.", r"\\$9\\.95", (r"express[^.]*\\$(?!9\\.95)\\d+",), (), (), ())
    >>> check = fact_check(express, FactsSheet("B", "doc", (express,)))
    >>> check("Express cost?", (), "Express shipping is $9.95.", "stop").passed
    True
    >>> check("Express cost?", (), "Express is $10, or $9.95 on Fridays.", "stop")
    Verdict(passed=False, reason="contradicts express: 'Express is $10'")
    """
    others = sheet.facts if sheet is not None else (fact,)

    def check(question: str, context: Context, answer: str, finish_reason: str | None) -> Verdict:
        for other in others:
            for wrong in other.contradicts:
                match = re.search(wrong, answer, re.IGNORECASE)
                if match:
                    return Verdict(False, f"contradicts {other.id}: {_quote(match.group(0))}")
        if re.search(fact.pattern, answer, re.IGNORECASE):
            return Verdict(True, f"states {fact.id}")
        return Verdict(False, f"does not state {fact.id}: {fact.statement or fact.pattern}")

    return check
