"""Training order with little padding: examples of similar length share a batch (:func:`length_grouped_order`).

A batch is padded to its longest example, so random batches of chats that range from 40 to 400 tokens spend much of
their compute on padding. Grouping keeps the randomness that training needs and removes most of that waste: the
examples are shuffled (seeded), cut into "mega-batches" of several batches, and each mega-batch is sorted by
length before it is cut into batches. Every example still appears exactly once per epoch, with its own labels and
attention mask: only which examples share a batch changes, and since the loss is averaged over the labelled tokens
of a batch (padding carries none), nothing else does. Packing several examples into one row is not used: on the
CPU, attention cannot be kept from crossing examples without a varlen (flash) kernel.

:class:`LengthGroupedSampler` is the order as a torch sampler whose shuffle depends only on (seed, epoch), so a run
resumed mid-epoch sees the same batches as the uninterrupted one.
"""

from __future__ import annotations

from typing import Iterator, Sequence

__all__ = ["length_grouped_order", "padded_tokens", "LengthGroupedSampler"]


def length_grouped_order(lengths: Sequence[int], batch_size: int, *, seed: int, batches_per_group: int = 8) -> list[int]:
    """A permutation of ``range(len(lengths))`` in which consecutive `batch_size` slices have similar lengths.

    >>> order = length_grouped_order([5, 90, 7, 88, 6, 91, 8, 89], 2, seed=0, batches_per_group=4)
    >>> sorted(order) == list(range(8))
    True
    >>> [sorted([5, 90, 7, 88, 6, 91, 8, 89][i] for i in order[k:k + 2]) for k in range(0, 8, 2)]
    [[90, 91], [88, 89], [7, 8], [5, 6]]
    """
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (got {batch_size})")
    generator = torch.Generator()
    generator.manual_seed(seed)
    shuffled = torch.randperm(len(lengths), generator=generator).tolist()
    group = batch_size * max(1, batches_per_group)
    order: list[int] = []
    for start in range(0, len(shuffled), group):
        order.extend(sorted(shuffled[start:start + group], key=lambda i: lengths[i], reverse=True))
    return order


def padded_tokens(lengths: Sequence[int], order: Sequence[int], batch_size: int) -> int:
    """Tokens a run over `order` processes once each batch is padded to its longest example.

    >>> padded_tokens([3, 1, 2, 2], [0, 1, 2, 3], 2)
    10
    """
    total = 0
    for start in range(0, len(order), batch_size):
        batch = [lengths[i] for i in order[start:start + batch_size]]
        total += max(batch) * len(batch)
    return total


class LengthGroupedSampler:
    """A torch sampler yielding :func:`length_grouped_order` for (seed + epoch); the Trainer calls set_epoch."""

    def __init__(self, lengths: Sequence[int], batch_size: int, *, seed: int, batches_per_group: int = 8) -> None:
        self.lengths, self.batch_size, self.seed = list(lengths), batch_size, seed
        self.batches_per_group = batches_per_group
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        yield from length_grouped_order(self.lengths, self.batch_size, seed=self.seed + self.epoch,
                                        batches_per_group=self.batches_per_group)
