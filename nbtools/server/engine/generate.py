"""Chat completions from a base model or any of its LoRA adapters: :class:`ChatEngine`.

One engine serves every model of the local server. It loads each base model once, loads each adapter directory
once (into the same PEFT model, switched with ``set_adapter``; the plain base model runs with the adapters
disabled), and forgets the least recently used adapter past `max_adapters`. A lock serialises generation: the
server calls from a thread pool and a model is not safe to run from two threads at once (nor would 2 cores gain).

Sampling follows OpenAI's parameters: ``temperature`` 0 is greedy decoding; ``top_p`` nucleus sampling; no top-k;
``seed`` seeds torch before the first choice, so a seeded request is repeatable; ``n`` choices are generated one
after another. Generation runs in transformers' ``generate`` on a helper thread that hands each new token to the
caller, which decodes, holds back text that might be the start of a stop string (see :mod:`.stops`) and yields
:class:`~.contract.StreamDelta` pieces. Counts: ``prompt_tokens`` is the templated prompt; ``completion_tokens``
counts every token generated for the choice, the end-of-turn token included.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from ...basemodels import base_model_dir
from ...errors import InputError, ModelNotFoundError
from .chat_format import template_messages, template_supports_tools
from .contract import Generated, GenerationParams, StreamDelta
from .data import render
from .sampling import PENALTY_RANGE, apply_penalties
from .models import choose_placement, load_model, load_tokenizer_for, set_threads
from .stops import sendable

__all__ = ["ChatEngine"]

_DONE = object()


class _TokenQueue:
    """A transformers streamer that hands generated token ids to another thread (the prompt is skipped)."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._prompt_seen = False

    def put(self, value) -> None:
        if not self._prompt_seen:  # generate() first pushes the prompt
            self._prompt_seen = True
            return
        self._queue.put([int(t) for t in value.reshape(-1).tolist()])

    def end(self) -> None:
        self._queue.put(_DONE)

    def fail(self, error: BaseException) -> None:
        self._queue.put(error)

    def __iter__(self) -> Iterator[list[int]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


def _penalties(prompt_length: int, params: GenerationParams):
    """A transformers logits processor applying OpenAI's frequency/presence penalties (None when both are 0)."""
    if not (params.frequency_penalty or params.presence_penalty):
        return None
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList

    class _Penalties(LogitsProcessor):
        def __call__(self, input_ids, scores):
            generated = input_ids[:, prompt_length:]
            counts = torch.zeros_like(scores, dtype=torch.long).scatter_add_(
                1, generated, torch.ones_like(generated))
            return apply_penalties(scores, counts, params.frequency_penalty, params.presence_penalty)

    return LogitsProcessorList([_Penalties()])


def _stop_criteria(event: threading.Event):
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _WhenSet(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            import torch

            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_WhenSet()])


@dataclass
class _Base:
    """A loaded base model (wrapped in a PeftModel once an adapter is loaded) and its adapters, LRU first."""

    model: Any
    tokenizer: Any
    eos_ids: frozenset[int]
    adapters: OrderedDict = field(default_factory=OrderedDict)  # (path, mtime) -> adapter name
    counter: int = 0


def _adapter_key(adapter: Path) -> tuple[str, int]:
    path = Path(adapter).expanduser().resolve()
    config = path / "adapter_config.json"
    if not config.is_file():
        raise ModelNotFoundError(f"{path} is not a LoRA adapter directory (no adapter_config.json)")
    weights = next((p for p in (path / "adapter_model.safetensors", path / "adapter_model.bin") if p.is_file()),
                   config)
    return str(path), weights.stat().st_mtime_ns


class ChatEngine:
    """Generates chat completions for base models and their LoRA adapters (thread-safe; see module doc).

    ``ChatEngine().generate("smollm2-135m-instruct", None, [{"role": "user", "content": "Hi"}],
    GenerationParams(temperature=0)) -> [Generated(text="Hello! How can I help…", finish_reason="stop", …)]``
    """

    def __init__(self, *, device: str | None = None, num_threads: int | None = None, max_adapters: int = 8):
        if max_adapters < 1:
            raise InputError("max_adapters must be at least 1", field="max_adapters", value=max_adapters)
        self._placement = choose_placement(device)
        self._num_threads = num_threads
        self._max_adapters = max_adapters
        self._lock = threading.Lock()  # a Lock, not an RLock: a stream may be resumed from another pool thread
        self._bases: dict[str, _Base] = {}

    # -- models ------------------------------------------------------------------------------------------------

    def _base(self, base_model: str) -> _Base:
        key = str(base_model_dir(base_model))
        if key not in self._bases:
            set_threads(self._num_threads)
            model = load_model(base_model, self._placement).eval()
            tokenizer = load_tokenizer_for(base_model)
            configured = model.generation_config.eos_token_id
            eos = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
            if tokenizer.eos_token_id is not None:
                eos.add(tokenizer.eos_token_id)
            self._bases[key] = _Base(model=model, tokenizer=tokenizer, eos_ids=frozenset(eos))
        return self._bases[key]

    def _activate(self, base: _Base, adapter: Path | None):
        """Context in which `base.model` runs as the plain base model or with `adapter`."""
        from peft import PeftModel

        if adapter is None:
            return base.model.disable_adapter() if isinstance(base.model, PeftModel) else contextlib.nullcontext()
        key = _adapter_key(adapter)
        if key not in base.adapters:
            base.counter += 1
            name = f"adapter{base.counter}"
            if isinstance(base.model, PeftModel):
                base.model.load_adapter(key[0], adapter_name=name)
            else:
                base.model = PeftModel.from_pretrained(base.model, key[0], adapter_name=name).eval()
            base.adapters[key] = name
            base.model.set_adapter(name)
            while len(base.adapters) > self._max_adapters:
                _, oldest = base.adapters.popitem(last=False)
                base.model.delete_adapter(oldest)
        base.adapters.move_to_end(key)
        base.model.set_adapter(base.adapters[key])
        return contextlib.nullcontext()

    def preload(self, base_model: str, adapter: Path | None = None) -> None:
        """Load a base model (and adapter) now, so the first request does not wait for it."""
        with self._lock:
            with self._activate(self._base(base_model), adapter):
                pass

    def forget(self, adapter: Path) -> None:
        """Drop a cached adapter (for example when its model is deleted)."""
        path = str(Path(adapter).expanduser().resolve())
        with self._lock:
            for base in self._bases.values():
                for key in [k for k in base.adapters if k[0] == path]:
                    base.model.delete_adapter(base.adapters.pop(key))

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

    def _choice(self, base: _Base, prompt: list[int], params: GenerationParams, index: int) -> Iterator[StreamDelta]:
        import torch
        from transformers import GenerationConfig

        context = getattr(base.model.config, "max_position_embeddings", None) or 10**9
        if len(prompt) >= context:
            raise InputError(f"the prompt is {len(prompt)} tokens; this model reads at most {context}",
                             field="messages")
        max_new = min(params.max_tokens, context - len(prompt))
        sample = params.temperature > 0
        config = GenerationConfig(
            max_new_tokens=max_new,
            do_sample=sample,
            temperature=params.temperature if sample else None,
            top_p=params.top_p if sample else None,
            top_k=0 if sample else None,
            eos_token_id=sorted(base.eos_ids),
            pad_token_id=base.tokenizer.pad_token_id,
        )
        device = self._placement.device
        input_ids = torch.tensor([prompt], device=device)
        streamer, halt = _TokenQueue(), threading.Event()

        def run() -> None:
            try:
                with torch.inference_mode():
                    base.model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                        generation_config=config, streamer=streamer,
                                        logits_processor=_penalties(len(prompt), params),
                                        stopping_criteria=_stop_criteria(halt))
            except BaseException as error:  # handed to the consuming thread, which re-raises it
                streamer.fail(error)
                return
            streamer.end()

        worker = threading.Thread(target=run, name="nbtools-generate", daemon=True)
        worker.start()
        ids: list[int] = []
        sent, stopped = "", False
        try:
            for new in streamer:
                ids.extend(new)
                text = base.tokenizer.decode(ids, skip_special_tokens=True)
                safe, stopped = sendable(text, params.stop)
                if len(safe) > len(sent) and safe.startswith(sent):
                    piece, sent = safe[len(sent):], safe
                    yield StreamDelta(index=index, text=piece, finish_reason=None, prompt_tokens=len(prompt),
                                      completion_tokens=len(ids))
                if stopped:
                    break
        finally:
            halt.set()
            worker.join()
        if not stopped:
            text = base.tokenizer.decode(ids, skip_special_tokens=True)
            if len(text) > len(sent) and text.startswith(sent):
                yield StreamDelta(index=index, text=text[len(sent):], finish_reason=None,
                                  prompt_tokens=len(prompt), completion_tokens=len(ids))
        ended = stopped or (ids and ids[-1] in base.eos_ids) or len(ids) < max_new
        yield StreamDelta(index=index, text="", finish_reason="stop" if ended else "length",
                          prompt_tokens=len(prompt), completion_tokens=len(ids))

    def stream(
        self,
        base_model: str,
        adapter: Path | None,
        messages: Sequence[Mapping[str, Any]],
        params: GenerationParams,
    ) -> Iterator[StreamDelta]:
        """Choices one after another, token by token; each choice ends with a delta carrying its finish_reason.

        Bad `params` raise here at once; problems with `messages` (bad role, prompt too long) on the first next().
        """
        self._check(params)
        return self._stream(base_model, adapter, messages, params)

    def _stream(self, base_model, adapter, messages, params) -> Iterator[StreamDelta]:
        import torch

        with self._lock:
            base = self._base(base_model)
            with self._activate(base, adapter):
                prompt = self._prompt_ids(base, messages)
                if params.seed is not None:
                    torch.manual_seed(params.seed)
                for index in range(params.n):
                    yield from self._choice(base, prompt, params, index)

    def generate(
        self,
        base_model: str,
        adapter: Path | None,
        messages: Sequence[Mapping[str, Any]],
        params: GenerationParams,
    ) -> list[Generated]:
        """All `params.n` choices at once (the same text a stream with the same seed would give)."""
        texts: dict[int, list[str]] = {}
        results: list[Generated] = []
        for delta in self.stream(base_model, adapter, messages, params):
            texts.setdefault(delta.index, []).append(delta.text)
            if delta.finish_reason is not None:
                results.append(Generated(text="".join(texts[delta.index]), finish_reason=delta.finish_reason,
                                         prompt_tokens=delta.prompt_tokens, completion_tokens=delta.completion_tokens))
        return results
