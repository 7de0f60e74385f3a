"""API latency of simple requests while a fine-tuning job trains, against the same requests when the server is idle.

Starts its own local server (throw-away home), then times ``GET /v1/models`` and ``GET /v1/fine_tuning/jobs/{id}``
over one keep-alive HTTP connection, as the ``openai`` SDK sends them: first idle, then while a real LoRA job on
SmolLM2-135M trains in the worker process. Target: under 200 ms during training.

    python benchmarks/api_latency.py [--requests 200] [--examples 40] [--epochs 3]
"""

from __future__ import annotations

import argparse
import os
import json
import statistics
import sys
import tempfile
import time

import httpx

from nbtools.server.launcher import ensure_local_server, stop_local_server

TARGET_MS = 200.0
_PAUSE = 0.02  # seconds between requests, the same in both phases


def _examples(n: int) -> bytes:
    lines = []
    for i in range(n):
        lines.append(json.dumps({"messages": [
            {"role": "system", "content": "You are Brewtiful Coffee Co.'s support agent."},
            {"role": "user", "content": f"My order #{1000 + i} has not arrived yet. What can I do?"},
            {"role": "assistant", "content": "Hey there! Sorry for the wait: I've checked and your beans ship "
                                             "tomorrow. Stay grounded! ☕"}]}))
    return ("\n".join(lines) + "\n").encode()


def _time(http: httpx.Client, path: str, n: int, pause: float) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = http.get(path)
        out.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        time.sleep(pause)
    return out


def _row(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return f"{label:<44} {statistics.median(ordered):8.1f} {p95:8.1f} {ordered[-1]:8.1f}   n={len(ordered)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint and phase")
    parser.add_argument("--examples", type=int, default=40, help="training examples of the background job")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-threads", type=int, default=None,
                        help="torch threads of the training worker (default: the server's default)")
    args = parser.parse_args(argv)

    home = tempfile.mkdtemp(prefix="nbtools-bench-")
    extra = ("--train-threads", str(args.train_threads)) if args.train_threads else ()
    server = ensure_local_server(home=home, extra_args=extra)
    try:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"},
                          timeout=60) as http:
            upload = http.post("/files", files={"file": ("train.jsonl", _examples(args.examples))},
                               data={"purpose": "fine-tune"}).json()
            idle_job = http.post("/fine_tuning/jobs", json={"model": "smollm2-135m-instruct",
                                                            "training_file": upload["id"]}).json()
            http.post(f"/fine_tuning/jobs/{idle_job['id']}/cancel")
            results = {
                "idle: GET /v1/models": _time(http, "/models", args.requests, _PAUSE),
                "idle: GET /v1/fine_tuning/jobs/{id}": _time(http, f"/fine_tuning/jobs/{idle_job['id']}",
                                                             args.requests, _PAUSE),
            }
            job = http.post("/fine_tuning/jobs", json={
                "model": "smollm2-135m-instruct", "training_file": upload["id"],
                "method": {"type": "supervised", "supervised": {"hyperparameters": {
                    "n_epochs": args.epochs, "batch_size": 4}}}}).json()
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                events = http.get(f"/fine_tuning/jobs/{job['id']}/events", params={"limit": 5}).json()["data"]
                if any(e["type"] == "metrics" for e in events):
                    break
                time.sleep(0.5)
            else:
                print("the job never started training", file=sys.stderr)
                return 1
            results["training: GET /v1/models"] = _time(http, "/models", args.requests, _PAUSE)
            results["training: GET /v1/fine_tuning/jobs/{id}"] = _time(http, f"/fine_tuning/jobs/{job['id']}",
                                                                       args.requests, _PAUSE)
            status = http.get(f"/fine_tuning/jobs/{job['id']}").json()
            steps = http.get(f"/fine_tuning/jobs/{job['id']}/events", params={"limit": 1}).json()["data"]
            http.post(f"/fine_tuning/jobs/{job['id']}/cancel")
    finally:
        stop_local_server(home)

    threads = args.train_threads or "the default number of"
    print(f"API latency in ms (server and client on one {os.cpu_count()}-core machine; the worker trains with "
          f"{threads} torch threads)")
    print(f"{'request':<44} {'p50':>8} {'p95':>8} {'max':>8}")
    for label, samples in results.items():
        print(_row(label, samples))
    print(f"job status at the end of the measurement: {status['status']}; last event: {steps[0]['message']!r}")
    worst = max(sorted(s)[max(0, int(round(0.95 * len(s))) - 1)] for k, s in results.items() if "training" in k)
    print(f"target p95 < {TARGET_MS:.0f} ms during training: {'met' if worst < TARGET_MS else 'NOT met'} "
          f"(worst p95 {worst:.1f} ms)")
    return 0 if worst < TARGET_MS and status["status"] == "running" else 1


if __name__ == "__main__":
    sys.exit(main())
