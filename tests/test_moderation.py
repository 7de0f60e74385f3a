"""The offline moderation classifier: OpenAI's category keys, sensible verdicts, honest about what it estimates; its
offensive-language scorer can be injected (the category mapping is then checked exactly)."""

from __future__ import annotations

import pytest

from nbtools.errors import InputError
from nbtools.moderation import CATEGORIES, ESTIMATED_CATEGORIES, MODEL_NAME, Moderator, OfflineModerator, moderate


@pytest.mark.parametrize(
    "text, flagged, category",
    [
        ("Thanks so much, the beans arrived fresh and the grinder works great!", False, None),
        ("Can I pause my subscription for two weeks?", False, None),
        ("This is the worst shit service, you useless fucking idiots", True, "harassment"),
        ("Refund me or I'll kill you", True, "harassment/threatening"),
        ("I want to end my life", True, "self-harm"),
        ("", False, None),
    ],
)
def test_verdicts(text, flagged, category):
    (result,) = moderate([text])
    assert result.flagged is flagged
    if category:
        assert result.categories[category] is True


def test_every_result_has_exactly_openais_13_keys_and_unestimated_ones_are_zero():
    results = moderate(["hello", "you stupid bastard"])
    assert len(CATEGORIES) == 13
    for r in results:
        assert list(r.categories) == list(CATEGORIES) == list(r.category_scores)
        assert all(0.0 <= s <= 1.0 for s in r.category_scores.values())
        assert all(r.category_scores[k] == 0.0 for k in CATEGORIES if k not in ESTIMATED_CATEGORIES)


def test_threshold_moves_the_verdict():
    text = "this is crap"
    score = moderate([text])[0].category_scores["harassment"]
    assert moderate([text], threshold=min(1.0, score + 0.01))[0].flagged is False
    assert moderate([text], threshold=max(0.01, score - 0.01))[0].flagged is True


def test_order_is_kept_and_bad_threshold_is_a_clear_error():
    texts = ["fine", "you absolute asshole", "ok thanks"]
    assert [r.flagged for r in moderate(texts)] == [False, True, False]
    assert moderate([]) == []
    with pytest.raises(InputError, match="threshold"):
        moderate(["x"], threshold=0)


def test_model_name_says_it_is_an_approximation():
    assert "approx" in MODEL_NAME and "offline" in MODEL_NAME


@pytest.mark.parametrize(
    "text, offensive, expected",
    [
        ("thanks", 0.0, {}),
        ("you are rude", 0.7, {"harassment": 0.7}),
        ("Refund me or I'll kill you", 0.2, {"harassment": 0.2, "harassment/threatening": 0.9, "violence": 0.8}),
        ("Refund me or I'll kill you", 0.95, {"harassment": 0.95, "harassment/threatening": 0.95, "violence": 0.8}),
        ("I want to end my life", 0.0, {"self-harm": 0.9, "self-harm/intent": 0.8}),
        ("   ", 0.99, {}),  # blank text: its offensive score is ignored
    ],
)
def test_injected_scorer_maps_onto_openais_categories(text, offensive, expected):
    calls = []

    def scorer(texts):
        calls.append(list(texts))
        return [offensive] * len(texts)

    (result,) = OfflineModerator(offensive=scorer).moderate([text])
    assert calls == [[text]]  # one batched call, the texts as given
    assert {k: v for k, v in result.category_scores.items() if v} == expected
    assert result.flagged is any(v >= 0.5 for v in expected.values())


def test_a_moderator_is_an_object_to_pass_around():
    moderator = OfflineModerator()
    assert moderator.name == MODEL_NAME and isinstance(moderator, Moderator)
    assert [r.flagged for r in moderator.moderate(["fine", "you absolute asshole"])] == [False, True]
    assert [r.flagged for r in moderator.moderate(["ok thanks"])] == [False]  # the loaded model is reused
