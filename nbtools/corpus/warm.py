"""Load the per-row steps' models by running them once, on import (the local engine's worker preload).

The local engine's worker processes are forked from a forkserver that imports this module first, so the language
model, the offensive-language model, the phone-number metadata and the steps' imports are loaded once there, and
every worker shares those memory pages instead of loading its own copy (``nbtools.corpus.workers.ordered_map``).
The objects loaded are then frozen out of the garbage collector's reach (``gc.freeze``): a collection in a worker
would otherwise write to every object's header and so copy the pages the workers share (at 100k messages the two
workers' peak PSS went 226 + 221 -> 164 + 207 MB with it).
"""

from __future__ import annotations

import gc

import pandas as pd

from .pipeline import default_steps
from .streaming import _clean_read_chunk  # noqa: F401 - what the workers will run, imported with its modules
from .workers import clean_chunk, plan_steps

__all__ = ["warm_models", "WARM_TEXTS"]

WARM_TEXTS = (
    "Hi Maria, where is my order? Call me on +1 415-555-0132 or +44 20 7946 0958.",
    "<p>Your order shipped &amp; arrives Monday.</p> Thanks, John",
    "Guten Tag, meine Bestellung ist noch nicht angekommen. Können Sie mir bitte helfen?",
    "Bonjour, ma commande n'est pas arrivée. Pouvez-vous m'aider, s'il vous plaît ?",
    "You are an idiot and I will hurt you.",
)


def warm_models() -> None:
    """Run the default steps once on a few messages (English, German, French, markup, phones, abuse)."""
    n = len(WARM_TEXTS)
    chunk = pd.DataFrame({"row_id": [str(i) for i in range(n)], "conversation_id": [f"c{i}" for i in range(n)],
                          "turn": [0] * n, "role": ["user"] * n, "text": list(WARM_TEXTS)})
    clean_chunk(plan_steps(default_steps()), chunk)


warm_models()
gc.collect()
gc.freeze()  # what is loaded now stays shared: no collection in a worker touches it
