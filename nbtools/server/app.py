"""The FastAPI application of the local OpenAI-compatible server: ``create_app(config)``.

All endpoints live under ``/v1`` and answer in OpenAI's shapes; every error uses OpenAI's envelope. When the config
has an API key, every request needs ``Authorization: Bearer <key>`` (compared in constant time, never logged).
"""

from __future__ import annotations

import asyncio
import hmac
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool

from ..moderation import Moderator
from ..serving.vllm_proxy import VLLMProxy
from .config import ServerConfig
from .engine.contract import ChatEngineProtocol
from .errors import APIError, install_error_handlers
from .routes import ROUTERS
from .state import ServerState
from .supervisor import WorkerSupervisor

__all__ = ["create_app"]

_NO_KEY = ("You didn't provide an API key. You need to provide your API key in an Authorization header using "
           "Bearer auth (i.e. Authorization: Bearer YOUR_KEY). The local server's key is in its data directory.")


def _key_check(config: ServerConfig) -> Callable[[Request], None]:
    expected = config.key()

    def require_key(request: Request) -> None:
        if expected is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise APIError(401, _NO_KEY)
        if not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise APIError(401, "Incorrect API key provided.", code="invalid_api_key")

    return require_key


def create_app(config: ServerConfig, *, engine_factory: Callable[[], ChatEngineProtocol] | None = None,
               moderator_factory: Callable[[], Moderator] | None = None) -> FastAPI:
    """The server app for `config`. The worker process starts with the app (unless ``config.worker`` is False).

    `engine_factory` replaces the real chat engine and `moderator_factory` the offline moderation classifier (tests
    of the HTTP layer alone use scripted ones).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = ServerState(config, engine_factory=engine_factory, moderator_factory=moderator_factory)
        app.state.server = state
        supervisor = WorkerSupervisor(config) if config.worker else None
        app.state.supervisor = supervisor
        app.state.chat_proxy = VLLMProxy(config.vllm_url) if config.vllm_url else None  # chat answered by vLLM
        following = asyncio.create_task(app.state.chat_proxy.follow(state)) if config.vllm_url else None
        if supervisor is not None:
            supervisor.start()
        try:
            yield
        finally:
            if supervisor is not None:
                await run_in_threadpool(supervisor.stop)
            if following is not None:
                following.cancel()
                await app.state.chat_proxy.aclose()
            state.close()

    app = FastAPI(title="nbtools local OpenAI-compatible fine-tuning server", version="1", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix="/v1", dependencies=[Depends(_key_check(config))])
    return app
