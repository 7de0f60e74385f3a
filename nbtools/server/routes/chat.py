"""``/v1/chat/completions`` for base models, fine-tuned models and checkpoints, plain or streamed (SSE).

Generation runs on the server's generation threads (the engine batches concurrent requests itself), never on the
event loop, so other requests keep being answered while a reply is generated.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ...errors import InputError, ModelNotFoundError, NbtoolsError
from .. import ids
from ..catalog import ModelTarget, resolve_model
from ..engine.contract import GenerationParams, Generated
from ..errors import APIError, bad_request, error_body, model_not_found
from ..schemas import ChatBody, ChatMessage
from ..state import ServerState, get_state

__all__ = ["router", "engine_messages", "generation_params"]

router = APIRouter()


def engine_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI messages as plain dicts for the chat template; text parts joined, other parts refused."""
    out = []
    for i, message in enumerate(messages):
        item = message.model_dump(exclude_none=True)
        if isinstance(message.content, list):
            texts = []
            for j, part in enumerate(message.content):
                if part.type != "text" or part.text is None:
                    raise bad_request(f"Content part of type {part.type!r} is not supported by the local backend "
                                      "(text only).", param=f"messages[{i}].content[{j}]")
                texts.append(part.text)
            item["content"] = "\n".join(texts)
        item.setdefault("content", "")
        out.append(item)
    return out


def generation_params(body: ChatBody, *, default_max_tokens: int) -> GenerationParams:
    """The engine's sampling settings from the request (OpenAI's defaults where absent)."""
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    return GenerationParams(
        max_tokens=body.max_completion_tokens or body.max_tokens or default_max_tokens,
        temperature=1.0 if body.temperature is None else body.temperature,
        top_p=1.0 if body.top_p is None else body.top_p,
        stop=tuple(s for s in stop if s),
        seed=body.seed,
        n=body.n or 1,
        frequency_penalty=body.frequency_penalty or 0.0,
        presence_penalty=body.presence_penalty or 0.0,
    )


def _engine_error(exc: Exception, model: str) -> APIError:
    if isinstance(exc, ModelNotFoundError):
        return model_not_found(model)
    if isinstance(exc, InputError):
        return bad_request(str(exc))
    return APIError(500, f"The local model could not generate a reply: {exc}", type="server_error")


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


def _completion(model: str, generated: list[Generated]) -> dict[str, Any]:
    choices: list[dict[str, Any]] = [
        {"index": i, "message": {"role": "assistant", "content": g.text, "refusal": None, "annotations": []},
         "logprobs": None, "finish_reason": g.finish_reason} for i, g in enumerate(generated)]
    prompt = generated[0].prompt_tokens if generated else 0
    return {"id": ids.new_id(ids.CHAT, 29), "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": choices, "usage": _usage(prompt, sum(g.completion_tokens for g in generated)),
            "service_tier": "default"}


async def _stream(state: ServerState, target: ModelTarget, messages: list[dict[str, Any]], params: GenerationParams,
                  include_usage: bool) -> AsyncIterator[str]:
    """SSE frames: a role chunk per choice, content chunks, a finish chunk, the usage chunk if asked, [DONE]."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def post(item: tuple[str, Any]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shutting down)
            stop.set()

    def produce() -> None:
        try:
            for delta in state.chat_engine().stream(target.base, target.adapter, messages, params):
                post(("delta", delta))
                if stop.is_set():
                    break
        except Exception as exc:  # reported to the client inside the stream
            post(("error", exc))
        finally:
            post(("end", None))

    base = {"id": ids.new_id(ids.CHAT, 29), "object": "chat.completion.chunk", "created": int(time.time()),
            "model": target.id}

    def frame(choices: list[dict[str, Any]], **extra: Any) -> str:
        chunk = {**base, "choices": choices, **extra}
        if include_usage and "usage" not in extra:
            chunk["usage"] = None
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    def choice(index: int, delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]

    loop.run_in_executor(state.generation, produce)
    started: set[int] = set()
    counts: dict[int, tuple[int, int]] = {}
    try:
        while True:
            kind, item = await queue.get()
            if kind == "end":
                break
            if kind == "error":
                err = _engine_error(item, target.id)
                yield f"data: {json.dumps(error_body(err.message, type=err.type, param=err.param, code=err.code))}\n\n"
                return
            if item.index not in started:
                started.add(item.index)
                yield frame(choice(item.index, {"role": "assistant", "content": ""}))
            if item.text:
                yield frame(choice(item.index, {"content": item.text}))
            counts[item.index] = (item.prompt_tokens, item.completion_tokens)
            if item.finish_reason:
                yield frame(choice(item.index, {}, item.finish_reason))
        if include_usage:
            prompt = next(iter(counts.values()))[0] if counts else 0
            yield frame([], usage=_usage(prompt, sum(c for _, c in counts.values())))
        yield "data: [DONE]\n\n"
    finally:
        stop.set()


@router.post("/chat/completions", response_model=None)
async def chat_completions(request: Request, body: ChatBody) -> dict | Response:
    """Generate one or more replies; ``stream: true`` answers with server-sent events."""
    state = get_state(request)
    target = resolve_model(state, body.model)
    proxy = getattr(request.app.state, "chat_proxy", None)
    if proxy is not None:  # nbtools serve --vllm URL: vLLM answers (nbtools.serving.vllm_proxy)
        return await proxy.chat(target, await request.json(), default_max_tokens=state.config.default_max_tokens)
    if body.logprobs:
        raise bad_request("logprobs are not supported by the local backend.", param="logprobs")
    messages = engine_messages(body.messages)
    params = generation_params(body, default_max_tokens=state.config.default_max_tokens)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(_stream(state, target, messages, params, include_usage),
                                 media_type="text/event-stream", headers={"cache-control": "no-cache"})
    loop = asyncio.get_running_loop()
    try:
        generated = await loop.run_in_executor(
            state.generation, lambda: state.chat_engine().generate(target.base, target.adapter, messages, params))
    except NbtoolsError as exc:
        raise _engine_error(exc, target.id) from exc
    return _completion(target.id, generated)
