"""Hand the local server's chat completions to a vLLM server, loading fine-tuned models' adapters on first use.

With ``nbtools serve --vllm URL`` the local server keeps files, fine-tuning jobs, models and moderations, and
forwards every ``POST /v1/chat/completions`` (plain or streamed) to vLLM: the base model under its own id (vLLM
must serve it under that name: :func:`~nbtools.serving.vllm_process.vllm_launch` passes ``--served-model-name``),
every fine-tuned model and checkpoint as a LoRA adapter named by its model id, loaded into vLLM with
``POST /v1/load_lora_adapter``: each fine-tuned model's within seconds of its job succeeding (:meth:`VLLMProxy.follow`),
a checkpoint's the first time it is asked for, and either again if vLLM restarted and lost it. A client
therefore changes nothing but ``base_url``. vLLM's answers (and errors) are passed through unchanged.

>>> forward_body({"model": "x", "messages": []}, "ft:m:local:s:1", default_max_tokens=256)
{'model': 'ft:m:local:s:1', 'messages': [], 'max_tokens': 256}
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, AsyncIterator

import httpx
from fastapi.responses import Response, StreamingResponse

from ..errors import BackendError
from .vllm_process import lora_load_outcome, vllm_root_url

if TYPE_CHECKING:
    from ..server.catalog import ModelTarget
    from ..server.state import ServerState

__all__ = ["VLLMProxy", "forward_body", "FOLLOW_SECONDS"]

FOLLOW_SECONDS = 5.0  # how often the proxy looks for newly succeeded jobs whose adapters vLLM does not have yet
log = logging.getLogger("nbtools.server")


def forward_body(payload: dict[str, Any], model: str, *, default_max_tokens: int) -> dict[str, Any]:
    """The request vLLM gets: the client's, for `model`, with the local server's default reply length if unset
    (vLLM's default would be the whole context)."""
    body = {**payload, "model": model}
    if body.get("max_tokens") is None and body.get("max_completion_tokens") is None:
        body["max_tokens"] = default_max_tokens
    return body


class VLLMProxy:
    """Forwards chat completions to the vLLM server at `url`; one per app, closed with :meth:`aclose`."""

    def __init__(self, url: str, *, timeout: float = 600.0) -> None:
        self.url = vllm_root_url(url)
        self._client = httpx.AsyncClient(base_url=self.url, timeout=httpx.Timeout(timeout, connect=10.0))
        self._loaded: set[str] = set()
        self._lock = asyncio.Lock()

    async def load_adapter(self, name: str, path: str) -> None:
        """Load adapter `path` into vLLM as model `name`, unless this proxy already did."""
        from ..server.errors import APIError

        async with self._lock:
            if name in self._loaded:
                return
            try:
                response = await self._client.post("/v1/load_lora_adapter",
                                                   json={"lora_name": name, "lora_path": path})
                lora_load_outcome(response.status_code, response.text, name)
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from exc
            except BackendError as exc:
                raise APIError(502, str(exc), type="server_error") from exc
            self._loaded.add(name)

    async def follow(self, state: "ServerState", *, interval: float = FOLLOW_SECONDS) -> None:
        """Load every fine-tuned model's final adapter into vLLM, and each new one soon after its job succeeds.

        Runs until cancelled (the app's lifespan does); a vLLM that is down or refuses an adapter is logged (once per
        model) and tried again at the next round. Checkpoints are loaded when first asked for.
        """
        reported: set[str] = set()
        while True:
            for row in state.store.rows("SELECT id, adapter_path FROM models ORDER BY seq"):
                if row["id"] in self._loaded:
                    continue
                try:
                    await self.load_adapter(row["id"], row["adapter_path"])
                    log.info("vLLM: loaded the adapter of %s", row["id"])
                except Exception as exc:  # the request path reports the same failure to the client
                    if row["id"] not in reported:
                        reported.add(row["id"])
                        log.warning("vLLM: could not load the adapter of %s yet: %s", row["id"], exc)
            await asyncio.sleep(interval)

    async def chat(self, target: "ModelTarget", payload: dict[str, Any], *, default_max_tokens: int) -> Response:
        """vLLM's answer to the chat request `payload` for `target` (a JSON response, or the SSE stream relayed)."""
        body = forward_body(payload, target.id, default_max_tokens=default_max_tokens)
        if target.adapter is not None:
            await self.load_adapter(target.id, str(target.adapter))
        response = await self._send(body)
        if response.status_code == 404 and target.adapter is not None:  # vLLM restarted and lost the adapter
            await response.aclose()
            self._loaded.discard(target.id)
            await self.load_adapter(target.id, str(target.adapter))
            response = await self._send(body)
        if response.status_code != 200 or not body.get("stream"):
            content = await response.aread()
            await response.aclose()
            return Response(content, status_code=response.status_code,
                            media_type=response.headers.get("content-type", "application/json"))
        return StreamingResponse(self._relay(response), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    async def _send(self, body: dict[str, Any]) -> httpx.Response:
        request = self._client.build_request("POST", "/v1/chat/completions", json=body)
        try:
            return await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc

    @staticmethod
    async def _relay(response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        finally:
            await response.aclose()

    def _unreachable(self, exc: Exception) -> Exception:
        from ..server.errors import APIError

        return APIError(503, f"The vLLM server at {self.url} did not answer: {type(exc).__name__}: {exc}",
                        type="server_error", retry=True)

    async def aclose(self) -> None:
        """Close the HTTP connections to vLLM."""
        await self._client.aclose()
