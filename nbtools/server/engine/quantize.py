"""Weights for fast inference: a model in the chat engine's precision, and LoRA adapters merged into a base copy.

Decoding one token reads every weight once, so on a CPU its speed is set by the weights' bytes (SmolLM2-135M:
540 MB in float32, of which the tied 49152x576 output layer is 113 MB; this machine streams ~6-8 GB/s from memory,
so float32 cannot pass ~14 tokens/s at batch 1). Precisions (:data:`PRECISIONS`):

* ``float32`` -- the weights as trained: the reference every other precision is compared with;
* ``bfloat16`` -- every parameter cast to bfloat16 (half the bytes);
* ``int8`` -- weight-only int8: every ``nn.Linear`` (attention and MLP projections and the output layer) becomes an
  :class:`Int8WeightLinear`: int8 weights with one float scale per output channel (symmetric, round to nearest), a
  quarter of float32's weight bytes, multiplied by aten's ``_weight_int8pack_mm`` with the input rounded to
  bfloat16; activations, residual stream, norms, attention and the embedding stay float32 (the embedding is read
  one row per token, the output layer gets its own int8 copy). Activations are not quantized, so rows of a batch
  cannot influence each other and SmolLM2's few huge activations (up to ~24,000x the mean in 7 MLP down
  projections) need no special case.

Measured here (raw decode step, 60-token context, 2 threads, idle machine, load 0.5-1.0): float32 77 ms a token
at batch 1 and 107 ms a step at batch 8; bfloat16 59 / 75; weight-only int8 36 / 71. Teacher-forced on float32's
greedy answers to the benchmark's 8 prompts (48 tokens each), int8 ranks first the same token as float32 for 97%
of tokens (bfloat16: 98%); the dynamic int8 this replaced (torch.ao ``quantize_dynamic``: activations quantized
with one scale per call) managed 65% even with its outlier layers kept in float32.

:func:`merged_adapter` folds a LoRA adapter into a copy of the base weights (PEFT's ``merge_and_unload``), so an
adapter's answers cost what the base model's cost, and the merged copy can then be quantized like the base.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch

__all__ = ["PRECISIONS", "Int8WeightLinear", "check_precision", "for_inference", "merged_adapter",
           "quantize_linears"]

PRECISIONS = ("float32", "bfloat16", "int8")


def check_precision(precision: str, *, device: str = "cpu") -> str:
    """`precision` if the engine can run it on `device`, else an :class:`~nbtools.errors.InputError`.

    >>> check_precision("int8")
    'int8'
    """
    from ...errors import InputError

    if precision not in PRECISIONS:
        raise InputError(f"must be one of {', '.join(PRECISIONS)}", field="dtype", value=precision)
    if precision == "int8" and device != "cpu":
        raise InputError("int8 weights run on the CPU only (use bfloat16 on a GPU)", field="dtype", value=precision)
    return precision


class Int8WeightLinear(torch.nn.Module):
    """A frozen ``nn.Linear`` stored as int8 weights with one scale per output channel (weight-only int8).

    The product runs on aten's ``_weight_int8pack_mm`` with the input rounded to bfloat16; the result comes back
    in the input's dtype, bias added.

    >>> layer = torch.nn.Linear(64, 8)
    >>> x = torch.randn(3, 64)
    >>> bool(torch.allclose(Int8WeightLinear(layer)(x), layer(x), atol=0.05))
    True
    """

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scales = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_int8", (weight / scales[:, None]).round().clamp(-127, 127).to(torch.int8))
        self.register_buffer("scales", scales.to(torch.bfloat16))
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.bfloat16)
        out = torch.ops.aten._weight_int8pack_mm(rows, self.weight_int8, self.scales)
        out = out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)
        return out if self.bias is None else out + self.bias.to(x.dtype)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def quantize_linears(model):
    """`model` with every ``nn.Linear`` replaced in place by an :class:`Int8WeightLinear`; returned.

    >>> layers = quantize_linears(torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ReLU()))
    >>> type(layers[0]).__name__, layers[0].weight_int8.dtype
    ('Int8WeightLinear', torch.int8)
    """
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(parent, name, Int8WeightLinear(child))
    return model


def for_inference(model, precision: str):
    """`model` (float32, not an adapter wrapper) converted in place to `precision` for decoding; returned.

    At int8 the embedding keeps its float32 rows; the output layer tied to it gets its own int8 copy.
    """
    if precision == "float32":
        return model
    if precision == "bfloat16":
        return model.to(torch.bfloat16)
    check_precision(precision)
    return quantize_linears(model)


def merged_adapter(base, adapter: str | Path):
    """A copy of `base` (a plain float32 model, left unchanged) with the LoRA adapter at `adapter` merged in."""
    from peft import PeftModel

    return PeftModel.from_pretrained(copy.deepcopy(base), str(adapter)).merge_and_unload().eval()
