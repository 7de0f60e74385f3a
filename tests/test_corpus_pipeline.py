"""The books always balance: every input row is kept or rejected exactly once, with a step and a reason."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.corpus import (AccountingError, CleaningPipeline, DropIncompleteConversations, ExactDuplicates,
                            FixUnicode, LanguageFilter, LengthFilter, NearDuplicates, NormalizeWhitespace, RedactPII,
                            SafetyScreen, Step, StepOutcome, StripBoilerplate, StripMarkup, cleaning_bars,
                            cleaning_funnel, clean_corpus, read_corpora)

ALL_STEPS = [FixUnicode(), StripMarkup(), StripBoilerplate(), RedactPII(), NormalizeWhitespace(), LengthFilter(),
             LanguageFilter(), SafetyScreen(), ExactDuplicates(), NearDuplicates(threshold=0.5),
             DropIncompleteConversations()]

texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "ok", "<p>Hi &amp; bye</p>", "Where is my order?", "Where is my order ?",
                     "Hey there! Stay grounded! ☕", "mail me at a@b.co", "you stupid idiot", "cafÃ© au lait",
                     "Hola, ¿dónde está mi pedido? Gracias por todo", "Sent from my iPhone", "x" * 4100]),
)
rows = st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["user", "assistant", "system"]), texts),
                min_size=0, max_size=25)


def make_table(items):
    return pd.DataFrame(
        [{"row_id": f"r{i}", "source": "gen", "source_line": i + 1, "conversation_id": f"c{c}", "turn": i,
          "role": role, "text": text} for i, (c, role, text) in enumerate(items)],
        columns=["row_id", "source", "source_line", "conversation_id", "turn", "role", "text"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=rows, order=st.permutations(range(len(ALL_STEPS))), keep=st.lists(st.booleans(), min_size=11,
                                                                                max_size=11))
def test_every_row_is_kept_or_rejected_exactly_once(items, order, keep):
    steps = [ALL_STEPS[i] for i in order if keep[i]]
    table = make_table(items)
    result = CleaningPipeline(steps).run(table)
    kept, rejected = list(result.cleaned.row_id), list(result.rejects.row_id)
    assert sorted(kept + rejected) == sorted(table.row_id)
    assert result.rejects.reason.str.len().gt(0).all() and result.rejects.step.notna().all()
    report = result.report()
    assert (report["in"] - report["dropped"] == report["out"]).all()
    assert report.out.iloc[-1] == len(result.cleaned)
    modified = result.ledger[result.ledger.action == "modified"]
    assert (modified.before != modified.after).all()


class LosesARow(Step):
    name = "loses_a_row"

    def apply(self, table):
        return StepOutcome(table.iloc[1:].reset_index(drop=True), ())


def test_a_step_that_loses_rows_is_caught():
    with pytest.raises(AccountingError, match="loses_a_row.*unaccounted: \\['r0'\\]"):
        CleaningPipeline([LosesARow()]).run(make_table([(0, "user", "a"), (0, "assistant", "b")]))


@pytest.fixture(scope="module")
def sample_result():
    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    read = read_corpora([samples / "support_tickets.csv", samples / "chat_logs.jsonl", samples / "faq.txt"])
    return read, clean_corpus(read)


def test_sample_corpus_books_balance_and_pii_is_gone(sample_result):
    read, result = sample_result
    assert len(result.cleaned) + (result.rejects.step != "read").sum() == len(read.messages)
    text = "\n".join(result.cleaned.text)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "an e-mail address survived"
    assert not re.search(r"4111[ -]?1111[ -]?1111[ -]?1111", text), "a card number survived"
    assert "token=" not in text and "Ã" not in text and "<p>" not in text
    assert "Stay grounded! ☕" in text  # the brand sign-off is voice, not boilerplate
    assert result.cleaned.customer_email.dropna().eq("[EMAIL]").all()


def test_sample_corpus_rejects_name_their_reasons(sample_result):
    _, result = sample_result
    steps = set(result.rejects.step)
    assert {"strip_boilerplate", "length_filter", "language_filter", "safety_screen", "exact_duplicates",
            "near_duplicates", "drop_incomplete_conversations"} <= steps
    offensive = result.rejects[result.rejects.step == "safety_screen"]
    assert offensive.text.str.contains("fucking").any()
    dups = result.rejects[result.rejects.step.isin(["exact_duplicates", "near_duplicates"])]
    assert dups.duplicate_of.isin(result.cleaned.conversation_id).all()


def test_report_figures_are_titled(sample_result):
    _, result = sample_result
    funnel, bars = cleaning_funnel(result), cleaning_bars(result)
    assert "kept" in funnel.layout.title.text and funnel.data[0].x[-1] == len(result.cleaned)
    assert bars.layout.yaxis.title.text == "rows (messages)"
    examples = result.examples(per_kind=1)
    assert set(zip(examples.step, examples.action)) == set(zip(result.ledger.step, result.ledger.action))


def test_rejects_export(tmp_path, sample_result):
    _, result = sample_result
    csv_path = result.save_rejects(tmp_path / "rejects.csv")
    jsonl_path = result.save_rejects(tmp_path / "rejects.jsonl")
    assert len(pd.read_csv(csv_path)) == len(pd.read_json(jsonl_path, lines=True)) == len(result.rejects)
