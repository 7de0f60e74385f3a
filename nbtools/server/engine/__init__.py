"""Training and generation on open models (transformers + peft + TRL), free of HTTP and database concerns.

The server's worker calls :func:`train` with a :class:`TrainSpec` and a :class:`TrainHooks` implementation; the
server's chat endpoint calls a :class:`ChatEngine`. See ``contract.py`` for the shapes both sides agree on.
"""
