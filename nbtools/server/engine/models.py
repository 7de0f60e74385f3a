"""Load a base model and its tokenizer on the best device here: CUDA when there is one, else the CPU.

Precision: float32 on the CPU (bfloat16 matmuls are slow on most CPUs and the model is small); on a GPU bfloat16
when the card supports it (Ampere or newer), else float32 weights with float16 autocast left to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...basemodels import base_model_dir

__all__ = ["Placement", "choose_placement", "cpu_has_native_bf16", "set_threads", "load_tokenizer_for", "load_model",
           "hold_frozen_linears_in"]


@dataclass(frozen=True)
class Placement:
    """Where and in which precision a model runs. `bf16` says whether training should use bf16 autocast."""

    device: str  # "cpu" | "cuda"
    dtype_name: str  # "float32" | "bfloat16"
    bf16: bool


def choose_placement(device: str | None = None) -> Placement:
    """The device to use (`device` if given: "cpu" or "cuda") and the matching precision.

    >>> choose_placement("cpu")
    Placement(device='cpu', dtype_name='float32', bf16=False)
    """
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        from ...errors import ConfigError

        raise ConfigError(f"device must be 'cpu' or 'cuda' (got {device!r})")
    if device == "cuda" and torch.cuda.is_bf16_supported():
        return Placement(device="cuda", dtype_name="bfloat16", bf16=True)
    return Placement(device=device, dtype_name="float32", bf16=False)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX), so bf16 autocast is fast, not emulated."""
    import torch

    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def set_threads(num_threads: int | None) -> int:
    """Set torch's intra-op thread count when `num_threads` is given; return the count in use.

    Process-wide: the training worker and the chat server run in separate processes and may choose differently.
    """
    import torch

    if num_threads is not None:
        if num_threads < 1:
            from ...errors import ConfigError

            raise ConfigError(f"num_threads must be at least 1 (got {num_threads})")
        torch.set_num_threads(num_threads)
    return torch.get_num_threads()


def load_tokenizer_for(base_model: str):
    """A fresh tokenizer of `base_model` (built-in id or Hugging Face directory), with a pad token set.

    Fresh, not cached: trainers set attributes on it (padding side, pad token).
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_model_dir(base_model)))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(base_model: str, placement: Placement, *, attention: str | None = None):
    """The causal LM of `base_model` on `placement.device`, in `placement.dtype_name`.

    `attention`: transformers' ``attn_implementation`` ("eager", "sdpa", ...; None: transformers' choice, SDPA).
    """
    import torch
    from transformers import AutoModelForCausalLM

    extra = {} if attention is None else {"attn_implementation": attention}
    model = AutoModelForCausalLM.from_pretrained(
        str(base_model_dir(base_model)), dtype=getattr(torch, placement.dtype_name), **extra
    )
    return model.to(placement.device)


def hold_frozen_linears_in(model, dtype) -> int:
    """Store the weights (and biases) of `model`'s frozen ``nn.Linear`` layers in `dtype`, in place; how many.

    For training under autocast to `dtype`: autocast casts every float32 linear weight to `dtype` at each forward
    (and keeps no cache for weights that need no gradient), so storing them cast gives the same matrix products
    without the per-step casts of ~100M weights. Only frozen layers change (``requires_grad`` false on all their
    parameters: for a LoRA model the base projections, never the adapters); embeddings, norms and the (tied) LM
    head keep their precision, so the residual stream stays float32 as under plain autocast. Outside autocast the
    cast layers need inputs of `dtype`.
    """
    import torch

    embedding = model.get_input_embeddings().weight
    count = 0
    for module in model.modules():
        params = list(module.parameters(recurse=False))
        if type(module) is not torch.nn.Linear or any(p.requires_grad for p in params) or module.weight is embedding:
            continue  # not a plain linear layer, trained, or the LM head tied to the embedding
        for p in params:
            p.data = p.data.to(dtype)
        count += 1
    return count
