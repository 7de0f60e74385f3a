"""Chat completion speed of the local engine: completion tokens per second, greedy, 128 tokens.

Measures, on this machine's CPU (or GPU if present):
1. ``ChatEngine.generate`` (what the server's chat endpoint runs: streaming thread, stop-string checks) for the base
   model and for a LoRA adapter of the training recipe (rank 16 on every linear projection), served unmerged;
2. plain ``model.generate`` with exactly 128 new tokens for the same adapter unmerged and merged into a copy of the
   base weights, which is what decided the engine's design (adapters switched with ``set_adapter``, not merged).

    python benchmarks/chat_throughput.py [--adapter DIR] [--prompts 3] [--threads N]

Without ``--adapter`` a rank-16 adapter with random weights stands in (same shapes, same cost). The CPU is shared
with whatever else runs: report the load average printed at the start with the figures.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbtools.server.engine  # noqa: F401  (sets OMP_WAIT_POLICY before torch loads)
from nbtools.server.engine import ChatEngine, GenerationParams

BASE = "smollm2-135m-instruct"
PROMPTS = [
    "My coffee subscription box arrived with a torn bag. What should I do?",
    "Can you explain the difference between a light roast and a dark roast?",
    "Write a short, friendly note thanking a customer for five years with us.",
    "How do I brew cold brew at home? Give me the steps.",
]
NEW_TOKENS = 128


def random_adapter(directory: Path) -> Path:
    """A rank-16 all-linear LoRA adapter with random weights, like the training recipe's."""
    import torch
    from peft import LoraConfig, get_peft_model

    from nbtools.server.engine.models import choose_placement, load_model

    torch.manual_seed(0)
    model = get_peft_model(load_model(BASE, choose_placement()),
                           LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", init_lora_weights=False))
    model.save_pretrained(directory)
    return directory


def engine_rate(engine: ChatEngine, adapter: Path | None, prompts: list[str]) -> tuple[float, int]:
    """(completion tokens per second, tokens generated) over `prompts`, after one warm-up request."""
    params = GenerationParams(temperature=0, max_tokens=NEW_TOKENS)
    engine.generate(BASE, adapter, [{"role": "user", "content": "Hi"}], GenerationParams(temperature=0, max_tokens=8))
    tokens, seconds = 0, 0.0
    for prompt in prompts:
        start = time.perf_counter()
        out = engine.generate(BASE, adapter, [{"role": "user", "content": prompt}], params)[0]
        seconds += time.perf_counter() - start
        tokens += out.completion_tokens
    return tokens / seconds, tokens


def raw_rates(adapter: Path, prompts: list[str]) -> dict[str, float]:
    """Exactly 128 new tokens per prompt with model.generate: the adapter unmerged, then merged into a copy."""
    import torch
    from peft import PeftModel

    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    tokenizer = load_tokenizer_for(BASE)
    placement = choose_placement()
    unmerged = PeftModel.from_pretrained(load_model(BASE, placement), str(adapter)).eval()
    merged = copy.deepcopy(unmerged).merge_and_unload().eval()
    rates = {}
    for name, model in (("unmerged LoRA", unmerged), ("merged LoRA", merged)):
        samples = []
        for prompt in prompts:
            ids = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                                return_tensors="pt", return_dict=True)["input_ids"].to(placement.device)
            start = time.perf_counter()
            with torch.inference_mode():
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                     pad_token_id=tokenizer.pad_token_id)
            samples.append((out.shape[1] - ids.shape[1]) / (time.perf_counter() - start))
        rates[name] = statistics.median(samples)
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", type=Path, help="a trained LoRA adapter dir (default: a random rank-16 one)")
    parser.add_argument("--prompts", type=int, default=3, help=f"prompts per measurement (max {len(PROMPTS)})")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: one per core)")
    args = parser.parse_args(argv)
    prompts = PROMPTS[: max(1, min(args.prompts, len(PROMPTS)))]
    print(f"cores={os.cpu_count()} load average={os.getloadavg()[0]:.2f} (CPU shared with other work)")
    with tempfile.TemporaryDirectory() as tmp:
        adapter = args.adapter or random_adapter(Path(tmp) / "adapter")
        engine = ChatEngine(num_threads=args.threads)
        for label, which in (("base model", None), ("LoRA adapter (unmerged)", adapter)):
            rate, tokens = engine_rate(engine, which, prompts)
            print(f"ChatEngine greedy, {label:<24} {rate:6.1f} completion tokens/s  ({tokens} tokens)")
        for name, rate in raw_rates(adapter, prompts).items():
            print(f"model.generate, 128 tokens, {name:<15} {rate:6.1f} tokens/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
