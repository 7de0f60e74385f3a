"""``nbtools serve``: run the local OpenAI-compatible fine-tuning server (foreground), or detach/stop/inspect it."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the local OpenAI-compatible fine-tuning server",
        description="Run the local OpenAI-compatible fine-tuning server (foreground unless --detach). "
        "Point the openai SDK at http://HOST:PORT/v1.",
    )
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--data-dir", type=Path, default=None, help="state directory (default <nbtools home>/server)")
    parser.add_argument("--api-key-file", type=Path, default=None,
                        help="file holding the API key clients must send (default: no key in the foreground; "
                        "--detach generates one in the data directory)")
    parser.add_argument("--base-model", action="append", default=[], metavar="ID=PATH",
                        help="offer a Hugging Face causal LM directory as base model ID (repeatable)")
    parser.add_argument("--train-threads", type=int, default=None, metavar="N",
                        help="torch threads of the training worker (default: every core; the API stays responsive)")
    parser.add_argument("--train-processes", type=int, default=None, metavar="N",
                        help="processes one job trains on, data parallel (default: one per core for supervised "
                        "CPU jobs of at least 20 steps whose batch splits evenly; 1 turns it off)")
    parser.add_argument("--chat-precision", choices=("auto", "float32", "bfloat16", "int8"), default=None,
                        help="weights' precision for chat completions (default auto: weight-only int8 on a CPU with "
                        "AVX-512, 2.4-3.4x float32's tokens/s there with the same eval pass rates, else float32, the "
                        "weights as trained; bfloat16 also reads fewer weight bytes; greedy answers of int8 and "
                        "bfloat16 can part from float32's after a near tie)")
    parser.add_argument("--vllm", default=None, metavar="URL",
                        help="hand chat completions to the vLLM server at URL (fine-tuned models as LoRA adapters, "
                        "loaded as their jobs succeed); files and fine-tuning jobs stay here")
    parser.add_argument("--quiet", action="store_true", help="log to the data directory only, not the console")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true", help="start in the background (or reuse a running server)")
    mode.add_argument("--stop", action="store_true", help="stop the background server")
    mode.add_argument("--status", action="store_true", help="show whether a server runs, and where")
    parser.set_defaults(func=run)


def _key(path: Path | None) -> str | None:
    from ..errors import ConfigError

    if path is None:
        return None
    try:
        key = path.expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"--api-key-file {path}: {exc.strerror}") from None
    if not key:
        raise ConfigError(f"--api-key-file {path} is empty")
    return key


def run(args: argparse.Namespace) -> int:
    from ..server.config import default_data_dir, load_config, parse_base_model
    from ..server.launcher import ensure_local_server, server_status, stop_local_server
    from ..settings import mask_secret

    data_dir = (args.data_dir.expanduser().resolve() if args.data_dir else default_data_dir())
    if args.stop:
        stopped = stop_local_server(data_dir=data_dir)
        print("stopped the local server" if stopped else f"no local server runs for {data_dir}")
        return 0
    if args.status:
        status = server_status(data_dir=data_dir)
        if not status["running"]:
            print(f"not running (data: {data_dir})")
            return 1
        print(f"running: {status['base_url']} (pid {status['pid']}, "
              f"{'healthy' if status['healthy'] else 'not answering'}, data: {data_dir})")
        return 0
    base_models = dict(parse_base_model(text) for text in args.base_model)
    if args.detach:
        extra: list[str] = []
        for text in args.base_model:
            extra += ["--base-model", text]
        if args.host:
            extra += ["--host", args.host]
        if args.train_threads:
            extra += ["--train-threads", str(args.train_threads)]
        if args.vllm:
            extra += ["--vllm", args.vllm]
        if args.train_processes:
            extra += ["--train-processes", str(args.train_processes)]
        if args.chat_precision:
            extra += ["--chat-precision", args.chat_precision]
        server = ensure_local_server(data_dir=data_dir, port=args.port, api_key=_key(args.api_key_file),
                                     extra_args=tuple(extra))
        print(f"local server: {server.base_url} (pid {server.pid}, API key {mask_secret(server.api_key)} "
              f"in {data_dir / 'api_key'})")
        return 0
    from ..server.openmp import prepare_chat_process

    prepare_chat_process()  # before torch loads in this process: chat decoding with bounded spinning
    from ..server.runner import serve

    config = load_config(data_dir, host=args.host, port=args.port, api_key=_key(args.api_key_file),
                         base_models=base_models, train_threads=args.train_threads,
                         train_processes=args.train_processes, vllm_url=args.vllm,
                         chat_precision=args.chat_precision)
    serve(config, console=not args.quiet)
    return 0
