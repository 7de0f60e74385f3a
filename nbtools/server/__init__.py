"""The local OpenAI-compatible fine-tuning server: HTTP API, state, job worker, and the training engine."""
