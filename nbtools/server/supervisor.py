"""Starts the training worker process from the API process, restarts it if it dies, stops it on shutdown.

The worker is spawned (``python -m nbtools.server.worker``), never forked from the threaded server, from one
long-lived thread (``PR_SET_PDEATHSIG`` is tied to the spawning thread). Its output goes to ``logs/worker.log``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from .config import ServerConfig
from .openmp import training_environment

__all__ = ["WorkerSupervisor", "CONFIG_ENV", "thread_env"]

CONFIG_ENV = "NBTOOLS_WORKER_CONFIG"  # the worker's settings: ServerConfig JSON without the API key

log = logging.getLogger("nbtools.server")


def thread_env(threads: int) -> dict[str, str]:
    """Environment that caps the math libraries' threads (must be set before torch is imported).

    >>> thread_env(1)["OMP_NUM_THREADS"]
    '1'
    """
    value = str(threads)
    return {"OMP_NUM_THREADS": value, "MKL_NUM_THREADS": value, "OPENBLAS_NUM_THREADS": value,
            "TOKENIZERS_PARALLELISM": "false"}


class WorkerSupervisor:
    """Keeps one worker process alive while the server runs."""

    def __init__(self, config: ServerConfig, *, stop_timeout: float = 60.0) -> None:
        self.config = config
        self.stop_timeout = stop_timeout
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.process: subprocess.Popen | None = None
        self.started = threading.Event()

    def start(self) -> None:
        """Start watching (returns at once)."""
        self._thread = threading.Thread(target=self._run, name="nbtools-worker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> subprocess.Popen:
        logs = self.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**training_environment(os.environ), **thread_env(self.config.resolved_train_threads()),
               CONFIG_ENV: self.config.model_dump_json(exclude={"api_key"})}
        with open(logs / "worker.log", "ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "nbtools.server.worker", "--parent-pid", str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.config.data_dir,
            )

    def _run(self) -> None:
        recent: list[float] = []
        while not self._stopping.is_set():
            self.process = self._spawn()
            self.started.set()
            log.info("training worker started (pid %d)", self.process.pid)
            while self.process.poll() is None and not self._stopping.wait(0.5):
                pass
            if self._stopping.is_set():
                self._terminate(self.process)
                return
            log.warning("training worker exited with code %s; restarting it", self.process.returncode)
            now = time.monotonic()
            recent = [t for t in recent if now - t < 60] + [now]
            self._stopping.wait(30.0 if len(recent) > 5 else 1.0)  # back off when it keeps crashing

    def _terminate(self, process: subprocess.Popen) -> None:
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # the worker pauses a running job first
        try:
            process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning("training worker did not stop within %.0f s; killing it", self.stop_timeout)
            process.kill()
            process.wait()

    def stop(self) -> None:
        """Stop the worker (gracefully, then by force) and the watching thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(self.stop_timeout + 10)
