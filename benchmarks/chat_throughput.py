"""Chat completion speed of the local engine per weight precision, and each precision's agreement with float32.

Measures, on this machine's CPU (or GPU if present), greedy decoding of up to 128 tokens, for each precision of
``--precisions`` (float32, the reference, always first):
1. agreement: every prompt of the fixed set answered greedily (all 8 decoded as one batch); agreement with float32
   is the share of prompts whose answers have identical token ids, and the mean share of the reference's tokens
   before the first difference. Greedy answers part at the first near-tie of the top two tokens, so the script
   also prints the teacher-forced agreement: fed each prompt and float32's answer, the share of the answer's
   tokens that the precision also ranks first (float32's own figure, near 100%, is the baseline);
2. single stream: ``ChatEngine.generate`` (what ``/v1/chat/completions`` runs: batching thread, KV cache, stop
   strings) one request at a time, for the base model and for a LoRA adapter (rank 16 on every linear projection;
   merged into its own copy of the base weights at every precision);
3. aggregate: `--concurrent` requests (default 8, different prompts) sent at once from threads; completion tokens
   of all of them divided by the wall time until the last one ends.
``--plain`` adds transformers' ``model.generate`` on the same prompts (the engine's old path). Each precision runs
in a process of its own with the API process's OpenMP settings (:mod:`nbtools.server.openmp`), as the server runs
one engine.

    python benchmarks/chat_throughput.py [--adapter DIR] [--concurrent 8] [--precisions float32,int8,bfloat16]
    python benchmarks/chat_throughput.py --server [--chat-precision auto]   # through a real `nbtools serve`

``--server`` measures what a user gets: a real server on a fresh temporary home, started as the notebooks start it
(its default precision unless ``--chat-precision`` is given; the server's record says which it chose), asked
through the openai SDK: the base model one request at a time, then `--concurrent` requests at once.

Without ``--adapter`` a rank-16 adapter with random weights stands in (same shapes, same cost). The CPU is shared
with whatever else runs: the load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nbtools.server.openmp import prepare_chat_process

prepare_chat_process()  # before torch loads: the API process's OpenMP wait settings (see nbtools.server.openmp)
from nbtools.server.engine import ChatEngine, GenerationParams
from prompts import PROMPTS  # benchmarks/prompts.py, beside this script

BASE = "smollm2-135m-instruct"
NEW_TOKENS = 128
GREEDY = GenerationParams(temperature=0, max_tokens=NEW_TOKENS)


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


def _ask(prompt: str) -> list[dict]:
    return [{"role": "user", "content": prompt}]


def single_rate(engine: ChatEngine, adapter: Path | None, prompts: list[str]) -> tuple[float, int]:
    """(completion tokens per second, tokens) one request at a time, after one warm-up request."""
    engine.generate(BASE, adapter, _ask("Hi"), GenerationParams(temperature=0, max_tokens=8))
    tokens, seconds = 0, 0.0
    for prompt in prompts:
        start = time.perf_counter()
        tokens += engine.generate(BASE, adapter, _ask(prompt), GREEDY)[0].completion_tokens
        seconds += time.perf_counter() - start
    return tokens / seconds, tokens


def concurrent_rate(engine: ChatEngine, adapter: Path | None, prompts: list[str]) -> tuple[float, int]:
    """(aggregate completion tokens per second, tokens) with every prompt sent at once from its own thread."""
    counts = [0] * len(prompts)

    def ask(i: int) -> None:
        counts[i] = engine.generate(BASE, adapter, _ask(prompts[i]), GREEDY)[0].completion_tokens

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start), sum(counts)


def plain_generate_rate(prompts: list[str]) -> float:
    """transformers' model.generate, one prompt at a time, stopping at the end of turn (the old engine's core)."""
    import torch

    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    tokenizer, placement = load_tokenizer_for(BASE), choose_placement()
    model = load_model(BASE, placement).eval()
    tokens, seconds = 0, 0.0
    for prompt in prompts:
        ids = tokenizer.apply_chat_template(_ask(prompt), add_generation_prompt=True, return_tensors="pt",
                                            return_dict=True)["input_ids"].to(placement.device)
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=NEW_TOKENS, pad_token_id=tokenizer.pad_token_id)
        seconds += time.perf_counter() - start
        tokens += out.shape[1] - ids.shape[1]
    return tokens / seconds


def greedy_ids(engine: ChatEngine, prompts: list[str]) -> list[list[int]]:
    """Greedy token ids of each prompt's answer (all prompts decoded as one batch)."""
    tokenizer = engine._base(BASE).tokenizer
    answers = [None] * len(prompts)

    def ask(i: int) -> None:
        answers[i] = engine.generate(BASE, None, _ask(prompts[i]), GREEDY)[0].text

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [tokenizer(a, add_special_tokens=False)["input_ids"] for a in answers]


def forced_agreement(engine: ChatEngine, prompts: list[str], reference: list[list[int]]) -> float:
    """Share of the `reference` answers' tokens the engine's model ranks first given the prompt and the tokens
    before (teacher forcing: one forward per prompt, so one early difference does not decide the rest). The
    forwards run on the engine's decoding thread: torch work on this thread as well would slow the decoding
    that the next figures measure (see nbtools.server.engine.generate)."""
    import torch

    base = engine._base(BASE)

    def count() -> tuple[int, int]:
        hits, total = 0, 0
        with torch.inference_mode():
            for prompt, answer in zip(prompts, reference):
                ids = engine._prompt_ids(base, _ask(prompt))
                logits = base.runner(input_ids=torch.tensor([ids + answer[:-1]])).logits[0, len(ids) - 1:]
                hits += sum(a == b for a, b in zip(logits.float().argmax(-1).tolist(), answer))
                total += len(answer)
        return hits, total

    hits, total = engine._on_decoder(count)
    return hits / max(1, total)


def agreement(reference: list[list[int]], other: list[list[int]]) -> tuple[float, float]:
    """(share of identical answers, mean share of reference tokens before the first difference)."""
    same, prefix = 0, 0.0
    for a, b in zip(reference, other):
        same += a == b
        k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        prefix += k / max(1, len(a))
    return same / len(reference), prefix / len(reference)


def measure(precision: str, args: argparse.Namespace, adapter: Path, reference_file: Path) -> None:
    """Print one precision's figures (run in a process of its own, as the server runs one engine). float32 writes
    its greedy answers to `reference_file`; the others compare theirs with it."""
    singles = PROMPTS[: max(1, min(args.prompts, len(PROMPTS)))]
    many = [PROMPTS[i % len(PROMPTS)] for i in range(args.concurrent)]
    engine = ChatEngine(num_threads=args.threads, dtype=precision)
    answers = greedy_ids(engine, PROMPTS)
    if precision == "float32":
        reference_file.write_text(json.dumps(answers), encoding="utf-8")
    reference = json.loads(reference_file.read_text(encoding="utf-8"))
    if precision != "float32":
        same, prefix = agreement(reference, answers)
        print(f"{precision} vs float32 greedy answers on {len(PROMPTS)} prompts: {same:.0%} identical "
              f"token ids, {prefix:.0%} of tokens before the first difference (mean)")
    print(f"{precision} teacher-forced on float32's answers: {forced_agreement(engine, PROMPTS, reference):.1%}"
          " of their tokens also ranked first")
    for label, which in (("base model", None), ("LoRA adapter", adapter)):
        rate, tokens = single_rate(engine, which, singles)
        print(f"single stream, {precision:<8}, {label:<13} {rate:6.1f} completion tokens/s  ({tokens} tokens, "
              f"load {os.getloadavg()[0]:.2f})")
    for label, which in (("base model", None), ("LoRA adapter", adapter)):
        rate, tokens = concurrent_rate(engine, which, many)
        print(f"{args.concurrent} concurrent, {precision:<8}, {label:<13} {rate:6.1f} completion tokens/s "
              f"aggregate ({tokens} tokens, load {os.getloadavg()[0]:.2f})", flush=True)


def measure_server(args: argparse.Namespace) -> None:
    """Single-stream and concurrent completion tokens/s of the base model through a real server on a fresh home."""
    import openai

    from nbtools.server.launcher import ensure_local_server, running_server_precision, stop_local_server

    with tempfile.TemporaryDirectory(prefix="nbtools-chat-home-") as home:
        extra = ("--chat-precision", args.chat_precision) if args.chat_precision else ()
        server = ensure_local_server(home=home, extra_args=extra)
        try:
            precision = running_server_precision(home)
            client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)

            def ask(prompt: str) -> int:
                reply = client.chat.completions.create(model=BASE, messages=[{"role": "user", "content": prompt}],
                                                       max_tokens=args.max_tokens, temperature=0)
                return reply.usage.completion_tokens if reply.usage else 0

            ask("Hi")  # loads the model and converts it to the precision
            for prompt in PROMPTS[: args.prompts]:
                started = time.perf_counter()
                tokens = ask(prompt)
                rate = tokens / (time.perf_counter() - started)
                print(f"server ({precision}), base, one at a time {rate:6.1f} completion tokens/s ({tokens} tokens, "
                      f"load {os.getloadavg()[0]:.2f})", flush=True)
            counts = [0] * args.concurrent
            prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.concurrent)]

            def run(i: int) -> None:
                counts[i] = ask(prompts[i])

            threads = [threading.Thread(target=run, args=(i,)) for i in range(args.concurrent)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rate = sum(counts) / (time.perf_counter() - started)
            print(f"server ({precision}), base, {args.concurrent} concurrent {rate:6.1f} completion tokens/s "
                  f"aggregate ({sum(counts)} tokens, load {os.getloadavg()[0]:.2f})", flush=True)
        finally:
            stop_local_server(home)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", type=Path, help="a trained LoRA adapter dir (default: a random rank-16 one)")
    parser.add_argument("--concurrent", type=int, default=8, help="requests sent at once for the aggregate")
    parser.add_argument("--prompts", type=int, default=3, help="prompts for the single-stream figures")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: one per core)")
    parser.add_argument("--precisions", default="float32,int8,bfloat16",
                        help="comma-separated engine precisions to measure (float32 is always the reference)")
    parser.add_argument("--max-tokens", type=int, default=NEW_TOKENS, help="new tokens per answer (default 128)")
    parser.add_argument("--plain", action="store_true", help="also time plain model.generate (the old path)")
    parser.add_argument("--server", action="store_true",
                        help="measure through a real `nbtools serve` on a fresh home instead of the engine")
    parser.add_argument("--chat-precision", choices=("auto", "float32", "bfloat16", "int8"), default=None,
                        help="with --server: the server's --chat-precision (default: the server's own, auto)")
    parser.add_argument("--only", help=argparse.SUPPRESS)  # one precision, in the child process
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)  # float32's answers (child process)
    args = parser.parse_args(argv)
    global GREEDY
    GREEDY = GenerationParams(temperature=0, max_tokens=args.max_tokens)
    if args.only:
        measure(args.only, args, args.adapter, args.reference)
        return 0
    if args.server:
        print(f"cores={os.cpu_count()} load average={os.getloadavg()[0]:.2f} (CPU shared with other work)")
        measure_server(args)
        return 0
    precisions = ["float32", *[p for p in args.precisions.split(",") if p and p != "float32"]]
    print(f"cores={os.cpu_count()} load average={os.getloadavg()[0]:.2f} (CPU shared with other work)")
    with tempfile.TemporaryDirectory() as tmp:
        adapter = args.adapter or random_adapter(Path(tmp) / "adapter")
        passed = ["--concurrent", str(args.concurrent), "--prompts", str(args.prompts), "--max-tokens",
                  str(args.max_tokens), *(["--threads", str(args.threads)] if args.threads else [])]
        for precision in precisions:  # one process each: a second engine's threads in the same process slowed
            # int8 single-stream decoding from 28.7 to 18.7 tokens/s here (see benchmarks/README.md)
            subprocess.run([sys.executable, __file__, "--only", precision, "--adapter", str(adapter),
                            "--reference", str(Path(tmp) / "reference.json"), *passed], check=True)
        if args.plain:
            rate = plain_generate_rate(PROMPTS[: args.prompts])
            print(f"plain model.generate (old path), base, one at a time {rate:6.1f} tokens/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
