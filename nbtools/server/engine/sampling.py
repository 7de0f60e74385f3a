"""Next-token choice for a batch of sequences with OpenAI's sampling parameters: pure functions over tensors.

* :func:`apply_penalties` -- OpenAI's frequency and presence penalties over the tokens generated so far:
  ``logits[j] -= count[j] * frequency_penalty + (count[j] > 0) * presence_penalty`` (the prompt does not count).
* :func:`choose` -- greedy (``temperature`` 0) or temperature + nucleus (``top_p``) sampling, one generator per row,
  so a seeded request gives the same tokens whichever other requests share its batch.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["PENALTY_RANGE", "apply_penalties", "choose"]

PENALTY_RANGE = (-2.0, 2.0)  # OpenAI's bounds for frequency_penalty and presence_penalty


def apply_penalties(logits, counts, frequency, presence):
    """Logits [B, V] minus each row's frequency/presence penalty for the counts [B, V] of its generated tokens.

    `frequency` and `presence` are tensors of shape [B] (or floats). Returns a new tensor.

    >>> import torch
    >>> apply_penalties(torch.zeros(1, 3), torch.tensor([[0, 1, 3]]), torch.tensor([0.5]), torch.tensor([1.0]))
    tensor([[ 0.0000, -1.5000, -2.5000]])
    """
    import torch

    frequency = torch.as_tensor(frequency, dtype=logits.dtype, device=logits.device).reshape(-1, 1)
    presence = torch.as_tensor(presence, dtype=logits.dtype, device=logits.device).reshape(-1, 1)
    counts = counts.to(logits.dtype)
    return logits - counts * frequency - (counts > 0).to(logits.dtype) * presence


def _nucleus(probs, top_p: float):
    """Probabilities with everything outside the smallest set whose mass reaches `top_p` set to 0 (renormalised)."""
    import torch

    if top_p >= 1.0:
        return probs
    ordered, order = torch.sort(probs, descending=True)
    before = torch.cumsum(ordered, dim=-1) - ordered  # mass strictly before each token
    ordered = torch.where(before < top_p, ordered, torch.zeros_like(ordered))
    kept = torch.zeros_like(probs).scatter(-1, order, ordered)
    return kept / kept.sum(-1, keepdim=True)


def choose(logits, temperatures: Sequence[float], top_ps: Sequence[float], generators: Sequence):
    """Next token id per row of `logits` [B, V]: argmax where the temperature is 0, else a sample.

    >>> import torch
    >>> choose(torch.tensor([[0.0, 2.0, 1.0]]), [0.0], [1.0], [None]).tolist()
    [1]
    """
    import torch

    out = logits.argmax(-1)
    for row, (temperature, top_p, generator) in enumerate(zip(temperatures, top_ps, generators)):
        if temperature <= 0:
            continue
        probs = torch.softmax(logits[row].float() / temperature, dim=-1)
        probs = _nucleus(probs, top_p)
        out[row] = torch.multinomial(probs, 1, generator=generator)[0]
    return out
