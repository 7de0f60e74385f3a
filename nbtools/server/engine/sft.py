"""Supervised fine-tuning: TRL's SFTTrainer fed with our own tokenization and label masking.

TRL 1.16's ``assistant_only_loss=True`` refuses SmolLM2's template (no ``{% generation %}`` markers) and knows
nothing of per-message ``weight``, so :mod:`.data` builds ``input_ids`` and ``labels`` itself and hands TRL a
pre-tokenized dataset: TRL then uses our labels as they are (its collator pads them with -100) and contributes
the rest: batching, the Trainer's loop, and the ``mean_token_accuracy`` metric (argmax match on labelled positions).
The loss is computed by :mod:`.labelled_loss` (the LM head on labelled positions only: on the CPU TRL's fused head
scores every position and projects them twice), with TRL's own head kept for batches of more than
:data:`~.labelled_loss.MAX_POSITIONS` labelled tokens and for models that rescale their logits. With
`group_by_length` the training order is :mod:`.grouping`'s (similar lengths share a batch, seeded per epoch)
instead of a plain shuffle.
"""

from __future__ import annotations

from pathlib import Path

from .data import SFTData, tokenize_sft_file
from .labelled_loss import MAX_POSITIONS, add_labelled_head, supports_labelled_head

__all__ = ["sft_dataset", "build_sft_trainer"]


def sft_dataset(data: SFTData):
    """A datasets.Dataset of ``input_ids`` / ``labels`` columns."""
    from datasets import Dataset

    return Dataset.from_dict({
        "input_ids": [e.input_ids for e in data.examples],
        "labels": [e.labels for e in data.examples],
    })


def _engine_trainer_class():
    """SFTTrainer with the engine's training order (:mod:`.grouping`) and loss (:mod:`.labelled_loss`)."""
    import torch
    from trl import SFTTrainer

    from .grouping import LengthGroupedSampler

    class EngineSFTTrainer(SFTTrainer):
        group_by_length = False
        labelled_head = False

        def _get_train_sampler(self, train_dataset=None):
            if not self.group_by_length:
                return super()._get_train_sampler(train_dataset)
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            lengths = [len(ids) for ids in dataset["input_ids"]]
            # grouped by the global batch: with several processes, rank r takes every r-th per-process batch
            # (accelerate's BatchSamplerShard), so each step trains the same examples as one process would
            global_batch = self.args.train_batch_size * self.args.gradient_accumulation_steps * self.args.world_size
            return LengthGroupedSampler(lengths, global_batch,
                                        seed=self.args.data_seed if self.args.data_seed is not None
                                        else self.args.seed)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.get("labels")
            if not self.labelled_head or return_outputs or labels is None \
                    or int((labels[:, 1:] != -100).sum()) > MAX_POSITIONS:
                return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                            num_items_in_batch=num_items_in_batch)
            mode = "train" if self.model.training else "eval"
            out = model(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"), labels=labels,
                        labelled_head=True)
            # the same normalisation as TRL's: over the batch's labelled tokens (or the Trainer's count of them)
            count = out.n_tokens if num_items_in_batch is None else num_items_in_batch
            loss = out.loss_sum / torch.as_tensor(count).clamp(min=1)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * (self.accelerator.num_processes // self.get_tp_size())
            n_valid = self.accelerator.gather_for_metrics(out.n_tokens).sum()
            n_correct = self.accelerator.gather_for_metrics(out.n_correct).sum()
            self._metrics[mode]["mean_token_accuracy"].append((n_correct / n_valid).item() if n_valid > 0 else 0.0)
            if mode == "train" and "attention_mask" in inputs:
                self._total_train_tokens += self.accelerator.gather_for_metrics(
                    inputs["attention_mask"].sum()).sum().item() // self._tp_size
            self._metrics[mode]["num_tokens"] = [self._total_train_tokens]
            return loss

    return EngineSFTTrainer


def build_sft_trainer(*, model, tokenizer, args: dict, peft_config, train_file: Path, valid_file: Path | None,
                      max_length: int, callbacks: list, group_by_length: bool = False,
                      labelled_head: bool = True):
    """(trainer, train SFTData, valid SFTData | None) for one supervised run."""
    from trl import SFTConfig

    train_data = tokenize_sft_file(train_file, tokenizer, max_length=max_length)
    valid_data = tokenize_sft_file(valid_file, tokenizer, max_length=max_length) if valid_file else None
    config = SFTConfig(**args, max_length=None, packing=False, dataset_num_proc=None)
    trainer = _engine_trainer_class()(
        model=model,
        args=config,
        train_dataset=sft_dataset(train_data),
        eval_dataset=sft_dataset(valid_data) if valid_data else None,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    trainer.group_by_length = group_by_length
    causal_lm = trainer.model.get_base_model() if hasattr(trainer.model, "get_base_model") else trainer.model
    if labelled_head and supports_labelled_head(causal_lm):
        add_labelled_head(causal_lm)
        trainer.labelled_head = True
    return trainer, train_data, valid_data
