"""One job trained on several CPU processes at once (data parallel over gloo), started and watched by the worker.

Why: one training process keeps only ~1.3 of 2 cores busy (its main thread runs the Python side of every op; the
second torch thread idles between kernels). Two processes of one thread each, each on half of every batch, with
their gradients averaged after each step (PyTorch DDP through the transformers Trainer), trained the same 40 steps
of batch 2 in 55.6 s instead of 88.2 s on 2 cores (benchmarks/README.md, "Sixth session"). The labels, masks, loss
normalisation (over the global batch's labelled tokens) and batches are those of one process: the engine's
length-grouped order is cut by the global batch and rank r takes every r-th per-process batch.

:func:`processes_for` decides how many processes a job gets. :func:`train_data_parallel` writes the spec, starts the
ranks (``python -m nbtools.server.engine.launch`` with ``RANK`` / ``WORLD_SIZE`` / ``MASTER_ADDR`` / ``MASTER_PORT``,
as torchrun would), relays rank 0's JSON lines to the job's hooks (:func:`~.engine.launch.relay_event`), mirrors
``hooks.control()`` into the control file every rank reads, and returns the run's TrainResult. The ranks die with the
worker (``NBTOOLS_PARENT_PID``); when one rank fails, the others are killed and the error names the rank and quotes
the end of its log (``<output_dir>/rank-<r>.log``).
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from ..errors import NbtoolsError
from .engine.contract import TrainHooks, TrainResult, TrainSpec
from .engine.launch import PARENT_PID_ENV, relay_event, spec_to_json
from .openmp import training_environment
from .supervisor import thread_env

__all__ = ["processes_for", "AUTO_MIN_STEPS", "train_data_parallel", "TrainingProcessError", "SPEC_FILE", "CONTROL_FILE"]

SPEC_FILE = "train-spec.json"
AUTO_MIN_STEPS = 20  # fewer optimizer steps: one process (see processes_for; measured in benchmarks/README.md)
CONTROL_FILE = "control"
_EXIT_GRACE = 120.0  # seconds the other ranks get to exit once rank 0's output has ended
_LOG_TAIL = 2000  # characters of a failed rank's log quoted in the error


class TrainingProcessError(NbtoolsError):
    """A training process exited with an error (or without a result)."""


def processes_for(setting: int | None, *, method: str, batch_size: int, cores: int, cuda: bool,
                  steps: int | None = None) -> int:
    """How many training processes a job gets.

    `setting` is the server's ``train_processes`` (None: automatic). Automatic means one per core, up to the batch
    size, for supervised jobs on a CPU-only machine, when the batch splits evenly and the job has at least
    :data:`AUTO_MIN_STEPS` optimizer `steps` (the extra processes' start-up, ~14 s on 2 cores, must pay for itself);
    otherwise one. A set value is used when the batch splits evenly over it (else one process: the job's batch size
    is kept as asked).

    >>> processes_for(None, method="supervised", batch_size=2, cores=2, cuda=False, steps=60)
    2
    >>> processes_for(None, method="supervised", batch_size=2, cores=2, cuda=False, steps=6)  # too short a job
    1
    >>> processes_for(None, method="supervised", batch_size=3, cores=2, cuda=False, steps=60)  # odd batch
    1
    >>> processes_for(None, method="dpo", batch_size=4, cores=2, cuda=False, steps=60)
    1
    >>> processes_for(None, method="supervised", batch_size=4, cores=2, cuda=True, steps=60)
    1
    >>> processes_for(4, method="dpo", batch_size=8, cores=2, cuda=False, steps=2)
    4
    """
    if setting is None:
        if cuda or method != "supervised" or (steps is not None and steps < AUTO_MIN_STEPS):
            return 1
        n = min(max(1, cores), batch_size)
    else:
        n = min(setting, batch_size)
    return n if n > 1 and batch_size % n == 0 else 1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_control(path: Path, word: str) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(word, encoding="utf-8")
    os.replace(partial, path)  # a rank never reads half a word


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-_LOG_TAIL:]


def _reader(stream: IO[str], lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def train_data_parallel(spec: TrainSpec, hooks: TrainHooks, *, processes: int, threads_per_process: int = 1,
                        max_length: int = 512, poll_seconds: float = 0.5) -> TrainResult:
    """Train `spec` on `processes` CPU processes; report through `hooks` as :func:`~.engine.train` does."""
    spec.output_dir.mkdir(parents=True, exist_ok=True)
    spec_path, control = spec.output_dir / SPEC_FILE, spec.output_dir / CONTROL_FILE
    spec_path.write_text(json.dumps(spec_to_json(spec)), encoding="utf-8")
    last = hooks.control()
    _write_control(control, last)
    port = _free_port()
    env_base = {**training_environment(os.environ), **thread_env(threads_per_process),
                PARENT_PID_ENV: str(os.getpid()),
                "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "WORLD_SIZE": str(processes),
                "LOCAL_WORLD_SIZE": str(processes), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nbtools.server.engine.launch", str(spec_path), "--control-file", str(control),
               "--threads", str(threads_per_process), "--max-length", str(max_length)]
    ranks: list[subprocess.Popen[str]] = []
    logs: list[Path] = []
    try:
        for rank in range(processes):
            log_path = spec.output_dir / f"rank-{rank}.log"
            logs.append(log_path)
            env = {**env_base, "RANK": str(rank), "LOCAL_RANK": str(rank)}
            with open(log_path, "w", encoding="utf-8") as log_file:
                ranks.append(subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stderr=log_file, text=True, env=env,
                    stdout=subprocess.PIPE if rank == 0 else log_file, cwd=spec.output_dir))
        return _watch(ranks, logs, hooks, control, last, poll_seconds)
    finally:
        for process in ranks:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _watch(ranks: list[subprocess.Popen[str]], logs: list[Path], hooks: TrainHooks, control: Path, last: str,
           poll_seconds: float) -> TrainResult:
    lines: queue.Queue[str | None] = queue.Queue()
    assert ranks[0].stdout is not None
    threading.Thread(target=_reader, args=(ranks[0].stdout, lines), name="rank0-events", daemon=True).start()
    result: TrainResult | None = None
    finished_at: float | None = None  # when rank 0's output ended
    next_poll = 0.0
    while True:
        try:
            line = lines.get(timeout=poll_seconds)
        except queue.Empty:
            line = ""
        if line is None:
            finished_at = time.monotonic()
        elif line:
            found = relay_event(line, hooks)
            result = found or result
        now = time.monotonic()
        if now >= next_poll:  # the job's cancel / pause requests, at most every poll interval
            next_poll = now + poll_seconds
            word = hooks.control()
            if word != last:
                _write_control(control, word)
                last = word
        failed = [(r, p.returncode) for r, p in enumerate(ranks) if p.poll() not in (None, 0)]
        if failed:
            rank, code = failed[0]
            raise TrainingProcessError(f"training process {rank} of {len(ranks)} exited with code {code}; end of "
                                       f"{logs[rank]}:\n{_tail(logs[rank])}")
        if finished_at is not None:
            if all(p.poll() is not None for p in ranks):
                break
            if time.monotonic() - finished_at > _EXIT_GRACE:
                raise TrainingProcessError(f"training processes {[r for r, p in enumerate(ranks) if p.poll() is None]}"
                                           f" still running {_EXIT_GRACE:.0f} s after rank 0's output ended")
            time.sleep(0.05)
    if result is None:
        raise TrainingProcessError(f"the training processes ended without a result; end of {logs[0]}:\n"
                                   f"{_tail(logs[0])}")
    return result

