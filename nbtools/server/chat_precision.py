"""Which precision the chat engine decodes in when the server is told ``auto`` (the default).

Measured (``benchmarks/chat_throughput.py``, ``benchmarks/README.md``): on a CPU with AVX-512, weight-only int8
decodes 2.4-3.4x faster than float32 (Zen 5, 2026-12-04: 72.8 against 21.2 tokens/s single stream, 294 against 94
with 8 concurrent requests), and a fine-tune served in int8 gave the same eval pass rates as in float32. On an
AVX2-only CPU int8 is no faster (a decode step ~99 ms against 97 ms), so float32, the exact weights as trained,
stays. (A second AVX2 host, Zen 3, 2026-12-07, gave int8 16.6 against float32 12.7 tokens/s single stream but 54.0
against 60.7 with 8 concurrent, before float32's small-batch layout took batch 8 another ~30% faster: no case for
int8's approximation there either.) With an NVIDIA GPU the engine decodes on the GPU, where int8 weights do not run: float32 there.

The API process decides without importing torch (it loads on the first chat request): from the CPU flags the kernel
reports and whether an NVIDIA driver lists a GPU. The engine's own check still refuses int8 off the CPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

__all__ = ["CHAT_PRECISIONS", "AVX512_FLAGS", "auto_chat_precision", "resolve_chat_precision", "host_cpu_flags",
           "host_has_nvidia_gpu", "host_chat_precision"]

CHAT_PRECISIONS = ("auto", "float32", "bfloat16", "int8")
# the flags PyTorch's AVX512 kernels need (ATen's CPU capability "AVX512"), int8 matrix products included
AVX512_FLAGS = frozenset({"avx512f", "avx512bw", "avx512vl", "avx512dq"})


def auto_chat_precision(cpu_flags: Iterable[str], *, gpu: bool) -> str:
    """The precision ``auto`` means on a host with these CPU flags (and a GPU or not).

    >>> auto_chat_precision({"avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"}, gpu=False)
    'int8'
    >>> auto_chat_precision({"avx2", "fma"}, gpu=False)
    'float32'
    >>> auto_chat_precision({"avx512f", "avx512bw", "avx512vl", "avx512dq"}, gpu=True)
    'float32'
    """
    return "int8" if not gpu and AVX512_FLAGS <= set(cpu_flags) else "float32"


def resolve_chat_precision(requested: str, *, cpu_flags: Iterable[str], gpu: bool) -> str:
    """`requested` itself, or for ``auto`` what :func:`auto_chat_precision` picks.

    >>> resolve_chat_precision("bfloat16", cpu_flags=(), gpu=False)
    'bfloat16'
    >>> resolve_chat_precision("auto", cpu_flags=(), gpu=False)
    'float32'
    """
    return auto_chat_precision(cpu_flags, gpu=gpu) if requested == "auto" else requested


def host_cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first CPU's flags as the kernel reports them (empty where there is no /proc/cpuinfo)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() == "flags":
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def host_has_nvidia_gpu(gpus: Path = Path("/proc/driver/nvidia/gpus")) -> bool:
    """Whether the NVIDIA driver lists a GPU (torch would then put the chat engine on it)."""
    try:
        return any(gpus.iterdir())
    except OSError:
        return False


def host_chat_precision(requested: str) -> str:
    """`requested` resolved on this host (see :func:`resolve_chat_precision`)."""
    if requested != "auto":
        return requested
    return auto_chat_precision(host_cpu_flags(), gpu=host_has_nvidia_gpu())
