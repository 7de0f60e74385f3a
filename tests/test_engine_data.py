"""Label masking with SmolLM2's own chat template, checked by decoding the labelled tokens."""

from __future__ import annotations

import json

import pytest

from nbtools.errors import DataFormatError
from nbtools.server.engine.data import (
    IGNORE_INDEX,
    read_preference_file,
    tokenize_chat,
    tokenize_sft_file,
)

pytestmark = pytest.mark.slow

SYSTEM = {"role": "system", "content": "You are Brewtiful Coffee Co.'s assistant."}
CALL = {"id": "c1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id": "A-17"}'}}


@pytest.fixture(scope="module")
def tokenizer():
    from nbtools.server.engine.models import load_tokenizer_for

    return load_tokenizer_for("smollm2-135m-instruct")


def labelled_spans(tokenizer, example) -> list[str]:
    """Decode each run of consecutive labelled tokens (special tokens kept)."""
    spans, current = [], []
    for token, label in zip(example.input_ids, example.labels):
        if label == IGNORE_INDEX:
            if current:
                spans.append(current)
            current = []
        else:
            assert label == token
            current.append(token)
    if current:
        spans.append(current)
    return [tokenizer.decode(span) for span in spans]


@pytest.mark.parametrize(
    ("messages", "expected_spans"),
    [
        # one turn: the reply and its end-of-turn token, not the role header nor the newline after it
        ([SYSTEM, {"role": "user", "content": "Do you ship to Canada?"},
          {"role": "assistant", "content": "Hey there! We do. Stay grounded! ☕"}],
         ["Hey there! We do. Stay grounded! ☕<|im_end|>"]),
        # multi-turn: every assistant turn
        ([SYSTEM, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"},
          {"role": "user", "content": "Decaf?"}, {"role": "assistant", "content": "Yes, decaf too."}],
         ["Hey there!<|im_end|>", "Yes, decaf too.<|im_end|>"]),
        # weight 0: that turn is context only
        ([SYSTEM, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello.", "weight": 0},
          {"role": "user", "content": "Decaf?"}, {"role": "assistant", "content": "Yes, decaf too.", "weight": 1}],
         ["Yes, decaf too.<|im_end|>"]),
        # no system message: the template's default one is context
        ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"}],
         ["Hey there!<|im_end|>"]),
        # tool use: the call is trained as text, the tool's answer is not
        ([SYSTEM, {"role": "user", "content": "Where is A-17?"},
          {"role": "assistant", "content": None, "tool_calls": [CALL]},
          {"role": "tool", "tool_call_id": "c1", "content": '{"status": "shipped"}'},
          {"role": "assistant", "content": "It shipped!"}],
         ['<tool_call>\n{"name": "lookup_order", "arguments": {"order_id": "A-17"}}\n</tool_call><|im_end|>',
          "It shipped!<|im_end|>"]),
    ],
)
def test_labels_cover_exactly_the_trained_replies(tokenizer, messages, expected_spans):
    example = tokenize_chat(tokenizer, messages, max_length=512)
    assert labelled_spans(tokenizer, example) == expected_spans
    assert not example.truncated


def test_input_ids_are_the_models_own_template(tokenizer):
    messages = [SYSTEM, {"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hey there!"}]
    example = tokenize_chat(tokenizer, messages, max_length=512)
    reference_messages = [SYSTEM, {"role": "system", "content": "Be brief."}] + messages[2:]
    reference = tokenizer.apply_chat_template(reference_messages, tokenize=True, return_dict=True)["input_ids"]
    assert example.input_ids == list(reference)


def test_tools_are_written_into_the_system_prompt(tokenizer):
    tool = {"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}
    example = tokenize_chat(tokenizer, [SYSTEM, {"role": "user", "content": "Hi"},
                                        {"role": "assistant", "content": "Hey!"}], tools=[tool], max_length=512)
    text = tokenizer.decode(example.input_ids)
    assert "<tools>" in text and '"lookup_order"' in text
    assert labelled_spans(tokenizer, example) == ["Hey!<|im_end|>"]


def test_truncation_keeps_the_start(tokenizer):
    messages = [SYSTEM, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "word " * 300}]
    full = tokenize_chat(tokenizer, messages, max_length=10_000)
    cut = tokenize_chat(tokenizer, messages, max_length=64)
    assert cut.truncated and len(cut.input_ids) == 64
    assert cut.input_ids == full.input_ids[:64] and cut.labels == full.labels[:64]


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_file_drops_examples_without_trained_tokens(tokenizer, tmp_path):
    good = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"}]}
    silent = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hm.", "weight": 0}]}
    long = {"messages": [{"role": "system", "content": "context " * 200}, {"role": "user", "content": "Hi"},
                         {"role": "assistant", "content": "Hey"}]}
    data = tokenize_sft_file(write_jsonl(tmp_path / "t.jsonl", [good, silent, "", long]), tokenizer, max_length=128)
    assert len(data.examples) == 1
    assert data.dropped_lines == [2, 4] and data.truncated_lines == [4]
    assert data.n_tokens == len(data.examples[0].input_ids)


@pytest.mark.parametrize(
    ("rows", "line", "field"),
    [
        (['{"messages": [', ], 1, None),
        ([{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "x"}]},
          {"prompt": "Hi"}], 2, "messages"),
        ([{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "x", "weight": 2}]}],
         1, "messages[1].weight"),
        ([{"messages": [{"role": "robot", "content": "Hi"}]}], 1, "messages[0].role"),
    ],
)
def test_bad_lines_are_located(tokenizer, tmp_path, rows, line, field):
    with pytest.raises(DataFormatError) as raised:
        tokenize_sft_file(write_jsonl(tmp_path / "bad.jsonl", rows), tokenizer, max_length=128)
    assert raised.value.file == "bad.jsonl" and raised.value.line == line and raised.value.field == field


def test_preference_file(tmp_path):
    good = {"input": {"messages": [{"role": "developer", "content": "Be warm."}, {"role": "user", "content": "Hi"}]},
            "preferred_output": [{"role": "assistant", "content": "Hey there!"}],
            "non_preferred_output": [{"role": "assistant", "content": "State your issue."}]}
    records = read_preference_file(write_jsonl(tmp_path / "p.jsonl", [good]), template_has_tools=False)
    assert records == [{"prompt": [{"role": "system", "content": "Be warm."}, {"role": "user", "content": "Hi"}],
                        "chosen": [{"role": "assistant", "content": "Hey there!"}],
                        "rejected": [{"role": "assistant", "content": "State your issue."}]}]
    bad = dict(good, non_preferred_output=[{"role": "user", "content": "?"}])
    with pytest.raises(DataFormatError) as raised:
        read_preference_file(write_jsonl(tmp_path / "q.jsonl", [good, bad]), template_has_tools=False)
    assert raised.value.line == 2 and raised.value.field == "non_preferred_output"
