"""Batched decoding gives the answers of one-at-a-time decoding (fp32 greedy: the same token ids)."""

from __future__ import annotations

import threading

import pytest

from generation_reference import BASE, prompt_ids, reference_greedy
from nbtools.errors import InputError
from nbtools.server.engine import ChatEngine, GenerationParams
from nbtools.server.engine import generate as generate_module
from nbtools.server.engine.batch import Choice, decode_batch

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Hi",
    "My coffee subscription box arrived with a torn bag. What should I do?",
    "How do I brew cold brew at home? Give me the steps.",
    "Can you explain the difference between a light roast and a dark roast, and which one has more caffeine?",
    "Write a short, friendly note thanking a customer for five years with us.",
    "Is decaf coffee really caffeine free?",
]
GREEDY = GenerationParams(temperature=0, max_tokens=24)


@pytest.fixture(scope="module")
def loaded():
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    model, tokenizer = load_model(BASE, choose_placement("cpu")).eval(), load_tokenizer_for(BASE)
    eos = frozenset({tokenizer.eos_token_id, model.generation_config.eos_token_id} - {None})
    return model, tokenizer, eos


def _decode(model, eos, prompts, params=GREEDY, max_new=None, halt_after=None):
    """Token ids per prompt from one decode_batch call over all `prompts`."""
    out = [[] for _ in prompts]
    choices = [Choice(prompt=p, params=params, max_new=(max_new or [params.max_tokens] * len(prompts))[i],
                      generator=None, deliver=out[i].append,
                      halted=(lambda i=i: halt_after is not None and i in halt_after
                              and len(out[i]) >= halt_after[i]))
               for i, p in enumerate(prompts)]
    decode_batch(model, choices, eos_ids=eos, pad_id=0)
    return out


def test_a_batch_gives_each_prompts_own_greedy_tokens(loaded):
    model, tokenizer, eos = loaded
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS]
    assert len({len(p) for p in prompts}) == len(prompts)  # really different lengths: padding matters
    together = _decode(model, eos, prompts)
    alone = [_decode(model, eos, [p])[0] for p in prompts]
    assert together == alone


@pytest.mark.parametrize("question", QUESTIONS[:2])
def test_the_kv_cache_loop_matches_the_plain_decoder(loaded, question):
    model, tokenizer, eos = loaded
    prompt = prompt_ids(tokenizer, [{"role": "user", "content": question}])
    assert _decode(model, eos, [prompt])[0] == reference_greedy(model, prompt, max_tokens=24, eos=set(eos))


def test_each_sequence_stops_at_its_own_limit_or_halt(loaded):
    model, tokenizer, eos = loaded
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS[1:4]]
    full = _decode(model, eos, prompts)
    cut = _decode(model, eos, prompts, max_new=[5, 24, 11], halt_after={2: 3})
    assert [len(c) for c in cut] == [5, len(full[1]), 3]
    assert [full[i][: len(c)] for i, c in enumerate(cut)] == cut and cut[1] == full[1]


def test_penalties_per_row_match_the_plain_decoder(loaded):
    model, tokenizer, eos = loaded
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS[1:3]]
    out = [[], []]
    settings = [(1.5, 0.0), (0.0, 0.0)]
    choices = [Choice(prompt=p, params=GenerationParams(temperature=0, max_tokens=16, frequency_penalty=f,
                                                        presence_penalty=pr),
                      max_new=16, generator=None, deliver=out[i].append)
               for i, (p, (f, pr)) in enumerate(zip(prompts, settings))]
    decode_batch(model, choices, eos_ids=eos, pad_id=0)
    assert out == [reference_greedy(model, p, max_tokens=16, eos=set(eos), frequency=f, presence=pr)
                   for p, (f, pr) in zip(prompts, settings)]


@pytest.fixture(scope="module")
def engine():
    return ChatEngine(batch_window=0.2)  # a wide window: threads started together surely share a batch


@pytest.fixture()
def batch_sizes(monkeypatch):
    sizes = []
    real = generate_module.decode_batch

    def spy(model, choices, **kwargs):
        sizes.append(len(choices))
        return real(model, choices, **kwargs)

    monkeypatch.setattr(generate_module, "decode_batch", spy)
    return sizes


def _concurrently(calls):
    results = [None] * len(calls)

    def run(i):
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_streams_share_a_batch_and_each_gets_its_own_answer(engine, batch_sizes):
    asks = [[{"role": "user", "content": q}] for q in QUESTIONS[:4]]
    streamed = _concurrently([lambda m=m: list(engine.stream(BASE, None, m, GREEDY)) for m in asks])
    assert max(batch_sizes) > 1
    alone = [engine.generate(BASE, None, m, GREEDY)[0] for m in asks]
    for deltas, single in zip(streamed, alone):
        assert "".join(d.text for d in deltas) == single.text
        assert (deltas[-1].finish_reason, deltas[-1].completion_tokens) == (single.finish_reason,
                                                                            single.completion_tokens)


def test_n_choices_are_rows_of_one_batch(engine, batch_sizes):
    asked = [{"role": "user", "content": QUESTIONS[2]}]
    choices = engine.generate(BASE, None, asked, GenerationParams(temperature=0, max_tokens=24, n=3))
    assert batch_sizes == [3]
    assert choices == engine.generate(BASE, None, asked, GREEDY) * 3


def test_stop_strings_apply_per_request_in_a_batch(engine):
    asked = [{"role": "user", "content": QUESTIONS[1]}]
    full = engine.generate(BASE, None, asked, GREEDY)[0]
    stop = " " + full.text.split()[3]
    plain, stopped = _concurrently([
        lambda: engine.generate(BASE, None, asked, GREEDY)[0],
        lambda: engine.generate(BASE, None, asked, GenerationParams(temperature=0, max_tokens=24, stop=(stop,)))[0],
    ])
    assert plain == full
    assert (stopped.text, stopped.finish_reason) == (full.text[: full.text.index(stop)], "stop")


def test_requests_for_different_adapters_get_their_own_model(engine, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model

    from nbtools.server.engine.models import choose_placement, load_model

    torch.manual_seed(3)
    lora = get_peft_model(load_model(BASE, choose_placement("cpu")),
                          LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    lora.save_pretrained(tmp_path / "a")
    asked = [{"role": "user", "content": QUESTIONS[1]}]
    together = _concurrently([lambda: engine.generate(BASE, tmp_path / "a", asked, GREEDY)[0],
                              lambda: engine.generate(BASE, None, asked, GREEDY)[0]])
    alone = [engine.generate(BASE, tmp_path / "a", asked, GREEDY)[0], engine.generate(BASE, None, asked, GREEDY)[0]]
    assert together == alone and alone[0].text != alone[1].text


def test_bad_engine_settings_are_refused():
    with pytest.raises(InputError) as raised:
        ChatEngine(dtype="float16")
    assert (raised.value.field, raised.value.value) == ("dtype", "float16")
    with pytest.raises(InputError):
        ChatEngine(max_batch=0)


def test_the_small_batch_layout_gives_the_same_tokens(loaded):
    """float32 decoding with SmallBatchLinear (weight @ x.T for 2-16 rows, the AVX2 default): a batch still gives
    each prompt its one-at-a-time tokens, and those are the plain model's."""
    import copy

    from nbtools.server.engine.quantize import SmallBatchLinear, for_inference

    model, tokenizer, eos = loaded
    fast = for_inference(copy.deepcopy(model), "float32", small_batch=True)
    assert isinstance(fast.get_output_embeddings(), SmallBatchLinear)
    assert fast.get_output_embeddings().weight is fast.get_input_embeddings().weight  # still tied
    prompts = [prompt_ids(tokenizer, [{"role": "user", "content": q}]) for q in QUESTIONS]
    together = _decode(fast, eos, prompts)
    assert together == [_decode(fast, eos, [p])[0] for p in prompts]
    assert together == _decode(model, eos, prompts)
