"""The labelled-positions loss (:mod:`nbtools.server.engine.labelled_loss`) against transformers' own loss: same
value, same gradients, same counted tokens and token accuracy, on real multi-turn chats with weight-0 turns."""

from __future__ import annotations

import pytest

from engine_support import QUESTIONS, reply
from nbtools.server.engine.data import IGNORE_INDEX, tokenize_chat
from nbtools.server.engine.labelled_loss import add_labelled_head, labelled_loss, supports_labelled_head

BASE = "smollm2-135m-instruct"
pytestmark = pytest.mark.slow


def _chats():
    """Three conversations of 1-3 turns; the second turn of each multi-turn one is untrained (weight 0)."""
    chats = []
    for i, question in enumerate(QUESTIONS[:3]):
        messages = [{"role": "system", "content": "You are Brewtiful's support agent."}]
        for turn in range(1 + i % 3):
            messages += [{"role": "user", "content": f"{question} (follow-up {turn})"},
                         {"role": "assistant", "content": reply(question), **({"weight": 0} if turn == 1 else {})}]
        chats.append(messages)
    return chats


@pytest.fixture(scope="module")
def setup():
    """(PEFT LoRA model with the labelled head, padded batch, tokenized examples), as the engine trains them."""
    import torch
    from peft import get_peft_model

    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for
    from nbtools.server.engine.training import TrainOptions, _lora_config

    tokenizer = load_tokenizer_for(BASE)
    examples = [tokenize_chat(tokenizer, chat, max_length=512) for chat in _chats()]
    torch.manual_seed(0)
    model = get_peft_model(load_model(BASE, choose_placement("cpu")), _lora_config(TrainOptions()))
    with torch.no_grad():  # LoRA B starts at zero; make the adapter non-trivial so every gradient is exercised
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.02)
    add_labelled_head(model.get_base_model())
    width = max(len(e.input_ids) for e in examples)
    pad = tokenizer.pad_token_id
    batch = {
        "input_ids": torch.tensor([e.input_ids + [pad] * (width - len(e.input_ids)) for e in examples]),
        "attention_mask": torch.tensor([[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in examples]),
        "labels": torch.tensor([e.labels + [IGNORE_INDEX] * (width - len(e.labels)) for e in examples]),
    }
    return model, batch, examples


def _grads(model):
    return {name: param.grad.detach().clone() for name, param in model.named_parameters() if param.grad is not None}


def test_the_examples_cover_weight_zero_and_multi_turn(setup):
    _, batch, examples = setup
    assert [e.n_trained > 0 for e in examples] == [True] * 3
    # the 3-turn chat trains replies 1 and 3 (reply 2 has weight 0): two labelled spans, with unlabelled tokens
    # between them that hold a whole assistant reply
    labelled = [label != IGNORE_INDEX for label in examples[2].labels]
    starts = [i for i in range(1, len(labelled)) if labelled[i] and not labelled[i - 1]]
    assert len(starts) == 2
    assert int((batch["labels"][:, 0] != IGNORE_INDEX).sum()) == 0  # so shifting loses no labelled token


def test_same_loss_gradients_tokens_and_accuracy_as_the_full_logits_path(setup):
    import torch

    model, batch, examples = setup
    model.zero_grad()
    reference = model(**batch)  # transformers' loss: every position's logits, mean over labelled tokens
    reference.loss.backward()
    reference_grads = _grads(model)
    targets = batch["labels"][:, 1:]
    mask = targets != IGNORE_INDEX
    reference_correct = int((reference.logits[:, :-1].argmax(-1)[mask] == targets[mask]).sum())

    model.zero_grad()
    out = model(**batch, labelled_head=True)
    (out.loss_sum / out.n_tokens).backward()
    grads = _grads(model)

    assert int(out.n_tokens) == sum(e.n_trained for e in examples)
    assert float((out.loss_sum / out.n_tokens).detach()) == pytest.approx(float(reference.loss.detach()), rel=1e-5)
    assert int(out.n_correct) == reference_correct
    assert grads.keys() == reference_grads.keys() and len(grads) == 2 * 7 * 30  # A and B of every projection
    for name, grad in grads.items():
        torch.testing.assert_close(grad, reference_grads[name], rtol=1e-3, atol=1e-7, msg=name)
    assert supports_labelled_head(model.get_base_model())
    with pytest.raises(ValueError, match="needs labels"):
        model(input_ids=batch["input_ids"], labelled_head=True)


def test_labelled_loss_on_a_tiny_head_matches_cross_entropy():
    import torch
    import torch.nn.functional as F

    torch.manual_seed(1)
    hidden, head = torch.randn(2, 5, 8), torch.nn.Linear(8, 11, bias=False)
    labels = torch.tensor([[-100, 3, -100, 4, 5], [-100, -100, 7, -100, -100]])
    out = labelled_loss(hidden, labels, head)
    full = F.cross_entropy(head(hidden[:, :-1]).reshape(-1, 11), labels[:, 1:].reshape(-1), reduction="sum")
    assert int(out.n_tokens) == 4
    assert float(out.loss_sum) == pytest.approx(float(full), rel=1e-6)
