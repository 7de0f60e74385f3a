"""ChatEngine on the real base model: sampling parameters, stop strings, streaming, counts, adapters, threads."""

from __future__ import annotations

import threading

import pytest

from nbtools.errors import InputError
from nbtools.server.engine import ChatEngine, GenerationParams

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"
MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Name three things people put in coffee."}]


@pytest.fixture(scope="module")
def engine():
    return ChatEngine()


@pytest.fixture(scope="module")
def tokenizer():
    from nbtools.server.engine.models import load_tokenizer_for

    return load_tokenizer_for(BASE)


@pytest.fixture(scope="module")
def greedy(engine):
    return engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=40))[0]


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    """Two LoRA adapters with random (non-zero) weights, saved as PEFT directories: no training needed."""
    import torch
    from peft import LoraConfig, get_peft_model

    from nbtools.server.engine.models import choose_placement, load_model

    root = tmp_path_factory.mktemp("adapters")
    paths = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        model = get_peft_model(load_model(BASE, choose_placement("cpu")),
                               LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
        model.save_pretrained(root / f"a{seed}")
        paths.append(root / f"a{seed}")
    return paths


def test_prompt_tokens_are_the_templated_prompt(greedy, tokenizer):
    expected = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=True, return_dict=True)
    assert greedy.prompt_tokens == len(expected["input_ids"])


def test_greedy_is_repeatable(engine, greedy):
    again = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=40, seed=123))[0]
    assert again == greedy and greedy.text


def test_length_cap(engine, greedy):
    capped = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=5))[0]
    assert (capped.finish_reason, capped.completion_tokens) == ("length", 5)
    assert greedy.text.startswith(capped.text)


def test_stop_string_cuts_and_is_excluded(engine, greedy):
    words = greedy.text.split()
    stop = " " + " ".join(words[3:5])  # spans several tokens
    cut = greedy.text[: greedy.text.index(stop)]
    stopped = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=40,
                                                                     stop=("never-there", stop)))[0]
    assert (stopped.text, stopped.finish_reason) == (cut, "stop")
    assert stopped.completion_tokens < greedy.completion_tokens


def test_stream_gives_the_same_text_piece_by_piece(engine, greedy):
    stop = " " + " ".join(greedy.text.split()[5:7])
    params = GenerationParams(temperature=0, max_tokens=40, stop=(stop,))
    deltas = list(engine.stream(BASE, None, MESSAGES, params))
    text = "".join(d.text for d in deltas)
    assert text == engine.generate(BASE, None, MESSAGES, params)[0].text == greedy.text[: greedy.text.index(stop)]
    assert len(deltas) > 3 and all(d.finish_reason is None for d in deltas[:-1])
    assert deltas[-1].finish_reason == "stop"
    counts = [d.completion_tokens for d in deltas]
    assert counts == sorted(counts) and counts[0] >= 1


def test_seeded_sampling_is_repeatable(engine):
    params = GenerationParams(temperature=1.0, top_p=0.95, max_tokens=20, seed=5, n=2)
    first = engine.generate(BASE, None, MESSAGES, params)
    assert engine.generate(BASE, None, MESSAGES, params) == first
    assert len(first) == 2 and first[0].text != first[1].text
    other = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=1.0, max_tokens=20, seed=6, n=2))
    assert [g.text for g in other] != [g.text for g in first]


def test_developer_role_is_the_system_role(engine, greedy):
    as_developer = [dict(MESSAGES[0], role="developer"), MESSAGES[1]]
    assert engine.generate(BASE, None, as_developer, GenerationParams(temperature=0, max_tokens=40))[0] == greedy


def test_adapters_load_once_switch_and_evict(adapters, greedy):
    engine = ChatEngine(max_adapters=1)
    params = GenerationParams(temperature=0, max_tokens=12)
    a1 = engine.generate(BASE, adapters[0], MESSAGES, params)[0].text
    a2 = engine.generate(BASE, adapters[1], MESSAGES, params)[0].text  # evicts a1
    base = engine.generate(BASE, None, MESSAGES, params)[0].text
    assert len({a1, a2, base}) == 3
    assert base == engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=12))[0].text
    assert greedy.text.startswith(base)
    assert engine.generate(BASE, adapters[0], MESSAGES, params)[0].text == a1  # reloaded after eviction
    engine.forget(adapters[0])
    assert engine.generate(BASE, adapters[1], MESSAGES, params)[0].text == a2


def test_concurrent_requests_are_batched_and_answer_as_alone(engine, greedy):
    results = [None] * 3

    def ask(i):
        results[i] = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=40))[0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [greedy] * 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (GenerationParams(max_tokens=0), "max_tokens"),
        (GenerationParams(temperature=2.5), "temperature"),
        (GenerationParams(top_p=0), "top_p"),
        (GenerationParams(n=0), "n"),
    ],
)
def test_bad_params_fail_at_call_time(engine, params, field):
    with pytest.raises(InputError) as raised:
        engine.stream(BASE, None, MESSAGES, params)
    assert raised.value.field == field


def test_prompt_longer_than_the_context_is_an_input_error(engine):
    with pytest.raises(InputError) as raised:
        engine.generate(BASE, None, [{"role": "user", "content": "coffee " * 9000}], GenerationParams())
    assert raised.value.field == "messages"


def test_an_abandoned_stream_releases_the_engine(engine, greedy):
    stream = engine.stream(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=40))
    first = next(stream)
    assert greedy.text.startswith(first.text)
    stream.close()  # the client went away: generation stops, the lock is released
    assert engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=40))[0] == greedy
