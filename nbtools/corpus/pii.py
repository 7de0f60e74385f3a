"""PII redaction with typed placeholders: [EMAIL], [PHONE], [CARD], [IP], [URL], [NAME].

Detectors, in order: URLs that carry secrets (tokens, keys, signatures in the query or a long random path segment),
e-mail addresses, payment-card numbers (13–19 digits passing the Luhn check), IP addresses (v4 and v6), phone
numbers (libphonenumber: international numbers, and national ones of the `regions` given), and names: the row's own name columns
(e.g. ``customer_name``, ``agent_name``), a configurable name list, and names in greetings and sign-offs
("Hi Maria,", "Hey there, Victor!", "Thanks, John").

    >>> RedactPII().clean("Hi Maria, call +1 415-555-0132 or mail maria.l@example.com; card 4111 1111 1111 1111", {}).text
    'Hi [NAME], call [PHONE] or mail [EMAIL]; card [CARD]'
    >>> RedactPII().clean("Reset here: https://brewtiful.example/reset?token=9f8a7b6c5d4e3f2a1b0c", {}).text
    'Reset here: [URL]'
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import ClassVar, Mapping, Sequence

import phonenumbers

import pandas as pd

from .steps import Keep, RowStep, StepOutcome

__all__ = ["RedactPII", "luhn_ok"]

_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)
_SECRET_PARAM = re.compile(
    r"[?&#](?:token|access_token|auth|key|api_key|apikey|secret|sig|signature|password|pwd|session|sid|code|otp|"
    r"reset|verify|jwt)=", re.IGNORECASE)
_RANDOM_SEGMENT = re.compile(r"/[A-Za-z0-9_\-]{24,}(?:/|$|\?)")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d\-])(?:\d[ \-]?){12,18}\d(?![\d\-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
# Greetings / sign-offs followed by a capitalised name: "Hi Maria,", "Hey there, Victor!", "Thanks, John".
_GREETING_NAME = re.compile(
    r"\b(?P<lead>(?:Hi|Hello|Hey(?: there)?|Dear|Thanks|Thank you|Many thanks|Cheers|(?:Best |Kind |Warm )?[Rr]egards|"
    r"Best|Sincerely)"
    r"(?:,)?\s+(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?)"
    r"(?P<name>[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?)(?=\s*[,!.\n]|\s*$)")
_NOT_NAMES = frozenset({"There", "Team", "Everyone", "All", "Again", "Support", "Brewtiful", "So", "For", "You"})


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
    redact_all_urls: bool = False
    placeholders: Mapping[str, str] = field(default_factory=lambda: {
        k: f"[{k}]" for k in ("EMAIL", "PHONE", "CARD", "IP", "URL", "NAME")})
    pii_columns: Sequence[tuple[str, str]] = (
        ("customer_email", "EMAIL"), ("email", "EMAIL"), ("customer_name", "NAME"), ("agent_name", "NAME"),
        ("name", "NAME"), ("phone", "PHONE"), ("customer_phone", "PHONE"), ("ip", "IP"), ("ip_address", "IP"))
    name: ClassVar[str] = "redact_pii"

    def apply(self, table: pd.DataFrame) -> StepOutcome:
        """Redact the text of every row, then blank whole PII columns (``customer_email`` …) with placeholders."""
        outcome = super().apply(table)
        out = outcome.table
        for column, kind in self.pii_columns:
            if column in out.columns:
                out[column] = out[column].where(out[column].isna(), self.placeholders[kind])
        return StepOutcome(out, outcome.changes)

    def clean(self, text: str, row: Mapping) -> Keep:
        found: dict[str, int] = {}

        def sub(kind: str, pattern: re.Pattern, value: str, keep=lambda m: True) -> str:
            def repl(match: re.Match) -> str:
                if not keep(match):
                    return match.group(0)
                found[kind] = found.get(kind, 0) + 1
                return self.placeholders[kind]
            return pattern.sub(repl, value)

        out = sub("URL", _URL, text, lambda m: self.redact_all_urls or bool(
            _SECRET_PARAM.search(m.group(0)) or _RANDOM_SEGMENT.search(m.group(0))))
        out = sub("EMAIL", _EMAIL, out)
        out = sub("CARD", _CARD, out, lambda m: luhn_ok(re.sub(r"\D", "", m.group(0))))
        out = sub("IP", _IPV4, out, lambda m: _valid_ip(m.group(0)))
        out = sub("IP", _IPV6, out, lambda m: _valid_ip(m.group(0)) and m.group(0).count(":") >= 2)
        out = self._phones(out, found)
        out = self._names(out, row, found)
        reason = "redacted " + ", ".join(f"{n} {k}" for k, n in found.items()) if found else ""
        return Keep(out, reason)

    def _phones(self, text: str, found: dict[str, int]) -> str:
        count = 0
        for region in self.regions:
            spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.VALID)]
            for start, end in reversed(spans):
                text = text[:start] + self.placeholders["PHONE"] + text[end:]
            count += len(spans)
        if count:
            found["PHONE"] = found.get("PHONE", 0) + count
        return text

    def _names(self, text: str, row: Mapping, found: dict[str, int]) -> str:
        names = set(self.names)
        for column in self.name_columns:
            value = row.get(column)
            if isinstance(value, str) and value.strip():
                parts = value.split()
                names.update(p for p in parts if len(p) > 1)
                names.add(value.strip())
        count = 0
        for name in sorted(names, key=len, reverse=True):
            pattern = re.compile(rf"(?<![\w\[]){re.escape(name)}(?![\w\]])")
            text, n = pattern.subn(self.placeholders["NAME"], text)
            count += n
        if self.redact_greeting_names:
            def repl(match: re.Match) -> str:
                nonlocal count
                if match.group("name").split()[0] in _NOT_NAMES:
                    return match.group(0)
                count += 1
                return match.group("lead") + self.placeholders["NAME"]
            text = _GREETING_NAME.sub(repl, text)
        if count:
            found["NAME"] = found.get("NAME", 0) + count
        return text
