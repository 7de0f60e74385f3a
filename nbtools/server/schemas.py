"""Request bodies (pydantic: where outside input enters) and response builders (plain dicts in OpenAI's shapes).

Response builders take stored rows and return exactly the JSON objects of the OpenAPI spec, every required field
present (nulls included), so that the ``openai`` SDK never sees a missing attribute.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

__all__ = [
    "SupervisedHyperparameters",
    "DpoHyperparameters",
    "MethodBody",
    "CreateJobBody",
    "ChatMessage",
    "ChatBody",
    "ModerationBody",
    "FILE_PURPOSES",
    "file_object",
    "job_object",
    "event_object",
    "checkpoint_object",
    "model_object",
    "cursor_list",
]

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")

Auto = Literal["auto"]
BatchSize = Auto | Annotated[StrictInt, Field(ge=1, le=256)]
Epochs = Auto | Annotated[StrictInt, Field(ge=1, le=50)]
LearningRate = Auto | Annotated[float, Field(gt=0)]
Beta = Auto | Annotated[float, Field(gt=0, le=2)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupervisedHyperparameters(_Body):
    """Supervised (and legacy top-level) hyperparameters; each a number or "auto"."""

    batch_size: BatchSize = "auto"
    learning_rate_multiplier: LearningRate = "auto"
    n_epochs: Epochs = "auto"


class DpoHyperparameters(SupervisedHyperparameters):
    """DPO hyperparameters: the supervised ones plus beta."""

    beta: Beta = "auto"


class _SupervisedConfig(_Body):
    hyperparameters: SupervisedHyperparameters | None = None


class _DpoConfig(_Body):
    hyperparameters: DpoHyperparameters | None = None


class MethodBody(_Body):
    """``method`` of a job: supervised or dpo here; reinforcement is recognised only to be refused clearly."""

    type: Literal["supervised", "dpo", "reinforcement"]
    supervised: _SupervisedConfig | None = None
    dpo: _DpoConfig | None = None
    reinforcement: dict[str, Any] | None = None


class CreateJobBody(_Body):
    """``POST /v1/fine_tuning/jobs``."""

    model: str = Field(min_length=1)
    training_file: str = Field(min_length=1)
    validation_file: str | None = None
    hyperparameters: SupervisedHyperparameters | None = None
    suffix: str | None = Field(None, min_length=1, max_length=64)
    seed: Annotated[StrictInt, Field(ge=0, le=2147483647)] | None = None
    metadata: dict[str, str] | None = None
    method: MethodBody | None = None
    integrations: list[dict[str, Any]] | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        if len(value) > 16:
            raise ValueError(f"at most 16 keys are allowed (got {len(value)})")
        for key, item in value.items():
            if len(key) > 64:
                raise ValueError(f"key {key[:20]!r}… is longer than 64 characters")
            if len(item) > 512:
                raise ValueError(f"value of {key!r} is longer than 512 characters")
        return value


class ContentPart(BaseModel):
    """One part of a message's content array (only text parts are usable here)."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One chat message; extra keys (tool_calls, tool_call_id, …) are kept and passed to the chat template."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(BaseModel):
    """``stream_options``."""

    model_config = ConfigDict(extra="allow")
    include_usage: StrictBool | None = None


class ChatBody(BaseModel):
    """``POST /v1/chat/completions``. Unknown parameters are accepted and ignored (like the service's optional ones)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    max_tokens: Annotated[StrictInt, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[StrictInt, Field(ge=1)] | None = None
    n: Annotated[StrictInt, Field(ge=1, le=128)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    stop: str | Annotated[list[str], Field(max_length=4)] | None = None
    seed: StrictInt | None = None
    stream: StrictBool | None = None
    stream_options: StreamOptions | None = None
    logprobs: StrictBool | None = None


class ModerationBody(BaseModel):
    """``POST /v1/moderations``."""

    model_config = ConfigDict(extra="forbid")
    input: str | list[str] | list[ContentPart]
    model: str | None = None


# -- responses ------------------------------------------------------------------------------------------------------

_NO_ERROR = {"code": None, "message": None, "param": None}


def file_object(row: dict[str, Any]) -> dict[str, Any]:
    """A stored file as OpenAI's File object (``status`` is ``processed`` at once, as for real uploads)."""
    return {"id": row["id"], "object": "file", "bytes": row["bytes"], "created_at": row["created_at"],
            "filename": row["filename"], "purpose": row["purpose"], "status": "processed"}


def job_object(row: dict[str, Any], *, organization: str) -> dict[str, Any]:
    """A stored job as OpenAI's ``fine_tuning.job``: hyperparameters resolved once validated, mirrored in method."""
    hyper = dict(row["hyperparameters"] or row["requested"])
    common = {k: hyper.get(k, "auto") for k in ("batch_size", "learning_rate_multiplier", "n_epochs")}
    method_hyper = dict(common, beta=hyper.get("beta", "auto")) if row["method"] == "dpo" else dict(common)
    return {
        "id": row["id"],
        "object": "fine_tuning.job",
        "created_at": row["created_at"],
        "error": row["error"] or dict(_NO_ERROR),
        "fine_tuned_model": row["fine_tuned_model"],
        "finished_at": row["finished_at"],
        "hyperparameters": common,
        "model": row["model"],
        "organization_id": f"org-{organization}",
        "result_files": [row["result_file"]] if row["result_file"] else [],
        "seed": row["seed"],
        "status": row["status"],
        "trained_tokens": row["trained_tokens"],
        "training_file": row["training_file"],
        "validation_file": row["validation_file"],
        "integrations": [],
        "metadata": row["metadata"],
        "method": {"type": row["method"], row["method"]: {"hyperparameters": method_hyper}},
        "estimated_finish": row["estimated_finish"] if row["status"] == "running" else None,
        "user_provided_suffix": row["suffix"],
    }


def event_object(row: dict[str, Any]) -> dict[str, Any]:
    """A stored event as ``fine_tuning.job.event``."""
    return {"id": row["id"], "object": "fine_tuning.job.event", "created_at": row["created_at"],
            "level": row["level"], "message": row["message"], "type": row["type"], "data": row["data"] or {}}


def checkpoint_object(row: dict[str, Any]) -> dict[str, Any]:
    """A stored checkpoint as ``fine_tuning.job.checkpoint`` (metrics keys only where computed)."""
    metrics = {k: v for k, v in (row["metrics"] or {}).items() if v is not None and k != "total_steps"}
    return {"id": row["id"], "object": "fine_tuning.job.checkpoint", "created_at": row["created_at"],
            "fine_tuned_model_checkpoint": row["name"], "fine_tuning_job_id": row["job_id"],
            "step_number": row["step"], "metrics": metrics}


def model_object(model_id: str, *, created: int, owned_by: str) -> dict[str, Any]:
    """A ``model`` object."""
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def cursor_list(data: list[dict[str, Any]], has_more: bool, *, with_ids: bool = False) -> dict[str, Any]:
    """A cursor page; `with_ids` adds first_id/last_id (files, checkpoints)."""
    page: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more}
    if with_ids:
        page["first_id"] = data[0]["id"] if data else None
        page["last_id"] = data[-1]["id"] if data else None
    return page
