"""PII redaction with typed placeholders: [EMAIL], [PHONE], [CARD], [IP], [URL], [NAME].

Detectors, in order: URLs that carry secrets (tokens, keys, signatures in the query or a long random path segment),
e-mail addresses (except role addresses such as ``help@`` or ``support@``, which name no person), payment-card
numbers (13–19 digits passing the Luhn check), IP addresses (v4 and v6), phone numbers (libphonenumber:
international numbers, and national ones of the `regions` given), and names: the row's own name columns (e.g.
``customer_name``, ``agent_name``), a configurable name list, names in greetings and sign-offs ("Hi Maria,", "Hey
there, Victor!", "Thanks, John") and in introductions ("I'm Dana.", "Chris here."). A name found anywhere in a
conversation is redacted in all its messages (``apply``), so the agent's "Hey there, Dana!" goes with the customer's
"I'm Dana".

    >>> RedactPII().clean("Hi Maria, call +1 415-555-0132 or mail maria.l@example.com; card 4111 1111 1111 1111", {}).text
    'Hi [NAME], call [PHONE] or mail [EMAIL]; card [CARD]'
    >>> RedactPII().clean("Hi, I'm Dana. Or write to help@brewtiful.example", {}).text
    "Hi, I'm [NAME]. Or write to help@brewtiful.example"
    >>> RedactPII().clean("Reset here: https://brewtiful.example/reset?token=9f8a7b6c5d4e3f2a1b0c", {}).text
    'Reset here: [URL]'
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Mapping, Sequence

import phonenumbers

import pandas as pd

from .steps import Keep, RowStep, StepOutcome, records

__all__ = ["RedactPII", "luhn_ok", "ROLE_MAILBOXES", "EMAIL", "GREETING_NAME", "NOT_NAMES"]

_CONVERSATION_NAMES = "__nbtools_conversation_names__"

_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)
_SECRET_PARAM = re.compile(
    r"[?&#](?:token|access_token|auth|key|api_key|apikey|secret|sig|signature|password|pwd|session|sid|code|otp|"
    r"reset|verify|jwt)=", re.IGNORECASE)
_RANDOM_SEGMENT = re.compile(r"/[A-Za-z0-9_\-]{24,}(?:/|$|\?)")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d\-])(?:\d[ \-]?){12,18}\d(?![\d\-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_NAME = r"(?!I\b|I')[A-Z][a-z'\-]+"
# Greetings / sign-offs followed by a capitalised name: "Hi Maria,", "Hey there, Victor!", "Thanks, John".
GREETING_NAME = re.compile(
    r"\b(?P<lead>(?:Hi|Hello|Hey(?: there)?|Dear|Thanks|Thank you|Many thanks|Cheers|(?:Best |Kind |Warm )?[Rr]egards|"
    r"Best|Sincerely)"
    r"(?:,)?\s+(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?)"
    rf"(?P<name>{_NAME}(?:\s+{_NAME})?)(?=\s*[,!.\n]|\s*$)")
# Introductions: "I'm Dana.", "my name is Olivia,", "Chris here." (at the start of a message or sentence).
_INTRO_NAME = re.compile(
    rf"(?:\b(?:I'm|I am|[Mm]y name is|[Mm]y name's|[Tt]his is)\s+(?P<name>{_NAME})"
    rf"|(?:^|(?<=[.!?,]\s))(?P<here>{_NAME}) here)(?=\s*[,!.\n]|\s*$)")
_INTRO_WORDS = ("I'm", "I am", "y name is", "y name's", "his is", " here")  # each introduction needs one
NOT_NAMES = frozenset({
    "There", "Team", "Everyone", "All", "Again", "Support", "Brewtiful", "So", "For", "You", "Customer", "Sir",
    "Madam", "Friend", "Friends", "Folks", "Guys", "Click", "Reply", "Tap", "Sign", "Start", "Look", "Right", "Help",
    "Check", "Read", "Order", "Everything", "Nothing", "Sorry", "Back", "Still", "Not", "Just", "Also", "Here",
    "Bye", "Perfect", "Great", "Awesome", "Cool", "Okay", "Ok", "Much", "Coffee", "Brewbot"})
# Shared mailboxes (RFC 2142 and common help-desk ones): they name a team, not a person.
ROLE_MAILBOXES = frozenset({
    "help", "support", "info", "contact", "hello", "sales", "orders", "billing", "service", "customerservice",
    "care", "team", "admin", "noreply", "no-reply", "press", "returns", "feedback", "privacy", "legal",
    "webmaster", "postmaster", "abuse", "security"})


# Cheap exact pre-checks (issue 10: a million messages). libphonenumber's matcher finds a number only inside a run
# of digits joined by its punctuation (spaces, dashes, dots, brackets, slashes, "x", the katakana dash "ー"): a VALID
# number has at least the shortest national length of the regions given (US 10, GB 7) or, written
# internationally, a plus sign ("+44 …"; an international call prefix such as 00 or 011 adds digits). A text
# with no plus sign and no such run of that many digits has no phone number, so the matcher is not run on it.
_PLUS = ("+", "\uff0b")
_DECIMAL = re.compile(r"\d")  # str.isdecimal()'s characters: \d in a str pattern is Unicode category Nd


@lru_cache(maxsize=64)
def _min_phone_digits(regions: tuple[str, ...]) -> int:
    """Fewest digits a VALID number without a plus sign can have for `regions` (at most 7, the international
    minimum of country code + number after a one-digit call prefix; one less where a region rewrites prefixes)."""
    from phonenumbers import PhoneMetadata

    shortest = 7
    for region in regions:
        meta = PhoneMetadata.metadata_for_region(str(region).upper())
        if meta is None:
            return 1  # unknown region: no shortcut, the matcher decides
        desc = meta.general_desc
        lengths = [n for n in (desc.possible_length if desc is not None else ()) if n > 0] or [1]
        shortest = min(shortest, min(lengths) - (1 if meta.national_prefix_transform_rule else 0))
    return max(shortest, 1)


def _may_hold_phone(text: str, min_digits: int) -> bool:
    """False only when `text` certainly holds no phone number the matcher would accept."""
    if any(p in text for p in _PLUS):
        return True
    return _digit_run(min_digits).search(text) is not None


@lru_cache(maxsize=16)
def _digit_run(min_digits: int) -> re.Pattern:
    """`min_digits` digits joined only by the matcher's punctuation (spaces, dashes, dots, brackets, x, ー …)."""
    return re.compile(rf"(?:\d[\W_xXー]*){{{min_digits - 1}}}\d")


def _phone_spans(text: str, region: str, min_digits: int) -> list[tuple[int, int]]:
    """(start, end) of every VALID phone number libphonenumber's matcher finds in `text` for `region`.

    The matcher's candidates never cross a line break, and it treats a line break before or after a candidate as
    it treats the text's start or end, so each line that may hold a number is matched alone (cached: pasted logs
    and signatures repeat lines across messages). The one thing lines share is the matcher's budget of 65,535
    failed tries per text: when the lines' tries, plus an upper bound for the skipped lines (13 per character),
    could reach it, the text is matched whole, as before.
    """
    if not _may_hold_phone(text, min_digits):
        return []
    if "\n" in text:
        spans, tries, offset = [], 0, 0
        for line in text.split("\n"):
            if _may_hold_phone(line, min_digits):
                found, used = _matched(line, region)
                spans += [(offset + start, offset + end) for start, end in found]
                tries += used
            else:
                tries += 13 * len(line)
            offset += len(line) + 1
        if tries < _MAX_TRIES:
            return spans
    return list(_matched(text, region)[0])


_MAX_TRIES = 65535  # PhoneNumberMatcher's default max_tries


@lru_cache(maxsize=8192)  # per worker, like text._fix_segment's: bounded memory at a million messages
def _matched(text: str, region: str) -> tuple[tuple[tuple[int, int], ...], int]:
    """The matcher's spans in one text or line and the tries it used (the whole budget when it cannot say)."""
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID,
                                              max_tries=_MAX_TRIES)
    spans = tuple((m.start, m.end) for m in matcher)
    left = getattr(matcher, "_max_tries", None)
    return spans, (_MAX_TRIES - left if isinstance(left, int) else _MAX_TRIES)


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern:
    """The pattern redacting one name (a whole word, not inside a placeholder); the last 4,096 names' patterns are
    kept (a compiled pattern takes ~1.5 KB: a million messages' distinct names would hold ~100 MB per worker)."""
    return re.compile(rf"(?<![\w\[]){re.escape(name)}(?![\w\]])")


def luhn_ok(digits: str) -> bool:
    """True when `digits` passes the Luhn checksum used by payment cards.

    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total, double = 0, False
    for ch in reversed(digits):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class RedactPII(RowStep):
    """Replace personal data with typed placeholders; the reason lists what kinds were found."""

    regions: Sequence[str] = ("US", "GB")
    name_columns: Sequence[str] = ("customer_name", "agent_name", "name", "customer", "agent")
    names: frozenset[str] = frozenset()
    redact_greeting_names: bool = True
    conversation_names: bool = True  # a name found in one message is redacted in its whole conversation
    keep_role_addresses: bool = True  # help@…, support@…: a team's address, not a person's
    redact_all_urls: bool = False
    placeholders: Mapping[str, str] = field(default_factory=lambda: {
        k: f"[{k}]" for k in ("EMAIL", "PHONE", "CARD", "IP", "URL", "NAME")})
    pii_columns: Sequence[tuple[str, str]] = (
        ("customer_email", "EMAIL"), ("email", "EMAIL"), ("customer_name", "NAME"), ("agent_name", "NAME"),
        ("name", "NAME"), ("phone", "PHONE"), ("customer_phone", "PHONE"), ("ip", "IP"), ("ip_address", "IP"))
    name: ClassVar[str] = "redact_pii"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        """Redact the text of every row, then blank whole PII columns (``customer_email`` …) with placeholders."""
        work = table
        if self.conversation_names and len(table):
            found: dict[str, set[str]] = {}
            for r in records(table):
                text = r["text"] if isinstance(r["text"], str) else ""
                found.setdefault(r["conversation_id"], set()).update(self._names_in(text, r))
            work = table.assign(**{_CONVERSATION_NAMES: [frozenset(found[c]) for c in table.conversation_id]})
        outcome = super().apply(work)
        out = outcome.table.drop(columns=[_CONVERSATION_NAMES], errors="ignore")
        for column, kind in self.pii_columns:
            if column in out.columns:
                out[column] = out[column].where(out[column].isna(), self.placeholders[kind])
        return StepOutcome(out, outcome.changes)

    def clean(self, text: str, row: Mapping) -> Keep:
        found: dict[str, int] = {}
        out = self._redact(text, row, found, None)
        reason = "redacted " + ", ".join(f"{n} {k}" for k, n in found.items()) if found else ""
        return Keep(out, reason)

    def found_values(self, table: pd.DataFrame) -> frozenset[str]:
        """The values this step would redact in `table` (its text and PII columns), for
        :func:`nbtools.pseudonymize`'s ``avoid``, so that no pseudonym equals an original. Use it in memory only:
        the set holds personal data and must never be written anywhere.

        >>> table = pd.DataFrame({"row_id": ["a"], "conversation_id": ["c"],
        ...                       "text": ["I'm Dana, card 4111 1111 1111 1111"], "customer_email": ["d@mail.org"]})
        >>> sorted(RedactPII().found_values(table))
        ['4111 1111 1111 1111', 'Dana', 'd@mail.org']
        """
        values: set[str] = set()
        work = table
        if self.conversation_names and len(table):
            names: dict[str, set[str]] = {}
            for r in records(table):
                text = r["text"] if isinstance(r["text"], str) else ""
                names.setdefault(r["conversation_id"], set()).update(self._names_in(text, r))
            work = table.assign(**{_CONVERSATION_NAMES: [frozenset(names[c]) for c in table.conversation_id]})
        for r in records(work):
            self._redact(r["text"] if isinstance(r["text"], str) else "", r, {}, values)
            columns = (r.get(c) for c, _ in self.pii_columns)
            values.update(v.strip() for v in columns
                          if isinstance(v, str) and v.strip() and v.strip() not in self.placeholders.values())
        return frozenset(values)

    def _redact(self, text: str, row: Mapping, found: dict[str, int], collect: set[str] | None) -> str:
        """`text` with every detected value replaced by its placeholder; counts go to `found`, values (when asked
        for, by found_values) to `collect`."""

        def sub(kind: str, pattern: re.Pattern, value: str, keep=lambda m: True) -> str:
            def repl(match: re.Match) -> str:
                if not keep(match):
                    return match.group(0)
                found[kind] = found.get(kind, 0) + 1
                if collect is not None:
                    collect.add(match.group(0))
                return self.placeholders[kind]
            return pattern.sub(repl, value)

        out = text
        if "://" in out:  # every pre-check below is a character the pattern cannot match without
            out = sub("URL", _URL, out, lambda m: self.redact_all_urls or bool(
                _SECRET_PARAM.search(m.group(0)) or _RANDOM_SEGMENT.search(m.group(0))))
        if "@" in out:
            out = sub("EMAIL", EMAIL, out, lambda m: not (
                self.keep_role_addresses and m.group(0).split("@")[0].lower() in ROLE_MAILBOXES))
        if _DECIMAL.search(out):
            out = sub("CARD", _CARD, out, lambda m: luhn_ok(re.sub(r"\D", "", m.group(0))))
            if "." in out:
                out = sub("IP", _IPV4, out, lambda m: _valid_ip(m.group(0)))
        if out.count(":") >= 2:
            out = sub("IP", _IPV6, out, lambda m: _valid_ip(m.group(0)) and m.group(0).count(":") >= 2)
        out = self._phones(out, found, collect)
        return self._names(out, row, found, collect, scanned=out == text)

    def _phones(self, text: str, found: dict[str, int], collect: set[str] | None = None) -> str:
        count = 0
        min_digits = _min_phone_digits(tuple(self.regions))
        for region in self.regions:
            spans = _phone_spans(text, region, min_digits)
            for start, end in reversed(spans):
                if collect is not None:
                    collect.add(text[start:end])
                text = text[:start] + self.placeholders["PHONE"] + text[end:]
            count += len(spans)
        if count:
            found["PHONE"] = found.get("PHONE", 0) + count
        return text

    def _names_in(self, text: str, row: Mapping) -> set[str]:
        """Names this row reveals: its name columns, the configured list, greeting and introduction names."""
        names = set(self.names)
        for column in self.name_columns:
            value = row.get(column)
            if isinstance(value, str) and value.strip():
                names.add(value.strip())
        if self.redact_greeting_names:
            names.update(m.group("name") for m in GREETING_NAME.finditer(text))
            if any(w in text for w in _INTRO_WORDS):
                names.update(m.group("name") or m.group("here") for m in _INTRO_NAME.finditer(text))
        names = {n for n in names if n.split()[0] not in NOT_NAMES}
        return names | {part for n in names for part in n.split() if len(part) > 1 and part not in NOT_NAMES}

    def _names(self, text: str, row: Mapping, found: dict[str, int], collect: set[str] | None = None, *,
               scanned: bool = False) -> str:
        conversation = row.get(_CONVERSATION_NAMES)
        if conversation is not None and scanned:
            # apply() found this very text's names (same text, same row) and they are among its conversation's
            names = set(conversation)
        else:
            names = self._names_in(text, row) | set(conversation or ())
        count = 0
        for name in sorted(names, key=len, reverse=True):
            if name not in text:
                continue
            text, n = _name_pattern(name).subn(self.placeholders["NAME"], text)
            count += n
            if n and collect is not None:
                collect.add(name)
        if count:
            found["NAME"] = found.get("NAME", 0) + count
        return text
