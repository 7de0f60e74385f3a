"""Supervised fine-tuning: TRL's SFTTrainer fed with our own tokenization and label masking.

TRL 1.16's ``assistant_only_loss=True`` refuses SmolLM2's template (no ``{% generation %}`` markers) and knows
nothing of per-message ``weight``, so :mod:`.data` builds ``input_ids`` and ``labels`` itself and hands TRL a
pre-tokenized dataset: TRL then uses our labels as they are (its collator pads them with -100) and contributes
the rest: batching, the fused LM head that computes loss and token accuracy without materialising the logits, and
the ``mean_token_accuracy`` metric (argmax match on labelled positions).
"""

from __future__ import annotations

from pathlib import Path

from .data import SFTData, tokenize_sft_file

__all__ = ["sft_dataset", "build_sft_trainer"]


def sft_dataset(data: SFTData):
    """A datasets.Dataset of ``input_ids`` / ``labels`` columns."""
    from datasets import Dataset

    return Dataset.from_dict({
        "input_ids": [e.input_ids for e in data.examples],
        "labels": [e.labels for e in data.examples],
    })


def build_sft_trainer(*, model, tokenizer, args: dict, peft_config, train_file: Path, valid_file: Path | None,
                      max_length: int, callbacks: list):
    """(trainer, train SFTData, valid SFTData | None) for one supervised run."""
    from trl import SFTConfig, SFTTrainer

    train_data = tokenize_sft_file(train_file, tokenizer, max_length=max_length)
    valid_data = tokenize_sft_file(valid_file, tokenizer, max_length=max_length) if valid_file else None
    config = SFTConfig(**args, max_length=None, packing=False, dataset_num_proc=None)
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=sft_dataset(train_data),
        eval_dataset=sft_dataset(valid_data) if valid_data else None,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    return trainer, train_data, valid_data
