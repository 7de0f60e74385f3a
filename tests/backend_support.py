"""Counts what rebuilding a backend from a client used to cost: reads of the local server's ``server.json`` and HTTP
health checks (``GET /v1/models`` sent by the launcher). Asking a connection for its backend must cost neither."""

from __future__ import annotations

from typing import Any

import pytest

import nbtools.server.launcher as launcher
import nbtools.server.runner as runner

_WATCHED = ((launcher, "read_server_info"), (runner, "read_server_info"), (launcher, "_healthy"))


class ServerLookups:
    """Records each call to the watched functions (by name) while installed on a MonkeyPatch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for module, name in _WATCHED:
            monkeypatch.setattr(module, name, self._counting(name, getattr(module, name)))

    def _counting(self, name: str, real: Any):
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append("health check" if name == "_healthy" else "server.json read")
            return real(*args, **kwargs)

        return counted
