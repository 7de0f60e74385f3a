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
                            RepeatedMessages, SafetyScreen, Step, StepOutcome, StripBoilerplate, StripMarkup,
                            cleaning_bars, cleaning_funnel, clean_corpus, read_corpora)

ALL_STEPS = [FixUnicode(), StripMarkup(), StripBoilerplate(), RedactPII(), NormalizeWhitespace(), LengthFilter(),
             LanguageFilter(), SafetyScreen(), RepeatedMessages(), ExactDuplicates(), NearDuplicates(threshold=0.5),
             DropIncompleteConversations()]

unit = st.floats(0.05, 1.0)
configured_steps = st.lists(st.one_of(
    st.sampled_from(ALL_STEPS),
    st.builds(LengthFilter, min_chars=st.integers(0, 20), max_chars=st.integers(1, 5000),
              min_tokens=st.integers(0, 5), max_tokens=st.one_of(st.none(), st.integers(1, 50))),
    st.builds(NearDuplicates, threshold=unit, shingle_size=st.integers(1, 4)),
    st.builds(SafetyScreen, threshold=unit, policy=st.sampled_from(["drop_conversation", "drop_message", "mark"])),
    st.builds(LanguageFilter, min_confidence=st.floats(0.0, 1.0)),
    st.builds(RedactPII, conversation_names=st.booleans(), redact_all_urls=st.booleans()),
    st.builds(DropIncompleteConversations, required_roles=st.sampled_from([("user",), ("user", "assistant")])),
), max_size=8)

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
@given(items=rows, order=st.permutations(range(len(ALL_STEPS))),
       keep=st.lists(st.booleans(), min_size=len(ALL_STEPS), max_size=len(ALL_STEPS)))
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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=rows, steps=configured_steps)
def test_books_balance_for_any_step_configuration(items, steps):
    table = make_table(items)
    result = CleaningPipeline(steps).run(table)
    rejected = result.rejects.row_id.tolist()
    assert len(rejected) == len(set(rejected)) and not set(rejected) & set(result.cleaned.row_id)
    assert sorted([*result.cleaned.row_id, *rejected]) == sorted(table.row_id)
    assert result.rejects.reason.str.len().gt(0).all()


class LosesARow(Step):
    name = "loses_a_row"

    def apply(self, table):
        return StepOutcome(table.iloc[1:].reset_index(drop=True), ())


def test_a_step_that_loses_rows_is_caught():
    with pytest.raises(AccountingError, match="loses_a_row.*unaccounted: \\['r0'\\]"):
        CleaningPipeline([LosesARow()]).run(make_table([(0, "user", "a"), (0, "assistant", "b")]))


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_result():
    samples = ROOT / "data" / "samples"
    read = read_corpora([samples / "support_tickets.csv", samples / "chat_logs.jsonl", samples / "faq.txt"])
    return read, clean_corpus(read)


@pytest.fixture(scope="module")
def dirt(tmp_path_factory):
    """Where the sample generator put each kind of dirt (its own record, regenerated into a temp dir)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("samples")
    where = module.generate(out)
    assert (out / "support_tickets.csv").read_bytes() == (ROOT / "data/samples/support_tickets.csv").read_bytes()
    return where


def test_sample_corpus_books_balance_and_pii_is_gone(sample_result):
    read, result = sample_result
    assert len(result.cleaned) + (result.rejects.step != "read").sum() == len(read.messages)
    text = "\n".join(result.cleaned.text)
    emails = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
    assert emails <= {"help@brewtiful.example"}, f"a personal e-mail address survived: {emails}"
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
    # the conversation each duplicate points to was kept, or was itself dropped later with its own reason
    later = result.rejects[result.rejects.step == "drop_incomplete_conversations"].conversation_id
    assert dups.duplicate_of.isin(set(result.cleaned.conversation_id) | set(later)).all()
    assert dups.duplicate_of.isin(result.cleaned.conversation_id).mean() > 0.9


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


def test_sample_corpus_dirt_ends_up_where_it_belongs(sample_result, dirt):
    """Against the generator's own record of its dirt: each kind is removed by the step meant for it."""
    _, result = sample_result
    tickets, chats = dirt["tickets"], dirt["chats"]
    kept_ids = set(result.cleaned.conversation_id)
    dropped = result.rejects.groupby("conversation_id").step.agg(set)
    for tid in tickets["exact_duplicates"]:  # the export repeated the row: one copy at most survives
        assert f"{tid}#2" not in kept_ids and f"{tid}#2" in dropped.index
    copies = [f"{tid}#2" for tid in tickets["exact_duplicates"]]
    assert sum("exact_duplicates" in dropped[c] for c in copies) >= len(copies) - 3  # others went earlier (empty…)
    for pair in tickets["near_duplicates"]:
        original, variant = pair.split("~")
        assert variant not in kept_ids and original in kept_ids, pair
        assert dropped[variant] & {"exact_duplicates", "near_duplicates"}, pair  # exact once names are redacted
    assert {tid for tid in tickets["non_english"]} <= set(dropped.index[dropped.map(lambda s: "language_filter" in s)])
    assert all("safety_screen" in dropped[tid] for tid in tickets["offensive"])
    repeats = result.rejects[result.rejects.step == "repeated_messages"]
    assert sorted(repeats.source_line) == sorted(chats["repeated_lines"])
    assert (result.rejects.step.eq("read") & result.rejects.source_line.eq(chats["malformed_line"])).sum() == 1
    assert "bot" not in set(result.cleaned.speaker.dropna())  # queue, recording and hand-off notices all went
    html = result.cleaned[result.cleaned.conversation_id.isin(tickets["html"])]
    assert len(html) and not html.text.str.contains(r"<[a-z/]|&amp;", regex=True).any()
    assert not result.cleaned.text.str.contains(r"\+?\(?\d{3}\)?[ -]\d{3}-\d{4}", regex=True).any()
    brand = result.cleaned.text.str.contains("help@brewtiful.example", regex=False)
    assert brand.any()  # the brand's own support address is not personal data
