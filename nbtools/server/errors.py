"""OpenAI's error envelope, ``{"error": {"message", "type", "param", "code"}}``, for every failure the API returns.

Routes raise :class:`APIError`; :func:`install_error_handlers` turns it, FastAPI's request-validation errors, unknown
routes and unexpected exceptions into that envelope. Every error carries ``x-should-retry: false`` unless retrying
can help, so the ``openai`` SDK fails fast instead of silently re-sending a request that cannot succeed.

>>> error_body("No such File object: file-x", param="id", code=None)
{'error': {'message': 'No such File object: file-x', 'type': 'invalid_request_error', 'param': 'id', 'code': None}}
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import short_repr

__all__ = [
    "APIError",
    "error_body",
    "install_error_handlers",
    "not_found",
    "bad_request",
    "model_not_found",
    "validation_message",
]

log = logging.getLogger("nbtools.server")


def error_body(message: str, *, type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class APIError(Exception):
    """An error answer: HTTP status plus OpenAI's four error fields."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, retry: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.param, self.code, self.retry = param, code, retry

    def response(self) -> JSONResponse:
        """The JSONResponse for this error."""
        return JSONResponse(
            error_body(self.message, type=self.type, param=self.param, code=self.code),
            status_code=self.status,
            headers={"x-should-retry": "true" if self.retry else "false"},
        )


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> APIError:
    """A 400 ``invalid_request_error``."""
    return APIError(400, message, param=param, code=code)


def not_found(kind: str, object_id: str, *, param: str = "id") -> APIError:
    """A 404 in the real service's wording: ``No such File object: file-…``."""
    return APIError(404, f"No such {kind} object: {object_id}", param=param, code="not_found")


def model_not_found(model: str) -> APIError:
    """The 404 the real service answers for an unknown model."""
    return APIError(404, f"The model `{model}` does not exist or you do not have access to it.",
                    param="model", code="model_not_found")


_UNION_TAG = re.compile(r"[\[\]'(]|^(int|float|str|bool|dict|list|none|bytes)$|^(constrained|function|lax|strict)-")


def _field_path(loc: tuple[Any, ...]) -> str:
    """``('body', 'messages', 0, 'role')`` -> ``messages[0].role`` (pydantic's union-member tags dropped)."""
    parts = [p for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _UNION_TAG.search(str(part)):
            text += ("." if text else "") + str(part)
    return text


def validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    """(message, param) naming the first offending field of a pydantic/FastAPI validation error list.

    Errors of one field (pydantic reports one per member of a union) are merged into one sentence.
    """
    if not errors:
        return "Invalid request.", None
    first = errors[0]
    if first.get("type") == "json_invalid":
        return f"We could not parse the JSON body of your request: {first.get('msg')}.", None
    field = _field_path(tuple(first.get("loc", ()))) or None
    same = [e for e in errors if (_field_path(tuple(e.get("loc", ()))) or None) == field]
    if first.get("type") == "extra_forbidden":
        text = f"Unrecognized request argument supplied: {field}."
    elif first.get("type") == "missing":
        text = f"Missing required parameter: '{field}'." if field else "Missing request body."
    elif field is None:
        text = "The request body must be a JSON object (sent with Content-Type: application/json)."
    else:
        reasons = "; or ".join(dict.fromkeys(str(e.get("msg", "invalid value")) for e in same))
        text = f"Invalid value for '{field}': {reasons} (got {short_repr(first.get('input'))})."
    more = len(errors) - len(same)
    if more > 0:
        text += f" ({more} more problem{'s' if more > 1 else ''} in this request.)"
    return text, field


def install_error_handlers(app: FastAPI) -> None:
    """Make every failure of `app` answer in OpenAI's envelope."""

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = validation_message(list(exc.errors()))
        return APIError(400, message, param=param).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"Invalid URL ({request.method} {request.url.path})"
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return APIError(exc.status_code, message).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return APIError(500, f"The server had an error while processing your request: {type(exc).__name__}.",
                        type="server_error").response()
