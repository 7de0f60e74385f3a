"""Serving at scale: a vLLM server for a base model (its own venv, ``bash scripts/setup.sh --vllm``), LoRA adapters
loaded into it at runtime, and the local server's chat completions handed to it (``nbtools serve --vllm URL``)."""

from .vllm_process import (VLLM_SETUP_COMMAND, VLLMLaunch, VLLMServer, load_lora_adapter, start_vllm, vllm_launch,
                           vllm_python)
from .vllm_proxy import VLLMProxy

__all__ = ["VLLM_SETUP_COMMAND", "VLLMLaunch", "VLLMServer", "VLLMProxy", "load_lora_adapter", "start_vllm",
           "vllm_launch", "vllm_python"]
