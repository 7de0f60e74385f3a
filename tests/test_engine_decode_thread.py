"""ChatEngine keeps every torch call on its decoding thread: loading, adapter merging and decoding.

With the weights loaded on a request thread and decoded on another, a decode step took 50-70 ms instead of
30-35 ms (int8, 2 cores): the two threads' OpenMP teams compete for the cores. These tests check where the work
runs and that an error on the decoding thread reaches the caller.
"""

from __future__ import annotations

import threading

import pytest

from nbtools.server.engine import ChatEngine, GenerationParams
from nbtools.server.engine import generate as generate_module

BASE = "smollm2-135m-instruct"
MESSAGES = [{"role": "user", "content": "Say hello."}]


def test_the_base_model_loads_on_the_decoding_thread_and_answers(monkeypatch):
    threads: list[str] = []
    real = generate_module.load_model

    def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_module, "load_model", recording)
    engine = ChatEngine()
    engine.preload(BASE)
    answer = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=8))[0]
    assert threads == ["nbtools-decode"]  # loaded once, there, not on the caller's thread
    assert threading.current_thread().name != "nbtools-decode"
    assert answer.completion_tokens >= 1 and answer.text


def test_a_load_error_on_the_decoding_thread_is_raised_to_the_caller_and_the_engine_goes_on(monkeypatch):
    real = generate_module.load_model
    calls = {"n": 0}

    def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk went away while reading model.safetensors")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_module, "load_model", failing_once)
    engine = ChatEngine()
    with pytest.raises(OSError, match="disk went away"):
        engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=4))
    answer = engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=4))[0]
    assert calls["n"] == 2 and answer.completion_tokens >= 1


def test_close_ends_a_batch_being_decoded_joins_the_thread_and_refuses_new_requests():
    engine = ChatEngine()
    engine.preload(BASE)
    stream = engine.stream(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=4000))
    first = next(stream)  # decoding has started; 4,000 tokens would take minutes
    engine.close(timeout=60)
    assert not engine._decoder.is_alive()
    rest = list(stream)  # the stream ends without a finish_reason: the engine stopped it
    assert first.completion_tokens + len(rest) < 4000
    with pytest.raises(RuntimeError, match="closed"):
        engine.generate(BASE, None, MESSAGES, GenerationParams(temperature=0, max_tokens=4))


EXIT_RIGHT_AFTER_AN_ANSWER = f"""
from nbtools.server.openmp import prepare_chat_process
prepare_chat_process()
from nbtools.server.engine import ChatEngine, GenerationParams
engine = ChatEngine(dtype="int8")
print(engine.generate({BASE!r}, None, {MESSAGES!r}, GenerationParams(temperature=0, max_tokens=16))[0].text)
"""


def test_a_process_that_exits_right_after_an_answer_exits_cleanly():
    # The caller's answer is complete before the decoding thread has left torch; without the engine's at-exit
    # close, Python's finalization stopped that daemon thread inside a C++ call and the process aborted
    # ("terminate called without an active exception", status 134) in about one exit in three.
    import subprocess
    import sys

    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", EXIT_RIGHT_AFTER_AN_ANSWER], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "terminate called" not in done.stderr and done.stdout.strip()
