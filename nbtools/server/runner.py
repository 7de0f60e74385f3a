"""Run one server in the foreground: lock the data directory, bind, record ``server.json``, serve until stopped.

``server.json`` (pid, host, port) tells launchers where a running server listens; ``server.lock`` (an advisory file
lock held for the server's lifetime) makes sure only one server uses a data directory at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import logging.handlers
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import ConfigError
from .chat_precision import host_chat_precision
from .config import ServerConfig
from .openmp import describe_chat_wait

__all__ = ["serve", "read_server_info", "SERVER_INFO", "LOCK_FILE"]

SERVER_INFO = "server.json"
LOCK_FILE = "server.lock"
log = logging.getLogger("nbtools.server")


def read_server_info(data_dir: Path) -> dict[str, Any] | None:
    """The recorded pid/host/port (auth, chat_precision) of the data directory's server, or None."""
    try:
        info = json.loads((data_dir / SERVER_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _write_info(data_dir: Path, info: dict[str, Any]) -> None:
    partial = data_dir / (SERVER_INFO + ".part")
    partial.write_text(json.dumps(info), encoding="utf-8")
    os.replace(partial, data_dir / SERVER_INFO)


def _setup_logging(data_dir: Path, *, console: bool) -> None:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(logs / "server.log", maxBytes=10_000_000, backupCount=3)
    ]
    if console:
        handlers.append(logging.StreamHandler())
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(fmt)
    for name in ("nbtools", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = list(handlers) if name in ("nbtools", "uvicorn") else []
        logger.setLevel(logging.INFO)
        logger.propagate = name not in ("nbtools", "uvicorn")


@contextlib.contextmanager
def _signals_end_quietly() -> Iterator[None]:
    """uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; let that re-raise be a no-op so
    the clean-up below still runs and the process exits with 0."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(config: ServerConfig, *, console: bool = True) -> None:
    """Serve until SIGINT/SIGTERM. Raises ConfigError when another server already uses the data directory."""
    import uvicorn

    from .app import create_app

    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / LOCK_FILE, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        info = read_server_info(data_dir) or {}
        lock.close()
        raise ConfigError(f"a server already runs for {data_dir} (pid {info.get('pid', '?')}, "
                          f"port {info.get('port', '?')}); stop it with `nbtools serve --stop`") from None
    sock = None
    try:
        _setup_logging(data_dir, console=console)
        # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say so, and with Nagle
        # on, each response's second write waits for the client's delayed ACK (about 40 ms per request).
        sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET, socket.SOCK_STREAM,
                             socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.host, config.port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
        sock.listen(128)
        sock.set_inheritable(False)
        port = sock.getsockname()[1]
        precision = host_chat_precision(config.chat_precision)
        _write_info(data_dir, {"pid": os.getpid(), "host": config.host, "port": port, "started_at": int(time.time()),
                               "auth": config.api_key is not None, "chat_precision": precision})
        log.info("nbtools server on http://%s:%d/v1 (data: %s, API key: %s)", config.host, port, data_dir,
                 "required" if config.api_key else "not required")
        log.info("chat decoding: OpenMP waiters %s (training processes: the engine's sleeping default)",
                 describe_chat_wait(os.environ))
        log.info("chat precision: %s%s", precision,
                 " (auto: int8 on a CPU with AVX-512, else float32)" if config.chat_precision == "auto" else "")
        app = create_app(config.model_copy(update={"chat_precision": precision}))
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=5))
        with _signals_end_quietly():
            server.run(sockets=[sock])
    finally:
        if sock is not None:
            sock.close()
        if (read_server_info(data_dir) or {}).get("pid") == os.getpid():
            (data_dir / SERVER_INFO).unlink(missing_ok=True)
        lock.close()
