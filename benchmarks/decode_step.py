"""One decode step of the chat engine's model per weight precision: wall time at batch 1, and where it goes.

The raw step the chat engine repeats per new token (``model(input_ids=last, past_key_values=cache)`` under
``inference_mode``), with the weights the engine would use (``quantize.for_inference``), timed in one process so
precisions are compared under the same load; ``--profile`` adds torch.profiler's table of the heaviest operators,
and ``--shapes`` times each linear shape of the model as float32 ``F.linear`` against the int8 kernel. Issue 12.

    .venv/bin/python benchmarks/decode_step.py --precisions float32,int8 --profile
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE = "smollm2-135m-instruct"
PROMPT = "Hi! My Ethiopia Guji beans arrived yesterday but the bag was torn. What should I do?"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precisions", default="float32,int8", help="comma-separated engine precisions")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: cores)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round (after 5 warm-up steps)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, precisions alternating (median reported)")
    parser.add_argument("--profile", action="store_true", help="also profile 10 steps of each precision")
    parser.add_argument("--shapes", action="store_true", help="also time each linear shape, float32 vs int8")
    return parser.parse_args(argv)


def load(precision: str):
    """The base model as the chat engine holds it in `precision`, and a prompt's ids."""
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for
    from nbtools.server.engine.quantize import for_inference

    # a copy: load_model may hand out one shared instance, and for_inference converts in place
    model = for_inference(copy.deepcopy(load_model(BASE, choose_placement("cpu"))).eval(), precision)
    tokenizer = load_tokenizer_for(BASE)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True,
                                        return_tensors="pt", return_dict=True)["input_ids"]
    return model, ids


def decode_steps(model, ids, steps: int) -> list[float]:
    """Prefill `ids`, then `steps` single-token steps; each step's seconds."""
    import torch
    from transformers import DynamicCache

    with torch.inference_mode():
        cache = DynamicCache()
        out = model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1)
        token = out.logits[:, -1:].argmax(-1)
        times = []
        for _ in range(steps):
            started = time.perf_counter()
            out = model(input_ids=token, cache=cache, use_cache=True, logits_to_keep=1)
            token = out.logits[:, -1:].argmax(-1)
            times.append(time.perf_counter() - started)
    return times


def profile(model, ids) -> str:
    from torch.profiler import ProfilerActivity, profile as torch_profile

    decode_steps(model, ids, 5)
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        decode_steps(model, ids, 10)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)


def linear_shapes(model) -> list[tuple[int, int]]:
    """The distinct (out, in) shapes of the model's float32 linears, the tied head included."""
    import torch

    shapes = {tuple(m.weight.shape) for m in model.modules() if isinstance(m, torch.nn.Linear)}
    return sorted(shapes)


def time_shapes(shapes: list[tuple[int, int]], repeats: int = 50) -> list[tuple[tuple[int, int], float, float]]:
    """(shape, float32 F.linear µs, int8 _weight_int8pack_mm µs) for one row of activations."""
    import torch
    import torch.nn.functional as F

    rows = []
    for out_features, in_features in shapes:
        weight = torch.randn(out_features, in_features)
        x = torch.randn(1, in_features)
        scales = weight.abs().amax(dim=1) / 127
        packed = torch.round(weight / scales[:, None]).to(torch.int8)
        fp32 = _microseconds(partial(F.linear, x, weight), repeats)
        int8 = _microseconds(partial(torch.ops.aten._weight_int8pack_mm, x, packed, scales), repeats)
        rows.append(((out_features, in_features), fp32, int8))
    return rows


def _microseconds(call, repeats: int) -> float:
    for _ in range(5):
        call()
    started = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - started) / repeats * 1e6


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{args.threads} threads, load average {os.getloadavg()[0]:.2f}")
    models = {p: load(p) for p in precisions}
    per_round: dict[str, list[float]] = {p: [] for p in precisions}
    for _ in range(args.rounds):
        for precision, (model, ids) in models.items():
            times = decode_steps(model, ids, 5 + args.steps)[5:]
            per_round[precision].append(statistics.median(times))
    for precision, medians in per_round.items():
        print(f"{precision:>9}: decode step {statistics.median(medians) * 1000:6.1f} ms at batch 1 "
              f"(rounds: {', '.join(f'{m * 1000:.1f}' for m in medians)} ms)")
    if args.profile:
        for precision, (model, ids) in models.items():
            print(f"\n{precision}: torch.profiler over 10 decode steps\n{profile(model, ids)}")
    if args.shapes:
        print("\n| linear (out x in) | float32 F.linear us | int8 _weight_int8pack_mm us |\n|---|---:|---:|")
        reference = models.get("float32") or load("float32")
        for (out_features, in_features), fp32, int8 in time_shapes(linear_shapes(reference[0])):
            print(f"| {out_features}x{in_features} | {fp32:,.0f} | {int8:,.0f} |")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
