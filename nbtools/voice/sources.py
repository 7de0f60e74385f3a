"""Build a voice profile from the documents a brand already has: a Markdown style guide and custom instructions.

The custom-instructions file is read by :func:`nbtools.dataset.read_system_prompts` (its long prompt becomes the
profile's instructions). The style guide names its banned phrases as a list under a heading with "banned" in it (or
quoted after "Banned phrases:" in a paragraph), and states the greeting and the sign-off in quotes in a paragraph or
list item that mentions them ("greet with …", "open with …", "sign-off …"); it is parsed with markdown-it-py, so
lists and tables follow CommonMark (tables are ignored).

    >>> guide = '''# Voice
    ... Warm and concise. Greet with "Hey there!" and end with the sign-off line "Stay grounded! ☕".
    ... ## Banned phrases
    ... - "per our policy"
    ... - calm down
    ... '''
    >>> style = parse_style_guide(guide)
    >>> style.banned_phrases, style.greeting, style.signoff
    (('per our policy', 'calm down'), 'Hey there!', 'Stay grounded! ☕')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from markdown_it import MarkdownIt

from ..dataset.prompts import read_system_prompts
from ..errors import DataFormatError, InputError
from .checks import VoiceThresholds, check_answers
from .profile import VoiceProfile

__all__ = ["StyleGuide", "parse_style_guide", "read_style_guide", "voice_profile_from_files", "pick_example_answers",
           "listed_under", "read_listed_under"]

_QUOTED = re.compile(r'"([^"\n]+)"|“([^”\n]+)”|`([^`\n]+)`')


@dataclass(frozen=True)
class StyleGuide:
    """What a style guide says the checks need: banned phrases, greeting, sign-off, and the voice description."""

    banned_phrases: tuple[str, ...]
    greeting: str
    signoff: str
    tone_notes: str


@dataclass
class _Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def _sections(text: str) -> list[_Section]:
    """Markdown split at headings; each section's paragraphs and list items, in order."""
    sections = [_Section("")]
    tokens = MarkdownIt("commonmark").parse(text)
    depth = 0  # list nesting
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            sections.append(_Section(tokens[i + 1].content.strip()))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            (sections[-1].items if depth else sections[-1].paragraphs).append(token.content.strip())
    return sections


def _unquote(text: str) -> str:
    match = _QUOTED.fullmatch(text.strip().rstrip(".,;"))
    return next(g for g in match.groups() if g) if match else text.strip()


def _quotes(text: str, start: int = 0) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text, start)]


def _blocks(sections: list[_Section]) -> list[str]:
    return [block for s in sections for block in s.paragraphs + s.items]


def _first_quote_near(blocks: list[str], words: Iterable[str]) -> str:
    """The first quoted string after one of `words` in the first paragraph or list item mentioning it."""
    for block in blocks:
        lowered = block.casefold()
        for word in words:
            at = lowered.find(word)
            if at >= 0 and _quotes(block, at):
                return _quotes(block, at)[0]
    return ""


def _banned_phrases(sections: list[_Section]) -> tuple[str, ...]:
    """A list under a heading with "banned" in it, else the quoted phrases after "banned" in a paragraph."""
    for section in sections:
        if "banned" in section.title.casefold() and section.items:
            return tuple(dict.fromkeys(_unquote(item) for item in section.items))
    for block in _blocks(sections):
        at = block.casefold().find("banned")
        if at >= 0 and _quotes(block, at):
            return tuple(dict.fromkeys(_quotes(block, at)))
    return ()


def _tone_notes(sections: list[_Section]) -> str:
    """The rules (list items) of the first voice/tone section that has some, else its paragraphs."""
    voiced = [s for s in sections if re.search(r"voice|tone", s.title, re.I)]
    for section in voiced:
        if section.items:
            return "\n".join("- " + " ".join(item.replace("**", "").split()) for item in section.items)
    for section in voiced:
        if section.paragraphs:
            return "\n\n".join(section.paragraphs).replace("**", "")
    return ""


def parse_style_guide(text: str, *, source: str = "<style guide>") -> StyleGuide:
    """Banned phrases, greeting, sign-off and voice description from a Markdown style guide."""
    sections = _sections(text)
    blocks = _blocks(sections)
    banned = _banned_phrases(sections)
    if not banned:
        raise DataFormatError("no banned phrases found: write them as a list under a heading with 'banned' in it, "
                              'or as quoted phrases after "Banned phrases:"', file=source, field="banned phrases")
    signoff = _first_quote_near(blocks, ("sign-off", "sign off", "signoff"))
    if not signoff:
        raise DataFormatError("no quoted sign-off found (a line mentioning 'sign-off' with the line in quotes)",
                              file=source, field="sign-off")
    return StyleGuide(
        banned_phrases=banned,
        greeting=_first_quote_near(blocks, ("greet", "open with", "start with", "begin with")),
        signoff=signoff,
        tone_notes=_tone_notes(sections),
    )


def _read(path: str | os.PathLike[str]) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path)) from None


def listed_under(text: str, word: str) -> tuple[str, ...]:
    r"""The list items (quotes taken off, each once, in order) under every Markdown heading that contains `word`.

    >>> listed_under('# Puns we like\n- "grounds for"\n- brew-tiful\n# Other\n- x', "pun")
    ('grounds for', 'brew-tiful')
    """
    word = word.casefold()
    return tuple(dict.fromkeys(_unquote(item) for s in _sections(text) if word in s.title.casefold()
                               for item in s.items))


def read_listed_under(path: str | os.PathLike[str], word: str) -> tuple[str, ...]:
    """:func:`listed_under` of a UTF-8 file; a missing or undecodable file raises an error naming it."""
    return listed_under(_read(path), word)


def read_style_guide(path: str | os.PathLike[str]) -> StyleGuide:
    """:func:`parse_style_guide` of a file."""
    return parse_style_guide(_read(path), source=str(path))


def pick_example_answers(
    texts: Iterable[str], profile: VoiceProfile, *, n: int = 8, thresholds: VoiceThresholds = VoiceThresholds()
) -> tuple[str, ...]:
    """The first `n` distinct texts that pass the profile's rule checks (length, banned, elements, sign-off).

    >>> p = VoiceProfile(name="B", required_signoff="Bye!", banned_phrases=("calm down",))
    >>> pick_example_answers(["Calm down, it ships.\\nBye!", "ok", "Your order ships today.\\nBye!"], p)
    ('Your order ships today.\\nBye!',)
    """
    candidates = list(dict.fromkeys(t.strip() for t in texts if isinstance(t, str) and t.strip()))
    rules = ("length", "no_banned", "elements", "signoff")
    chosen = []
    for text, check in zip(candidates, check_answers(candidates, profile, thresholds=thresholds)):
        passes = check.passes()
        if all(passes[r] is not False for r in rules):
            chosen.append(text)
            if len(chosen) == n:
                break
    return tuple(chosen)


def voice_profile_from_files(
    style_guide: str | os.PathLike[str],
    custom_instructions: str | os.PathLike[str],
    *,
    name: str,
    example_answers: Iterable[str] = (),
) -> VoiceProfile:
    """A profile from a style guide and a custom-instructions file: the long prompt as instructions, the guide's
    banned phrases, greeting (a required element) and sign-off."""
    guide = read_style_guide(style_guide)
    prompts = read_system_prompts(custom_instructions)
    return VoiceProfile(
        name=name,
        instructions=prompts.long,
        example_answers=tuple(example_answers),
        banned_phrases=guide.banned_phrases,
        required_signoff=guide.signoff,
        required_elements=(guide.greeting.rstrip("!.,").strip(),) if guide.greeting else (),
        tone_notes=guide.tone_notes,
    )
