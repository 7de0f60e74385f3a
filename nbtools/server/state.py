"""What the routes of one running server share: its settings, its database, and the lazily loaded chat engine."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from fastapi import Request

from ..moderation import Moderator
from .chat_precision import host_chat_precision
from .config import ServerConfig
from .engine.contract import ChatEngineProtocol
from .store import Store

__all__ = ["ServerState", "get_state", "default_engine_factory", "default_moderator_factory"]


def default_engine_factory(precision: str = "float32") -> ChatEngineProtocol:
    """The real engine with weights in `precision` (imports torch: called on the first chat request)."""
    from .engine import ChatEngine

    return ChatEngine(dtype=precision)


def default_moderator_factory() -> Moderator:
    """The offline moderation classifier (loads scikit-learn: called on the first moderation request)."""
    from ..moderation import OfflineModerator

    return OfflineModerator()


class ServerState:
    """Shared by all requests of one app. Generation runs on worker threads, never on the event loop."""

    def __init__(self, config: ServerConfig, *, engine_factory: Callable[[], ChatEngineProtocol] | None = None,
                 moderator_factory: Callable[[], Moderator] | None = None) -> None:
        self.config = config
        self.store = Store(config.data_dir / "state.db")
        self.files_dir = config.data_dir / "files"
        self.jobs_dir = config.data_dir / "jobs"
        for path in (self.files_dir, self.jobs_dir):
            path.mkdir(parents=True, exist_ok=True)
        self._engine_factory = engine_factory or (
            lambda: default_engine_factory(host_chat_precision(config.chat_precision)))
        self._engine: ChatEngineProtocol | None = None
        self._engine_lock = threading.Lock()
        self._moderator_factory = moderator_factory or default_moderator_factory
        self._moderator: Moderator | None = None
        self._moderator_lock = threading.Lock()
        # One thread per request in flight: each waits on the engine, which decodes concurrent requests together
        # on its own decoding thread (so these threads must not serialise them).
        self.generation = ThreadPoolExecutor(max_workers=32, thread_name_prefix="nbtools-generate")

    def chat_engine(self) -> ChatEngineProtocol:
        """The chat engine, created on first use (thread-safe)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._engine_factory()
            return self._engine

    def moderator(self) -> Moderator:
        """The moderation classifier, created on first use (thread-safe)."""
        with self._moderator_lock:
            if self._moderator is None:
                self._moderator = self._moderator_factory()
            return self._moderator

    def file_path(self, file_id: str) -> Path:
        """Where a file's bytes live: a generated name, never the user's."""
        return self.files_dir / file_id

    def close(self) -> None:
        """Stop the generation thread and close the database."""
        self.generation.shutdown(wait=False, cancel_futures=True)
        self.store.close()


def get_state(request: Request) -> ServerState:
    """The ServerState of the app serving `request`."""
    return request.app.state.server
