"""Supervised fine-tuning: TRL's SFTTrainer fed with our own tokenization and label masking.

TRL 1.16's ``assistant_only_loss=True`` refuses SmolLM2's template (no ``{% generation %}`` markers) and knows
nothing of per-message ``weight``, so :mod:`.data` builds ``input_ids`` and ``labels`` itself and hands TRL a
pre-tokenized dataset: TRL then uses our labels as they are (its collator pads them with -100) and contributes
the rest: batching, the fused LM head that computes loss and token accuracy without materialising the logits, and
the ``mean_token_accuracy`` metric (argmax match on labelled positions). With `group_by_length` the training
order is :mod:`.grouping`'s (similar lengths share a batch, seeded per epoch) instead of a plain shuffle.
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


def _grouped_trainer_class():
    """SFTTrainer whose training order is length-grouped (see :mod:`.grouping`)."""
    from trl import SFTTrainer

    from .grouping import LengthGroupedSampler

    class GroupedSFTTrainer(SFTTrainer):
        def _get_train_sampler(self, train_dataset=None):
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            lengths = [len(ids) for ids in dataset["input_ids"]]
            return LengthGroupedSampler(lengths, self.args.train_batch_size * self.args.gradient_accumulation_steps,
                                        seed=self.args.data_seed if self.args.data_seed is not None
                                        else self.args.seed)

    return GroupedSFTTrainer


def build_sft_trainer(*, model, tokenizer, args: dict, peft_config, train_file: Path, valid_file: Path | None,
                      max_length: int, callbacks: list, group_by_length: bool = False):
    """(trainer, train SFTData, valid SFTData | None) for one supervised run."""
    from trl import SFTConfig, SFTTrainer

    train_data = tokenize_sft_file(train_file, tokenizer, max_length=max_length)
    valid_data = tokenize_sft_file(valid_file, tokenizer, max_length=max_length) if valid_file else None
    config = SFTConfig(**args, max_length=None, packing=False, dataset_num_proc=None)
    trainer_class = _grouped_trainer_class() if group_by_length else SFTTrainer
    trainer = trainer_class(
        model=model,
        args=config,
        train_dataset=sft_dataset(train_data),
        eval_dataset=sft_dataset(valid_data) if valid_data else None,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    return trainer, train_data, valid_data
