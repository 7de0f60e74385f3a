"""The straightforward decoding the engine's optimised paths are checked against: one sequence, no KV cache.

Every step runs the whole sequence through the model (fp32), applies OpenAI's penalties over the tokens generated
so far, and takes the argmax, until an end-of-turn token or `max_tokens`.
"""

from __future__ import annotations

BASE = "smollm2-135m-instruct"


def prompt_ids(tokenizer, messages) -> list[int]:
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def reference_greedy(model, prompt: list[int], *, max_tokens: int, eos: set[int], frequency: float = 0.0,
                     presence: float = 0.0) -> list[int]:
    """Greedy token ids after `prompt` (the end-of-turn token included when reached)."""
    import torch

    ids, out = list(prompt), []
    with torch.inference_mode():
        for _ in range(max_tokens):
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1].float()
            for token in set(out):
                logits[token] -= out.count(token) * frequency + presence
            token = int(logits.argmax())
            out.append(token)
            ids.append(token)
            if token in eos:
                break
    return out
