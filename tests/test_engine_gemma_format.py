"""Gemma's turn format (GEMMA_CHAT_TEMPLATE): how conversations render, and which tokens training puts a loss on.

The tokenizer here is a small byte-level BPE with Gemma's special tokens, trained in the test (milliseconds), so
the real template, the real tokenize_chat and real offsets run without the 240 MB Gemma packages; the slow test in
test_gemma_base_model.py repeats the mask check with Gemma's own tokenizer.
"""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from nbtools.server.engine.chat_format import (
    GEMMA_CHAT_TEMPLATE,
    GEMMA_END_OF_TURN,
    template_messages,
    template_supports_tools,
)
from nbtools.server.engine.data import IGNORE_INDEX, render, tokenize_chat

SPECIAL = ["<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>"]
SYSTEM = {"role": "system", "content": "You are Brewtiful's support assistant."}
USER = {"role": "user", "content": "Do you ship to Canada?"}
REPLY = {"role": "assistant", "content": "Hey there! Yes, for $14.95. Stay grounded! ☕"}
FOLLOW_UP = {"role": "user", "content": "How long does it take?"}
REPLY_2 = {"role": "assistant", "content": "Hey there! 7 to 14 business days. Stay grounded! ☕"}


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    model = Tokenizer(models.BPE())
    model.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    model.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    corpus = [m["content"] for m in (SYSTEM, USER, REPLY, FOLLOW_UP, REPLY_2)] + ["user model"]
    model.train_from_iterator(corpus, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=model, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                  additional_special_tokens=SPECIAL[3:])
    tok.chat_template = GEMMA_CHAT_TEMPLATE
    return tok


# (messages, add_generation_prompt, the exact text Gemma's format gives)
RENDERINGS = [
    ([USER], True, "<bos><start_of_turn>user\nDo you ship to Canada?<end_of_turn>\n<start_of_turn>model\n"),
    ([SYSTEM, USER], True,
     "<bos><start_of_turn>user\nYou are Brewtiful's support assistant.\n\nDo you ship to Canada?<end_of_turn>\n"
     "<start_of_turn>model\n"),
    ([SYSTEM, USER, REPLY], False,
     "<bos><start_of_turn>user\nYou are Brewtiful's support assistant.\n\nDo you ship to Canada?<end_of_turn>\n"
     "<start_of_turn>model\nHey there! Yes, for $14.95. Stay grounded! ☕<end_of_turn>\n"),
    ([USER, REPLY, FOLLOW_UP], True,
     "<bos><start_of_turn>user\nDo you ship to Canada?<end_of_turn>\n<start_of_turn>model\nHey there! Yes, for "
     "$14.95. Stay grounded! ☕<end_of_turn>\n<start_of_turn>user\nHow long does it take?<end_of_turn>\n"
     "<start_of_turn>model\n"),
    # contents are trimmed, as in Gemma's official template
    ([{"role": "user", "content": "  Hi  \n"}], True,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"),
    # a system message not followed by a user message is a user turn of its own
    ([SYSTEM, REPLY], False,
     "<bos><start_of_turn>user\nYou are Brewtiful's support assistant.<end_of_turn>\n<start_of_turn>model\n"
     "Hey there! Yes, for $14.95. Stay grounded! ☕<end_of_turn>\n"),
    # OpenAI's developer role is the system role
    ([{"role": "developer", "content": "Be brief."}, USER], True,
     "<bos><start_of_turn>user\nBe brief.\n\nDo you ship to Canada?<end_of_turn>\n<start_of_turn>model\n"),
]


@pytest.mark.parametrize("messages, prompt, expected", RENDERINGS)
def test_conversations_render_in_gemma_turn_format(tokenizer, messages, prompt, expected):
    converted = template_messages(messages, template_has_tools=template_supports_tools(tokenizer.chat_template))
    assert render(tokenizer, converted, add_generation_prompt=prompt) == expected


def test_tools_are_written_as_text_into_the_first_user_turn(tokenizer):
    assert not template_supports_tools(GEMMA_CHAT_TEMPLATE)
    tool = {"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}
    call = {"id": "c1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id": "BC-1"}'}}
    messages = [SYSTEM, USER, {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": '{"status": "shipped"}'}]
    text = render(tokenizer, template_messages(messages, tools=[tool], template_has_tools=False),
                  add_generation_prompt=True)
    first_user = text.split("<end_of_turn>")[0]
    assert first_user.startswith("<bos><start_of_turn>user\nYou are Brewtiful's") and "<tools>" in first_user
    assert '<start_of_turn>model\n<tool_call>\n{"name": "lookup_order", "arguments": {"order_id": "BC-1"}}' in text
    assert '<start_of_turn>user\n<tool_response>\n{"status": "shipped"}\n</tool_response><end_of_turn>' in text


def labelled_runs(tokenizer, chat) -> list[str]:
    """The text of each run of consecutive labelled tokens."""
    runs, current = [], []
    for token, label in zip(chat.input_ids, chat.labels):
        if label != IGNORE_INDEX:
            assert label == token
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [tokenizer.decode(run) for run in runs]


# (messages, the labelled text: each trained reply followed by <end_of_turn>, nothing else)
MASKS = [
    ([SYSTEM, USER, REPLY], [REPLY["content"] + GEMMA_END_OF_TURN]),
    ([USER, REPLY, FOLLOW_UP, REPLY_2], [REPLY["content"] + GEMMA_END_OF_TURN, REPLY_2["content"] + GEMMA_END_OF_TURN]),
    ([USER, {**REPLY, "weight": 0}, FOLLOW_UP, REPLY_2], [REPLY_2["content"] + GEMMA_END_OF_TURN]),
    ([SYSTEM, REPLY], [REPLY["content"] + GEMMA_END_OF_TURN]),
]


@pytest.mark.parametrize("messages, expected", MASKS)
def test_only_assistant_tokens_and_end_of_turn_are_trained(tokenizer, messages, expected):
    chat = tokenize_chat(tokenizer, messages, max_length=512)
    assert labelled_runs(tokenizer, chat) == expected
    end_of_turn = tokenizer.convert_tokens_to_ids(GEMMA_END_OF_TURN)
    trained_ends = [i for i, label in enumerate(chat.labels) if label == end_of_turn]
    assert len(trained_ends) == len(expected)  # the user turns' <end_of_turn> carry no loss
    assert chat.input_ids[0] == tokenizer.bos_token_id and chat.labels[0] == IGNORE_INDEX
