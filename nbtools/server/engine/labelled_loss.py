"""Supervised loss computed only where there is a label: the LM head runs on the trained positions alone.

A causal LM's loss needs the logits of the positions whose next token is labelled (not -100): the trained
assistant replies, about half of a support chat. The straightforward path (transformers' ``labels=`` loss) projects
every position through the LM head (vocabulary 49,152 x hidden 576 for SmolLM2: a fifth of the model's weights);
TRL's fused head avoids holding the logits but, off Triton devices, still scores every position and recomputes the
projection in the backward pass. :func:`add_labelled_head` adds a forward mode that runs the backbone, keeps the
hidden states of the labelled positions, and projects only those: the same loss (summed cross-entropy over the same
tokens, from the same hidden states and head), the same gradients, fewer and smaller matrix products.

``model(input_ids=..., attention_mask=..., labels=..., labelled_head=True) -> LabelledLoss(loss_sum, n_tokens,
n_correct)``; without ``labelled_head`` the model's forward is unchanged (generation, TRL's own paths). The call
goes through the model's (and PEFT's, DDP's) forward, so wrappers see it. Models whose logits are rescaled after
the head (logit scales, soft-capping other than Gemma's ``final_logit_softcapping``) are not patched:
:func:`supports_labelled_head` says so and the caller keeps the straightforward path.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

__all__ = ["LabelledLoss", "add_labelled_head", "supports_labelled_head", "labelled_loss", "MAX_POSITIONS"]

IGNORE_INDEX = -100
# Above this many labelled positions in one batch the (positions x vocabulary) logits get large (8,192 x 49,152
# floats = 1.6 GB): the caller should use a chunked head instead (TRL's).
MAX_POSITIONS = 8192
_RESCALING = ("logit_scale", "output_multiplier", "lm_head_multiplier", "logits_scaling")


class LabelledLoss(NamedTuple):
    """Summed cross-entropy over the labelled positions, how many there were, and how many the argmax got right."""

    loss_sum: Any  # 0-d float32 tensor with grad
    n_tokens: Any  # 0-d int tensor
    n_correct: Any  # 0-d int tensor


def supports_labelled_head(model) -> bool:
    """Whether `model` (a Hugging Face causal LM) computes logits as a plain projection of the last hidden state."""
    config = model.config.get_text_config()
    return all(getattr(config, name, None) in (None, 1, 1.0) for name in _RESCALING) \
        and model.get_output_embeddings() is not None


def labelled_loss(hidden_states, labels, head, *, softcap: float | None = None) -> LabelledLoss:
    """Loss of next-token prediction from `hidden_states` [batch, seq, hidden] at positions labelled in `labels`.

    Position t predicts ``labels[:, t + 1]``; labels of -100 carry no loss. The logits are computed in the head's
    (or autocast's) precision and the cross-entropy in float32, as transformers' own loss does.
    """
    import torch
    import torch.nn.functional as F

    targets = labels[:, 1:]
    mask = targets != IGNORE_INDEX
    picked = hidden_states[:, :-1][mask]  # [n, hidden]
    wanted = targets[mask]
    logits = head(picked).float()
    if softcap is not None:
        logits = torch.tanh(logits / softcap) * softcap
    loss_sum = F.cross_entropy(logits, wanted, reduction="sum")
    with torch.no_grad():
        n_correct = (logits.argmax(dim=-1) == wanted).sum()
    return LabelledLoss(loss_sum=loss_sum, n_tokens=mask.sum(), n_correct=n_correct)


def add_labelled_head(model) -> None:
    """Give causal LM `model` the ``labelled_head=True`` forward mode (see the module docstring); in place.

    Patch the transformers model itself (``peft_model.get_base_model()``), after any other forward patch.
    """
    if not supports_labelled_head(model):
        raise ValueError(f"{type(model).__name__} rescales its logits after the head: no labelled-only head")
    original_forward = model.forward
    softcap = getattr(model.config.get_text_config(), "final_logit_softcapping", None)

    @functools.wraps(original_forward)
    def forward(*args, labelled_head: bool = False, labels=None, **kwargs):
        if not labelled_head:
            if labels is not None:
                kwargs["labels"] = labels
            return original_forward(*args, **kwargs)
        if labels is None:
            raise ValueError("labelled_head=True needs labels")
        kwargs["use_cache"] = False
        kwargs.pop("num_items_in_batch", None)
        hidden = model.base_model(*args, **kwargs).last_hidden_state
        return labelled_loss(hidden, labels, model.get_output_embeddings(), softcap=softcap)

    model.forward = forward
