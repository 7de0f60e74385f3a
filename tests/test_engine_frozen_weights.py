"""Training's frozen-weight and attention speedups against the straightforward path, on a tiny random Llama (cheap):
frozen base projections stored in bfloat16 give the same loss and adapter gradients as float32 weights under the
same bfloat16 autocast, and train the same parameters; eager attention gives SDPA's loss on padded batches."""

from __future__ import annotations

import pytest

from nbtools.server.engine.labelled_loss import add_labelled_head
from nbtools.server.engine.models import hold_frozen_linears_in

torch = pytest.importorskip("torch")


def _lora_model(attention: str = "sdpa", tied: bool = True):
    """A 2-layer random Llama with LoRA on every linear projection and the labelled head, as the engine trains."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=tied,
                         attn_implementation=attention)
    model = get_peft_model(LlamaForCausalLM(config),
                           LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM"))
    with torch.no_grad():  # LoRA B starts at zero; make the adapter non-trivial so every gradient is exercised
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.05)
    add_labelled_head(model.get_base_model())
    return model


def _batch():
    """Three rows of different lengths, right-padded; labels on the second half of each row only."""
    lengths, width = (9, 14, 5), 14
    ids = torch.randint(3, 300, (3, width), generator=torch.Generator().manual_seed(1))
    mask = torch.tensor([[1] * n + [0] * (width - n) for n in lengths])
    labels = torch.where(mask.bool(), ids, torch.full_like(ids, -100))
    labels[:, :4] = -100
    return {"input_ids": ids * mask, "attention_mask": mask, "labels": labels}


def _loss_and_grads(model, batch, *, autocast: bool):
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        out = model(**batch, labelled_head=True)
    (out.loss_sum / out.n_tokens).backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.requires_grad}
    return out.loss_sum.item(), int(out.n_tokens), grads


@pytest.mark.parametrize("tied", [True, False])
def test_frozen_linears_held_in_bf16_give_autocasts_loss_and_gradients(tied):
    reference, held = _lora_model(tied=tied), _lora_model(tied=tied)
    trained_before = {name: p.dtype for name, p in held.named_parameters() if p.requires_grad}
    assert hold_frozen_linears_in(held, torch.bfloat16) == 2 * 7 + (0 if tied else 1)  # + an untied LM head
    trained_after = {name: p.dtype for name, p in held.named_parameters() if p.requires_grad}
    assert trained_after == trained_before and set(trained_after.values()) == {torch.float32}  # adapters untouched
    base = held.get_base_model()
    assert base.model.layers[0].self_attn.q_proj.base_layer.weight.dtype == torch.bfloat16
    assert base.model.embed_tokens.weight.dtype == base.model.norm.weight.dtype == torch.float32
    assert (base.lm_head.weight.dtype == torch.float32) is tied  # tied: it is the embedding, kept as it is

    batch = _batch()
    loss, tokens, grads = _loss_and_grads(reference, batch, autocast=True)
    held_loss, held_tokens, held_grads = _loss_and_grads(held, batch, autocast=True)
    assert held_tokens == tokens == int((batch["labels"][:, 1:] != -100).sum())
    # autocast casts the float32 weights to exactly these bf16 values: the same products, the same numbers
    assert held_loss == pytest.approx(loss, rel=1e-6)
    assert held_grads.keys() == grads.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(held_grads[name], grad, rtol=1e-5, atol=1e-7, msg=name)


def test_hold_leaves_a_model_without_frozen_layers_alone():
    from transformers import LlamaConfig, LlamaForCausalLM

    model = LlamaForCausalLM(LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=2))
    assert hold_frozen_linears_in(model, torch.bfloat16) == 0  # nothing frozen: nothing cast
    assert {p.dtype for p in model.parameters()} == {torch.float32}


@pytest.mark.parametrize("autocast", [False, True])
def test_eager_attention_gives_sdpas_loss_and_gradients_on_padded_batches(autocast):
    batch = _batch()
    loss, tokens, grads = _loss_and_grads(_lora_model("sdpa"), batch, autocast=autocast)
    eager_loss, eager_tokens, eager_grads = _loss_and_grads(_lora_model("eager"), batch, autocast=autocast)
    assert eager_tokens == tokens
    assert eager_loss == pytest.approx(loss, rel=1e-5 if not autocast else 1e-2)
    for name, grad in grads.items():
        tolerance = dict(rtol=1e-4, atol=1e-6) if not autocast else dict(rtol=0.1, atol=2e-3)
        torch.testing.assert_close(eager_grads[name], grad, **tolerance, msg=name)
