"""Direct preference optimisation: TRL's DPOTrainer on a LoRA adapter.

With a PEFT model and no ``ref_model``, TRL computes the reference log-probabilities with the adapter disabled,
i.e. with the unchanged base model: no second copy of the model is held in memory. The OpenAI preference file is
converted to TRL's conversational format (:func:`.data.read_preference_file`); TRL applies the chat template and
masks the prompt itself. Metrics reported per step: the DPO loss as ``train_loss`` and TRL's
``mean_token_accuracy`` (argmax match on the preferred reply's tokens) as the token accuracy.
"""

from __future__ import annotations

from pathlib import Path

from .chat_format import template_supports_tools
from .data import read_preference_file

__all__ = ["preference_dataset", "build_dpo_trainer"]


def preference_dataset(path: Path, tokenizer):
    """A datasets.Dataset of TRL conversational preference records from an OpenAI DPO file."""
    from datasets import Dataset

    records = read_preference_file(path, template_has_tools=template_supports_tools(tokenizer.chat_template))
    return Dataset.from_list(records)


def build_dpo_trainer(*, model, tokenizer, args: dict, peft_config, beta: float, train_file: Path,
                      valid_file: Path | None, max_length: int, callbacks: list):
    """(trainer, number of train examples, number of valid examples or 0) for one DPO run."""
    from trl import DPOConfig, DPOTrainer

    train = preference_dataset(train_file, tokenizer)
    valid = preference_dataset(valid_file, tokenizer) if valid_file else None
    config = DPOConfig(**args, beta=beta, max_length=max_length, truncation_mode="keep_start",
                       precompute_ref_log_probs=False, loss_type=["sigmoid"], dataset_num_proc=None)
    trainer = DPOTrainer(
        model=model,
        args=config,
        train_dataset=train,
        eval_dataset=valid,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    return trainer, len(train), len(valid) if valid is not None else 0
