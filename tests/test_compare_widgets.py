"""The comparison widget, driven as a person would: set values, click buttons, then read the ratings file."""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest

from nbtools.compare import CompareWidget, blind_pairs, compare_widget, read_ratings, record_rating, win_rates
from nbtools.errors import InputError

SETUPS = ["base", "base + long instructions", "fine-tuned + short prompt"]


@pytest.fixture
def pairings():
    rows = [{"prompt_id": i, "prompt": f"Question {i}: can I pause my subscription?", "setup": label,
             "model": f"model-{k}", "output": f"Answer {i} <b>from</b> set-up {k}.", "error": None}
            for i in range(3) for k, label in enumerate(SETUPS)]
    table = pd.DataFrame(rows)
    table.attrs["setups"] = SETUPS
    return blind_pairs(table, against=SETUPS[2], seed=5)


def lines(path):
    return [json.loads(t) for t in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def shown_text(widget: CompareWidget) -> str:
    options = " ".join(label for label, _ in widget.prompt_list.options)
    return " ".join([options, widget.left_title.value, widget.right_title.value, widget.prompt.value])


def test_blind_mode_hides_which_setup_wrote_which_answer(pairings, tmp_path):
    widget = compare_widget(pairings, tmp_path / "ratings.jsonl")
    assert widget.blind.value is True
    assert not any(label in shown_text(widget) or f"model-{k}" in shown_text(widget) for k, label in enumerate(SETUPS))
    assert widget.left_title.value == "<b>Left</b>" and widget.right_title.value == "<b>Right</b>"
    widget.blind.value = False
    assert widget.current.left_setup in widget.left_title.value and widget.current.right_model in widget.right_title.value


def test_both_answers_show_side_by_side_escaped(pairings, tmp_path):
    widget = compare_widget(pairings, tmp_path / "ratings.jsonl")
    first = pairings[0]
    assert "&lt;b&gt;from&lt;/b&gt;" in widget.left_output.value  # model output is text, never markup
    assert html.escape(first.left_output) in widget.left_output.value
    assert first.prompt in widget.prompt.value and widget.progress.value == f"0 of {len(pairings)} pairs rated"


@pytest.mark.parametrize(("button", "choice"), [("left_button", "left"), ("right_button", "right"),
                                                ("tie_button", "tie")])
def test_a_click_records_the_rating_with_notes_and_moves_on(pairings, tmp_path, button, choice):
    path = tmp_path / "ratings.jsonl"
    widget = compare_widget(pairings, path)
    widget.notes.value = "clearer next step"
    getattr(widget, button).click()
    [line] = lines(path)
    assert (line["pair_id"], line["choice"], line["notes"], line["blind"]) == (
        pairings[0].pair_id, choice, "clearer next step", True)
    assert (line["left_setup"], line["right_setup"]) == (pairings[0].left_setup, pairings[0].right_setup)
    assert widget.current == pairings[1] and widget.notes.value == "" and widget.prompt_list.value == 1
    assert widget.progress.value == f"1 of {len(pairings)} pairs rated"
    assert widget.prompt_list.options[0][0].startswith("✓") and widget.prompt_list.options[1][0].startswith("·")
    assert "Saved" in widget.message.value and not widget.errors


def test_clicks_add_up_to_the_win_rates(pairings, tmp_path):
    path = tmp_path / "ratings.jsonl"
    widget = compare_widget(pairings, path)
    for pairing in pairings:  # always pick the fine-tuned answer, wherever the shuffle put it
        (widget.left_button if pairing.left_setup == SETUPS[2] else widget.right_button).click()
    assert widget.progress.value.endswith("all done") and len(widget.ratings) == len(pairings)
    summary = win_rates(read_ratings(path)).set_index("setup")
    assert summary.loc[SETUPS[2], "wins"] == len(pairings) and summary.loc[SETUPS[2], "win_rate_pct"] == 100.0
    assert summary.loc[SETUPS[0], "losses"] == summary.loc[SETUPS[1], "losses"] == 3


def test_choosing_a_pair_from_the_list_rates_that_pair(pairings, tmp_path):
    path = tmp_path / "ratings.jsonl"
    widget = compare_widget(pairings, path)
    widget.prompt_list.value = 4
    assert widget.current == pairings[4] and html.escape(pairings[4].left_output) in widget.left_output.value
    widget.tie_button.click()
    assert lines(path)[0]["pair_id"] == pairings[4].pair_id
    assert widget.current == pairings[5]  # the next unrated one after it


def test_unblinded_ratings_say_so(pairings, tmp_path):
    path = tmp_path / "ratings.jsonl"
    widget = compare_widget(pairings, path)
    widget.blind.value = False
    widget.right_button.click()
    assert lines(path)[0]["blind"] is False


def test_a_reopened_widget_continues_where_rating_stopped(pairings, tmp_path):
    path = tmp_path / "ratings.jsonl"
    first = compare_widget(pairings, path)
    first.left_button.click()
    first.left_button.click()
    again = compare_widget(pairings, path)
    assert again.current == pairings[2] and again.progress.value == f"2 of {len(pairings)} pairs rated"


def test_once_every_pair_is_rated_the_buttons_walk_a_second_pass(pairings, tmp_path):
    path = tmp_path / "ratings.jsonl"
    for _ in pairings:
        compare_widget(pairings, path).tie_button.click()
    again = compare_widget(pairings, path)
    assert again.progress.value.endswith("all done") and again.current == pairings[0]
    again.left_button.click()
    again.right_button.click()
    assert again.current == pairings[2 % len(pairings)]
    newest = {r.pair_id: r.choice for r in read_ratings(path, pairings=pairings)}
    assert [newest[p.pair_id] for p in pairings[:3]] == ["left", "right", "tie"]


def test_an_error_while_saving_is_shown_in_the_widget(pairings, tmp_path):
    blocked = tmp_path / "ratings.jsonl"
    blocked.mkdir()  # a folder where the file should be: the write fails
    widget = CompareWidget(pairings, lambda pairing, choice, notes, blind: record_rating(blocked, pairing, choice))
    widget.left_button.click()
    assert len(widget.errors) == 1 and "IsADirectoryError" in widget.error.value
    assert widget.current == pairings[0] and not widget.rated and widget.progress.value.startswith("0 of")


def test_a_bad_choice_from_code_is_shown_not_raised(pairings, tmp_path):
    widget = compare_widget(pairings, tmp_path / "ratings.jsonl")
    assert widget.rate("both") is None
    assert "choice must be one of left, right, tie" in widget.error.value and not (tmp_path / "ratings.jsonl").exists()
    widget.rate("left", notes="from code")
    assert widget.error.value == "" and lines(tmp_path / "ratings.jsonl")[0]["notes"] == "from code"


def test_nothing_to_compare_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no pairings"):
        compare_widget([], tmp_path / "ratings.jsonl")
