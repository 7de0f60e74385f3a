"""DPO on a tiny preference file moves the model towards the preferred replies (real model).

The check is independent of TRL's own metrics: the summed log-probability of the preferred reply minus that of the
rejected one, given the prompt, computed directly with the model before (base) and after (base + DPO adapter).
"""

from __future__ import annotations

import pytest

from engine_support import QUESTIONS, RecordingHooks, SYSTEM, reply, write_jsonl
from nbtools.server.engine import Hyperparameters, TrainOptions, TrainSpec, train

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"


def rejected(question: str) -> str:
    return "Provide your order number. Refer to the FAQ for policy details."


def pair(question: str) -> dict:
    return {"input": {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]},
            "preferred_output": [{"role": "assistant", "content": reply(question)}],
            "non_preferred_output": [{"role": "assistant", "content": rejected(question)}]}


def margins(model, tokenizer, questions) -> list[float]:
    """log p(preferred | prompt) - log p(rejected | prompt) for each question."""
    import torch

    out = []
    for question in questions:
        prompt = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
        start = len(tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True,
                                                  return_dict=True)["input_ids"])
        scores = []
        for answer in (reply(question), rejected(question)):
            ids = tokenizer.apply_chat_template(prompt + [{"role": "assistant", "content": answer}],
                                                tokenize=True, return_dict=True)["input_ids"]
            ids = torch.tensor([ids])
            with torch.no_grad():
                logprobs = torch.log_softmax(model(input_ids=ids).logits[0, :-1], dim=-1)
            targets = ids[0, 1:]
            scores.append(logprobs[start - 1:, :].gather(1, targets[start - 1:, None]).sum().item())
        out.append(scores[0] - scores[1])
    return out


def test_dpo_raises_the_preference_margin(tmp_path):
    from peft import PeftModel

    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    train_file = write_jsonl(tmp_path / "pref.jsonl", [pair(q) for q in QUESTIONS[:4]])
    valid_file = write_jsonl(tmp_path / "pref_valid.jsonl", [pair(q) for q in QUESTIONS[4:5]])
    spec = TrainSpec(job_id="dpo", method="dpo", base_model=BASE, training_file=train_file,
                     validation_file=valid_file, hyperparameters=Hyperparameters(2, 2, 2.0, beta=0.1), seed=3,
                     output_dir=tmp_path / "out")
    hooks = RecordingHooks()
    result = train(spec, hooks, options=TrainOptions(max_length=128))
    assert result.status == "succeeded" and result.steps_done == 4
    assert [c.epoch for c in hooks.checkpoints] == [1, 2]
    assert all(m.full_valid_loss is not None for m in hooks.steps if m.step in (2, 4))
    assert hooks.losses[-1] < hooks.losses[0]

    tokenizer = load_tokenizer_for(BASE)
    model = load_model(BASE, choose_placement("cpu")).eval()
    questions = QUESTIONS[:4] + QUESTIONS[10:]  # trained on, and held out
    before = margins(model, tokenizer, questions)
    tuned = PeftModel.from_pretrained(model, str(result.final_adapter)).eval()
    after = margins(tuned, tokenizer, questions)
    assert sum(after) / len(after) > sum(before) / len(before)
    assert all(a > b for a, b in zip(after, before))  # every pair, the held-out ones included
