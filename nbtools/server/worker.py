"""The training worker: a separate process that validates new jobs' files and trains queued jobs, one at a time.

Started and watched by the API process (:mod:`nbtools.server.supervisor`); talks to it only through the database.
It dies with the server (``PR_SET_PDEATHSIG`` plus a parent-pid watchdog), so no trainer outlives it. On start it
re-queues jobs an earlier worker left ``running`` (:func:`nbtools.server.lifecycle.recover_interrupted`). A SIGTERM
pauses the running job at its next step (keeping a resumable checkpoint) and puts it back at the head of the queue.

Run as ``python -m nbtools.server.worker --parent-pid PID`` with the settings (JSON of :class:`ServerConfig`, without
the API key) in the environment variable ``NBTOOLS_WORKER_CONFIG``.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import sys
import threading

from .config import ServerConfig
from .supervisor import CONFIG_ENV, thread_env
from .jobrun import resumable_checkpoint, run_job, validate_job
from .lifecycle import claim_next, recover_interrupted
from .lifeline import die_with_parent
from .store import Store

__all__ = ["main", "serve_jobs"]

log = logging.getLogger("nbtools.server.worker")


def _validate_loop(store: Store, config: ServerConfig, stop: threading.Event) -> None:
    while not stop.is_set():
        pending = store.rows("SELECT * FROM jobs WHERE status = 'validating_files' ORDER BY seq")
        for job in pending:
            if stop.is_set():
                return
            validate_job(store, config, job)
        if not pending:
            stop.wait(config.poll_seconds)


def serve_jobs(config: ServerConfig, stop: threading.Event) -> None:
    """Recover, then validate and train jobs until `stop` is set."""
    store = Store(config.data_dir / "state.db")
    recovered = recover_interrupted(store, resumable=lambda job_id: resumable_checkpoint(config, job_id))
    if recovered:
        log.warning("re-queued or failed %d interrupted job(s): %s", len(recovered), ", ".join(recovered))
    threading.Thread(target=_validate_loop, args=(store, config, stop), name="validator", daemon=True).start()
    while not stop.is_set():
        job = claim_next(store)
        if job is None:
            stop.wait(config.poll_seconds)
            continue
        log.info("training %s", job["id"])
        run_job(store, config, job, stop)
        log.info("job %s left the worker", job["id"])


def main(argv: list[str] | None = None) -> int:
    """Entry point of the worker process."""
    parser = argparse.ArgumentParser(prog="python -m nbtools.server.worker")
    parser.add_argument("--parent-pid", type=int, required=True)
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ServerConfig.model_validate_json(os.environ[CONFIG_ENV])
    threads = config.resolved_train_threads()
    os.environ.update(thread_env(threads))
    import torch

    torch.set_num_threads(threads)
    lock_path = config.data_dir / "worker.lock"
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.error("another training worker already serves %s", config.data_dir)
            return 3
        lock.truncate(0)
        lock.write(str(os.getpid()))  # who holds the lock: for people and tests looking for orphans
        lock.flush()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        log.info("worker %d started (torch threads: %d)", os.getpid(), threads)
        serve_jobs(config, stop)
    log.info("worker %d stopped", os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
