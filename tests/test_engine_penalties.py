"""frequency_penalty and presence_penalty: OpenAI's formula, the engine against a plain reference, the HTTP range."""

from __future__ import annotations

import openai
import pytest

from generation_reference import BASE, prompt_ids, reference_greedy
from nbtools.errors import InputError
from nbtools.server.config import ServerConfig
from nbtools.server.engine import ChatEngine, GenerationParams
from nbtools.server.engine.sampling import apply_penalties
from server_support import thread_server

REPEATS = [{"role": "user", "content": "Repeat after me: coffee coffee coffee coffee coffee coffee coffee coffee"}]


@pytest.mark.parametrize(
    ("counts", "frequency", "presence", "expected"),
    [
        ([0, 0, 0], 1.0, 1.0, [1.0, 2.0, 3.0]),  # nothing generated yet: no change
        ([0, 1, 3], 0.5, 0.0, [1.0, 1.5, 1.5]),  # frequency scales with the count
        ([0, 1, 3], 0.0, 1.0, [1.0, 1.0, 2.0]),  # presence once per token seen
        ([2, 0, 1], -1.0, -0.5, [3.5, 2.0, 4.5]),  # negative values encourage repeats
    ],
)
def test_penalty_formula(counts, frequency, presence, expected):
    import torch

    logits = torch.tensor([[1.0, 2.0, 3.0]])
    out = apply_penalties(logits, torch.tensor([counts]), torch.tensor([frequency]), torch.tensor([presence]))
    assert out[0].tolist() == pytest.approx(expected)


@pytest.fixture(scope="module")
def engine():
    return ChatEngine()


@pytest.fixture(scope="module")
def reference_model():
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    return load_model(BASE, choose_placement("cpu")).eval(), load_tokenizer_for(BASE)


@pytest.mark.slow
@pytest.mark.parametrize(("frequency", "presence"), [(0.0, 0.0), (1.5, 0.0), (0.0, 2.0), (0.8, 0.8)])
def test_engine_matches_the_reference_decoder(engine, reference_model, frequency, presence):
    model, tokenizer = reference_model
    eos = {tokenizer.eos_token_id, *([model.generation_config.eos_token_id] if isinstance(
        model.generation_config.eos_token_id, int) else model.generation_config.eos_token_id or [])}
    expected = reference_greedy(model, prompt_ids(tokenizer, REPEATS), max_tokens=24, eos=eos,
                                frequency=frequency, presence=presence)
    got = engine.generate(BASE, None, REPEATS, GenerationParams(temperature=0, max_tokens=24,
                                                                frequency_penalty=frequency,
                                                                presence_penalty=presence))[0]
    assert got.text == tokenizer.decode(expected, skip_special_tokens=True)
    assert got.completion_tokens == len(expected)


@pytest.mark.slow
def test_a_frequency_penalty_makes_an_answer_less_repetitive(engine, reference_model):
    tokenizer = reference_model[1]

    def distinct_share(penalty: float) -> float:
        text = engine.generate(BASE, None, REPEATS, GenerationParams(temperature=0, max_tokens=30,
                                                                     frequency_penalty=penalty))[0].text
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return len(set(ids)) / len(ids)

    assert distinct_share(2.0) > distinct_share(0.0)


@pytest.mark.parametrize("name", ["frequency_penalty", "presence_penalty"])
@pytest.mark.parametrize("value", [-2.5, 2.01])
def test_engine_refuses_out_of_range(engine, name, value):
    with pytest.raises(InputError) as raised:
        engine.stream(BASE, None, REPEATS, GenerationParams(**{name: value}))
    assert (raised.value.field, raised.value.value) == (name, value)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # float32 like the engine fixture it is compared with (the server's default, auto, is int8 on an AVX-512 CPU)
    config = ServerConfig(data_dir=tmp_path_factory.mktemp("server"), worker=False, chat_precision="float32")
    with thread_server(config) as url:  # the real engine
        yield openai.OpenAI(base_url=url, api_key="unused", max_retries=0)


@pytest.mark.parametrize("name", ["frequency_penalty", "presence_penalty"])
@pytest.mark.parametrize("value", [-2.1, 3.0])
def test_server_refuses_out_of_range_with_the_parameter_named(client, name, value):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=BASE, messages=REPEATS, max_tokens=4, **{name: value})
    error = raised.value.body
    assert error["param"] == name and error["type"] == "invalid_request_error"
    assert str(value) in error["message"]


@pytest.mark.slow
def test_server_honours_the_penalties(client, engine):
    asked = dict(model=BASE, messages=REPEATS, max_tokens=30, temperature=0)
    plain = client.chat.completions.create(**asked).choices[0].message.content
    penalised = client.chat.completions.create(**asked, frequency_penalty=2.0, presence_penalty=0.5)
    expected = engine.generate(BASE, None, REPEATS, GenerationParams(temperature=0, max_tokens=30,
                                                                     frequency_penalty=2.0, presence_penalty=0.5))
    assert penalised.choices[0].message.content == expected[0].text != plain
