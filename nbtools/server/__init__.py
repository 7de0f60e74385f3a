"""The local OpenAI-compatible fine-tuning server: HTTP API, state, job worker, and the training engine.

The unmodified ``openai`` SDK drives it (``OpenAI(base_url="http://127.0.0.1:PORT/v1", api_key=...)``). Modules:

- ``launcher``: ``ensure_local_server`` / ``stop_local_server`` (clients: ``nbtools.connect("local")``) (notebooks, ``nbtools serve``);
- ``runner``, ``app``, ``routes/``: the process, the FastAPI app (``create_app(config)``) and its /v1 endpoints;
- ``config``, ``state``, ``store``, ``lifecycle``, ``catalog``: settings, shared state, SQLite, job statuses, models;
- ``supervisor``, ``worker``, ``jobrun``: the training worker process and one job's run inside it;
- ``schemas``, ``errors``, ``ids``, ``results``: OpenAI's wire shapes, error envelope, ids, the result CSV;
- ``engine/``: training and generation (transformers, peft, TRL), behind ``engine/contract.py``.
"""
