"""Inference precisions (nbtools.server.engine.quantize) on the real base model: int8 batching, merged adapters."""

from __future__ import annotations

import threading

import pytest

from generation_reference import BASE, prompt_ids
from nbtools.errors import InputError
from nbtools.server.engine import ChatEngine, GenerationParams
from nbtools.server.engine.batch import Choice, decode_batch

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Hi",
    "My coffee subscription box arrived with a torn bag. What should I do?",
    "How do I brew cold brew at home? Give me the steps.",
    "Is decaf coffee really caffeine free?",
]
TOKENS = 12
GREEDY = GenerationParams(temperature=0, max_tokens=TOKENS)


@pytest.fixture(scope="module")
def loaded():
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    model, tokenizer = load_model(BASE, choose_placement("cpu")).eval(), load_tokenizer_for(BASE)
    eos = frozenset({tokenizer.eos_token_id, model.generation_config.eos_token_id} - {None})
    return model, tokenizer, eos


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, loaded):
    """A rank-4 LoRA adapter with random (non-zero) weights on q/v, as a PEFT directory."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(5)
    lora = get_peft_model(copy.deepcopy(loaded[0]),
                          LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    path = tmp_path_factory.mktemp("adapter") / "a"
    lora.save_pretrained(path)
    return path


def _decode(model, eos, prompts):
    """Greedy ids per prompt, each prompt prefilled on its own (as the engine does at int8)."""
    out = [[] for _ in prompts]
    decode_batch(model, [Choice(prompt=p, params=GREEDY, max_new=TOKENS, generator=None, deliver=out[i].append)
                         for i, p in enumerate(prompts)], eos_ids=eos, pad_id=0, prefill_alone=True)
    return out


@pytest.fixture(scope="module")
def int8_model(loaded):
    import copy

    from nbtools.server.engine.quantize import for_inference

    return for_inference(copy.deepcopy(loaded[0]), "int8").eval()


def test_every_linear_layer_but_the_outliers_becomes_int8_and_the_original_stays_float32(loaded, int8_model):
    import torch

    from nbtools.server.engine.quantize import outlier_linears

    kept = outlier_linears(loaded[0])
    assert kept and all(name.endswith("mlp.down_proj") for name in kept)  # SmolLM2's massive activations
    assert "model.layers.11.mlp.down_proj" in kept and len(kept) < 12
    quantized = [n for n, m in int8_model.named_modules() if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)]
    assert len(quantized) == 30 * 7 + 1 - len(kept)  # q, k, v, o, gate, up, down per layer, and the output layer
    assert all(type(int8_model.get_submodule(name)) is torch.nn.Linear for name in kept)
    assert int8_model.get_input_embeddings().weight.dtype == torch.float32  # the embedding keeps its rows
    assert not any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in loaded[0].modules())


def test_an_int8_batch_starts_each_answer_as_one_at_a_time_decoding_does(loaded, int8_model):
    """Each prompt is prefilled on its own, so its first token is its own; later steps share one activation scale
    per call at int8, so rows may drift apart (measured: "Hi" agreed for 4 tokens). float32 is exact (test_batch)."""
    _, tokenizer, eos = loaded
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS]
    assert len({len(p) for p in prompts}) == len(prompts)  # different lengths: left padding matters
    together, alone = _decode(int8_model, eos, prompts), [_decode(int8_model, eos, [p])[0] for p in prompts]
    assert [t[0] for t in together] == [a[0] for a in alone]
    assert all(len(t) == TOKENS or t[-1] in eos for t in together)


def test_a_merged_adapter_decodes_like_the_unmerged_one(loaded, adapter):
    from peft import PeftModel

    from nbtools.server.engine.quantize import merged_adapter

    model, tokenizer, eos = loaded
    prompt = prompt_ids(tokenizer, [{"role": "user", "content": QUESTIONS[1]}])
    merged = merged_adapter(model, adapter)
    unmerged = PeftModel.from_pretrained(model, str(adapter)).eval()
    try:
        expected = _decode(unmerged, eos, [prompt])[0]
    finally:
        unmerged.unload()  # leave the module's base model plain
    assert _decode(merged, eos, [prompt])[0] == expected
    assert expected != _decode(model, eos, [prompt])[0]  # the adapter matters


@pytest.fixture(scope="module")
def engine():
    return ChatEngine(dtype="int8", batch_window=0.2)


def test_the_int8_engine_streams_batches_and_stops(engine):
    asked = [{"role": "user", "content": QUESTIONS[2]}]
    full = engine.generate(BASE, None, asked, GREEDY)[0]
    streamed = list(engine.stream(BASE, None, asked, GREEDY))
    assert "".join(d.text for d in streamed) == full.text and streamed[-1].finish_reason == full.finish_reason
    stop = " " + full.text.split()[2]
    results: list = [None, None]

    def ask(i, params):
        results[i] = engine.generate(BASE, None, asked, params)[0]

    threads = [threading.Thread(target=ask, args=(0, GREEDY)),
               threading.Thread(target=ask, args=(1, GenerationParams(temperature=0, max_tokens=TOKENS,
                                                                      stop=(stop,))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == full
    assert (results[1].text, results[1].finish_reason) == (full.text[: full.text.index(stop)], "stop")


def test_the_int8_engine_serves_an_adapter_merged_and_cached(engine, adapter):
    asked = [{"role": "user", "content": QUESTIONS[1]}]
    tuned = engine.generate(BASE, adapter, asked, GREEDY)[0]
    assert tuned.text != engine.generate(BASE, None, asked, GREEDY)[0].text
    assert engine.generate(BASE, adapter, asked, GREEDY)[0] == tuned  # the cached merged copy
    engine.forget(adapter)
    assert not engine._bases[next(iter(engine._bases))].adapters


def test_an_unknown_precision_is_refused():
    with pytest.raises(InputError) as raised:
        ChatEngine(dtype="int4")
    assert (raised.value.field, raised.value.value) == ("dtype", "int4")
