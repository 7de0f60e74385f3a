"""Voice checks: word and token counts, banned phrases, required elements, sign-off, reading level, similarity."""

from __future__ import annotations

import numpy as np
import pyphen
import pytest

from nbtools.tokens import get_encoding
from nbtools.voice import Embedder, VoiceThresholds, VoiceProfile, check_answer, check_answers, reading_level
from nbtools.voice.checks import count_words, find_banned, find_missing, has_signoff

SIGNOFF = "Stay grounded! ☕"
PROFILE = VoiceProfile(
    name="Brewtiful",
    example_answers=(
        "Hey there! You can pause your subscription any time from your account page.\nStay grounded! ☕",
        "Hey there! Refunds reach your card within 5 business days.\nStay grounded! ☕",
    ),
    banned_phrases=("per our policy", "calm down", "unfortunately you", "as previously stated"),
    required_signoff=SIGNOFF,
    required_elements=("Hey there",),
)


@pytest.mark.parametrize(
    "text, words",
    [("", 0), ("Hey there!", 2), ("Don't worry, it's fine.", 4), ("2 bags × 340 g", 4), ("Stay grounded! ☕", 2),
     ("café crème", 2), ("e-mail us_now", 4)],
)
def test_count_words(text, words):
    assert count_words(text) == words


@pytest.mark.parametrize(
    "text, ease",
    [
        # Reference values from the Flesch reading-ease article (Wikipedia, "Flesch–Kincaid readability tests").
        ("The cat sat on the mat.", 116),
        ("This sentence, taken as a reading passage unto itself, is being used to prove a point.", 69),
    ],
)
def test_reading_ease_matches_published_examples(text, ease):
    assert round(reading_level(text).ease) == ease


def test_reading_level_counts_follow_pyphen_and_the_kincaid_formula():
    text = "Hey there! Your espresso machine needs descaling every month.\nStay grounded! ☕"
    level = reading_level(text)
    words = ["Hey", "there", "Your", "espresso", "machine", "needs", "descaling", "every", "month", "Stay", "grounded"]
    dic = pyphen.Pyphen(lang="en_US")
    syllables = sum(dic.inserted(word.lower()).count("-") + 1 for word in words)
    assert (level.sentences, level.words, level.syllables) == (3, len(words), syllables)
    # Kincaid et al. (1975): 0.39 words/sentence + 11.8 syllables/word - 15.59
    assert level.grade == pytest.approx(0.39 * len(words) / 3 + 11.8 * syllables / len(words) - 15.59, abs=0.01)
    assert reading_level("☕ !!!") == reading_level("")


@pytest.mark.parametrize(
    "text, found",
    [
        ("Per our policy, refunds take 5 days.", ("per our policy",)),
        ("PER   OUR\nPOLICY", ("per our policy",)),
        ("Please calm down.", ("calm down",)),
        ("Unfortunately you missed the cut-off.", ("unfortunately you",)),
        ("Unfortunately, you missed the cut-off.", ()),  # the comma breaks the phrase
        ("As previously stated, it ships Monday. Calm down!", ("calm down", "as previously stated")),
        ("We offer a policy per order.", ()),
        ("Hey there! It ships Monday.", ()),
    ],
)
def test_banned_phrases_found_as_whole_phrases(text, found):
    assert find_banned(text, PROFILE.banned_phrases) == found


def test_banned_phrases_ignore_quote_style_and_word_parts():
    assert find_banned("You can’t miss it", ["can't"]) == ("can't",)
    assert find_banned("recalm downtown", ["calm down"]) == ()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hey there! Done.\nStay grounded! ☕", True),
        ("Hey there! Done.\n\nstay grounded! ☕  \n\n", True),
        ("Hey there! Done. Stay grounded! ☕", False),
        ("Stay grounded! ☕\nP.S. see you", False),
        ("Hey there! Done.\nStay grounded!", False),
        ("", False),
    ],
)
def test_signoff_must_be_the_last_line(text, expected):
    assert has_signoff(text, SIGNOFF) is expected


def test_no_signoff_required_is_not_applicable():
    assert has_signoff("anything", "") is None
    check = check_answer("Hey there! It ships Monday.", PROFILE.replace(required_signoff=""))
    assert check.has_signoff is None and check.passes()["signoff"] is None


def test_missing_elements():
    assert find_missing("hey THERE, all good", ["Hey there"]) == ()
    assert find_missing("Hello!", ["Hey there", "Hello"]) == ("Hey there",)


def test_tokens_are_counted_with_tiktoken():
    answer = "Hey there! Your Barista plan ships every 2 weeks.\nStay grounded! ☕"
    assert check_answer(answer, PROFILE).tokens == len(get_encoding("o200k_base").encode_ordinary(answer))


@pytest.mark.parametrize(
    "answer, failing",
    [
        ("Hey there! Your beans ship Monday.\nStay grounded! ☕", set()),
        ("Your beans ship Monday.", {"elements", "signoff"}),
        ("Hey there! Per our policy your beans ship Monday.\nStay grounded! ☕", {"no_banned"}),
        ("Hey!", {"length", "elements", "signoff"}),
        ("Hey there! " + "Your beans ship Monday. " * 40 + "\nStay grounded! ☕", {"length"}),
        ("Hey there! Notwithstanding organisational considerations, institutional reimbursement "
         "documentation necessitates comprehensive verification procedures.\nStay grounded! ☕", {"readable"}),
    ],
)
def test_pass_flags(answer, failing):
    check = check_answer(answer, PROFILE, thresholds=VoiceThresholds(min_words=3, max_words=120, max_grade=9))
    passes = check.passes()
    assert passes["similar"] is None  # no embedder given
    assert {name for name, ok in passes.items() if ok is False} == failing
    assert check.passed is (not failing)
    row = check.as_row()
    assert row["pass_all"] is check.passed and row["banned_found"] == " | ".join(check.banned_found)


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


def test_similarity_is_cosine_to_the_nearest_example(embedder):
    from sentence_transformers import util

    answers = [
        PROFILE.example_answers[1],
        "Hey there! You can pause deliveries whenever you like in your account.\nStay grounded! ☕",
        "The quarterly earnings report shows revenue growth in the semiconductor segment.",
    ]
    checks = check_answers(answers, PROFILE, embedder=embedder)
    model = embedder.model
    reference = util.cos_sim(model.encode(answers), model.encode(list(PROFILE.example_answers))).numpy().max(axis=1)
    assert np.allclose([c.similarity for c in checks], reference, atol=1e-3)
    assert checks[0].similarity == pytest.approx(1.0, abs=1e-3)
    assert checks[1].similarity > 0.6 > checks[2].similarity
    assert (checks[1].passes()["similar"], checks[2].passes()["similar"]) == (True, False)


def test_no_examples_means_no_similarity(embedder):
    assert check_answer("Hey there!", PROFILE.replace(example_answers=()), embedder=embedder).similarity is None
    assert check_answers([], PROFILE, embedder=embedder) == []
