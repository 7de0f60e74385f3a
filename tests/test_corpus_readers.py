"""Readers: every format to the canonical table, detection reported, bad records become located rejects."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbtools.corpus import ColumnMapping, read_corpora, read_corpus
from nbtools.corpus.schema import CANONICAL_COLUMNS
from nbtools.errors import DataFormatError


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_csv_qa_export_with_multiline_cells_keeps_start_lines_and_extras(tmp_path):
    path = write(tmp_path, "tickets.csv", 'ticket_id,channel,question,agent_reply\n'
                                          'T1,email,"Where is\nmy order?","On its way!"\n'
                                          'T2,chat,Refund?,\n')
    read = read_corpus(path)
    m = read.messages
    assert list(m.columns[:7]) == list(CANONICAL_COLUMNS)
    assert m.row_id.tolist() == ["tickets.csv:2:question", "tickets.csv:2:answer", "tickets.csv:4:question",
                                 "tickets.csv:4:answer"]
    assert m.conversation_id.tolist() == ["T1", "T1", "T2", "T2"]
    assert m.role.tolist() == ["user", "assistant"] * 2
    assert m.text.tolist() == ["Where is\nmy order?", "On its way!", "Refund?", ""]  # empty reply kept for the filter
    assert m.channel.tolist() == ["email", "email", "chat", "chat"]
    d = read.detected[0]
    assert (d.file_format, d.layout, d.mapping["question"], d.mapping["answer"]) == ("csv", "qa", "question",
                                                                                      "agent_reply")


def test_qa_rows_repeating_an_id_become_separate_conversations(tmp_path):
    path = write(tmp_path, "t.csv", "ticket_id,question,answer\nT1,q,a\nT2,q2,a2\nT1,q,a\nT1,q,a\n")
    read = read_corpus(path)
    assert read.messages.conversation_id.tolist() == ["T1", "T1", "T2", "T2", "T1#2", "T1#2", "T1#3", "T1#3"]
    assert read.messages.turn.tolist() == [0, 1] * 4
    assert read.detected[0].notes == ("2 rows repeat an earlier 'ticket_id': each Q/A row is its own conversation, "
                                      "so the repeats are named ID#2, ID#3, …",)


def test_jsonl_message_per_line_is_ordered_by_turn_and_speakers_mapped(tmp_path):
    lines = [{"conversation_id": "C1", "turn": 2, "speaker": "agent", "text": "Hey there!"},
             {"conversation_id": "C1", "turn": 1, "speaker": "customer", "text": "Hi"},
             {"conversation_id": "C2", "turn": 1, "speaker": "robot", "text": "beep"}]
    path = write(tmp_path, "chats.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    read = read_corpus(path)
    assert read.messages[["conversation_id", "turn", "role", "text"]].values.tolist() == [
        ["C1", 0, "user", "Hi"], ["C1", 1, "assistant", "Hey there!"]]
    assert read.rejects.reason.tolist() == ["speaker 'robot' is not a known speaker (map it with "
                                            "ColumnMapping(role_map=...))"]
    mapped = read_corpus(path, mapping=ColumnMapping(role_map={"agent": "assistant", "customer": "user",
                                                               "robot": "assistant"}))
    assert len(mapped.messages) == 3 and mapped.rejects.empty


def test_jsonl_conversations_with_messages_lists(tmp_path):
    line = {"conversation_id": "X", "messages": [{"role": "user", "content": "Q"},
                                                 {"role": "assistant", "content": [{"type": "text", "text": "A"}]}]}
    read = read_corpus(write(tmp_path, "conv.jsonl", json.dumps(line) + "\n"))
    assert read.detected[0].layout == "conversations"
    assert read.messages[["conversation_id", "role", "text"]].values.tolist() == [["X", "user", "Q"],
                                                                                  ["X", "assistant", "A"]]


def test_text_faq_and_transcripts(tmp_path):
    path = write(tmp_path, "faq.txt", "Q: Do you ship to Canada?\nA: Yes, in 5-8 days.\nStill free.\n\n"
                                      "User: hi\nAgent: Hey there!\n\nrandom note\n")
    read = read_corpus(path)
    assert read.messages[["conversation_id", "turn", "role", "text"]].values.tolist() == [
        ["faq.txt:1", 0, "user", "Do you ship to Canada?"], ["faq.txt:1", 1, "assistant", "Yes, in 5-8 days.\nStill free."],
        ["faq.txt:5", 0, "user", "hi"], ["faq.txt:5", 1, "assistant", "Hey there!"]]
    assert read.rejects.source_line.tolist() == [8]


def test_dataframe_input():
    read = read_corpus(pd.DataFrame({"prompt": ["a"], "response": ["b"]}), name="mine")
    assert read.messages.row_id.tolist() == ["mine:1:question", "mine:1:answer"]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("broken.jsonl", '{"conversation_id": "C1", "speaker": "customer", "text": "hi"}\n{"conversation_id": "C1", "spe\n',
         "line is not valid JSON: the line ends at column 31 before the JSON value does (cut short?)"),
        ("comma.jsonl", '{"conversation_id": "C1", "speaker": "customer", "text": "hi"}\n{"text": "hi",, "x": 1}\n',
         "line is not valid JSON: Expecting property name enclosed in double quotes at column 15"),
        ("array.jsonl", '{"conversation_id": "C1", "speaker": "customer", "text": "hi"}\n[1, 2]\n', "line is a JSON array, not an object"),
        ("latin1.jsonl", b'{"conversation_id": "C1", "speaker": "customer", "text": "hi"}\n{"text": "caf\xe9"}\n',
         "line is not valid UTF-8 (byte 13)"),
        ("ragged.csv", "question,answer\nq1,a1\nq2,a2,extra\n", "row has 3 fields"),
    ],
)
def test_bad_records_are_rejected_with_file_and_line_not_crashed(tmp_path, name, content, reason):
    read = read_corpus(write(tmp_path, name, content))
    assert len(read.messages) >= 1
    (reject,) = read.rejects.to_dict("records")
    assert reject["source"] == name and reject["source_line"] == (2 if name.endswith(".jsonl") else 3)
    assert reason in reject["reason"] and reject["step"] == "read"


def test_bom_and_crlf_are_fine(tmp_path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfquestion,answer\r\nq1,a1\r\nq2,a2\r\n")
    read = read_corpus(path)
    assert read.messages.text.tolist() == ["q1", "a1", "q2", "a2"] and read.rejects.empty
    path = write(tmp_path, "bom.jsonl", b'\xef\xbb\xbf{"question": "q", "answer": "a"}\r\n')
    assert read_corpus(path).messages.text.tolist() == ["q", "a"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("blob.csv", b"\x00\x01\x02binary", "binary file"),
        ("notes.docx", "x", "unknown corpus format"),
        ("nothing.csv", "id,color\n1,red\n", "cannot tell the layout"),
    ],
)
def test_unusable_files_raise_a_clear_error(tmp_path, name, content, message):
    with pytest.raises(DataFormatError, match=message) as err:
        read_corpus(write(tmp_path, name, content))
    assert name in str(err.value)


def test_mapping_to_a_missing_column_is_named(tmp_path):
    path = write(tmp_path, "t.csv", "q,a\n1,2\n")
    with pytest.raises(DataFormatError, match="mapped column 'question'"):
        read_corpus(path, mapping=ColumnMapping(question="question", answer="a"))


def test_sample_corpus_reads_completely():
    read = read_corpora(["data/samples/support_tickets.csv", "data/samples/chat_logs.jsonl",
                         "data/samples/faq.txt"])
    tickets = pd.read_csv("data/samples/support_tickets.csv")
    faq_blocks = sum(line.startswith("Q: ") for line in open("data/samples/faq.txt", encoding="utf-8"))
    n_chat_lines = sum(1 for line in open("data/samples/chat_logs.jsonl", encoding="utf-8") if line.strip())
    assert (read.messages.source == "support_tickets.csv").sum() == 2 * len(tickets)
    assert (read.messages.source == "faq.txt").sum() == 2 * faq_blocks
    chat = read.messages.source == "chat_logs.jsonl"
    assert chat.sum() + (read.rejects.source == "chat_logs.jsonl").sum() == n_chat_lines
    assert read.messages.row_id.is_unique
    assert not read.messages.duplicated(["conversation_id", "turn"]).any()
    (malformed,) = read.rejects.to_dict("records")  # the one truncated JSON line of the sample chat log
    assert (malformed["source"], malformed["source_line"]) == ("chat_logs.jsonl", 51)
    assert malformed["reason"].startswith("line is not valid JSON")
