"""Run the conversation-local cleaning steps on a Dask cluster (``nbtools clean --engine dask``).

Chunks of whole conversations are read here and shipped to the cluster's workers as tasks (``Client.submit``: a
chunk's outcome is the cleaned rows plus changes, counts and signatures, not one DataFrame, and where a chunk may end
is only known to the reader, so partitions are not cut by dask.dataframe); the outcomes come back in input order, a
few in flight at a time, and the duplicate finders then run here in order, as with the local engine, so both
engines give the same rows, ledger and rejects. Without a scheduler address a :class:`distributed.LocalCluster` of `workers` single-threaded
processes is started for the run and closed after it; its processes are forked from a forkserver that has loaded the
steps' models (``nbtools.corpus.warm``), so they share that memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import BackendError

__all__ = ["dask_client", "dask_map"]

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A ``distributed.Client`` on `scheduler`, or on a local cluster of `workers` processes, closed afterwards."""
    import dask
    from distributed import Client, LocalCluster
    from distributed.utils import get_mp_context

    from .streaming import WORKER_PRELOAD

    # No statistical profiler in the workers a run starts: it samples the task's thread every 10 ms for a dashboard
    # the local cluster does not have; measured on a 2,000-row chunk, a task took 1.237 CPU s with it and 1.191
    # without (1.084 outside Dask; medians of 16, alternating, benchmarks/README.md, fifteenth session).
    with dask.config.set({"dataframe.convert-string": False, "distributed.worker.daemon": False,
                          "distributed.worker.multiprocessing-method": "forkserver",
                          "distributed.worker.profile.enabled": False}):
        # A local cluster's worker processes are forked from a forkserver that loaded the models (as the local
        # engine's are), so they share those pages instead of each loading its own copy. get_mp_context sets
        # distributed's own preload list once; ours replaces it ("distributed" imports the rest of that list).
        get_mp_context().set_forkserver_preload(["distributed", *WORKER_PRELOAD])
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise BackendError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            with client:
                yield client
            return
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            yield client


def dask_map(client: Any, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
    """(item, fn(item)) in input order, the calls run on the cluster, 2 × its worker count in flight."""
    from .workers import windowed

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    return windowed(lambda f, item: client.submit(f, item, pure=False), fn, items, window=2 * n_workers)

