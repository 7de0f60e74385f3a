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

__all__ = ["PRECISIONS", "Int8WeightLinear", "SmallBatchLinear", "check_precision", "for_inference", "merged_adapter",
           "quantize_linears", "small_batch_linears", "small_batch_layout_helps"]

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
    return _replace_linears(model, Int8WeightLinear, lambda child: isinstance(child, torch.nn.Linear))


def _replace_linears(model, make, wanted):
    """`model` with each child module for which `wanted(child)` holds replaced in place by `make(child)`."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if wanted(child):
                setattr(parent, name, make(child))
    return model


class SmallBatchLinear(torch.nn.Linear):
    """An ``nn.Linear`` that multiplies 2-16 rows as ``weight @ x.T`` (then transposed back), other row counts as
    ``F.linear``: the same float32 product, another BLAS layout.

    On an AVX2 CPU (2 cores, MKL) ``F.linear`` of a few rows packs the weight as for a large product and streams it
    ~2x slower than one row: the 49152x576 output layer took 30.1 ms for 8 rows against 12.3 ms for one, and
    ``weight @ x.T`` took 15.3 ms; a whole SmolLM2 decode step at batch 8 went from 195 to 152 ms, at batch 1 (kept
    on ``F.linear``, where the other layout was slower: 110 against 95 ms) unchanged. Rows differ from ``F.linear``'s
    by float32 rounding only (~5e-7 on these shapes, less than ``F.linear`` at 8 rows differs from itself at one).

    >>> layer = torch.nn.Linear(64, 8)
    >>> fast = SmallBatchLinear.sharing(layer)
    >>> x = torch.randn(3, 64)
    >>> fast.weight is layer.weight, bool(torch.allclose(fast(x), layer(x), atol=1e-6))
    (True, True)
    """

    MAX_ROWS = 16

    @classmethod
    def sharing(cls, linear: torch.nn.Linear) -> "SmallBatchLinear":
        """A SmallBatchLinear holding `linear`'s own parameters (tied weights stay tied)."""
        layer = cls(linear.in_features, linear.out_features, bias=linear.bias is not None, device="meta")
        layer.weight = linear.weight
        layer.bias = linear.bias
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // self.in_features if self.in_features else 0
        if not 2 <= rows <= self.MAX_ROWS:
            return torch.nn.functional.linear(x, self.weight, self.bias)
        out = torch.mm(self.weight, x.reshape(rows, self.in_features).t()).t()
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)


def small_batch_linears(model):
    """`model` with every plain ``nn.Linear`` replaced in place by a :class:`SmallBatchLinear` sharing its
    parameters; returned."""
    return _replace_linears(model, SmallBatchLinear.sharing, lambda child: type(child) is torch.nn.Linear)


def small_batch_layout_helps(model) -> bool:
    """Whether :class:`SmallBatchLinear` is used for `model`'s float32 decoding: on the CPU, when its best kernels
    are AVX2, where it was measured (on AVX-512 CPUs the server decodes in int8 by default; float32 keeps
    ``F.linear``)."""
    return next(model.parameters()).device.type == "cpu" and torch.backends.cpu.get_cpu_capability() == "AVX2"


def for_inference(model, precision: str, *, small_batch: bool | None = None):
    """`model` (float32, not an adapter wrapper) converted in place to `precision` for decoding; returned.

    At int8 the embedding keeps its float32 rows; the output layer tied to it gets its own int8 copy. At float32 the
    weights stay as they are; where :func:`small_batch_layout_helps` (or where `small_batch` says so) the linear
    layers become :class:`SmallBatchLinear` views of them.
    """
    if precision == "float32":
        if small_batch_layout_helps(model) if small_batch is None else small_batch:
            small_batch_linears(model)
        return model
    if precision == "bfloat16":
        return model.to(torch.bfloat16)
    check_precision(precision)
    return quantize_linears(model)


def merged_adapter(base, adapter: str | Path):
    """A copy of `base` (a plain float32 model, left unchanged) with the LoRA adapter at `adapter` merged in."""
    from peft import PeftModel

    return PeftModel.from_pretrained(copy.deepcopy(base), str(adapter)).merge_and_unload().eval()
