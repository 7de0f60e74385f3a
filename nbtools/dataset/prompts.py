"""System prompts kept in a Markdown file: each ``## heading`` section holds one prompt in a fenced code block.

The sample ``custom_instructions.md`` has a "Long custom instructions" section (what a base model needs to imitate
the brand voice) and a "Short prompt" section (what a fine-tuned model gets)::

    >>> text = "# Prompts\\n\\n## Long custom instructions\\n\\n```\\nBe warm.\\nBe brief.\\n```\\n\\n## Short prompt\\n\\n```text\\nYou help.\\n```\\n"
    >>> prompts = parse_system_prompts(text)
    >>> prompts.long, prompts.short
    ('Be warm.\\nBe brief.', 'You help.')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataFormatError, InputError

__all__ = ["SystemPrompts", "parse_system_prompts", "read_system_prompts"]

_SECTION = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
_FENCE = re.compile(r"^(```+|~~~+)[^\n]*\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class SystemPrompts:
    """The long custom instructions and the short prompt, plus every section's prompt by heading."""

    long: str
    short: str
    sections: dict[str, str]


def parse_system_prompts(text: str, *, source: str | None = None) -> SystemPrompts:
    """Prompts from Markdown text: the first fenced block under each ``##`` heading; "long" and "short" are the
    sections whose headings contain those words."""
    sections: dict[str, str] = {}
    headings = list(_SECTION.finditer(text))
    for k, heading in enumerate(headings):
        end = headings[k + 1].start() if k + 1 < len(headings) else len(text)
        block = _FENCE.search(text, heading.end(), end)
        if block:
            sections[heading.group(1)] = block.group(2).strip("\n")
    found = {}
    for word in ("long", "short"):
        matches = [body for title, body in sections.items() if word in title.lower()]
        if not matches:
            raise DataFormatError(f"no '## ...{word}...' section with a fenced code block", file=source,
                                  value=sorted(sections))
        found[word] = matches[0]
    return SystemPrompts(long=found["long"], short=found["short"], sections=sections)


def read_system_prompts(path: str | os.PathLike) -> SystemPrompts:
    """Read and parse a custom-instructions Markdown file (see :func:`parse_system_prompts`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    return parse_system_prompts(path.read_text(encoding="utf-8"), source=str(path))
