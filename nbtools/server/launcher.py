"""Start, find and stop the local server from a notebook or the CLI.

``ensure_local_server()`` reuses the server already running for a home directory (found through its ``server.json``
and a health check, ``GET /v1/models``) or starts a detached one. A local API key is generated once and kept in the
data directory (file mode 0600); it is never printed: reprs show :func:`nbtools.settings.mask_secret`.
An ``openai`` client for it comes from :func:`nbtools.connect` (``connect("local")``), which calls this module.

    server = ensure_local_server()   # starts the server on first use
    running_server_url()             # 'http://127.0.0.1:…/v1', read from server.json (no request sent)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import BackendError, ConfigError
from ..settings import mask_secret
from .config import default_data_dir
from .runner import SERVER_INFO, read_server_info

__all__ = ["LocalServer", "ensure_local_server", "stop_local_server", "server_status", "running_server_url",
           "running_server_precision", "KEY_FILE"]

KEY_FILE = "api_key"
_START_TIMEOUT = 90.0
_STOP_TIMEOUT = 90.0


@dataclass(frozen=True)
class LocalServer:
    """A running local server: where to reach it and with which key (masked in the repr)."""

    base_url: str
    api_key: str
    pid: int
    data_dir: Path

    def __repr__(self) -> str:
        return (f"LocalServer(base_url={self.base_url!r}, api_key={mask_secret(self.api_key)!r}, pid={self.pid}, "
                f"data_dir={str(self.data_dir)!r})")


def _data_dir(home: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None) -> Path:
    path = Path(data_dir).expanduser().resolve() if data_dir is not None else default_data_dir(home)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store_key(path: Path, key: str) -> None:
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def _local_key(data_dir: Path, given: str | None) -> str:
    """The key to use: `given` (then stored), else the stored one, else a new one (stored, mode 0600)."""
    path = data_dir / KEY_FILE
    if given:
        if not path.is_file() or path.read_text(encoding="utf-8").strip() != given:
            _store_key(path, given)
        return given
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    key = "nb-" + secrets.token_urlsafe(32)
    _store_key(path, key)
    return key


def _alive(pid: int) -> bool:
    """True while `pid` runs (zombies of our own children count as gone)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z"):
            return False
    return True


def _is_our_server(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return _alive(pid)  # no /proc: trust the pid file
    return b"nbtools" in cmdline


def _healthy(base_url: str, key: str, timeout: float = 2.0) -> int | None:
    """HTTP status of GET /v1/models (None when nothing answers)."""
    request = urllib.request.Request(base_url + "/models", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def _base_url(info: dict[str, Any]) -> str:
    host = info.get("host", "127.0.0.1")
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{info['port']}/v1"


@contextlib.contextmanager
def _launch_lock(data_dir: Path) -> Iterator[None]:
    with open(data_dir / "launch.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _running(data_dir: Path) -> dict[str, Any] | None:
    info = read_server_info(data_dir)
    if info and isinstance(info.get("pid"), int) and _alive(info["pid"]) and _is_our_server(info["pid"]):
        return info
    return None


def _recorded_running(home: str | os.PathLike[str] | None,
                      data_dir: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """The ``server.json`` record of the server running for `home` (or `data_dir`), or None; never creates the data
    directory, unlike :func:`_data_dir`."""
    directory = Path(data_dir).expanduser().resolve() if data_dir is not None else default_data_dir(home)
    return _running(directory)


def _log_tail(data_dir: Path, lines: int = 15) -> str:
    text = ""
    for name in ("server.out", "server.log"):
        with contextlib.suppress(OSError):
            text = (data_dir / "logs" / name).read_text(encoding="utf-8", errors="replace")
            if text.strip():
                break
    return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(data_dir: Path, process: subprocess.Popen, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackendError(f"the local server exited with code {process.returncode} while starting; "
                               f"its log ({data_dir / 'logs'}) ends with:\n{_log_tail(data_dir)}")
        info = read_server_info(data_dir)
        if info and info.get("pid") == process.pid and _healthy(_base_url(info), key) == 200:
            return info
        time.sleep(0.2)
    process.terminate()
    raise BackendError(f"the local server did not answer within {_START_TIMEOUT:.0f} s; see {data_dir / 'logs'}")


def ensure_local_server(*, home: str | os.PathLike[str] | None = None, port: int | None = None,
                        api_key: str | None = None, data_dir: str | os.PathLike[str] | None = None,
                        extra_args: tuple[str, ...] = ()) -> LocalServer:
    """The local server for `home` (or `data_dir`), started detached if none is running.

    `port` None picks a free port. `extra_args` are passed to ``nbtools serve`` (e.g. ``("--base-model", "x=/m")``).
    """
    directory = _data_dir(home, data_dir)
    with _launch_lock(directory):
        key = _local_key(directory, api_key)
        info = _running(directory)
        if info is not None:
            url = _base_url(info)
            status = _healthy(url, key, timeout=10.0)
            if status == 200:
                return LocalServer(url, key, info["pid"], directory)
            if status == 401:
                raise ConfigError(f"the server running for {directory} (pid {info['pid']}) uses another API key; "
                                  "stop it with stop_local_server() or pass its key")
            raise BackendError(f"the server recorded for {directory} (pid {info['pid']}) does not answer; "
                               "stop it with stop_local_server()")
        logs = directory / "logs"
        logs.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "nbtools.server", "--data-dir", str(directory), "--port", str(port or 0),
                   "--api-key-file", str(directory / KEY_FILE), "--quiet", *extra_args]
        with open(logs / "server.out", "ab") as out:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True, cwd=directory)
        info = _wait_healthy(directory, process, key)
        return LocalServer(_base_url(info), key, process.pid, directory)


def stop_local_server(home: str | os.PathLike[str] | None = None, *,
                      data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Stop the server of `home` (a running job pauses and resumes at the next start). False if none ran."""
    directory = _data_dir(home, data_dir)
    info = _running(directory)
    if info is None:
        (directory / SERVER_INFO).unlink(missing_ok=True)
        return False
    pid = info["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
    (directory / SERVER_INFO).unlink(missing_ok=True)
    return True


def server_status(home: str | os.PathLike[str] | None = None, *,
                  data_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Whether a server runs for `home`: {running, base_url, pid, data_dir, healthy} (never the key)."""
    directory = _data_dir(home, data_dir)
    info = _running(directory)
    if info is None:
        return {"running": False, "base_url": None, "pid": None, "data_dir": str(directory), "healthy": False}
    key_path = directory / KEY_FILE
    key = key_path.read_text(encoding="utf-8").strip() if key_path.is_file() else ""
    url = _base_url(info)
    return {"running": True, "base_url": url, "pid": info["pid"], "data_dir": str(directory),
            "healthy": _healthy(url, key) == 200}


def running_server_url(home: str | os.PathLike[str] | None = None, *,
                       data_dir: str | os.PathLike[str] | None = None) -> str | None:
    """The base URL of the server recorded as running for `home`, or None: read from its ``server.json`` and checked
    against the process table, without sending a request (nor creating the data directory)."""
    info = _recorded_running(home, data_dir)
    return None if info is None else _base_url(info)


def running_server_precision(home: str | os.PathLike[str] | None = None, *,
                             data_dir: str | os.PathLike[str] | None = None) -> str | None:
    """The chat precision ("float32", "bfloat16", "int8") of the server recorded as running for `home`, or None
    (none runs, or it predates the record); read like :func:`running_server_url`, without a request."""
    info = _recorded_running(home, data_dir)
    precision = None if info is None else info.get("chat_precision")
    return precision if isinstance(precision, str) else None
