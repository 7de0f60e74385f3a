"""Messages per second and peak memory of ``nbtools clean`` on generated support corpora (issue 10).

    python benchmarks/clean_throughput.py --sizes 10k,100k,1m --engines local,dask
    python benchmarks/clean_throughput.py --per-step --per-step-messages 100k   # the per-row steps alone

Corpora come from benchmarks/corpus_generator.py (conversations of 2-6 messages in a message-per-row CSV, real
dirt at stated rates) and are written once to benchmarks/out/. Each engine runs ``nbtools clean`` in its own
subprocess; while it runs, the whole process tree (the command, its worker processes, Dask's scheduler and
workers) is sampled from /proc every 0.2 s: the peak of the sum of PSS (proportional set size: shared pages split
between the processes sharing them, i.e. the memory the run really holds) and the peak of the sum of RSS (which
counts shared pages once per process, so it overstates). Targets on 2 cores: >= 5,000 messages/s, peak memory
<= 1 GB at every size, the Dask engine (2 local workers) within 20% of the local engine.

``--per-step`` times each per-row step in this process, chained as the default pipeline runs them, on the first N
messages of a generated corpus: wall seconds and CPU seconds of this process (the CPU figure is less disturbed by
other processes on a shared machine), and messages per second of each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus_generator import write_corpus  # noqa: E402
from process_tree import descendants, memory_mb, parent_of  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TARGET_MPS = 5_000
TARGET_MB = 1024


def _size(label: str) -> int:
    label = label.strip().lower()
    if label in SIZES:
        return SIZES[label]
    return int(float(label[:-1]) * (1000 if label.endswith("k") else 1_000_000)) if label[-1] in "km" else int(label)


def corpus(label: str) -> Path:
    """The generated corpus of `label` messages (generated on first use, then reused)."""
    path = OUT / f"support_{label}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_corpus(path, _size(label))
        print(f"generated {path.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def _engine_supported() -> bool:
    help_text = subprocess.run([sys.executable, "-m", "nbtools", "clean", "--help"], capture_output=True,
                               text=True, cwd=ROOT).stdout
    return "--engine" in help_text


def run_clean(path: Path, engine: str, workers: int, out: Path, streaming: bool) -> dict:
    """One ``nbtools clean`` run in a subprocess: wall seconds, messages, peak PSS / RSS of the process tree."""
    cmd = [sys.executable, "-m", "nbtools", "clean", str(path), "--out", str(out), "--json"]
    if streaming:
        cmd += ["--engine", engine, "--workers", str(workers), "--no-progress", "--no-csv"]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "bench.stdout", "w+") as stdout, open(out / "bench.stderr", "w+") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, text=True, cwd=ROOT)
        peak_pss = peak_rss = 0.0
        at_peak: list[tuple[str, float]] = []
        n_procs = 1
        while proc.poll() is None:
            tree = descendants(proc.pid)
            sizes = [memory_mb(pid) for pid in tree]
            pss = sum(s[0] for s in sizes)
            if pss > peak_pss:
                peak_pss = pss
                at_peak = [(_role(pid, proc.pid), size[0]) for pid, size in zip(tree, sizes)]
            peak_rss = max(peak_rss, sum(s[1] for s in sizes))
            n_procs = max(n_procs, len(tree))
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr.read()[-3000:]}")
        text = stdout.read()
    summary = json.loads(text[text.index("{"):])
    return {"engine": engine if streaming else "today's pipeline", "messages": summary["input_rows"],
            "kept": summary["kept"], "seconds": seconds, "mps": summary["input_rows"] / seconds,
            "pss_mb": peak_pss, "rss_mb": peak_rss, "processes": n_procs, "at_peak": at_peak}


def _role(pid: int, root: int) -> str:
    """What a process of the tree is: the command itself, the forkserver or resource tracker it started (by their
    command lines), or a worker (a process of its pool, forked by the forkserver, or a Dask process)."""
    if pid == root:
        return "command"
    parent = parent_of(pid)
    if parent is None:
        return "ended"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "ended"
    if "distributed" in cmdline or "dask" in cmdline:
        return "dask"
    if parent == root and "resource_tracker" in cmdline:
        return "resource tracker"
    if parent == root and "forkserver" in cmdline:
        return "forkserver"
    return "worker"


def per_step(label: str) -> None:
    """Time each per-row step, chained as the default pipeline runs them, on the first messages of a corpus."""
    import pandas as pd

    from nbtools.corpus import default_steps, read_corpus

    n = _size(label)
    source = corpus("100k" if n <= 100_000 else "1m")
    frame = pd.read_csv(source, nrows=n, dtype=str, keep_default_na=False)
    table = read_corpus(frame).messages
    steps = [s for s in default_steps() if s.name in ("fix_unicode", "strip_markup", "strip_boilerplate",
                                                      "redact_pii", "normalize_whitespace", "length_filter",
                                                      "language_filter", "safety_screen")]
    print(f"per-row steps on the first {len(table):,} messages of {source.relative_to(ROOT)}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'step':<22} {'in':>8} {'wall s':>8} {'cpu s':>8} {'msg/s wall':>11} {'msg/s cpu':>11}")
    total_wall = total_cpu = 0.0
    n_in = len(table)
    for step in steps:
        rows = len(table)
        wall, cpu = time.perf_counter(), time.process_time()
        table = step.apply(table).table
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(f"{step.name:<22} {rows:>8,} {wall:>8.2f} {cpu:>8.2f} {rows / wall:>11,.0f} {rows / max(cpu, 1e-9):>11,.0f}")
    print(f"{'all eight':<22} {n_in:>8,} {total_wall:>8.2f} {total_cpu:>8.2f} {n_in / total_wall:>11,.0f} "
          f"{n_in / max(total_cpu, 1e-9):>11,.0f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="corpus sizes in messages (10k, 100k, 1m, 250k …)")
    parser.add_argument("--engines", default="local,dask", help="engines to run: local, dask")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="worker processes per engine")
    parser.add_argument("--per-step", action="store_true", help="time the per-row steps in this process instead")
    parser.add_argument("--per-step-messages", default="20k", help="messages for --per-step (default 20k)")
    args = parser.parse_args(argv)
    if args.per_step:
        per_step(args.per_step_messages)
        return 0
    streaming = _engine_supported()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()] if streaming else ["local"]
    if not streaming:
        print("this nbtools clean has no --engine yet: timing today's in-memory pipeline once per size")
    print(f"machine: {os.cpu_count()} cores; workers per engine {args.workers}; "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rows = []
    for label in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        path = corpus(label)
        for engine in engines:
            result = run_clean(path, engine, args.workers, OUT / f"clean_{label}_{engine}", streaming)
            result["size"] = label
            result["load"] = os.getloadavg()[0]
            rows.append(result)
            print(f"{label:>5} {result['engine']:<6} {result['messages']:>9,} messages {result['seconds']:>8.1f} s "
                  f"{result['mps']:>8,.0f} msg/s  peak PSS {result['pss_mb']:>6,.0f} MB  (RSS sum "
                  f"{result['rss_mb']:>6,.0f} MB, {result['processes']} processes)  load {result['load']:.2f}",
                  flush=True)
            print("      at the peak, PSS MB by process: "
                  + ", ".join(f"{role} {mb:,.0f}" for role, mb in result["at_peak"]), flush=True)
    print("\n| size | engine | messages | seconds | messages/s | peak PSS MB (tree) | RSS sum MB (tree) | load |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']} | {r['engine']} | {r['messages']:,} | {r['seconds']:.1f} | {r['mps']:,.0f} | "
              f"{r['pss_mb']:,.0f} | {r['rss_mb']:,.0f} | {r['load']:.2f} |")
    for label in {r["size"] for r in rows}:
        by = {r["engine"]: r for r in rows if r["size"] == label}
        if "local" in by and "dask" in by:
            print(f"{label}: dask / local messages/s = {by['dask']['mps'] / by['local']['mps']:.2f} "
                  f"(target >= 0.80)")
    met = all(r["mps"] >= TARGET_MPS and r["pss_mb"] <= TARGET_MB for r in rows)
    print(f"targets (>= {TARGET_MPS:,} msg/s, <= {TARGET_MB} MB PSS): {'met' if met else 'NOT met'}; "
          f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
