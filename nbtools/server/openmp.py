"""How torch's OpenMP threads wait for work, per process: bounded spinning for chat, sleeping for training.

libgomp reads these settings once, when torch is first imported, so they are environment variables set before that.

- The API process decodes chat answers: a decode step is ~200 short parallel regions. With sleeping waiters
  (``OMP_WAIT_POLICY=PASSIVE``, or libgomp's default once it manages more threads than there are CPUs) each region
  first wakes the other thread, and int8 SmolLM2 decoded 12-14 tokens/s through the server on 2 cores; with waiters
  that spin for a bounded time (``ACTIVE`` + ``GOMP_SPINCOUNT=2000000``) 26-27.5 tokens/s, and the idle server
  still used 0.3% of a core (unbounded ``ACTIVE``: 100% of a core while idle). See benchmarks/README.md.
- Training processes keep sleeping waiters (:mod:`nbtools.server.engine` sets ``PASSIVE`` by default): spinning
  made training steps up to 10x slower on a CPU shared with other work.

A wait policy the user set (either variable present in the environment) is left alone, for both.
"""

from __future__ import annotations

import os
from typing import Mapping, MutableMapping

__all__ = ["CHAT_WAIT", "WAIT_VARIABLES", "prepare_chat_process", "training_environment", "describe_chat_wait"]

WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
CHAT_WAIT = {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "2000000"}
CHOSEN_FOR_CHAT = "NBTOOLS_CHAT_OMP_WAIT"  # marks that the wait settings above were set by nbtools, not the user


def prepare_chat_process(environ: MutableMapping[str, str] | None = None) -> bool:
    """Give the (API) process bounded spinning unless the user chose a wait policy; True when it did so.

    Call before torch is imported; afterwards it has no effect on this process.

    >>> env = {}
    >>> prepare_chat_process(env), env["OMP_WAIT_POLICY"], env["GOMP_SPINCOUNT"]
    (True, 'ACTIVE', '2000000')
    >>> prepare_chat_process({"OMP_WAIT_POLICY": "PASSIVE"})
    False
    """
    environ = os.environ if environ is None else environ
    if any(name in environ for name in WAIT_VARIABLES):
        return False
    environ.update(CHAT_WAIT)
    environ[CHOSEN_FOR_CHAT] = "1"
    return True


def training_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a training process started from the API process: the chat's wait settings removed (so the
    engine's sleeping default applies); a user's own settings kept.

    >>> env = {"PATH": "/bin"}
    >>> _ = prepare_chat_process(env)
    >>> training_environment(env)
    {'PATH': '/bin'}
    >>> training_environment({"OMP_WAIT_POLICY": "ACTIVE"})
    {'OMP_WAIT_POLICY': 'ACTIVE'}
    """
    env = dict(environ)
    if env.pop(CHOSEN_FOR_CHAT, None) is not None:
        for name in WAIT_VARIABLES:
            env.pop(name, None)
    return env


def describe_chat_wait(environ: Mapping[str, str]) -> str:
    """The wait settings of `environ` in words, for the server's log.

    >>> env = {}
    >>> _ = prepare_chat_process(env)
    >>> describe_chat_wait(env)
    'OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=2000000 (bounded spinning, set by nbtools)'
    >>> describe_chat_wait({"OMP_WAIT_POLICY": "PASSIVE"})
    'OMP_WAIT_POLICY=PASSIVE (set by the user)'
    """
    chosen = " ".join(f"{name}={environ[name]}" for name in WAIT_VARIABLES if name in environ)
    if not chosen:
        return "libgomp's defaults (nothing set before torch loaded)"
    return chosen + (" (bounded spinning, set by nbtools)" if environ.get(CHOSEN_FOR_CHAT) else " (set by the user)")
