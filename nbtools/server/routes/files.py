"""``/v1/files``: upload (multipart, size-limited), list, retrieve, content, delete.

Bytes are stored under a generated name in the data directory; the user's file name is kept only as sanitised
metadata. A ``fine-tune`` upload whose first line is not a JSON object is refused at once (400), as the real service
does; the full line-by-line validation happens when a job uses the file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...errors import JsonlError
from ...jsonl import iter_records
from .. import ids
from ..errors import APIError, bad_request, not_found
from ..lifecycle import ACTIVE
from ..schemas import FILE_PURPOSES, cursor_list, file_object
from ..state import get_state
from ..store import CursorNotFound

__all__ = ["router", "check_jsonl_start"]

router = APIRouter()

_CHUNK = 1024 * 1024
_MULTIPART_SLACK = 64 * 1024  # boundaries and the purpose field around the file part
_NOT_JSONL = "Expected file to have JSONL format, where every line is a JSON dictionary."


def _too_large(limit: int) -> APIError:
    return APIError(413, f"File is too large: this server accepts uploads of at most {limit} bytes.",
                    param="file", code="file_too_large")


def _save(source: IO[bytes], target: Path, limit: int) -> int:
    """Copy an upload to `target` counting bytes; raises 413 (and removes the partial file) past `limit`."""
    size = 0
    try:
        with open(target, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def check_jsonl_start(path: Path) -> None:
    """Raise a 400 APIError unless the first non-blank line of `path` is a JSON object (cheap, streaming).

    The line is read by :func:`nbtools.jsonl.iter_records`, as the validator and the engine read it later, so a
    file refused later for its first line is refused here.
    """
    with open(path, "rb") as handle:
        if b"\x00" in handle.read(8192):
            raise bad_request(f"{_NOT_JSONL} The file looks binary (it contains NUL bytes).", param="file")
    try:
        first = next(iter_records(path), None)
    except JsonlError as problem:  # "line is not valid JSON: ..." -> "Line 3 is not valid JSON: ..."
        detail = problem.reason.removeprefix("line ")
        raise bad_request(f"{_NOT_JSONL} Line {problem.line} {detail}.", param="file") from None
    if first is None:
        raise bad_request(f"{_NOT_JSONL} The file is empty.", param="file")


@router.post("/files")
async def upload_file(request: Request) -> dict:
    """Upload one file (multipart fields ``file`` and ``purpose``)."""
    state = get_state(request)
    limit = state.config.max_upload_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + _MULTIPART_SLACK:
        raise _too_large(limit)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise bad_request("Uploads must be multipart/form-data with the fields 'file' and 'purpose'.", param="file")
    try:
        form = await request.form(max_files=1, max_fields=16)
    except StarletteHTTPException as exc:
        raise bad_request(f"Could not read the multipart upload: {exc.detail}", param="file") from None
    try:
        purpose, upload = form.get("purpose"), form.get("file")
        if not isinstance(purpose, str) or not purpose:
            raise bad_request("Missing required parameter: 'purpose'.", param="purpose")
        if purpose not in FILE_PURPOSES:
            raise bad_request(f"Invalid value for 'purpose': {purpose!r}; expected one of {', '.join(FILE_PURPOSES)}.",
                              param="purpose")
        if not isinstance(upload, UploadFile):
            raise bad_request("Missing required parameter: 'file' (a file part).", param="file")
        file_id = ids.new_id(ids.FILE)
        final = state.file_path(file_id)
        partial = final.with_name(final.name + ".part")
        size = await run_in_threadpool(_save, upload.file, partial, limit)
        try:
            if purpose == "fine-tune":
                await run_in_threadpool(check_jsonl_start, partial)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        row = {"id": file_id, "filename": ids.sanitize_filename(upload.filename), "purpose": purpose,
               "bytes": size, "created_at": int(time.time()), "path": str(final)}
        state.store.insert("files", row)
    finally:
        await form.close()
    return file_object(row)


@router.get("/files")
def list_files(request: Request, after: str | None = None, limit: int = Query(10000, ge=1, le=10000),
               order: Literal["asc", "desc"] = "desc", purpose: str | None = None) -> dict:
    """Files, newest first by default."""
    where, params = ("purpose = ?", (purpose,)) if purpose else ("1", ())
    try:
        rows, more = get_state(request).store.page("files", after=after, limit=limit, where=where, params=params,
                                                   descending=order == "desc")
    except CursorNotFound:
        raise bad_request(f"No file with id {after!r} to list after.", param="after") from None
    return cursor_list([file_object(r) for r in rows], more, with_ids=True)


def _file(request: Request, file_id: str) -> dict:
    row = get_state(request).store.get("files", file_id)
    if row is None:
        raise not_found("File", file_id, param="file_id")
    return row


@router.get("/files/{file_id}")
def retrieve_file(request: Request, file_id: str) -> dict:
    """One file's metadata."""
    return file_object(_file(request, file_id))


@router.get("/files/{file_id}/content")
def file_content(request: Request, file_id: str) -> FileResponse:
    """The file's bytes as stored (result files are base64-encoded CSV, as the real service serves them)."""
    row = _file(request, file_id)
    return FileResponse(row["path"], media_type="application/octet-stream")


@router.delete("/files/{file_id}")
def delete_file(request: Request, file_id: str) -> dict:
    """Delete a file, unless an active job still needs it."""
    state = get_state(request)
    row = _file(request, file_id)
    active = ",".join("?" * len(ACTIVE))
    users = state.store.rows(
        f"SELECT id FROM jobs WHERE (training_file = ? OR validation_file = ?) AND status IN ({active})",
        (file_id, file_id, *ACTIVE),
    )
    if users:
        raise bad_request(f"File {file_id} is in use by fine-tuning job {users[0]['id']}; cancel or finish the job "
                          "before deleting it.", param="file_id")
    state.store.delete("files", file_id)
    Path(row["path"]).unlink(missing_ok=True)
    return {"id": file_id, "object": "file", "deleted": True}
