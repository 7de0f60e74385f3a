"""Batched language identification: the same languages and probabilities as py3langid's classify, text by text."""

from __future__ import annotations

import numpy as np
import pytest

from nbtools.corpus.language import SYNC_BYTES, _identifier, _walker, classify_texts

TEXTS = [
    "Where is my order? It was due on Monday.",
    "Wo ist meine Bestellung? Sie sollte am Montag ankommen.",
    "Bonjour, ma commande n'est pas arrivée. Pouvez-vous m'aider ?",
    "¿Dónde está mi pedido? Debía llegar el lunes.",
    "HELLO THERE, MY PARCEL IS LATE",
    "ünïcödé ☕ 中文 テキスト",
    "",
    " ",
    "a",
    "ab",
    "abcde",
    "abcdef",
    "abcdefg",
    "x\x00y",
    "cafe\u0301 (NFD)",
    "\ud800 lone surrogate",
    "Where is my order? It was due on Monday.",  # a repeat: classified once, reported twice
]


def test_the_installed_model_takes_the_vectorised_walk():
    assert _walker(_identifier()) is not None


def test_equal_to_classify_text_by_text():
    identifier = _identifier()
    assert classify_texts(TEXTS) == [identifier.classify(t) for t in TEXTS]


@pytest.mark.parametrize("seed", [0, 1])
def test_equal_on_random_texts_of_every_length(seed):
    rng = np.random.default_rng(seed)
    alphabet = list("abcdefghij klmnopqrstuvwxyzäöüéèßçñ.,?!\n0123456789ABCDE")
    texts = ["".join(rng.choice(alphabet, size=int(n))) for n in rng.integers(0, 60, size=200)]
    identifier = _identifier()
    assert classify_texts(texts) == [identifier.classify(t) for t in texts]


def test_the_automaton_forgets_its_state_after_sync_bytes():
    """A sample of the property the walk relies on (proved for all states by synchronising_depth, ~1 minute)."""
    identifier = _identifier()
    nxt, rowbase = np.asarray(identifier.tk_nextmove), np.asarray(identifier._rowbase)
    rng = np.random.default_rng(3)
    states = rng.integers(0, len(rowbase), size=20000)
    words = rng.integers(0, 256, size=(20000, SYNC_BYTES))
    from_any, from_start = states, np.zeros_like(states)
    for k in range(SYNC_BYTES):
        from_any = nxt[rowbase[from_any] + words[:, k]]
        from_start = nxt[rowbase[from_start] + words[:, k]]
    assert (from_any == from_start).all()
