"""Voice profiles from a brand's own documents: style guide and custom instructions (Markdown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.errors import DataFormatError, InputError
from nbtools.voice import VoiceProfile
from nbtools.dataset import read_system_prompts
from nbtools.voice.sources import parse_style_guide, pick_example_answers, voice_profile_from_files

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"

GUIDE = """# Brewtiful Coffee Co. style guide

## Voice and tone
Warm, concise, never blames the customer. At most one light coffee pun.

## Do
- Greet with "Hey there!" (or "Hey there, <first name>!").
- End every reply with the sign-off line “Stay grounded! ☕”.

## Banned phrases
- "per our policy"
- “unfortunately you”
- `calm down`
- as previously stated
- "per our policy"

## Facts
| Plan | Price |
|---|---|
| Starter | $18 |
"""

INSTRUCTIONS = """# Custom instructions

Intro text with an unrelated block:

```
not a prompt
```

## Long custom instructions

```text
You are the support assistant of Brewtiful Coffee Co.
Rules:
- Greet with "Hey there!"
```

## Short prompt

```
You are Brewtiful Coffee's support assistant.
```
"""


# The sample style guide's way of saying the same: rules as a numbered list, banned phrases inline, a table.
INLINE_GUIDE = """# Support voice and style guide

## The voice in three rules

1. **Open with "Hey there!"** — or "Hey there, <first name>!" when we know
   the customer's name.
2. **Never blame the customer.**
3. **Close with the sign-off line `Stay grounded! ☕`** on its own last line.

| do | don't |
|---|---|
| "I've refunded it." | "Per our policy, refunds take…" |

**Banned phrases:** "per our policy", "unfortunately you", "calm down",
"as previously stated".
"""


@pytest.mark.parametrize(
    "text, tone",
    [
        (GUIDE, "Warm, concise, never blames the customer. At most one light coffee pun."),
        (INLINE_GUIDE, '- Open with "Hey there!" — or "Hey there, <first name>!" when we know the customer\'s '
                       "name.\n- Never blame the customer.\n"
                       "- Close with the sign-off line `Stay grounded! ☕` on its own last line."),
    ],
)
def test_style_guide_gives_banned_phrases_greeting_signoff_and_tone(text, tone):
    guide = parse_style_guide(text)
    assert guide.banned_phrases == ("per our policy", "unfortunately you", "calm down", "as previously stated")
    assert (guide.greeting, guide.signoff) == ("Hey there!", "Stay grounded! ☕")
    assert guide.tone_notes == tone


@pytest.mark.parametrize(
    "text, field",
    [("# Guide\nSign-off: \"Bye!\"\n", "banned phrases"), ("## Banned phrases\n- calm down\n", "sign-off")],
)
def test_style_guide_errors_name_what_is_missing(text, field):
    with pytest.raises(DataFormatError) as caught:
        parse_style_guide(text, source="guide.md")
    assert caught.value.field == field


def test_profile_from_files_and_example_picking(tmp_path):
    (tmp_path / "guide.md").write_text(GUIDE, encoding="utf-8")
    (tmp_path / "ci.md").write_text(INSTRUCTIONS, encoding="utf-8")
    replies = [
        "Hey there! Your beans ship in 2 days.\nStay grounded! ☕",
        "Per our policy, no refunds.\nStay grounded! ☕",
        "ok",
        "Hey there, Sam! Pause any time from your account page.\nStay grounded! ☕",
        "Hey there! Your beans ship in 2 days.\nStay grounded! ☕",  # duplicate
        "Hey there! Descale monthly.",
    ]
    bare = voice_profile_from_files(tmp_path / "guide.md", tmp_path / "ci.md", name="Brewtiful")
    assert bare.required_elements == ("Hey there",) and bare.required_signoff == "Stay grounded! ☕"
    assert bare.instructions.startswith("You are the support assistant") and bare.example_answers == ()
    examples = pick_example_answers(replies, bare, n=5)
    assert examples == (replies[0], replies[3])
    assert pick_example_answers(replies, bare, n=1) == (replies[0],)
    profile = voice_profile_from_files(tmp_path / "guide.md", tmp_path / "ci.md", name="Brewtiful",
                                       example_answers=examples)
    assert profile == bare.replace(example_answers=examples)
    with pytest.raises(InputError, match="no such file"):
        voice_profile_from_files(tmp_path / "missing.md", tmp_path / "ci.md", name="B")


def test_the_sample_documents_make_a_usable_profile():
    profile = voice_profile_from_files(SAMPLES / "brand_style_guide.md", SAMPLES / "custom_instructions.md",
                                       name="Brewtiful Coffee")
    assert isinstance(profile, VoiceProfile)
    assert profile.required_signoff == "Stay grounded! ☕"
    assert profile.required_elements == ("Hey there",)
    assert {"per our policy", "calm down"} <= {p.casefold() for p in profile.banned_phrases}
    assert len(profile.instructions) > len(read_system_prompts(SAMPLES / "custom_instructions.md").short)
