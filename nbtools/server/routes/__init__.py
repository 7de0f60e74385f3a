"""The /v1 endpoints, one module per resource: files, fine_tuning, chat, models, moderations."""

from __future__ import annotations

from . import chat, files, fine_tuning, models, moderations

__all__ = ["ROUTERS"]

ROUTERS = (files.router, fine_tuning.router, chat.router, models.router, moderations.router)
