"""The streaming engine: the same result as CleaningPipeline, whatever the chunk size and number of workers; the
books balance for any corpus (hypothesis); bad records become rejects, unreadable files fail before any output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.corpus import (
    CleaningPipeline,
    CorpusStream,
    DropIncompleteConversations,
    ExactDuplicates,
    FixUnicode,
    LengthFilter,
    NearDuplicates,
    NormalizeWhitespace,
    RepeatedMessages,
    StripMarkup,
    read_corpora,
    stream_clean,
)
from nbtools.corpus.sinks import to_arrow
from nbtools.errors import DataFormatError

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SOURCES = [SAMPLES / "support_tickets.csv", SAMPLES / "faq.txt", SAMPLES / "chat_logs.jsonl"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by (row_id, step), missing values as None, for comparing tables whatever their row order."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), None).sort_values(["row_id", "step"], kind="stable").reset_index(drop=True)


def assert_same_as_in_memory(streamed, in_memory) -> None:
    """Cleaned rows equal in order (extra columns compared as the text the sink writes); ledger and rejects equal
    as sets of rows (in memory they are ordered step by step, streamed chunk by chunk)."""
    cleaned = streamed.cleaned()
    schema = pa.Schema.from_pandas(cleaned, preserve_index=False)
    assert to_arrow(in_memory.cleaned, schema).to_pandas().equals(cleaned)
    pd.testing.assert_frame_equal(_sorted(streamed.ledger()), _sorted(in_memory.ledger))
    rejects = to_arrow(in_memory.rejects, pa.Schema.from_pandas(streamed.rejects(), preserve_index=False))
    pd.testing.assert_frame_equal(_sorted(streamed.rejects()), _sorted(rejects.to_pandas()))
    assert streamed.report().equals(in_memory.report())


# Every step but the slow per-row models (RedactPII, SafetyScreen, LanguageFilter, StripBoilerplate): the duplicate
# finders and the conversation step still see the samples' exact and near duplicates across chunks.
SAMPLE_STEPS = [FixUnicode(), StripMarkup(), NormalizeWhitespace(), LengthFilter(), RepeatedMessages(),
                ExactDuplicates(), NearDuplicates(), DropIncompleteConversations()]


@pytest.fixture(scope="module")
def in_memory():
    return CleaningPipeline().run(read_corpora(SOURCES))


@pytest.fixture(scope="module")
def in_memory_cheap():
    result = CleaningPipeline(SAMPLE_STEPS).run(read_corpora(SOURCES))
    dropped = dict(zip(result.report().step, result.report().dropped))
    assert dropped["exact_duplicates"] > 0 and dropped["near_duplicates"] > 0, dropped  # not a vacuous comparison
    return result


def test_streamed_samples_with_two_workers_equal_the_in_memory_pipeline(tmp_path, in_memory):
    result = stream_clean(SOURCES, tmp_path, workers=2, chunk_rows=250, progress=False)
    assert result.n_input == in_memory.n_input and result.kept == len(in_memory.cleaned)
    assert result.kept + result.dropped == result.n_input
    assert_same_as_in_memory(result, in_memory)
    report = json.loads((tmp_path / "cleaning_report.json").read_text())
    assert report["kept"] == result.kept and report["workers"] == 2
    assert len(pd.read_csv(tmp_path / "cleaned_messages.csv")) == result.kept
    assert len(pd.read_csv(tmp_path / "rejects.csv")) == result.dropped + result.unreadable


@pytest.mark.parametrize("chunk_rows", [60, 97])
def test_streamed_samples_in_one_process_equal_the_in_memory_pipeline(tmp_path, in_memory_cheap, chunk_rows):
    result = stream_clean(SOURCES, tmp_path, steps=SAMPLE_STEPS, workers=1, chunk_rows=chunk_rows, progress=False,
                          csv=False)
    assert result.kept + result.dropped == result.n_input == in_memory_cheap.n_input
    assert_same_as_in_memory(result, in_memory_cheap)
    assert {"exact_duplicates", "near_duplicates"} <= set(result.rejects().step)


CHEAP_STEPS = [NormalizeWhitespace(), LengthFilter(min_chars_by_role={}), RepeatedMessages(), ExactDuplicates(),
               NearDuplicates(threshold=0.5), DropIncompleteConversations()]
words = st.sampled_from(["order", "refund", "where", "is", "my", "parcel", "thanks", "", "  ", "late", "card"])
texts = st.lists(words, min_size=0, max_size=8).map(" ".join)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(texts, texts), min_size=0, max_size=12), chunk_rows=st.integers(1, 7))
def test_streaming_loses_nothing_and_matches_in_memory(tmp_path_factory, pairs, chunk_rows):
    raw = pd.DataFrame(pairs, columns=["question", "answer"])
    result = stream_clean([raw], tmp_path_factory.mktemp("s"), steps=CHEAP_STEPS, workers=1,
                          chunk_rows=chunk_rows, progress=False, csv=False)
    assert result.kept + result.dropped == result.n_input == 2 * len(raw)
    assert len(result.rejects()) == result.dropped
    in_memory = CleaningPipeline(CHEAP_STEPS).run(read_corpora([raw]))
    assert result.cleaned().row_id.tolist() == in_memory.cleaned.row_id.tolist()
    assert sorted(result.rejects().reason) == sorted(in_memory.rejects.reason)


def test_bad_records_mid_stream_become_rejects_and_the_run_goes_on(tmp_path):
    csv_path = tmp_path / "tickets.csv"
    rows = [f"q{i} where is my parcel number {i}?,It left the depot on day {i} and arrives soon." for i in range(40)]
    csv_path.write_text("question,answer\n" + "\n".join(rows[:25]) + "\nq,a,extra\n" + "\n".join(rows[25:]) + "\n")
    jsonl = tmp_path / "chats.jsonl"
    good = '{"messages": [{"role": "user", "content": "Card declined twice today?"}, ' \
           '{"role": "assistant", "content": "Please try again, it works now."}]}'
    jsonl.write_bytes((good + "\n").encode() + b"\xff\xfe not json\n" + (good.replace("twice", "again") + "\n").encode())
    result = stream_clean([csv_path, jsonl], tmp_path / "out", workers=1, chunk_rows=10, progress=False, csv=False)
    unreadable = result.rejects().query("step == 'read'")
    assert set(zip(unreadable.source, unreadable.source_line)) == {("tickets.csv", 27), ("chats.jsonl", 2)}
    assert result.n_input == 84 and result.kept + result.dropped == 84 and result.unreadable == 2


def test_an_unreadable_file_fails_before_any_output(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.jsonl"
    good.write_text("question,answer\nWhere is it?,On its way to you now.\n")
    bad.write_bytes(b"\x00\x01binary")
    with pytest.raises(DataFormatError, match="bad.jsonl: binary file"):
        stream_clean([good, bad], tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_interleaved_message_rows_come_out_as_whole_threads_in_first_seen_order():
    rows = [("t1", "customer", "Where is my parcel?"), ("t2", "customer", "Refund please"),
            ("t1", "agent", "On its way."), ("t3", "customer", "Hi"), ("t2", "agent", "Done."), ("t3", "agent", "Hey")]
    raw = pd.DataFrame(rows, columns=["conversation_id", "speaker", "text"])
    whole = read_corpora([raw]).messages
    chunks = [c.messages for c in CorpusStream([raw]).chunks(chunk_rows=2)]
    assert [c.conversation_id.unique().tolist() for c in chunks] == [["t1"], ["t2"], ["t3"]]
    assert pd.concat(chunks, ignore_index=True).equals(whole)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.just(pd.NA), st.text(max_size=8),
                          st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)), max_size=12),
       st.sampled_from(["object", "str"]))
def test_text_columns_convert_as_value_by_value(values, dtype):
    """Text columns go to Arrow in one call; the result equals the value-by-value rule (missing -> null, else str)."""
    if dtype == "str":  # pandas' string dtype holds text and missing values only
        values = [v for v in values if v is None or isinstance(v, str)]
    column = pd.Series(values, dtype=dtype)
    expected = [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v) for v in column]
    table = to_arrow(pd.DataFrame({"text": column}), pa.schema([("text", pa.string())]))
    assert table.column("text").to_pylist() == expected
