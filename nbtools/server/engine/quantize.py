"""Weights for fast inference: a model in the chat engine's precision, and LoRA adapters merged into a base copy.

Decoding one token reads every weight once, so on a CPU its speed is set by the weights' bytes (SmolLM2-135M:
540 MB in float32, of which the tied 49152x576 output layer is 113 MB). Precisions (:data:`PRECISIONS`):

* ``float32`` -- the weights as trained: the reference every other precision is compared with;
* ``bfloat16`` -- every parameter cast to bfloat16 (half the bytes; fast on CPUs with native bf16);
* ``int8`` -- every ``nn.Linear`` (attention and MLP projections and the output layer) is dynamically quantized
  (torch's ``quantize_dynamic``: int8 weights, activations quantized per call, fbgemm's int8 matmul), a quarter of
  float32's weight bytes, except the layers :func:`outlier_linears` finds, whose inputs carry a few huge values
  that one activation scale per call would round everything else of to zero (SmolLM2-135M: 7 MLP down
  projections, largest |input| up to ~24,000x the mean); they stay float32. Embeddings and norms stay float32 (the
  embedding is read one row per token). Teacher-forced on float32's greedy answers to the benchmark's 8 prompts
  (48 tokens), the share of tokens int8 also ranks first: 40% with every layer int8, 66% with the outlier layers
  kept float32 (per-channel weights: 45%; the output layer in float32: 42%); bfloat16: 99%.
  Measured here (raw forward, 100-token context, 2 threads, idle machine): 31 ms a token at batch 1 and 50 ms a
  step at batch 8, against float32's 88 and 104 ms; aten's ``_weight_int8pack_mm`` (int8 weights, bf16
  activations) and torchao 0.18's eager int8 configs were slower than float32 here.

:func:`merged_adapter` folds a LoRA adapter into a copy of the base weights (PEFT's ``merge_and_unload``), so an
adapter's answers cost what the base model's cost, and the merged copy can then be quantized like the base.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch

__all__ = ["PRECISIONS", "OUTLIER_RATIO", "check_precision", "for_inference", "merged_adapter", "outlier_linears",
           "quantize_linears"]

PRECISIONS = ("float32", "bfloat16", "int8")
OUTLIER_RATIO = 300.0  # a Linear whose largest |input| exceeds this many times its mean |input| stays float32


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


# torch.ao's eager quantization warns on every call that it is deprecated (in favour of torchao, whose int8 CPU
# kernels ran 5-10x slower than float32 here in eager mode); the modules work in the pinned torch 2.13.
_DEPRECATION_NOTES = (r"torch\.ao\.quantization is deprecated", r"torch\.quantize_per_tensor, torch\.quantize_per_channel",
                      r".*quantized.*deprecated")


def quantize_linears(model, keep: frozenset[str] = frozenset()):
    """`model` with every ``nn.Linear`` but those named in `keep` replaced in place by a dynamically quantized int8
    one (fbgemm); returned.

    >>> layer = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.Linear(8, 8))
    >>> x = torch.randn(2, 64)
    >>> bool(torch.allclose(quantize_linears(layer, keep=frozenset({"1"}))(x), layer(x), atol=0.1))
    True
    >>> type(layer[1]).__name__
    'Linear'
    """
    names = {name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)} - keep
    from torch.ao.quantization import default_dynamic_qconfig

    with warnings.catch_warnings():
        for note in _DEPRECATION_NOTES:
            warnings.filterwarnings("ignore", message=note)
        return torch.ao.quantization.quantize_dynamic(model, {name: default_dynamic_qconfig for name in names},
                                                      dtype=torch.qint8, inplace=True)


def outlier_linears(model, ratio: float = OUTLIER_RATIO) -> frozenset[str]:
    """Names of `model`'s ``nn.Linear`` layers whose input, in one forward over a fixed 64-token calibration
    sequence (token ids 1000-1063: the outliers of these models do not depend on the text), has a largest |value|
    above `ratio` times its mean |value|."""
    found: set[str] = set()

    def watch(name: str):
        def hook(module, inputs, output) -> None:
            x = inputs[0].detach().abs().float()
            if x.max() > ratio * x.mean():
                found.add(name)
        return hook

    handles = [module.register_forward_hook(watch(name)) for name, module in model.named_modules()
               if isinstance(module, torch.nn.Linear)]
    try:
        with torch.inference_mode():
            model(input_ids=torch.arange(1000, 1064, device=model.device)[None])
    finally:
        for handle in handles:
            handle.remove()
    return frozenset(found)


def for_inference(model, precision: str):
    """`model` (float32, not an adapter wrapper) converted in place to `precision` for decoding; returned.

    At int8 the embedding keeps its float32 rows (the output layer tied to it gets its own int8 copy), and so do
    the :func:`outlier_linears`.
    """
    if precision == "float32":
        return model
    if precision == "bfloat16":
        return model.to(torch.bfloat16)
    check_precision(precision)
    return quantize_linears(model, keep=outlier_linears(model))


def merged_adapter(base, adapter: str | Path):
    """A copy of `base` (a plain float32 model, left unchanged) with the LoRA adapter at `adapter` merged in."""
    from peft import PeftModel

    return PeftModel.from_pretrained(copy.deepcopy(base), str(adapter)).merge_and_unload().eval()
