"""Chat completions from a base model or any of its LoRA adapters: :class:`ChatEngine`.

One engine serves every model of the local server. It loads each base model once, merges each adapter directory
once into its own copy of the base weights (PEFT's ``merge_and_unload``: an adapter then costs nothing per token,
where an unmerged LoRA adds two small matmuls to every projection), and forgets the least recently used adapter
past `max_adapters` (each merged copy holds a full set of weights: ~540 MB for SmolLM2-135M in float32).

Requests are decoded together. Callers (the server's request threads) hand their choices to one decoding thread;
choices that arrive together (each new one within `batch_window` seconds of the previous, up to `max_batch`) and
ask for the same model and adapter are decoded as one batch by :func:`~.batch.decode_batch` (left padding, one KV
cache, each sequence leaving the batch at its own end); ``n`` choices of one request are rows of the same batch.
Requests for other adapters wait for the next batch. Every torch call of the engine (loading a base model,
merging an adapter, decoding) runs on that one thread: with the weights loaded on a request thread and decoded on
another, a decode step took 50-70 ms instead of 30-35 ms (int8, 2 cores, AVX-512; the two threads' OpenMP teams
compete for the cores), so loads are handed to the decoding thread like requests (the process's OpenMP wait
settings matter as much: see :mod:`nbtools.server.openmp`). Each caller decodes its own tokens to text, holds back
text that might be the start of a stop string (see :mod:`.stops`) and yields :class:`~.contract.StreamDelta`
pieces; when a stop string appears or the caller goes away, its sequence leaves the batch at the next step.

Sampling follows OpenAI's parameters: ``temperature`` 0 is greedy decoding; ``top_p`` nucleus sampling; no top-k;
``frequency_penalty`` / ``presence_penalty`` over the generated tokens; ``seed`` seeds the request's own random
generator, so a seeded request is repeatable whatever else is decoded beside it. Counts: ``prompt_tokens`` is the
templated prompt; ``completion_tokens`` counts every token generated for the choice, the end-of-turn token
included.

`dtype` is the weights' precision for inference (see :mod:`.quantize`): "float32" (the engine's default: the
reference, what exports are checked against), "bfloat16", or "int8" (weight-only int8, CPU; the server's "auto"
picks it on a CPU with AVX-512, see :mod:`nbtools.server.chat_precision`). Each adapter is merged into its
own copy of the float32 base weights, which is then converted like the base, so an adapter decodes at the base
model's speed.

The decoding thread is a daemon thread, stopped by :meth:`ChatEngine.close` and at interpreter exit: a caller's
stream ends when its last choice does, while the thread may still be inside torch finishing the batch, and a daemon
thread that Python 3.11 finalization stops inside a C++ call aborts the process ("terminate called without an
active exception", exit status 134: seen in about one exit in three here).
"""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from concurrent.futures import Future
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence

from ...basemodels import base_model_dir
from ...errors import InputError, ModelNotFoundError
from .batch import Choice, decode_batch
from .chat_format import template_messages, template_supports_tools
from .contract import Generated, GenerationParams, StreamDelta
from .data import render
from .models import Placement, choose_placement, load_model, load_tokenizer_for, set_threads
from .quantize import check_precision
from .sampling import PENALTY_RANGE
from .stops import sendable

__all__ = ["ChatEngine"]

_END = object()


class _Stop:
    """The item ChatEngine.close puts on the decoding thread's queue."""


_STOP = _Stop()


@dataclass
class _Base:
    """A loaded base model and its adapters, LRU first.

    `model` holds the float32 weights, `runner` the base model in the engine's precision (`model` itself at
    float32), and `adapters` maps (path, mtime) to each adapter's merged, converted model.
    """

    model: Any
    tokenizer: Any
    eos_ids: frozenset[int]
    runner: Any = None
    adapters: OrderedDict = field(default_factory=OrderedDict)


def _adapter_key(adapter: Path) -> tuple[str, int]:
    path = Path(adapter).expanduser().resolve()
    config = path / "adapter_config.json"
    if not config.is_file():
        raise ModelNotFoundError(f"{path} is not a LoRA adapter directory (no adapter_config.json)")
    weights = next((p for p in (path / "adapter_model.safetensors", path / "adapter_model.bin") if p.is_file()),
                   config)
    return str(path), weights.stat().st_mtime_ns


@dataclass
class _Request:
    """One request's choices waiting for (or in) a batch; the caller reads ``(index, token | _END | error)``."""

    key: tuple  # (base key, adapter key or None): requests with the same key share a batch
    base: _Base
    adapter: Path | None
    choices: list[Choice]
    events: queue.Queue = field(default_factory=queue.Queue)
    halted: set[int] = field(default_factory=set)  # indices of choices the caller has finished or dropped


@dataclass
class _Call:
    """A function for the decoding thread to run between batches; its result or error goes to `done`."""

    fn: Callable[[], Any]
    done: Future = field(default_factory=Future)


def _choice_hooks(request: _Request, index: int, closed: threading.Event,
                  ) -> tuple[Callable[[int], None], Callable[[], bool]]:
    """Choice `index`'s hooks: hand each new token to the request's queue; tell whether the caller stopped it (or
    the engine is closing)."""
    return (lambda token: request.events.put((index, token))), \
        (lambda: index in request.halted or closed.is_set())


def _close_at_exit(engine: weakref.ref) -> None:
    alive = engine()
    if alive is not None:
        alive.close()


class ChatEngine:
    """Generates chat completions for base models and their LoRA adapters (thread-safe; see module doc).

    ``ChatEngine().generate("smollm2-135m-instruct", None, [{"role": "user", "content": "Hi"}],
    GenerationParams(temperature=0)) -> [Generated(text="Hello! How can I help…", finish_reason="stop", …)]``
    """

    def __init__(self, *, device: str | None = None, num_threads: int | None = None, max_adapters: int = 8,
                 max_batch: int = 16, batch_window: float = 0.02, dtype: str = "float32"):
        if max_adapters < 1:
            raise InputError("max_adapters must be at least 1", field="max_adapters", value=max_adapters)
        if max_batch < 1:
            raise InputError("max_batch must be at least 1", field="max_batch", value=max_batch)
        placement = choose_placement(device)
        self._precision = check_precision(dtype, device=placement.device)
        # the weights load in float32 (adapters merge into them); `_precision` converts a copy for decoding
        self._placement = Placement(device=placement.device, dtype_name="float32", bf16=False)
        self._num_threads = num_threads
        self._max_adapters = max_adapters
        self._max_batch = max_batch
        self._window = batch_window
        self._load_lock = threading.Lock()  # loading base models
        self._start_lock = threading.Lock()  # starting the decoding thread
        self._model_lock = threading.Lock()  # running, switching or dropping adapters
        self._bases: dict[str, _Base] = {}
        self._pending: queue.Queue[_Request | _Call | _Stop] = queue.Queue()
        self._decoder: threading.Thread | None = None
        self._closed = threading.Event()
        atexit.register(_close_at_exit, weakref.ref(self))

    # -- models ------------------------------------------------------------------------------------------------

    def _base(self, base_model: str) -> _Base:
        key = str(base_model_dir(base_model))
        with self._load_lock:
            if key not in self._bases:
                self._bases[key] = self._on_decoder(lambda: self._load_base(base_model))
            return self._bases[key]

    def _load_base(self, base_model: str) -> _Base:
        """Load `base_model` and its runner in the engine's precision (on the decoding thread)."""
        set_threads(self._num_threads)
        model = load_model(base_model, self._placement).eval()
        tokenizer = load_tokenizer_for(base_model)
        configured = model.generation_config.eos_token_id
        eos = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
        if tokenizer.eos_token_id is not None:
            eos.add(tokenizer.eos_token_id)
        import copy

        from .quantize import for_inference

        # float32: the runner is the base itself (its linears may get another layout); otherwise a converted copy
        runner = for_inference(model if self._precision == "float32" else copy.deepcopy(model), self._precision)
        return _Base(model=model, tokenizer=tokenizer, eos_ids=frozenset(eos), runner=runner.eval())

    def _runner(self, base: _Base, adapter: Path | None):
        """The base model in the engine's precision, or `adapter` merged into a copy of the float32 base and
        converted (cached; model lock held)."""
        from .quantize import for_inference, merged_adapter

        if adapter is None:
            return base.runner
        key = _adapter_key(adapter)
        if key not in base.adapters:
            base.adapters[key] = for_inference(merged_adapter(base.model, key[0]), self._precision).eval()
            while len(base.adapters) > self._max_adapters:
                base.adapters.popitem(last=False)
        base.adapters.move_to_end(key)
        return base.adapters[key]

    def preload(self, base_model: str, adapter: Path | None = None) -> None:
        """Load a base model (and adapter) now, so the first request does not wait for it."""
        base = self._base(base_model)

        def load() -> None:
            with self._model_lock:
                self._runner(base, adapter)

        self._on_decoder(load)

    def forget(self, adapter: Path) -> None:
        """Drop a cached adapter (for example when its model is deleted)."""
        path = str(Path(adapter).expanduser().resolve())
        with self._model_lock:
            for base in self._bases.values():
                for key in [k for k in base.adapters if k[0] == path]:
                    del base.adapters[key]

    # -- the decoding thread -----------------------------------------------------------------------------------

    def close(self, timeout: float = 30.0) -> None:
        """Stop the decoding thread: batches being decoded end at their next step, and the thread is joined (at
        most `timeout` seconds). Further requests raise :class:`RuntimeError`. Runs by itself at interpreter exit."""
        with self._start_lock:
            self._closed.set()
            decoder = self._decoder
        if decoder is not None and decoder.is_alive() and threading.current_thread() is not decoder:
            self._pending.put(_STOP)
            decoder.join(timeout)

    def _start_decoder(self) -> None:
        with self._start_lock:
            if self._closed.is_set():
                raise RuntimeError("this ChatEngine is closed")
            if self._decoder is None or not self._decoder.is_alive():
                self._decoder = threading.Thread(target=self._decode_forever, name="nbtools-decode", daemon=True)
                self._decoder.start()

    def _submit(self, request: _Request) -> None:
        self._start_decoder()
        self._pending.put(request)

    def _on_decoder(self, fn: Callable[[], Any]) -> Any:
        """`fn()` run on the decoding thread (between batches), its result returned or its error raised here."""
        if threading.current_thread() is self._decoder:
            return fn()
        self._start_decoder()
        call = _Call(fn)
        self._pending.put(call)
        return call.done.result()

    @staticmethod
    def _run(call: _Call) -> None:
        try:
            call.done.set_result(call.fn())
        except BaseException as error:  # handed to the caller, which re-raises it
            call.done.set_exception(error)

    def _gather(self, first: _Request, waiting: deque) -> list[_Request]:
        """`first` plus the requests with its key that arrive within the batching window, up to max_batch rows."""
        batch, rows = [first], len(first.choices)
        later: list[_Request | _Call | _Stop] = []
        for request in list(waiting):  # requests left over from an earlier gathering
            if isinstance(request, _Request) and request.key == first.key \
                    and rows + len(request.choices) <= self._max_batch:
                waiting.remove(request)
                batch.append(request)
                rows += len(request.choices)
        while rows < self._max_batch:
            try:
                request = self._pending.get(timeout=self._window)
            except queue.Empty:
                break
            if isinstance(request, _Request) and request.key == first.key \
                    and rows + len(request.choices) <= self._max_batch:
                batch.append(request)
                rows += len(request.choices)
            else:
                later.append(request)
        waiting.extend(later)
        return batch

    def _refuse_rest(self, waiting: deque) -> None:
        """After close: every call and request still queued gets the engine-closed error."""
        closed = RuntimeError("this ChatEngine is closed")
        while True:
            try:
                item = waiting.popleft() if waiting else self._pending.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Call):
                item.done.set_exception(closed)
            elif isinstance(item, _Request):
                item.events.put((None, closed))

    def _decode_forever(self) -> None:
        waiting: deque[_Request | _Call | _Stop] = deque()
        while True:
            first = waiting.popleft() if waiting else self._pending.get()
            if isinstance(first, _Stop):
                self._refuse_rest(waiting)
                return
            if isinstance(first, _Call):
                self._run(first)
                continue
            batch = self._gather(first, waiting)
            try:
                with self._model_lock:
                    model = self._runner(first.base, first.adapter)
                    decode_batch(model, [c for r in batch for c in r.choices], eos_ids=first.base.eos_ids,
                                 pad_id=first.base.tokenizer.pad_token_id, device=self._placement.device)
            except Exception as error:  # handed to every caller of the batch, which re-raises it
                for request in batch:
                    request.events.put((None, error))
                continue
            for request in batch:
                request.events.put((None, _END))

    # -- generation --------------------------------------------------------------------------------------------

    @staticmethod
    def _check(params: GenerationParams) -> None:
        if params.max_tokens < 1:
            raise InputError("must be at least 1", field="max_tokens", value=params.max_tokens)
        if not 0 <= params.temperature <= 2:
            raise InputError("must be between 0 and 2", field="temperature", value=params.temperature)
        if not 0 < params.top_p <= 1:
            raise InputError("must be greater than 0 and at most 1", field="top_p", value=params.top_p)
        if params.n < 1:
            raise InputError("must be at least 1", field="n", value=params.n)
        low, high = PENALTY_RANGE
        for name in ("frequency_penalty", "presence_penalty"):
            if not low <= getattr(params, name) <= high:
                raise InputError(f"must be between {low:g} and {high:g}", field=name, value=getattr(params, name))

    def _prompt_ids(self, base: _Base, messages: Sequence[Mapping[str, Any]]) -> list[int]:
        tokenizer = base.tokenizer
        converted = template_messages(messages, template_has_tools=template_supports_tools(tokenizer.chat_template))
        text = render(tokenizer, converted, add_generation_prompt=True)
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    def _request(self, base_model: str, adapter: Path | None, messages, params: GenerationParams) -> _Request:
        import torch

        base = self._base(base_model)
        prompt = self._prompt_ids(base, messages)
        context = getattr(base.model.config, "max_position_embeddings", None) or 10**9
        if len(prompt) >= context:
            raise InputError(f"the prompt is {len(prompt)} tokens; this model reads at most {context}",
                             field="messages")
        max_new = min(params.max_tokens, context - len(prompt))
        generator = None
        if params.temperature > 0:
            generator = torch.Generator()
            generator.manual_seed(params.seed if params.seed is not None else int(torch.randint(2**62, ())))
        key = (str(base_model_dir(base_model)), _adapter_key(adapter) if adapter is not None else None)
        request = _Request(key=key, base=base, adapter=adapter, choices=[])
        for index in range(params.n):
            deliver, halted = _choice_hooks(request, index, self._closed)
            request.choices.append(Choice(prompt=prompt, params=params, max_new=max_new, generator=generator,
                                          deliver=deliver, halted=halted))
        return request

    def stream(
        self,
        base_model: str,
        adapter: Path | None,
        messages: Sequence[Mapping[str, Any]],
        params: GenerationParams,
    ) -> Iterator[StreamDelta]:
        """Every choice token by token (choices interleave; each ends with a delta carrying its finish_reason).

        Bad `params` raise here at once; problems with `messages` (bad role, prompt too long) on the first next().
        """
        self._check(params)
        return self._stream(base_model, adapter, messages, params)

    def _stream(self, base_model, adapter, messages, params) -> Iterator[StreamDelta]:
        request = self._request(base_model, adapter, messages, params)
        tokenizer, eos = request.base.tokenizer, request.base.eos_ids
        prompt_tokens, max_new = len(request.choices[0].prompt), request.choices[0].max_new
        ids: dict[int, list[int]] = {i: [] for i in range(params.n)}
        sent: dict[int, str] = {i: "" for i in range(params.n)}
        open_choices = set(range(params.n))
        self._submit(request)
        try:
            while open_choices:
                index, item = request.events.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                if index not in open_choices:
                    continue  # a token decoded before the stop string was noticed
                ids[index].append(item)
                text = tokenizer.decode(ids[index], skip_special_tokens=True)
                safe, stopped = sendable(text, params.stop)
                if len(safe) > len(sent[index]) and safe.startswith(sent[index]):
                    piece, sent[index] = safe[len(sent[index]):], safe
                    yield StreamDelta(index=index, text=piece, finish_reason=None, prompt_tokens=prompt_tokens,
                                      completion_tokens=len(ids[index]))
                ended = item in eos or len(ids[index]) >= max_new
                if not (stopped or ended):
                    continue
                request.halted.add(index)
                open_choices.discard(index)
                if not stopped and len(text) > len(sent[index]) and text.startswith(sent[index]):
                    yield StreamDelta(index=index, text=text[len(sent[index]):], finish_reason=None,
                                      prompt_tokens=prompt_tokens, completion_tokens=len(ids[index]))
                reason: Literal["stop", "length"] = "stop" if stopped or item in eos else "length"
                yield StreamDelta(index=index, text="", finish_reason=reason, prompt_tokens=prompt_tokens,
                                  completion_tokens=len(ids[index]))
        finally:
            request.halted.update(range(params.n))  # the caller went away, or every choice is done

    def generate(
        self,
        base_model: str,
        adapter: Path | None,
        messages: Sequence[Mapping[str, Any]],
        params: GenerationParams,
    ) -> list[Generated]:
        """All `params.n` choices at once, in index order (the text a stream with the same seed gives)."""
        texts: dict[int, list[str]] = {}
        results: dict[int, Generated] = {}
        for delta in self.stream(base_model, adapter, messages, params):
            texts.setdefault(delta.index, []).append(delta.text)
            if delta.finish_reason is not None:
                results[delta.index] = Generated(
                    text="".join(texts[delta.index]), finish_reason=delta.finish_reason,
                    prompt_tokens=delta.prompt_tokens, completion_tokens=delta.completion_tokens)
        return [results[i] for i in sorted(results)]
