"""Run one training spec from the command line, so that any launcher can start it, ``accelerate launch`` included.

The local server's worker calls :func:`~.training.train` in-process. On bigger hardware the same run goes through
Hugging Face's launcher with no code change: the transformers Trainer under it picks up the processes, devices and
(with ``accelerate config``) DeepSpeed or FSDP settings that ``accelerate launch`` sets up::

    python -m nbtools.server.engine.launch spec.json                           # one process: CPU or one GPU
    accelerate launch --multi_gpu --num_processes 4 -m nbtools.server.engine.launch spec.json   # data parallel

(``--multi_gpu`` selects accelerate's torchrun launcher: four GPUs over NCCL, or, on a machine without GPUs, four
CPU processes over gloo; without it, or a config file, accelerate 1.15 starts one process on a CPU-only machine.)

``spec.json`` holds the :class:`~.contract.TrainSpec` fields (paths as strings, ``hyperparameters`` as an object).
The main process prints one JSON object per line: ``{"event": "log" | "step" | "checkpoint" | "result", ...}``; the
result line also says how many processes trained and over which backend (``"world_size"``, ``"backend"``).
Pause or cancel by writing ``pause`` or ``cancel`` into ``--control-file`` (every process reads it; the ranks then
agree on the strictest answer, see :mod:`.callbacks`). :func:`relay_event` turns those lines back into
:class:`~.contract.TrainHooks` calls: the local server's worker trains on several CPU processes that way
(:mod:`nbtools.server.data_parallel`). With ``NBTOOLS_PARENT_PID`` set, a process exits when that parent goes away.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Mapping, TextIO

from ...errors import InputError
from .contract import CheckpointInfo, Control, Hyperparameters, StepMetrics, TrainResult, TrainSpec

__all__ = ["spec_from_json", "spec_to_json", "JsonLinesHooks", "relay_event", "main", "PARENT_PID_ENV"]

_PATHS = ("training_file", "validation_file", "output_dir", "resume_from")
PARENT_PID_ENV = "NBTOOLS_PARENT_PID"  # set by a parent that wants its training processes to die with it


def spec_from_json(data: Mapping[str, Any]) -> TrainSpec:
    """A TrainSpec from its JSON form.

    >>> spec = spec_from_json({"job_id": "j", "method": "supervised", "base_model": "smollm2-135m-instruct",
    ...     "training_file": "t.jsonl", "validation_file": None, "seed": 1, "output_dir": "out",
    ...     "hyperparameters": {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 1.0}})
    >>> spec.training_file, spec.hyperparameters.n_epochs, spec.resume_from
    (PosixPath('t.jsonl'), 3, None)
    """
    names = {f.name for f in fields(TrainSpec)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError("unknown TrainSpec field", field=unknown[0], value=data[unknown[0]])
    values = dict(data)
    try:
        values["hyperparameters"] = Hyperparameters(**values["hyperparameters"])
        for name in _PATHS:
            if values.get(name) is not None:
                values[name] = Path(values[name])
        return TrainSpec(**values)
    except (KeyError, TypeError) as error:
        raise InputError(f"not a complete TrainSpec: {error}") from None


def spec_to_json(spec: TrainSpec) -> dict[str, Any]:
    """The JSON form of a TrainSpec (:func:`spec_from_json`'s inverse).

    >>> spec = spec_from_json({"job_id": "j", "method": "supervised", "base_model": "m", "training_file": "t.jsonl",
    ...     "validation_file": None, "seed": 1, "output_dir": "out",
    ...     "hyperparameters": {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 1.0}})
    >>> spec_from_json(json.loads(json.dumps(spec_to_json(spec)))) == spec
    True
    """
    data = asdict(spec)
    for name in _PATHS:
        if data.get(name) is not None:
            data[name] = str(data[name])
    return data


def _metrics(data: Mapping[str, Any]) -> StepMetrics:
    names = {f.name for f in fields(StepMetrics)}
    return StepMetrics(**{k: v for k, v in data.items() if k in names})


def relay_event(line: str, hooks: Any) -> TrainResult | None:
    """Pass one JSON line of :class:`JsonLinesHooks` on to `hooks` (TrainHooks); the result line's TrainResult.

    A line that is not an event (a library printing to stdout) becomes an info log.

    >>> class Seen:
    ...     def __init__(self): self.calls = []
    ...     def on_log(self, message, level="info"): self.calls.append((level, message))
    ...     def on_step(self, metrics, trained_tokens): self.calls.append((metrics.step, trained_tokens))
    >>> seen = Seen()
    >>> relay_event('{"event": "step", "step": 2, "total_steps": 9, "train_loss": 1.5, '
    ...             '"train_mean_token_accuracy": 0.5, "trained_tokens": 310}', seen)
    >>> relay_event('{"event": "result", "status": "paused", "final_adapter": null, "trained_tokens": 310, '
    ...             '"steps_done": 2, "total_steps": 9, "resume_checkpoint": "out/checkpoint-2", "world_size": 2}', seen)
    TrainResult(status='paused', final_adapter=None, trained_tokens=310, steps_done=2, total_steps=9, \
resume_checkpoint=PosixPath('out/checkpoint-2'))
    >>> relay_event("hello", seen); seen.calls
    [(2, 310), ('info', 'hello')]
    """
    try:
        data = json.loads(line)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "event" not in data:
        if line.strip():
            hooks.on_log(line.strip())
        return None
    event = data.pop("event")
    if event == "log":
        hooks.on_log(str(data["message"]), data.get("level", "info"))
    elif event == "step":
        tokens = int(data.pop("trained_tokens"))
        hooks.on_step(_metrics(data), tokens)
    elif event == "checkpoint":
        hooks.on_checkpoint(CheckpointInfo(step=int(data["step"]), epoch=int(data["epoch"]), path=Path(data["path"]),
                                           metrics=_metrics(data["metrics"])))
    elif event == "result":
        def path(key: str) -> Path | None:
            return Path(data[key]) if data.get(key) else None

        return TrainResult(status=data["status"], final_adapter=path("final_adapter"),
                           trained_tokens=int(data["trained_tokens"]), steps_done=int(data["steps_done"]),
                           total_steps=int(data["total_steps"]), resume_checkpoint=path("resume_checkpoint"))
    else:
        raise InputError("unknown training event", field="event", value=event)
    return None


class JsonLinesHooks:
    """TrainHooks that print JSON lines (main process only) and read pause / cancel from a control file."""

    def __init__(self, out: TextIO = sys.stdout, *, control_file: Path | None = None, main_process: bool = True):
        self.out, self.control_file, self.main_process = out, control_file, main_process

    def _emit(self, event: str, payload: Mapping[str, Any]) -> None:
        if self.main_process:
            self.out.write(json.dumps({"event": event, **payload}, default=str) + "\n")
            self.out.flush()

    def on_log(self, message: str, level: str = "info") -> None:
        self._emit("log", {"level": level, "message": message})

    def on_step(self, metrics: StepMetrics, trained_tokens: int) -> None:
        self._emit("step", {**asdict(metrics), "trained_tokens": trained_tokens})

    def on_checkpoint(self, checkpoint: CheckpointInfo) -> None:
        self._emit("checkpoint", asdict(checkpoint))

    def control(self) -> Control:
        if self.control_file is None or not self.control_file.is_file():
            return "continue"
        word = self.control_file.read_text(encoding="utf-8").strip().lower()
        return "pause" if word == "pause" else "cancel" if word == "cancel" else "continue"

    def result(self, result: TrainResult, **extra: Any) -> None:
        """The run's TrainResult as the last line (`extra`: how the run was spread over processes)."""
        self._emit("result", {**asdict(result), **extra})


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module doc)."""
    from .training import TrainOptions, train

    parser = argparse.ArgumentParser(prog="python -m nbtools.server.engine.launch", description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="TrainSpec as JSON")
    parser.add_argument("--control-file", type=Path, help="file holding 'pause' or 'cancel' to stop the run")
    parser.add_argument("--threads", type=int, help="torch threads per process (default: one per core)")
    parser.add_argument("--max-length", type=int, default=TrainOptions.max_length, help="tokens per example")
    args = parser.parse_args(argv)
    if os.environ.get(PARENT_PID_ENV):
        from ..lifeline import die_with_parent

        die_with_parent(int(os.environ[PARENT_PID_ENV]))
    spec = spec_from_json(json.loads(args.spec.read_text(encoding="utf-8")))
    hooks = JsonLinesHooks(control_file=args.control_file, main_process=os.environ.get("RANK", "0") == "0")
    try:
        result = train(spec, hooks, options=TrainOptions(max_length=args.max_length, num_threads=args.threads))
        hooks.result(result, **_processes())
    finally:
        _end_process_group()
    return 0


def _processes() -> dict[str, Any]:
    """How the run was spread: ``{"world_size": N, "backend": "gloo" | "nccl" | None}`` (one process: 1, None)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return {"world_size": dist.get_world_size(), "backend": str(dist.get_backend())}
    return {"world_size": 1, "backend": None}


def _end_process_group() -> None:
    """Leave the process group together (every rank waits for the others), so no rank exits mid-collective and
    torch does not warn about a group left open."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    raise SystemExit(main())
