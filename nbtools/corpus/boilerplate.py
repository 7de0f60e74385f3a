"""Remove signatures and boilerplate that agents' tools append, keeping the brand's own sign-off.

Three kinds of patterns, all configurable:

- *signature starts*: a line that opens an e-mail signature ("Best regards,", "Kind regards", "--"); it and every
  line after it are cut;
- *boilerplate lines*: lines removed wherever they are ("Sent from my iPhone", confidentiality disclaimers);
- *boilerplate messages*: whole messages that carry nothing to learn from (bot hand-offs such as "An agent will be
  with you shortly.", queue and recording notices): the message is dropped.

Lines matching `keep` (by default the brand sign-off "Stay grounded! ☕") are never touched.

    >>> step = StripBoilerplate()
    >>> step.clean("Hey there! Done.\\n\\nStay grounded! ☕\\n\\nBest regards,\\nMaria Lopez\\nPhone: [PHONE]", {}).text
    'Hey there! Done.\\n\\nStay grounded! ☕'
    >>> step.clean("Hi! I'm Brewbot. An agent will be with you shortly.", {}).reason
    'boilerplate message: bot hand-off'
    >>> step.clean("This chat may be recorded for quality and training purposes.", {}).reason
    'boilerplate message: recording notice'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Mapping

from .steps import Drop, Keep, RowStep

__all__ = ["StripBoilerplate", "DEFAULT_SIGNATURE_STARTS", "DEFAULT_BOILERPLATE_LINES", "DEFAULT_BOILERPLATE_MESSAGES"]

DEFAULT_SIGNATURE_STARTS: tuple[str, ...] = (
    r"(?:best|kind|warm|warmest)?\s*regards,?",
    r"(?:many\s+)?thanks(?: again)?,\s*$",
    r"sincerely,?",
    r"cheers,\s*$",
    r"--\s*",
    r"_{3,}",
)
DEFAULT_BOILERPLATE_LINES: tuple[str, ...] = (
    r"sent from my (?:iphone|ipad|android|galaxy|mobile).*",
    r"(?:confidentiality notice|this (?:e-?mail|message) (?:and any attachments )?(?:is|are) confidential).*",
    r"please consider the environment before printing.*",
    r"get outlook for (?:ios|android).*",
)
DEFAULT_BOILERPLATE_MESSAGES: dict[str, str] = {
    r"(?:hi!?\s*)?(?:i'm|i am) \w+bot\b.*(?:agent|someone) will be with you.*": "bot hand-off",
    r".*(?:an agent|someone) will be with you shortly\.?": "bot hand-off",
    r"(?:thanks|thank you) for (?:waiting|your patience)[,.!]? you(?:'re| are) (?:next|number \d+) in "
    r"(?:line|the queue)[.!]?": "queue notice",
    r"(?:all (?:of )?our agents are (?:currently )?busy|you are (?:number|#) ?\d+ in (?:line|the queue)).*":
        "queue notice",
    r"(?:this|the) (?:chat|conversation|call) (?:may|will) be (?:recorded|monitored).*": "recording notice",
    r"(?:this chat|the conversation) (?:has been|was) (?:transferred|closed).*": "chat system notice",
    r"(?:customer|visitor) (?:left|disconnected)(?: the chat)?\.?": "chat system notice",
}


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    """Line patterns (whole line, surrounding spaces allowed, any case), compiled once per pattern list."""
    return tuple(re.compile(rf"^\s*(?:{p})\s*$", re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=64)
def _compile_messages(patterns: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern, str], ...]:
    """Whole-message patterns with their labels, compiled once per list."""
    return tuple((re.compile(p, re.IGNORECASE), label) for p, label in patterns)


@dataclass(frozen=True)
class StripBoilerplate(RowStep):
    """Cut signature blocks and boilerplate lines; drop messages that are nothing but boilerplate."""

    signature_starts: tuple[str, ...] = DEFAULT_SIGNATURE_STARTS
    boilerplate_lines: tuple[str, ...] = DEFAULT_BOILERPLATE_LINES
    boilerplate_messages: tuple[tuple[str, str], ...] = tuple(DEFAULT_BOILERPLATE_MESSAGES.items())
    keep: tuple[str, ...] = (r"stay grounded!?\s*☕?",)
    roles: tuple[str, ...] = ("assistant", "user")
    name: ClassVar[str] = "strip_boilerplate"

    def clean(self, text: str, row: Mapping) -> Keep | Drop:
        if row.get("role", "assistant") not in self.roles:
            return Keep(text)
        flat = " ".join(text.split())
        for pattern, label in _compile_messages(tuple(self.boilerplate_messages)):
            if pattern.fullmatch(flat):
                return Drop(f"boilerplate message: {label}")
        keep = _compile(tuple(self.keep))
        starts, lines = _compile(tuple(self.signature_starts)), _compile(tuple(self.boilerplate_lines))
        out, cut = [], []
        source = text.splitlines()
        for i, line in enumerate(source):
            if any(k.match(line) for k in keep):
                out.append(line)
            elif i > 0 and any(s.match(line) for s in starts):
                cut.append("signature")
                break
            elif any(b.match(line) for b in lines):
                cut.append("boilerplate line")
            else:
                out.append(line)
        if not cut:
            return Keep(text)
        cleaned = "\n".join(out).strip()
        if not cleaned:
            return Drop("nothing but signature / boilerplate")
        return Keep(cleaned, "removed " + " and ".join(sorted(set(cut))))
