"""Helpers for the server tests: a server in a thread (HTTP layer only), a real server process, the OpenAPI schema.

The scripted chat engine here exists only for fast tests of the HTTP layer; end-to-end tests use the real engine.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import referencing
import uvicorn
import yaml

from nbtools.server.app import create_app
from nbtools.server.config import ServerConfig
from nbtools.server.engine.contract import Generated, GenerationParams, StreamDelta

class Recorder:
    """Event hooks for an SDK client's ``http_client``: every request sent, and the JSON of each chat completion."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.responses: list[dict] = []

    def on_request(self, request: Any) -> None:
        self.requests.append(request)

    def on_response(self, response: Any) -> None:
        response.read()
        if response.request.url.path.endswith("/chat/completions"):
            self.responses.append(response.json())


# The vendored copy of OpenAI's specification (spec/openai-openapi/README.md says where it came from).
OPENAPI = Path(__file__).resolve().parents[1] / "spec" / "openai-openapi" / "openapi.yaml"


class ScriptedChatEngine:
    """Replies "echo: <last user text>", one word per token, cut at max_tokens or a stop string."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def _reply(self, messages, params: GenerationParams) -> tuple[list[str], str]:
        words = ("echo: " + str(messages[-1].get("content", ""))).split()
        text, reason = words[: params.max_tokens], "length" if len(words) > params.max_tokens else "stop"
        for stop in params.stop:
            joined = " ".join(text)
            if stop in joined:
                return joined[: joined.index(stop)].split(), "stop"
        return text, reason

    def generate(self, base_model, adapter, messages, params):
        self.calls.append({"base": base_model, "adapter": adapter, "messages": list(messages), "params": params})
        out = []
        for _ in range(params.n):
            words, reason = self._reply(messages, params)
            out.append(Generated(" ".join(words), reason, prompt_tokens=len(messages) * 3,
                                 completion_tokens=len(words)))
        return out

    def stream(self, base_model, adapter, messages, params) -> Iterator[StreamDelta]:
        self.calls.append({"base": base_model, "adapter": adapter, "messages": list(messages), "params": params})
        for index in range(params.n):
            words, reason = self._reply(messages, params)
            for i, word in enumerate(words):
                yield StreamDelta(index, (" " if i else "") + word, None, len(messages) * 3, i + 1)
            yield StreamDelta(index, "", reason, len(messages) * 3, len(words))


@contextlib.contextmanager
def thread_server(config: ServerConfig, *, engine=None, moderator=None) -> Iterator[str]:
    """Serve `config` (worker off unless asked) from a thread on a free port; yields the /v1 base URL.

    `engine` and `moderator` replace the real chat engine and moderation classifier (None: the real ones)."""
    app = create_app(config, engine_factory=(lambda: engine) if engine is not None else None,
                     moderator_factory=(lambda: moderator) if moderator is not None else None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # see nbtools.server.runner
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def wait_for(predicate, *, timeout: float, interval: float = 0.25, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; returns it, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def chat_lines(n: int, *, reply: str = "Hey there! Happy to help. Stay grounded! ☕") -> str:
    """A valid chat-format training file of `n` short examples."""
    return "".join(
        json.dumps({"messages": [{"role": "system", "content": "You are Brewtiful's support agent."},
                                 {"role": "user", "content": f"Question {i}: where is my coffee order?"},
                                 {"role": "assistant", "content": reply}]}) + "\n"
        for i in range(n)
    )


def dpo_lines(n: int) -> str:
    """A valid preference (DPO) file of `n` short pairs."""
    return "".join(
        json.dumps({"input": {"messages": [{"role": "user", "content": f"Can I pause my subscription? ({i})"}]},
                    "preferred_output": [{"role": "assistant", "content": "Hey there! Sure, pause it in your "
                                                                          "account. Stay grounded! ☕"}],
                    "non_preferred_output": [{"role": "assistant", "content": "Read the FAQ."}]}) + "\n"
        for i in range(n)
    )


# -- OpenAPI schema ---------------------------------------------------------------------------------------------------

def _openapi30_compat(node: Any) -> Any:
    """OpenAPI 3.0 keywords still used in places of the 3.1 document, as JSON Schema 2020-12 says them:
    ``nullable: true`` -> ``anyOf [..., null]``; boolean ``exclusiveMinimum/Maximum`` -> the bound itself."""
    if isinstance(node, list):
        return [_openapi30_compat(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _openapi30_compat(v) for k, v in node.items()}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(node.get(exclusive), bool):
            if node.pop(exclusive) and bound in node:
                node[exclusive] = node.pop(bound)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The official OpenAPI document (loaded once per test session)."""
    with open(OPENAPI, encoding="utf-8") as handle:
        return _openapi30_compat(yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def schema_validator(component: str, *, patches: dict[str, Any] | None = None) -> jsonschema.Validator:
    """A validator for ``#/components/schemas/<component>``, $refs resolved inside the document.

    `patches` replaces whole component schemas (used only for the documented deviations, see the tests).
    """
    document = openapi_document()
    if patches:
        document = copy.deepcopy(document)
        document["components"]["schemas"].update(patches)
    resource = referencing.Resource.from_contents(document, default_specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource("urn:openai", resource)
    return jsonschema.Draft202012Validator({"$ref": f"urn:openai#/components/schemas/{component}"}, registry=registry)


def assert_schema(component: str, payload: Any, *, patches: dict[str, Any] | None = None) -> None:
    """Fail with every schema error when `payload` does not validate against `component`."""
    problems = sorted(schema_validator(component, patches=patches).iter_errors(payload), key=lambda e: e.path)
    assert not problems, "\n".join(f"{list(p.path)}: {p.message}" for p in problems[:10])


# -- one real server process per test session, and one fine-tuned job on it ------------------------------------------

_SHARED: dict[str, Any] = {}


def shared_server():
    """A real detached server (real worker, real engine) shared by the end-to-end test modules of this session."""
    import atexit
    import tempfile

    from nbtools.server.launcher import ensure_local_server, stop_local_server

    if "server" not in _SHARED:
        home = tempfile.mkdtemp(prefix="nbtools-e2e-")
        _SHARED["server"] = ensure_local_server(home=home)
        atexit.register(stop_local_server, home)
    return _SHARED["server"]


def client_for(server, **kwargs):
    """An ``openai.OpenAI`` client for a LocalServer."""
    import openai

    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, **kwargs)


def wait_for_status(client, job_id: str, statuses: tuple[str, ...], *, timeout: float = 600):
    """Poll a job until its status is one of `statuses`; returns the job."""
    return wait_for(lambda: (lambda job: job if job.status in statuses else None)(
        client.fine_tuning.jobs.retrieve(job_id)), timeout=timeout, interval=0.5, what=f"{job_id} to reach {statuses}")


def trained_job() -> dict[str, Any]:
    """A small supervised job on the shared server, run to success once per session (12 examples, 2 epochs of
    3 steps, a 4-example validation file); returns {"job", "train", "valid"}."""
    if "trained" not in _SHARED:
        client = client_for(shared_server())
        train = client.files.create(file=("train.jsonl", chat_lines(12).encode()), purpose="fine-tune")
        valid = client.files.create(file=("valid.jsonl", chat_lines(4).encode()), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(
            model="smollm2-135m-instruct", training_file=train.id, validation_file=valid.id, suffix="brew", seed=42,
            metadata={"suite": "e2e"},
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 4}}})
        _SHARED["trained"] = {"job": wait_for_status(client, job.id, ("succeeded", "failed", "cancelled")),
                              "train": train, "valid": valid, "created": job}
    return _SHARED["trained"]
