"""Text transforms for the sample generator: the in-voice reply, and the dirt a real export adds to text.

Each function maps text (and, where it needs chance, a seeded `random.Random`) to text; no IO.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class Voice:
    """The brand's greeting and sign-off (brand.yaml)."""

    greeting: str  # "Hey there!"
    greeting_with_name: str  # "Hey there, {name}!"
    sign_off: str  # "Stay grounded! ☕"


def first_name(full_name: str) -> str:
    """'Maria Gonzalez' -> 'Maria'; '' -> ''."""
    return full_name.split()[0] if full_name else ""


def compose_reply(voice: Voice, body: str, name: str = "") -> str:
    """The in-voice reply: greeting (with the first name when known), body, blank line, sign-off.

    >>> compose_reply(Voice("Hey there!", "Hey there, {name}!", "Stay grounded! ☕"), "We ship to Canada.", "Dana")
    'Hey there, Dana! We ship to Canada.\\n\\nStay grounded! ☕'
    """
    greeting = voice.greeting_with_name.format(name=name) if name else voice.greeting
    return f"{greeting} {body}\n\n{voice.sign_off}"


def mojibake(text: str) -> str:
    """UTF-8 text wrongly decoded as cp1252, with typographic apostrophes first ("don't" -> "donâ€™t")."""
    return text.replace("'", "\u2019").encode("utf-8").decode("cp1252")


def email_for(name: str, rng: random.Random, n: int) -> str:
    """A plausible address on a reserved example domain."""
    domain = rng.choice(["example.com", "example.net", "example.org", "mail.example.com"])
    if not name:
        return f"{rng.choice(['beanlover', 'coffeefan', 'morningcup', 'java.jo', 'sleepyhead'])}{n}@{domain}"
    first, *rest = name.lower().replace("'", "").split()
    last = rest[-1] if rest else "x"
    return rng.choice([f"{first}.{last}@{domain}", f"{first[0]}{last}@{domain}", f"{first}{n % 97}@{domain}"])


def to_html(reply: str, rng: random.Random, style: int, footer: str) -> str:
    """An email client's HTML version of a plain reply (paragraphs, <br> lines, or linked account paths)."""
    greeting_body, _, sign_off = reply.rpartition("\n\n")
    escaped = html.escape(greeting_body, quote=False)
    if style == 0:
        out = f"<p>{escaped}</p>\n<p>{html.escape(sign_off, quote=False)}</p>"
    elif style == 1:
        out = f"{escaped}<br><br>{html.escape(sign_off, quote=False)}<br>"
    else:
        linked = re.sub(
            r"Account &gt; ([A-Z][a-z]+(?: [a-z]+)?)",
            lambda m: f'<a href="https://brewtiful.example/account/{m.group(1).lower().replace(" ", "-")}">'
            f"Account &gt; {m.group(1)}</a>",
            escaped,
        )
        if linked == escaped:
            linked = escaped.replace("Brewtiful", '<a href="https://brewtiful.example">Brewtiful</a>', 1)
        out = f'<div dir="ltr"><p>{linked}</p><p>{html.escape(sign_off, quote=False)}</p></div>'
    if rng.random() < 0.5:
        out += "\n" + footer
    return out


def near_duplicate(text: str, rng: random.Random, *, typo: bool) -> str:
    """A typo / whitespace / punctuation variant of `text` (what a customer re-submitting a form produces)."""
    words = text.split(" ")
    choice = rng.randrange(4) if typo else rng.randrange(1, 4)
    if choice == 0:
        long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            return " ".join(words)
    if choice <= 1:
        i = rng.randrange(min(3, len(words) - 1), len(words))  # keep the greeting intact
        words[i] = words[i] + " "
        return " ".join(words) + "  "
    if choice == 2:
        stripped = text.rstrip("?.!")
        return stripped + ("??" if text.endswith("?") else "!!" if text.endswith("!") else "")
    at = text.rfind(", ")  # the last comma, so a greeting "Hey there, Maria!" stays intact
    return text[:at] + " ," + text[at + 2:] if at > 20 else text.rstrip(".?!") + " ."


def machine_log(rng: random.Random, lines: int = 520) -> str:
    """The diagnostic log an agent pasted into a reply: one line per pump reading, an E07 error every 37th line."""
    start = datetime(2026, 6, 14, 7, 58, 0, tzinfo=timezone.utc)
    out = []
    for i in range(lines):
        t = start + timedelta(milliseconds=1150 * i + rng.randrange(0, 900))
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        if i % 37 == 36:
            out.append(f"{stamp} [ERROR] boiler: E07 temperature sensor out of range (reading=-12.0C)")
        else:
            pressure = 8.6 + rng.random()
            temp = 91.5 + 2 * rng.random()
            flow = f"1.{rng.randrange(10)}"
            out.append(f"{stamp} [INFO] pump: pressure={pressure:.2f}bar temp={temp:.1f}C flow={flow}ml/s")
    return "\n".join(out)
