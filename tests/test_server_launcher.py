"""Starting, reusing and stopping real server processes (launcher and ``nbtools serve``); no orphaned workers."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import openai
import pytest

from nbtools.basemodels import available_base_models
from nbtools.errors import ConfigError
from nbtools.backend import client_backend, connect
from nbtools.server.launcher import ensure_local_server, running_server_url, server_status, stop_local_server
from server_support import wait_for


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as handle:  # a zombie has exited
        return handle.read().split(") ")[-1].startswith("Z")


def _worker_pid(data_dir) -> int:
    return wait_for(lambda: (data_dir / "worker.lock").is_file() and (data_dir / "worker.lock").read_text().strip()
                    and int((data_dir / "worker.lock").read_text()), timeout=60, what="the worker to start")


@pytest.fixture()
def home(tmp_path):
    yield tmp_path
    stop_local_server(tmp_path)


def test_ensure_starts_once_then_reuses_and_hides_the_key(home):
    server = ensure_local_server(home=home)
    again = ensure_local_server(home=home)
    assert again.pid == server.pid and again.base_url == server.base_url
    assert server.base_url.startswith("http://127.0.0.1:") and server.data_dir == home / "server"
    key_file = server.data_dir / "api_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.read_text() == server.api_key
    assert server.api_key not in repr(server) and server.api_key[-4:] in repr(server)
    assert server.api_key not in json.dumps(server_status(home))
    client = connect("local", env_file=None, environ={}, home=home, max_retries=0)
    assert client.models.list().data[0].id == "smollm2-135m-instruct"
    assert client_backend(client).base_url == server.base_url == running_server_url(home)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.base_url, api_key="nb-wrong", max_retries=0).models.list()
    logs = (server.data_dir / "logs" / "server.log").read_text()
    assert "GET /v1/models" in logs and server.api_key not in logs


def test_back_to_back_requests_do_not_wait_for_delayed_acks(home):
    """With Nagle's algorithm on the server's sockets every keep-alive request took >= 40 ms (the client's
    delayed-ACK timer); the fastest of 20 requests shows whether that floor is gone."""
    client = connect("local", env_file=None, environ={}, home=home, max_retries=0)
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        client.models.list()
        timings.append((time.perf_counter() - start) * 1000)
    assert min(timings) < 30, timings


def test_given_key_is_used_and_a_mismatch_is_a_clear_error(home):
    server = ensure_local_server(home=home, api_key="nb-chosen-key-123456789")
    assert server.api_key == "nb-chosen-key-123456789"
    with pytest.raises(ConfigError, match="another API key"):
        ensure_local_server(home=home, api_key="nb-other-key-987654321")


def test_stop_ends_server_and_worker(home):
    server = ensure_local_server(home=home)
    worker = _worker_pid(server.data_dir)
    assert stop_local_server(home) is True
    assert _gone(server.pid) and wait_for(lambda: _gone(worker), timeout=10, what="the worker to exit")
    assert server_status(home)["running"] is False and running_server_url(home) is None
    assert stop_local_server(home) is False


def test_worker_dies_when_the_server_is_killed(home):
    server = ensure_local_server(home=home)
    worker = _worker_pid(server.data_dir)
    os.kill(server.pid, signal.SIGKILL)
    wait_for(lambda: _gone(server.pid), timeout=10, what="the server to die")
    assert wait_for(lambda: _gone(worker), timeout=10, what="the orphaned worker to exit")
    restarted = ensure_local_server(home=home)  # stale server.json: a new server starts
    assert restarted.pid != server.pid and server_status(home)["healthy"]


def test_a_second_server_on_the_same_data_directory_is_refused(home):
    server = ensure_local_server(home=home)
    result = subprocess.run([sys.executable, "-m", "nbtools.server", "--data-dir", str(server.data_dir),
                             "--port", "0", "--quiet"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "already runs" in result.stderr
    assert server_status(home)["healthy"]


def test_cli_detach_status_stop(tmp_path):
    data_dir = tmp_path / "state"
    run = [sys.executable, "-m", "nbtools", "serve", "--data-dir", str(data_dir)]
    started = subprocess.run([*run, "--detach"], capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr
        key = (data_dir / "api_key").read_text()
        assert "http://127.0.0.1:" in started.stdout and key not in started.stdout and key[-4:] in started.stdout
        status = subprocess.run([*run, "--status"], capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and "healthy" in status.stdout
    finally:
        stopped = subprocess.run([*run, "--stop"], capture_output=True, text=True, timeout=120)
    assert "stopped" in stopped.stdout
    after = subprocess.run([*run, "--status"], capture_output=True, text=True, timeout=60)
    assert after.returncode == 1 and "not running" in after.stdout


def test_foreground_serve_with_key_file_and_extra_base_model(tmp_path):
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    key_file = tmp_path / "key"
    key_file.write_text("nb-foreground-key-0001\n")
    data_dir = tmp_path / "fg"
    process = subprocess.Popen([sys.executable, "-m", "nbtools", "serve", "--data-dir", str(data_dir), "--port", "0",
                                "--api-key-file", str(key_file), "--base-model", f"my-model={model_dir}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        info = wait_for(lambda: (data_dir / "server.json").is_file() and json.loads((data_dir / "server.json")
                                                                                   .read_text()), timeout=60,
                        what="server.json")
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{info['port']}/v1", api_key="nb-foreground-key-0001",
                               max_retries=0)
        ids = wait_for(lambda: _try_ids(client), timeout=30, what="the server to answer")
        # the default first, then the one given here; gemma3-270m too where its package is installed
        assert ids[0] == "smollm2-135m-instruct" and sorted(ids) == sorted([*available_base_models(), "my-model"])
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=90)[0]
    assert process.returncode == 0 and "nb-foreground-key-0001" not in output
    assert not (data_dir / "server.json").exists()


def _try_ids(client):
    try:
        return [m.id for m in client.models.list()]
    except openai.APIConnectionError:
        time.sleep(0.1)
        return None


def _environ(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        pairs = [item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item]
    return {key.decode(): value.decode() for key, value in pairs}


def test_the_api_process_spins_briefly_for_chat_and_its_training_worker_sleeps(home, monkeypatch):
    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NBTOOLS_CHAT_OMP_WAIT"):
        monkeypatch.delenv(name, raising=False)
    server = ensure_local_server(home=home)
    worker = _worker_pid(server.data_dir)
    # the API process sets its chat wait settings itself, before torch loads (its start environment does not
    # have them), and says so in its log; the worker it starts gets an environment without them
    assert "OMP_WAIT_POLICY" not in _environ(server.pid)
    log = (server.data_dir / "logs" / "server.log").read_text()
    assert "chat decoding: OpenMP waiters OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=2000000 (bounded spinning, set by " \
           "nbtools)" in log
    worker_env = _environ(worker)
    assert not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NBTOOLS_CHAT_OMP_WAIT"} & set(worker_env)
    assert "OMP_NUM_THREADS" in worker_env and "NBTOOLS_WORKER_CONFIG" in worker_env


def test_a_wait_policy_the_user_set_is_kept_for_chat_and_training(home, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    server = ensure_local_server(home=home)
    worker = _worker_pid(server.data_dir)
    log = (server.data_dir / "logs" / "server.log").read_text()
    assert "chat decoding: OpenMP waiters OMP_WAIT_POLICY=PASSIVE (set by the user)" in log
    assert _environ(worker)["OMP_WAIT_POLICY"] == "PASSIVE"


def test_answers_cached_from_an_int8_server_are_kept_apart_from_float32_ones(home, monkeypatch, tmp_path_factory):
    from nbtools.compare import ModelSetup, run_comparison
    from nbtools.server.launcher import running_server_precision

    monkeypatch.setenv("NBTOOLS_HOME", str(home))
    server = ensure_local_server(home=home, extra_args=("--chat-precision", "int8"))
    assert running_server_precision(home) == "int8"
    assert json.loads((server.data_dir / "server.json").read_text())["chat_precision"] == "int8"
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
    cache = tmp_path_factory.mktemp("precision-cache")
    table = run_comparison(client, ["Hi"], [ModelSetup("base", "smollm2-135m-instruct")], max_tokens=2, cache=cache)
    assert table.loc[0, "backend"] == "local" and not table.loc[0, "cached"]
    stored = [json.loads(p.read_text()) for p in cache.glob("*.json")]
    assert [entry["backend"] for entry in stored] == ["local:int8"]  # a float32 server's key says "local"


def _cpu_flags() -> set[str]:
    with open("/proc/cpuinfo") as handle:
        return next((set(line.split(":", 1)[1].split()) for line in handle if line.startswith("flags")), set())


def test_by_default_the_server_decodes_int8_on_an_avx512_cpu_and_float32_elsewhere(home, monkeypatch):
    from nbtools.server.engine import ChatEngine
    from nbtools.server.engine.contract import GenerationParams
    from nbtools.server.launcher import running_server_precision

    expected = "int8" if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= _cpu_flags() else "float32"
    server = ensure_local_server(home=home)
    assert running_server_precision(home) == expected
    log = (server.data_dir / "logs" / "server.log").read_text()
    assert f"chat precision: {expected} (auto: int8 on a CPU with AVX-512, else float32)" in log
    messages = [{"role": "user", "content": "Write one sentence about coffee beans."}]
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
    served = client.chat.completions.create(model="smollm2-135m-instruct", messages=messages, max_tokens=24,
                                            temperature=0).choices[0].message.content
    # the server's greedy answer is the one an engine of that precision gives (its weights are that precision)
    engine = ChatEngine(dtype=expected)
    try:
        [direct] = engine.generate("smollm2-135m-instruct", None, messages, GenerationParams(temperature=0,
                                                                                              max_tokens=24))
    finally:
        engine.close()
    assert served == direct.text
