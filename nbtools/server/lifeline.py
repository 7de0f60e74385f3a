"""Processes that die with their parent: the training worker with the server, training ranks with the worker.

Linux's ``PR_SET_PDEATHSIG`` sends SIGKILL when the parent goes away, however it ends (kill -9 included); a watchdog
thread that compares ``os.getppid()`` with the parent's pid covers the moment before the call and other systems.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Exit when the process `parent_pid` (this process's parent) goes away."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the watchdog below still works
        pass
    if os.getppid() != parent_pid:
        os._exit(0)

    def watchdog() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watchdog, name="parent-watchdog", daemon=True).start()
