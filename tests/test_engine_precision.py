"""Inference precisions (nbtools.server.engine.quantize) on the real base model: weight-only int8 (layers,
agreement with float32, batching), merged adapters."""

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
    """Greedy ids per prompt, decoded as one batch."""
    out = [[] for _ in prompts]
    decode_batch(model, [Choice(prompt=p, params=GREEDY, max_new=TOKENS, generator=None, deliver=out[i].append)
                         for i, p in enumerate(prompts)], eos_ids=eos, pad_id=0)
    return out


@pytest.fixture(scope="module")
def int8_model(loaded):
    import copy

    from nbtools.server.engine.quantize import for_inference

    return for_inference(copy.deepcopy(loaded[0]), "int8").eval()


def test_every_linear_layer_becomes_weight_only_int8_and_the_original_stays_float32(loaded, int8_model):
    import torch

    from nbtools.server.engine.quantize import Int8WeightLinear

    layers = [m for m in int8_model.modules() if isinstance(m, Int8WeightLinear)]
    assert len(layers) == 30 * 7 + 1  # q, k, v, o, gate, up, down per layer, and the output layer
    assert not any(isinstance(m, torch.nn.Linear) for m in int8_model.modules())
    assert all(layer.weight_int8.dtype == torch.int8 for layer in layers)
    assert int8_model.get_input_embeddings().weight.dtype == torch.float32  # the embedding keeps its rows
    assert not any(isinstance(m, Int8WeightLinear) for m in loaded[0].modules())


def test_int8_ranks_first_what_float32_ranks_first_on_its_own_greedy_answers(loaded, int8_model):
    """Teacher-forced on float32's greedy answers: the share of answer tokens int8 also ranks first (measured 97%
    on the benchmark's prompts; the dynamic int8 it replaced: 65%)."""
    import torch

    model, tokenizer, eos = loaded
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS]
    agree = total = 0
    for prompt, answer in zip(prompts, _decode(model, eos, prompts)):
        ids = torch.tensor([prompt + answer])
        with torch.inference_mode():
            picks = [m(input_ids=ids).logits[0, len(prompt) - 1:-1].argmax(-1) for m in (model, int8_model)]
        agree += int((picks[0] == picks[1]).sum())
        total += len(answer)
    assert total >= 3 * TOKENS and agree / total >= 0.9


def test_an_int8_batch_decodes_what_one_at_a_time_decoding_does(loaded, int8_model):
    """Activations are not quantized, so the rows of a batch do not touch each other."""
    _, tokenizer, eos = loaded
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS]
    assert len({len(p) for p in prompts}) == len(prompts)  # different lengths: left padding matters
    together, alone = _decode(int8_model, eos, prompts), [_decode(int8_model, eos, [p])[0] for p in prompts]
    assert together == alone
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
