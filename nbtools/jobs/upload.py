"""Upload a training file once: the same bytes are never uploaded twice to the same backend.

The file goes up under a name that carries the SHA-256 of its bytes (``train-<16 hex>.jsonl``). Before uploading,
the run log is asked for an earlier upload of the same bytes to this backend, and then the backend's own file list
is searched for that name and size; a file found either way is checked to still exist and is reused.

    >>> hashed_filename("data/train.jsonl", "3f2a9c0d1e2b4a5f" + "0" * 48)
    'train-3f2a9c0d1e2b4a5f.jsonl'
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import BackendError, InputError
from .runlog import RunLog

__all__ = ["UploadedFile", "upload_file", "content_hash", "hashed_filename", "HASH_CHARS"]

HASH_CHARS = 16  # hex characters of the SHA-256 kept in the file name (64 bits: collisions are not a concern)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadedFile:
    """A file on the backend holding the bytes of a local file."""

    file_id: str
    filename: str
    path: str
    bytes: int
    sha256: str
    reused: bool
    found_by: Literal["upload", "run log", "file list"]


def content_hash(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(SHA-256 hex digest, size in bytes) of a file, read in chunks."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file" if not path.exists() else "not a file", file=str(path))
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def hashed_filename(path: str | os.PathLike[str], sha256: str) -> str:
    """The name a file is uploaded under: its stem, the first HASH_CHARS hex of its hash, its extension."""
    path = Path(path)
    return f"{path.stem}-{sha256[:HASH_CHARS]}{path.suffix or '.jsonl'}"


def _attrs(obj: Any) -> dict[str, Any]:
    return obj.model_dump() if hasattr(obj, "model_dump") else dict(obj)


def _still_there(client: Any, file_id: str, *, filename: str, size: int) -> bool:
    import openai

    try:
        found = _attrs(client.files.retrieve(file_id))
    except openai.NotFoundError:
        return False
    return found.get("filename") == filename and found.get("bytes") == size and found.get("status") != "error"


def _listed(client: Any, *, filename: str, size: int, purpose: str) -> str | None:
    for item in client.files.list(purpose=purpose):
        found = _attrs(item)
        if found.get("filename") == filename and found.get("bytes") == size and found.get("status") != "error":
            return found["id"]
    return None


def upload_file(client: Any, path: str | os.PathLike[str], *, purpose: str = "fine-tune",
                home: str | os.PathLike[str] | None = None) -> UploadedFile:
    """Upload `path` to the backend of `client` unless the same bytes are already there; returns the file.

    >>> # upload_file(client, "train.jsonl")  -> UploadedFile(file_id='file-…', reused=False, found_by='upload')
    >>> # upload_file(client, "train.jsonl")  -> UploadedFile(file_id=<same id>, reused=True, found_by='run log')
    """
    import openai

    from ..backend import client_backend

    sha256, size = content_hash(path)
    filename = hashed_filename(path, sha256)
    backend = client_backend(client, home=home)
    log = RunLog(home)
    where = {"backend": backend.kind, "base_url": backend.base_url or ""}

    def result(file_id: str, found_by: Literal["upload", "run log", "file list"]) -> UploadedFile:
        return UploadedFile(file_id, filename, str(path), size, sha256, found_by != "upload", found_by)

    try:
        for line in log.uploads(**where, sha256=sha256, purpose=purpose):
            if _still_there(client, line["file_id"], filename=filename, size=size):
                return result(line["file_id"], "run log")
        file_id = _listed(client, filename=filename, size=size, purpose=purpose)
        found_by: Literal["upload", "file list"] = "file list"
        if file_id is None:
            with open(path, "rb") as handle:
                file_id = client.files.create(file=(filename, handle), purpose=purpose).id
            found_by = "upload"
    except openai.APIStatusError as exc:
        raise BackendError(f"uploading {path} to the {backend.kind} backend failed: {exc.message}") from None
    except openai.APIConnectionError as exc:
        raise BackendError(f"could not reach the {backend.kind} backend at {backend.base_url} to upload {path}: "
                           f"{exc.__cause__ or exc}") from None
    log.record_upload(**where, sha256=sha256, bytes=size, file_id=file_id, filename=filename, purpose=purpose,
                      path=str(path))
    return result(file_id, found_by)
