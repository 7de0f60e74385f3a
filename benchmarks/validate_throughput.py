"""Validate + count + estimate throughput and peak memory: nbtools vs the cookbook's way, same file, same run.

    python benchmarks/validate_throughput.py                  # one 200 MB file
    python benchmarks/validate_throughput.py --size-mb 200 400  # two sizes: memory must not grow with the file

Generates a realistic chat JSONL (system prompt on every line, multi-turn conversations, some tool calls with tool
definitions, per-message weights) in benchmarks/out/ (gitignored; reused when present), then runs each variant in a
fresh subprocess so that its peak memory (RSS high-water mark, from ``resource.getrusage``) is its own:

- reference: the cookbook's way (``Chat_finetuning_data_prep``): read the whole file, ``json.loads`` per line, the
  cookbook's format checks, ``encoding.encode`` of every value (non-strings as JSON; the cookbook itself crashes on
  a numeric ``weight`` or on ``tool_calls``), billed tokens summed, times epochs and price;
- nbtools: ``validate_file(path, model=...)`` (every check of the current format, per-example token counts from the
  same pass) then the same estimate from its token array; with 1 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from process_tree import tree_memory_mb  # benchmarks/process_tree.py, beside this script

OUT = Path(__file__).resolve().parent / "out"
MODEL = "gpt-4o-mini-2024-07-18"
# Used only when nbtools.cost offers no training-cost function: gpt-4o-mini training price, USD per 1M tokens.
FALLBACK_PRICE_PER_1M = 3.00

SYSTEM = ("You are the support assistant of Brewtiful Coffee Co., a coffee-bean subscription shop. Greet with "
          "\"Hey there!\", stay warm and concise, use at most one light coffee pun, never blame the customer, give "
          "exact facts (plans Starter, Daily and Barista; shipping in 2-4 business days; 30-day returns), and end "
          "every reply with the line \"Stay grounded! ☕\".")
TOOLS = [{"type": "function", "function": {
    "name": "lookup_order", "description": "Look up a Brewtiful order by its id.",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string", "description": "e.g. BC-10234"}},
                   "required": ["order_id"]}}}]
OPENERS = ["Hi,", "Hello!", "Hey team,", "Good morning.", "Quick question:", "Help please,", "Hola,", "Hi there,"]
TOPICS = ["my subscription renewal", "the grinder setting for espresso", "a damaged parcel", "changing my plan",
          "my card being charged twice", "descaling the Barista Pro", "a gift card code", "shipping to Canada",
          "decaf options", "the roast date on my bag", "pausing next month's delivery", "a promo code that fails",
          "resetting my password", "returning an unopened grinder", "my order status"]
DETAILS = ["I ordered on Monday and nothing has arrived yet.", "The app shows an error when I try.",
           "My partner prefers a lighter roast.", "We are moving house next week.", "It worked fine last month.",
           "I have the Daily plan with two bags.", "The beans taste a bit bitter lately.",
           "Can you check what went wrong?", "I already tried restarting it twice.", "Is there a fee for that?"]
REPLIES = ["Sorry about the mix-up, I've sorted it on our side.", "You can change that under Settings → Plan.",
           "I've sent a replacement, arriving in 2-4 business days.", "A grind setting of 8 works well for espresso.",
           "Your refund is on its way and should land within 5 days.", "Descale every 3 months with our kit.",
           "I've paused your next delivery; you can resume any time.", "That code expired, here is a fresh one.",
           "Our decaf is Swiss-water processed, no chemicals.", "We roast within 48 hours of shipping.",
           "I've reset the login link, check your inbox.", "Returns are free within 30 days."]


def _text(rng: random.Random, parts: list[str], n: tuple[int, int]) -> str:
    return " ".join(rng.choice(parts) for _ in range(rng.randint(*n)))


def _reply(rng: random.Random) -> str:
    """An in-voice reply; order numbers, dates and amounts make replies as unique as real ones."""
    facts = [f"Your order BC-{rng.randint(10000, 99999)} is covered.",
             f"I've added a ${rng.randint(3, 40)}.{rng.randint(0, 99):02d} credit to your account.",
             f"Expect it by December {rng.randint(1, 28)}.",
             f"Ticket #{rng.randint(100000, 999999)} has the details."]
    return f"Hey there! {_text(rng, REPLIES, (1, 3))} {rng.choice(facts)}\nStay grounded! ☕"


def _example(rng: random.Random, i: int) -> dict:
    messages = [{"role": "system", "content": SYSTEM}]
    if rng.random() < 0.1:  # a tool-calling example
        order = f"BC-{rng.randint(10000, 99999)}"
        call = {"id": f"call_{i}", "type": "function",
                "function": {"name": "lookup_order", "arguments": json.dumps({"order_id": order})}}
        question = f"{rng.choice(OPENERS)} where is order {order}? {_text(rng, DETAILS, (1, 2))}"
        result = {"status": rng.choice(["packed", "shipped"]), "eta": f"2026-12-{rng.randint(1, 28):02d}"}
        messages += [{"role": "user", "content": question},
                     {"role": "assistant", "tool_calls": [call]},
                     {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)},
                     {"role": "assistant", "content": _reply(rng)}]
        return {"messages": messages, "tools": TOOLS}
    turns = rng.randint(1, 4)
    for t in range(turns):
        messages.append({"role": "user", "content": f"{rng.choice(OPENERS)} about {rng.choice(TOPICS)}: "
                                                    f"{_text(rng, DETAILS, (1, 4))} (ref {rng.randint(1000, 99999)})"})
        reply = {"role": "assistant", "content": _reply(rng)}
        if turns > 1:
            reply["weight"] = 1 if t == turns - 1 or rng.random() < 0.5 else 0
        messages.append(reply)
    return {"messages": messages}


def generate(size_mb: int, seed: int = 0) -> Path:
    """Write (or reuse) benchmarks/out/chat_{size_mb}mb.jsonl of about size_mb megabytes."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"chat_v2_{size_mb}mb_seed{seed}.jsonl"
    target = size_mb * 1_000_000
    if path.exists() and path.stat().st_size >= target:
        return path
    rng = random.Random(seed)
    partial = path.with_suffix(".partial")
    written = i = 0
    with partial.open("w", encoding="utf-8") as f:
        while written < target:
            line = json.dumps(_example(rng, i), ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            i += 1
    partial.replace(path)
    return path


# ---- the variants (each runs in its own subprocess) ---------------------------------------------------------

def _epochs(n_examples: int) -> int:
    """The cookbook's default-epochs rule (target 3, 100..25,000 example-passes, 1..25 epochs)."""
    epochs = 3
    if n_examples * epochs < 100:
        epochs = min(25, -(-100 // n_examples))
    elif n_examples * epochs > 25_000:
        epochs = max(1, 25_000 // n_examples)
    return epochs


def _estimate(billed_per_example, n_examples: int) -> tuple[float, str]:
    """Training cost in dollars: nbtools.cost's function when it exists, else billed × epochs × a fixed price."""
    if importlib.util.find_spec("nbtools.cost") is not None:
        import nbtools.cost as cost

        estimate = getattr(cost, "estimate_training", None)
        if estimate is not None:
            result = estimate(billed_per_example, model=MODEL)
            return float(getattr(result, "cost_usd", getattr(result, "cost", 0.0))), "nbtools.cost.estimate_training"
    total = int(sum(int(x) for x in billed_per_example)) if not hasattr(billed_per_example, "sum") else int(
        billed_per_example.sum(dtype="int64"))
    return total * _epochs(n_examples) * FALLBACK_PRICE_PER_1M / 1e6, "simple: billed × epochs × $3.00/1M"


def run_reference(path: Path) -> dict:
    from nbtools.tokens import get_encoding

    encoding = get_encoding("o200k_base")
    started = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        dataset = [json.loads(line) for line in f]
    format_errors: dict[str, int] = defaultdict(int)
    for ex in dataset:  # the cookbook's checks
        if not isinstance(ex, dict):
            format_errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            format_errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                format_errors["message_missing_key"] += 1
            if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                format_errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ("system", "user", "assistant", "function"):
                format_errors["unrecognized_role"] += 1
            content = message.get("content", None)
            function_call = message.get("function_call", None)
            if (not content and not function_call) or not isinstance(content, str):
                format_errors["missing_content"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            format_errors["example_missing_assistant_message"] += 1

    def num_tokens(example: dict) -> int:
        n = 0
        for message in example["messages"]:
            n += 3
            for key, value in message.items():
                n += len(encoding.encode(value if isinstance(value, str) else json.dumps(value)))
                if key == "name":
                    n += 1
        if "tools" in example:
            n += len(encoding.encode(json.dumps(example["tools"])))
        return n + 3

    billed = [num_tokens(ex) for ex in dataset]
    cost, how = _estimate(billed, len(dataset))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "n_examples": len(dataset), "billed_tokens": sum(billed), "cost_usd": cost,
            "estimate": how, "format_errors": dict(format_errors)}


def run_nbtools(path: Path, workers: int) -> dict:
    from nbtools.tokens import get_encoding
    from nbtools.validate import validate_file

    get_encoding("o200k_base")  # loaded before timing, as in the reference
    started = time.perf_counter()
    report = validate_file(path, model=MODEL, workers=workers)
    cost, how = _estimate(report.tokens.totals, report.n_examples)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "n_examples": report.n_examples, "billed_tokens": report.tokens.billed_total,
            "cost_usd": cost, "estimate": how, "ok": report.ok, "n_errors": report.n_errors,
            "n_warnings": report.n_warnings}


def _child(variant: str, path: Path, workers: int) -> None:
    result = run_reference(path) if variant == "reference" else run_nbtools(path, workers)
    result["rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_workers_max_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def measure(variant: str, path: Path, workers: int = 1) -> dict:
    """Run one variant in a fresh interpreter. Peak RSS comes from the processes themselves (getrusage); the
    peak PSS of the whole process tree is sampled from /proc every 0.2 s while it runs."""
    cmd = [sys.executable, __file__, "--child", variant, "--file", str(path), "--workers", str(workers)]
    with open(OUT / "child.out", "w+") as out, open(OUT / "child.err", "w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        peak_pss = 0.0
        while proc.poll() is None:
            peak_pss = max(peak_pss, tree_memory_mb(proc.pid)[0])
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{variant} failed:\n{err.read()}")
        result = json.loads(out.read().strip().splitlines()[-1])
    children = workers - 1 if variant == "nbtools" else 0  # validate_file scans one range itself
    result["rss_peak_mb"] = max(result["rss_self_mb"], result["rss_workers_max_mb"])
    result["rss_sum_mb"] = result["rss_self_mb"] + children * result["rss_workers_max_mb"]
    result["pss_peak_mb"] = peak_pss
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, nargs="+", default=[200], help="file sizes to generate and measure")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="nbtools worker counts to measure")
    parser.add_argument("--skip-reference", action="store_true", help="measure nbtools only")
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant (interleaved); the fastest is kept")
    parser.add_argument("--child", choices=("reference", "nbtools"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.file, args.workers[0])
        return 0
    print(f"machine: {os.cpu_count()} cores; model {MODEL}; load average {os.getloadavg()[0]:.2f}")
    header = (f"{'file':>9} {'variant':<22} {'seconds':>8} {'MB/s':>7} {'examples/s':>11} {'peak RSS MB':>12} "
              f"{'RSS sum MB':>11} {'PSS MB':>7} {'billed tokens':>14} {'cost $':>9} {'speed-up':>9}")
    rows = []
    print(header)
    for size in args.size_mb:
        started = time.perf_counter()
        path = generate(size)
        mb = path.stat().st_size / 1e6
        print(f"generated/reused {path.name}: {mb:,.1f} MB in {time.perf_counter() - started:.0f} s")
        variants = ([] if args.skip_reference else [("reference (cookbook)", "reference", 1)]) + [
            (f"nbtools, {w} process{'es' if w > 1 else ''}", "nbtools", w) for w in args.workers]
        best: dict[str, dict] = {}
        for _ in range(args.repeat):  # variants interleaved, fastest run kept: less at the mercy of other load
            for label, variant, workers in variants:
                result = measure(variant, path, workers)
                previous = best.get(label, result)
                memory = {k: max(result[k], previous[k]) for k in ("rss_peak_mb", "rss_sum_mb", "pss_peak_mb")}
                best[label] = {**(result if result["seconds"] <= previous["seconds"] else previous), **memory}
        reference_seconds = best[variants[0][0]]["seconds"] if not args.skip_reference else None
        for label, variant, _ in variants:
            result = best[label]
            speedup = f"{reference_seconds / result['seconds']:.2f}x" if reference_seconds else "-"
            rows.append(f"{mb:>7.0f}MB {label:<22} {result['seconds']:>8.2f} {mb / result['seconds']:>7.1f} "
                        f"{result['n_examples'] / result['seconds']:>11,.0f} {result['rss_peak_mb']:>12.0f} "
                        f"{result['rss_sum_mb']:>11.0f} {result['pss_peak_mb']:>7.0f} {result['billed_tokens']:>14,} "
                        f"{result['cost_usd']:>9.2f} "
                        f"{speedup:>9}")
            print(rows[-1], flush=True)
            if variant == "nbtools":
                print(f"{'':>10} (valid: {result['ok']}, {result['n_errors']} errors, {result['n_warnings']:,} "
                      f"warnings; estimate: {result['estimate']})")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (other processes compete for the 2 cores)")
    print("\n" + header + "\n" + "\n".join(rows))
    print("seconds: the fastest of --repeat runs (memory: the largest). peak RSS = largest single process (its "
          "high-water mark); RSS sum = main + workers (upper bound: pages shared after fork count twice); PSS = "
          "peak proportional set size of the whole process tree, sampled every 0.2 s (shared pages split)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
