"""Blind pairings, the ratings file, win rates and the DPO export (checked with nbtools' validator, which follows
OpenAI's preference-data format)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pandas as pd
import pytest

from nbtools import validate_file
from nbtools.compare import (
    Pairing,
    blind_pairs,
    export_dpo,
    read_ratings,
    record_rating,
    win_rate_chart,
    win_rates,
)
from nbtools.errors import DataFormatError, InputError

SETUPS = ["base", "base + long instructions", "fine-tuned + short prompt"]
SIGN_OFF = "\n\nStay grounded! ☕"


def results_table(n_prompts: int = 4) -> pd.DataFrame:
    """A comparison table as run_comparison returns it (the columns blind_pairs reads)."""
    rows = []
    for i in range(n_prompts):
        for label in SETUPS:
            voice = "Hey there! " if "fine-tuned" in label else ""
            rows.append({"prompt_id": i, "prompt": f"Question {i}?", "setup": label, "model": f"model of {label}",
                         "output": f"{voice}Answer {i} from {label}." + (SIGN_OFF if voice else ""), "error": None})
    frame = pd.DataFrame(rows)
    frame.attrs["setups"] = SETUPS
    return frame


@pytest.mark.parametrize(("options", "pairs_per_prompt", "sides"), [
    ({}, 3, {frozenset(p) for p in [(SETUPS[0], SETUPS[1]), (SETUPS[0], SETUPS[2]), (SETUPS[1], SETUPS[2])]}),
    ({"against": SETUPS[2]}, 2, {frozenset((SETUPS[0], SETUPS[2])), frozenset((SETUPS[1], SETUPS[2]))}),
    ({"pairs": [(SETUPS[1], SETUPS[0])]}, 1, {frozenset((SETUPS[0], SETUPS[1]))}),
])
def test_which_setups_meet(options, pairs_per_prompt, sides):
    pairings = blind_pairs(results_table(), **options)
    assert len(pairings) == 4 * pairs_per_prompt
    assert {frozenset((p.left_setup, p.right_setup)) for p in pairings} == sides
    assert [p.prompt_id for p in pairings] == sorted(p.prompt_id for p in pairings)
    for p in pairings:  # each side shows its own answer to this very prompt
        assert p.left_output == f"Answer {p.prompt_id} from {p.left_setup}." or "Hey there!" in p.left_output
        assert f"Answer {p.prompt_id} from {p.right_setup}." in p.right_output


def test_the_shuffle_is_seeded_recorded_and_mixes_sides():
    first = blind_pairs(results_table(20), against=SETUPS[2], seed=7)
    assert first == blind_pairs(results_table(20), against=SETUPS[2], seed=7)
    other = blind_pairs(results_table(20), against=SETUPS[2], seed=8)
    assert [p.swapped for p in first] != [p.swapped for p in other]
    for p in first:  # `swapped` says whether the pair's second set-up (here the fine-tuned one) went left
        assert (p.left_setup == SETUPS[2]) == p.swapped and p.seed == 7
    left = Counter(p.left_setup == SETUPS[2] for p in first)
    assert left[True] > 5 and left[False] > 5  # 40 fair coin flips


def test_pair_ids_name_the_exact_answers():
    table = results_table(1)
    before = blind_pairs(table)
    table.loc[0, "output"] = "A different answer."
    after = blind_pairs(table)
    changed = {p.pair_id for p in before} ^ {p.pair_id for p in after}
    assert len(changed) == 4  # the two pairs with the base set-up's answer, old and new ids


def test_failed_answers_are_not_paired():
    table = results_table(2)
    table.loc[(table["setup"] == SETUPS[0]) & (table["prompt_id"] == 0), "error"] = "HTTP 500"
    assert len(blind_pairs(table)) == 3 + 1


@pytest.mark.parametrize(("options", "field"), [
    ({"against": "nobody"}, "against"),
    ({"pairs": [(SETUPS[0], SETUPS[0])]}, "pairs[0]"),
    ({"pairs": [(SETUPS[0], "nobody")]}, "pairs[0]"),
    ({"against": SETUPS[0], "pairs": []}, "against"),
])
def test_bad_pairing_options(options, field):
    with pytest.raises(InputError) as caught:
        blind_pairs(results_table(), **options)
    assert caught.value.field == field


def test_a_rating_line_holds_everything_needed_later(tmp_path):
    path = tmp_path / "sub" / "ratings.jsonl"
    pairing = blind_pairs(results_table(1), against=SETUPS[2], seed=3)[0]
    when = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone.utc)
    rating = record_rating(path, pairing, "right", notes="warmer, signs off", now=when)
    [line] = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert line == {
        "pair_id": pairing.pair_id, "prompt_id": 0, "prompt": "Question 0?",
        "left_setup": pairing.left_setup, "left_model": pairing.left_model, "left_output": pairing.left_output,
        "right_setup": pairing.right_setup, "right_model": pairing.right_model, "right_output": pairing.right_output,
        "shown_order": [pairing.left_setup, pairing.right_setup], "swapped": pairing.swapped, "seed": 3,
        "choice": "right", "notes": "warmer, signs off", "blind": True, "rated_at": "2026-11-25T09:30:00+00:00"}
    assert read_ratings(path) == [rating] and rating.winner == pairing.right_setup


def test_the_newest_rating_of_a_pair_counts(tmp_path):
    path = tmp_path / "ratings.jsonl"
    first, second = blind_pairs(results_table(2), against=SETUPS[2])[:2]
    record_rating(path, first, "left")
    record_rating(path, second, "tie")
    record_rating(path, first, "right", notes="changed my mind")
    assert [(r.pair_id, r.choice) for r in read_ratings(path)] == [(second.pair_id, "tie"), (first.pair_id, "right")]
    assert len(read_ratings(path, latest=False)) == 3
    assert [r.pair_id for r in read_ratings(path, pairings=[second])] == [second.pair_id]
    assert read_ratings(tmp_path / "none-yet.jsonl") == []


@pytest.mark.parametrize(("line", "lineno", "field"), [
    ("{not json", 2, None),
    ('["a list"]', 2, None),
    ('{"pair_id": "x"}', 2, "prompt"),
    ("__CHOICE__", 2, "choice"),
    ("__SEED__", 2, "seed"),
])
def test_a_bad_ratings_line_is_named(tmp_path, line, lineno, field):
    path = tmp_path / "ratings.jsonl"
    good = record_rating(path, blind_pairs(results_table(1))[0], "left").as_dict()
    line = {"__CHOICE__": json.dumps({**good, "choice": "both"}),
            "__SEED__": json.dumps({**good, "seed": True})}.get(line, line)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    with pytest.raises(DataFormatError) as caught:
        read_ratings(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), lineno, field)


def test_record_rating_refuses_other_choices(tmp_path):
    with pytest.raises(InputError) as caught:
        record_rating(tmp_path / "r.jsonl", blind_pairs(results_table(1))[0], "Left")
    assert caught.value.field == "choice" and not (tmp_path / "r.jsonl").exists()


def _rate_all(path, pairings, pick):
    for p in pairings:
        record_rating(path, p, pick(p))


def _prefer_voice(p: Pairing) -> str:
    """A rater who picks the answer with the sign-off line (the style guide's rule), else calls a tie."""
    left, right = (SIGN_OFF in p.left_output), (SIGN_OFF in p.right_output)
    return "tie" if left == right else "left" if left else "right"


def test_win_rates_count_every_comparison(tmp_path):
    path = tmp_path / "ratings.jsonl"
    pairings = blind_pairs(results_table(), seed=1)
    _rate_all(path, pairings, _prefer_voice)
    summary = win_rates(read_ratings(path)).set_index("setup")
    tuned, base, instructed = SETUPS[2], SETUPS[0], SETUPS[1]
    assert summary.loc[tuned, ["rated", "wins", "ties", "losses"]].tolist() == [8, 8, 0, 0]
    assert summary.loc[base, ["rated", "wins", "ties", "losses"]].tolist() == [8, 0, 4, 4]
    assert summary.loc[instructed, ["rated", "wins", "ties", "losses"]].tolist() == [8, 0, 4, 4]
    assert summary.loc[tuned, "win_rate_pct"] == 100.0 and summary.loc[base, "score_pct"] == 25.0
    assert summary.index[0] == tuned
    assert summary["wins"].sum() == summary["losses"].sum()


def test_the_win_rate_chart_is_titled_and_labelled(tmp_path):
    path = tmp_path / "ratings.jsonl"
    _rate_all(path, blind_pairs(results_table(), against=SETUPS[2]), _prefer_voice)
    figure = win_rate_chart(win_rates(read_ratings(path)))
    assert "8 rated" in figure.layout.title.text and "(%)" in figure.layout.xaxis.title.text
    assert [bar.name for bar in figure.data] == ["won", "tie", "lost"]
    won = dict(zip(figure.data[0].y, figure.data[0].x))
    assert won[SETUPS[2]] == 100.0 and won[SETUPS[0]] == 0.0
    total = [sum(bar.x[i] for bar in figure.data) for i in range(len(figure.data[0].x))]
    assert total == pytest.approx([100.0] * len(total))


def test_export_dpo_writes_preferences_and_says_what_it_skipped(tmp_path):
    ratings_path, out = tmp_path / "ratings.jsonl", tmp_path / "dpo.jsonl"
    _rate_all(ratings_path, blind_pairs(results_table(14)), _prefer_voice)
    ratings = read_ratings(ratings_path)
    result = export_dpo(ratings, out, system_prompt="You are Brewtiful's support assistant.")
    # per prompt: the fine-tuned answer beats both others (2 preferences), the other two tie (skipped)
    assert (result.written, result.ties_skipped, result.identical_skipped, result.empty_skipped) == (28, 14, 0, 0)
    assert "skipped 14 tie(s)" in result.message and str(out) in str(result)
    lines = [json.loads(t) for t in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 28
    for line in lines:
        assert line["input"]["messages"][0] == {"role": "system", "content": "You are Brewtiful's support assistant."}
        assert line["input"]["messages"][1]["role"] == "user"
        assert SIGN_OFF in line["preferred_output"][0]["content"]
        assert SIGN_OFF not in line["non_preferred_output"][0]["content"]
    report = validate_file(out, method="dpo")
    assert report.ok, report.issues


def test_export_dpo_skips_identical_answers(tmp_path):
    table = results_table(1)
    table["output"] = "Same answer."
    pairing = blind_pairs(table, pairs=[(SETUPS[0], SETUPS[1])])[0]
    rating = record_rating(tmp_path / "r.jsonl", pairing, "left")
    result = export_dpo([rating], tmp_path / "dpo.jsonl")
    assert (result.written, result.identical_skipped) == (0, 1) and "identical answers" in result.message
