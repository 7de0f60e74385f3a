"""Run prompts across model set-ups: one row per (prompt, set-up) with the output, latency, tokens and cost.

Answers are cached on disk (see :mod:`.cache`), so re-running a notebook cell re-renders at once and a comparison
interrupted half-way resumes where it stopped: only cells without a stored answer are requested.

Cost per 1,000 requests comes from the price table (:func:`nbtools.price_for`, fine-tuned prices for ``ft:`` models)
and the token counts the backend reported. Models on the local server cost no dollars: their price is CPU time, shown
as ``seconds_per_1k`` (measured latency times 1,000, requests one after another), which every row carries.

    client = nbtools.connect("local")
    results = run_comparison(client, ["Where is my order?"], standard_setups(base, prompts, fine_tuned=ft))
    comparison_summary(results)   # one row per set-up: latency, tokens, cost per 1,000 requests
"""

from __future__ import annotations

import functools
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import pandas as pd
from tqdm.auto import tqdm

from ..backend import Backend, client_backend
from ..errors import BackendError, InputError, ModelNotFoundError
from .cache import ResultCache, cache_key
from .setups import ModelSetup

__all__ = [
    "run_comparison",
    "comparison_summary",
    "outputs_table",
    "request_cost_usd",
    "RESULT_COLUMNS",
]

RESULT_COLUMNS = [
    "prompt_id", "prompt", "setup", "model", "output", "finish_reason", "latency_s", "prompt_tokens",
    "completion_tokens", "total_tokens", "cost_per_1k_usd", "seconds_per_1k", "backend", "cached", "key", "error",
]
_STORED = ("output", "finish_reason", "latency_s", "prompt_tokens", "completion_tokens", "total_tokens")

ErrorPolicy = Literal["raise", "record"]


def _cache_identity(backend: Backend, local_precision: str | None = None) -> str:
    """The backend's part of a cache key: ``openai``, ``local`` (whatever port the server got this time; with
    ``:int8`` or ``:bfloat16`` when the local server decodes in that precision, so answers of one precision are
    never served for another), or the base URL of any other backend.

    >>> _cache_identity(Backend("custom", "https://llm.example.com/v1"))
    'https://llm.example.com/v1'
    >>> _cache_identity(Backend("local", "http://127.0.0.1:40123/v1"), "float32")
    'local'
    >>> _cache_identity(Backend("local", "http://127.0.0.1:40123/v1"), "int8")
    'local:int8'
    """
    if backend.kind == "local":
        return "local" if local_precision in (None, "float32") else f"local:{local_precision}"
    return backend.kind if backend.kind == "openai" else (backend.base_url or "").rstrip("/")


def request_cost_usd(model: str, prompt_tokens: int | None, completion_tokens: int | None, *,
                     kind: str = "openai", table: str | os.PathLike[str] | None = None) -> float:
    """Dollars for one request from the price table; 0.0 on the local backend; NaN when unknown.

    >>> request_cost_usd("gpt-4o-mini-2024-07-18", 1000, 100)  # (1000 x $0.15 + 100 x $0.60) / 1M
    0.00021
    >>> request_cost_usd("ft:gpt-4o-mini-2024-07-18:acme::Ab12", 1000, 100) > request_cost_usd("gpt-4o-mini", 1000, 100)
    True
    >>> request_cost_usd("smollm2-135m-instruct", 500, 80, kind="local")
    0.0
    """
    if kind == "local":
        return 0.0
    if prompt_tokens is None or completion_tokens is None:
        return math.nan
    try:
        price = price_row(model, table)
    except ModelNotFoundError:
        return math.nan
    if price.is_local:
        return 0.0
    tuned = model.startswith("ft:")
    per_in = price.finetuned_input_per_1m_tokens if tuned else price.input_per_1m_tokens
    per_out = price.finetuned_output_per_1m_tokens if tuned else price.output_per_1m_tokens
    return (prompt_tokens * per_in + completion_tokens * per_out) / 1e6


def price_row(model: str, table: str | os.PathLike[str] | None = None):
    """The price-table row of `model` (see :func:`nbtools.price_for`)."""
    from ..cost import price_for

    return price_for(model, table=table)


def _check_prompts(prompts: Sequence[str]) -> list[str]:
    if isinstance(prompts, str) or not isinstance(prompts, (Sequence, pd.Series)):
        raise InputError("prompts must be a list of strings", field="prompts", value=prompts)
    checked = list(prompts)
    if not checked:
        raise InputError("need at least one prompt", field="prompts", value=checked)
    for i, prompt in enumerate(checked):
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError("each prompt must be a non-empty string", field=f"prompts[{i}]", value=prompt)
    return checked


def _check_setups(setups: Sequence[ModelSetup]) -> list[ModelSetup]:
    checked = list(setups)
    if not checked:
        raise InputError("need at least one set-up", field="setups", value=checked)
    for i, setup in enumerate(checked):
        if not isinstance(setup, ModelSetup):
            raise InputError("each set-up must be a ModelSetup", field=f"setups[{i}]", value=setup)
    labels = [s.label for s in checked]
    if len(set(labels)) != len(labels):
        raise InputError("set-up labels must be unique", field="setups", value=labels)
    return checked


def _resolve_cache(cache: ResultCache | str | os.PathLike[str] | bool | None) -> ResultCache | None:
    if cache is False:
        return None
    if cache is None or cache is True:
        return ResultCache()
    return cache if isinstance(cache, ResultCache) else ResultCache(cache)


@dataclass(frozen=True)
class _Cell:
    """One (prompt, set-up) request of a comparison, with the backend it goes to and its cache key."""

    prompt_id: int
    prompt: str
    setup: ModelSetup
    target: Any
    kind: str
    identity: str
    request: dict[str, Any]
    key: str


def _answers(cells: Sequence[_Cell], answer_of: Callable[[_Cell], Any], concurrency: int) -> list[Any]:
    """`answer_of` of every cell, in the cells' order: one after another, or `concurrency` at a time in threads
    (the first error is raised once the requests already sent have ended)."""
    bar = tqdm(total=len(cells), desc="comparing", unit="answer", leave=False)
    try:
        if concurrency == 1:
            out = []
            for cell in cells:
                out.append(answer_of(cell))
                bar.update(1)
            return out
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = [pool.submit(answer_of, cell) for cell in cells]
            for future in as_completed(futures):
                if not future.cancelled() and future.exception() is not None:
                    for other in futures:
                        other.cancel()  # only those not started yet
                bar.update(1)
            failed = next((f for f in futures if not f.cancelled() and f.exception() is not None), None)
            if failed is not None:
                raise failed.exception()  # type: ignore[misc]
            return [future.result() for future in futures]
    finally:
        bar.close()


def _ask(client: Any, setup: ModelSetup, prompt: str, request: dict[str, Any]) -> dict[str, Any]:
    """Send one chat completion; the answer's fields as the cache stores them."""
    import openai

    started = time.perf_counter()
    try:
        response = client.chat.completions.create(model=setup.model, messages=setup.messages(prompt), **request)
    except openai.APIStatusError as exc:
        raise BackendError(f"set-up {setup.label!r} (model {setup.model!r}) failed: HTTP {exc.status_code}: "
                           f"{exc.message}") from None
    except openai.APIConnectionError as exc:
        raise BackendError(f"set-up {setup.label!r} (model {setup.model!r}) could not reach {client.base_url}: "
                           f"{exc.__cause__ or exc}") from None
    latency = time.perf_counter() - started
    choice = response.choices[0] if response.choices else None
    usage = response.usage
    return {
        "output": (choice.message.content or "") if choice is not None else "",
        "finish_reason": choice.finish_reason if choice is not None else None,
        "latency_s": latency,
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "total_tokens": usage.total_tokens if usage else None,
        "response_id": response.id,
        "created": response.created,
    }


def run_comparison(client: Any, prompts: Sequence[str], setups: Sequence[ModelSetup], *, max_tokens: int = 80,
                   temperature: float = 0.0, seed: int | None = None,
                   cache: ResultCache | str | os.PathLike[str] | bool | None = None, refresh: bool = False,
                   errors: ErrorPolicy = "raise", concurrency: int = 1) -> pd.DataFrame:
    """Ask every prompt of every set-up; one row per (prompt, set-up), prompts in order, set-ups in order.

    `client` is an ``openai.OpenAI`` (any OpenAI-compatible backend); a set-up with its own ``client`` uses that.
    `cache`: None for ``<nbtools home>/compare/cache``, a directory or :class:`ResultCache`, False for none.
    `refresh=True` asks again even when an answer is stored (and stores the new one). `errors="record"` keeps
    going past a failing request and puts its message in the ``error`` column (such rows are not cached);
    the default raises :class:`~nbtools.errors.BackendError` naming the set-up (answers so far stay cached).
    `concurrency` > 1 sends that many requests at once (a server that batches them, like the local one or vLLM,
    answers them together, several times faster in total); each row's latency then includes the time its request
    shared the backend with the others, so keep 1 where latency is the measure.
    """
    prompts = _check_prompts(prompts)
    setups = _check_setups(setups)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise InputError("must be a positive whole number", field="max_tokens", value=max_tokens)
    if errors not in ("raise", "record"):
        raise InputError("must be 'raise' or 'record'", field="errors", value=errors)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise InputError("must be a positive whole number", field="concurrency", value=concurrency)
    store = _resolve_cache(cache)
    from ..server.launcher import running_server_precision

    local_precision = functools.cache(running_server_precision)  # read once, and only if a cell is local
    cells = []
    for prompt_id, prompt in enumerate(prompts):
        for setup in setups:
            target = setup.client or client
            backend = client_backend(target)  # as connect() resolved it; another client is classified once
            request = {"max_completion_tokens": max_tokens, "temperature": temperature,
                       **({"seed": seed} if seed is not None else {}), **setup.params}
            identity = _cache_identity(backend, local_precision() if backend.kind == "local" else None)
            key = cache_key(backend=identity, model=setup.model, system=setup.system, prompt=prompt, params=request)
            cells.append(_Cell(prompt_id, prompt, setup, target, backend.kind, identity, request, key))

    def answer_of(cell: _Cell) -> tuple[dict[str, Any], bool, str | None]:
        stored = None if (store is None or refresh) else store.get(cell.key)
        if stored is not None and stored.get("key") == cell.key and all(k in stored for k in _STORED):
            return stored, True, None
        try:
            answer = _ask(cell.target, cell.setup, cell.prompt, cell.request)
        except BackendError as exc:
            if errors == "raise":
                raise
            return dict.fromkeys(_STORED), False, str(exc)
        if store is not None:
            store.put(cell.key, {"key": cell.key, "backend": cell.identity, "model": cell.setup.model,
                                 "system": cell.setup.system, "prompt": cell.prompt, "params": cell.request,
                                 **answer})
        return answer, False, None

    rows = []
    for cell, (answer, cached, error) in zip(cells, _answers(cells, answer_of, concurrency)):
        setup = cell.setup
        cost = request_cost_usd(setup.model, answer["prompt_tokens"], answer["completion_tokens"], kind=cell.kind)
        latency = answer["latency_s"]
        rows.append({
            "prompt_id": cell.prompt_id, "prompt": cell.prompt, "setup": setup.label, "model": setup.model,
            **{k: answer[k] for k in _STORED}, "cost_per_1k_usd": cost * 1000,
            "seconds_per_1k": latency * 1000 if latency is not None else math.nan,
            "backend": cell.kind, "cached": cached, "key": cell.key, "error": error,
        })
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    frame.attrs["setups"] = [s.label for s in setups]
    return frame


def _setup_order(results: pd.DataFrame) -> list[str]:
    order = results.attrs.get("setups") or []
    return [s for s in order if s in set(results["setup"])] or list(dict.fromkeys(results["setup"]))


def comparison_summary(results: pd.DataFrame) -> pd.DataFrame:
    """One row per set-up: mean latency, mean tokens, cost and CPU seconds per 1,000 requests, replies cut short.

    >>> frame = pd.DataFrame({"setup": ["a", "a"], "model": ["m", "m"], "latency_s": [1.0, 3.0],
    ...     "prompt_tokens": [10, 20], "completion_tokens": [5, 7], "cost_per_1k_usd": [0.0, 0.0],
    ...     "seconds_per_1k": [1000.0, 3000.0], "finish_reason": ["stop", "length"], "cached": [True, False],
    ...     "error": [None, None]})
    >>> comparison_summary(frame).iloc[0].to_dict()["seconds_per_1k"]
    2000.0
    """
    missing = [c for c in ("setup", "model", "latency_s", "prompt_tokens", "completion_tokens", "cost_per_1k_usd",
                           "seconds_per_1k", "finish_reason", "cached") if c not in results.columns]
    if missing:
        raise InputError("not a comparison table (run_comparison's result)", field="columns", value=missing)
    rows = []
    for label in _setup_order(results):
        part = results[results["setup"] == label]
        answered = part[part["error"].isna()] if "error" in part.columns else part
        rows.append({
            "setup": label,
            "model": part["model"].iloc[0],
            "answers": len(answered),
            "mean_latency_s": answered["latency_s"].astype(float).mean(),
            "mean_prompt_tokens": answered["prompt_tokens"].astype(float).mean(),
            "mean_completion_tokens": answered["completion_tokens"].astype(float).mean(),
            "cost_per_1k_usd": answered["cost_per_1k_usd"].astype(float).mean(),
            "seconds_per_1k": answered["seconds_per_1k"].astype(float).mean(),
            "cut_at_max_tokens": int((answered["finish_reason"] == "length").sum()),
            "from_cache": int(answered["cached"].sum()),
            "failed": len(part) - len(answered),
        })
    return pd.DataFrame(rows)


def outputs_table(results: pd.DataFrame) -> pd.DataFrame:
    """The outputs side by side: one row per prompt, one column per set-up.

    >>> frame = pd.DataFrame({"prompt_id": [0, 0], "prompt": ["Hi?", "Hi?"], "setup": ["a", "b"],
    ...                       "output": ["Hello.", "Hey there!"]})
    >>> outputs_table(frame).to_dict("records")
    [{'prompt': 'Hi?', 'a': 'Hello.', 'b': 'Hey there!'}]
    """
    table = results.pivot(index=["prompt_id", "prompt"], columns="setup", values="output")
    table = table[_setup_order(results)].reset_index().drop(columns="prompt_id")
    table.columns.name = None
    return table
