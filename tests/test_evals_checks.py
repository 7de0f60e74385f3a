"""Each built-in eval check on a table of crafted answers: the ones that must pass and the ones that must fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.dataset.facts import Fact, FactsSheet
from nbtools.evals import (VoiceRules, fact_check, find_placeholders, no_invented_name, no_loop,
                           no_pii, no_placeholder, stopped_by_itself, voice_check, voice_rules_from_files)
from nbtools.voice import VoiceProfile

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
GOOD = "Hey there! Express shipping takes 1 to 2 business days for $9.95.\n\nStay grounded! ☕"


@pytest.mark.parametrize("finish_reason, passed", [("stop", True), ("length", False), (None, False),
                                                   ("content_filter", False)])
def test_stopped_by_itself(finish_reason, passed):
    verdict = stopped_by_itself("How fast is express?", (), GOOD, finish_reason)
    assert verdict.passed is passed and verdict.reason


@pytest.mark.parametrize("answer, passed", [
    (GOOD, True),
    ("Hey there, [NAME]! We roast [NAME] for [NAME]!", False),
    ("Hi [EMAIL], your card [CARD] was charged.", False),
    ("Hello <PERSON>, thanks for writing.", False),
    ("Hey {{name}}, your beans ship Monday.", False),
    ("Hey {{ customer_name }}!", False),
    ("Dear [ORDER_NUMBER] holder", False),  # any all-capitals bracketed token
    ("Hey there, [name]!", False),           # a known kind in any case
    ("Tap [Pause] under Account > Subscriptions.", True),  # a button label, not a placeholder
    ("Prices are <$20 and >$5.", True),
])
def test_no_placeholder(answer, passed):
    verdict = no_placeholder("Where is my order?", (), answer, "stop")
    assert verdict.passed is passed, verdict
    if not passed:
        assert "placeholder" in verdict.reason and find_placeholders(answer)


@pytest.mark.parametrize("answer, passed, kind", [
    (GOOD, True, None),
    ("Write to help@brewtiful.example any time.", True, None),  # a team address names no person
    ("I mailed dana.k@example.com the label.", False, "EMAIL"),
    ("Call her on +1 415-555-0132 today.", False, "PHONE"),
    ("Your card 4111 1111 1111 1111 was charged.", False, "CARD"),
    ("Your order BC-10234 ships in 48 hours for $9.95.", True, None),
    ("Card ending 4111 1111 1111 1112 is not a card number.", True, None),  # fails the Luhn check
])
def test_no_pii(answer, passed, kind):
    verdict = no_pii("Where is my order?", (), answer, "stop")
    assert verdict.passed is passed, verdict
    if kind:
        assert kind in verdict.reason


@pytest.mark.parametrize("answer, passed", [
    (GOOD, True),
    ("Hey there!\nStay grounded! ☕\nStay grounded! ☕\nStay grounded! ☕", False),  # a line 3 times
    ("Hey there!\nStay grounded! ☕\n\nStay grounded! ☕", True),                  # twice is not a loop
    ("We roast every Monday and Thursday. " * 3, False),                            # 6 words 3 times in one line
    ("We roast every Monday and Thursday. " * 2, True),
    ("so we can roast, so we can roast, so we can roast", True),                    # 4 words: below 6
])
def test_no_loop(answer, passed):
    verdict = no_loop("When do you roast?", (), answer, "stop")
    assert verdict.passed is passed, verdict


@pytest.mark.parametrize("question, context, answer, passed", [
    ("Where is my order?", (), "Hey there! It ships Monday.", True),
    ("Where is my order?", (), "Hey there, Hana! It ships Monday.", False),
    ("Hi, I'm Hana. Where is my order?", (), "Hey there, Hana! It ships Monday.", True),
    ("Where is my order?", ({"role": "user", "content": "Hello, Dana here."},
                            {"role": "assistant", "content": "Hey there, Dana! How can I help?"}),
     "Hey there, Dana! It ships Monday.", True),
    ("Where is my order?", (), "Hi Maria, it ships Monday. Thanks, John", False),
    ("Where is my order?", (), "Hey there, Friend! It ships Monday.", True),  # not a name
])
def test_no_invented_name(question, context, answer, passed):
    verdict = no_invented_name(question, context, answer, "stop")
    assert verdict.passed is passed, verdict


@pytest.fixture(scope="module")
def rules() -> VoiceRules:
    return voice_rules_from_files(SAMPLES / "brand_style_guide.md", SAMPLES / "custom_instructions.md")


def test_voice_rules_come_from_the_style_guide(rules):
    assert rules.profile.required_signoff == "Stay grounded! ☕" and rules.profile.required_elements == ("Hey there",)
    assert "per our policy" in rules.profile.banned_phrases and {"a latte", "perk"} <= set(rules.puns)


@pytest.mark.parametrize("answer, passed, why", [
    (GOOD, True, "in the voice"),
    ("Express takes 1 to 2 business days.\n\nStay grounded! ☕", False, "missing 'Hey there'"),
    ("Hey there! Express takes 1 to 2 business days.", False, "sign-off"),
    ("Hey there! Per our policy, express is $9.95.\n\nStay grounded! ☕", False, "banned 'per our policy'"),
    ("Hey there! Thanks a latte, express is a real perk.\n\nStay grounded! ☕", False, "2 puns"),
    ("Hey there! Thanks a latte for asking.\n\nStay grounded! ☕", True, "in the voice"),
    ("Hey there! " + "Beans " * 130 + "\n\nStay grounded! ☕", False, "words"),
])
def test_voice_check(rules, answer, passed, why):
    verdict = voice_check(rules)("How fast is express?", (), answer, "stop")
    assert verdict.passed is passed and why in verdict.reason, verdict


EXPRESS = Fact("express_shipping", "Express takes 1 to 2 business days for $9.95.", r"\$9\.95",
               (r"\$(?!9\.95)\d+(?:\.\d{2})?\b[^.]*express", r"express[^.]*\$(?!9\.95)\d+"), (), (), ())
CANADA = Fact("international", "International is a flat $14.95.", r"\$14\.95", (r"canada[^.]*\b24 hours",), (), (), ())
SHEET = FactsSheet("Brewtiful", "crafted", (EXPRESS, CANADA))


@pytest.mark.parametrize("answer, passed, why", [
    (GOOD, True, "states express_shipping"),
    ("Hey there! Express costs $9.95 and arrives fast.", True, "states"),
    ("Hey there! Express is quick.", False, "does not state"),
    ("Hey there! Express is $10 for a 28-day stay.", False, "contradicts express_shipping"),
    ("Hey there! It's $9.95. Canada gets it in 24 hours.", False, "contradicts international"),  # another fact
    ("hey there! EXPRESS IS $9.95.", True, "states"),  # case-insensitive
])
def test_fact_check(answer, passed, why):
    verdict = fact_check(EXPRESS, SHEET)("How much is express shipping?", (), answer, "stop")
    assert verdict.passed is passed and why in verdict.reason, verdict


def test_a_voice_check_needs_rules():
    from nbtools.errors import InputError

    with pytest.raises(InputError, match="field voice"):
        voice_check(VoiceProfile("B"))
