"""The same job spec trained by two real processes under ``accelerate launch --num_processes 2`` on the CPU (gloo).

What it shows: the launcher path the README documents for several GPUs runs the engine data-parallel to a finished
job (every step, the epoch checkpoint, status succeeded), the two processes really both trained (the result says
world size 2 over gloo, and the trained-token count is that of the whole file although each process saw half of
it), and the final adapter has the single-process engine's format: PEFT's adapter_config.json and the safetensors of
exactly the LoRA tensors the engine's configuration puts on the base model, trained (lora_B no longer zero).

Kept small for CI: 4 short examples, batch size 2 (one example per process per step), 1 epoch of 2 steps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine_support import QUESTIONS, chat_example, write_jsonl

BASE = "smollm2-135m-instruct"
MAX_LENGTH = 64


def _accelerate() -> str:
    """The accelerate command line of this interpreter's environment (accelerate is a dependency of nbtools)."""
    found = Path(sys.executable).with_name("accelerate")
    return str(found) if found.is_file() else shutil.which("accelerate") or "accelerate"


@pytest.mark.slow
def test_two_processes_train_the_spec_to_a_finished_job_with_the_engines_adapter(tmp_path):
    from peft import get_peft_model
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import load_file

    from nbtools.server.engine import TrainOptions
    from nbtools.server.engine.data import tokenize_sft_file
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for
    from nbtools.server.engine.training import _lora_config

    train_file = write_jsonl(tmp_path / "train.jsonl", [chat_example(q) for q in QUESTIONS[:4]])
    spec = {"job_id": "ddp", "method": "supervised", "base_model": BASE, "training_file": str(train_file),
            "validation_file": None, "seed": 7, "output_dir": str(tmp_path / "out"),
            "hyperparameters": {"n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 1.0}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCELERATE_", "RANK", "WORLD_SIZE", "MASTER_"))}
    done = subprocess.run(
        # --multi_gpu picks accelerate's torchrun launcher, which on a machine without GPUs starts the processes on
        # the CPU over gloo; "--cpu --num_processes 2" would silently start one process (accelerate 1.15).
        [_accelerate(), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
         "--dynamo_backend", "no", "--main_process_port", "0", "-m", "nbtools.server.engine.launch",
         str(tmp_path / "spec.json"), "--threads", "1", "--max-length", str(MAX_LENGTH)],
        capture_output=True, text=True, timeout=900, env={**env, "GLOO_SOCKET_IFNAME": "lo"}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    # A finished job: every step reported once (by the main process only), the epoch checkpoint, success.
    steps = [e for e in events if e["event"] == "step"]
    assert [(s["step"], s["total_steps"]) for s in steps] == [(1, 2), (2, 2)]
    checkpoints = [e for e in events if e["event"] == "checkpoint"]
    assert [(c["step"], c["epoch"]) for c in checkpoints] == [(2, 1)]
    assert json.loads((Path(checkpoints[0]["path"]) / "nbtools_checkpoint.json").read_text())["kind"] == "epoch"
    result = events[-1]
    assert result["event"] == "result" and result["status"] == "succeeded", result
    assert (result["steps_done"], result["total_steps"]) == (2, 2)
    # Really two processes: the process group was gloo of size 2, and the tokens counted are the whole file's
    # (each process trained on half of the examples; the Trainer sums what every process saw).
    assert (result["world_size"], result["backend"]) == (2, "gloo")
    tokenizer = load_tokenizer_for(BASE)
    data = tokenize_sft_file(train_file, tokenizer, max_length=MAX_LENGTH)
    assert result["trained_tokens"] == sum(len(e.input_ids) for e in data.examples)

    # The single-process engine's adapter format: PEFT files holding exactly the engine's LoRA tensors, trained.
    final = Path(result["final_adapter"])
    assert final == tmp_path / "out" / "final" and not (tmp_path / "out" / "final.tmp").exists()
    config = json.loads((final / "adapter_config.json").read_text())
    options = TrainOptions()
    assert (config["peft_type"], config["r"], config["lora_alpha"]) == ("LORA", options.lora_rank, options.lora_alpha)
    saved = load_file(str(final / "adapter_model.safetensors"))
    engine_lora = get_peft_model(load_model(BASE, choose_placement("cpu")), _lora_config(options))
    expected = get_peft_model_state_dict(engine_lora)
    assert {k: tuple(v.shape) for k, v in saved.items()} == {k: tuple(v.shape) for k, v in expected.items()}
    trained_b = [k for k, v in saved.items() if "lora_B" in k and v.abs().sum() > 0]
    assert trained_b, "lora_B starts at zero: an adapter with every lora_B still zero was not trained"


def test_the_documented_deepspeed_config_is_one_accelerate_reads():
    """docs/accelerate/deepspeed_zero2.yaml (README, "Training on several GPUs") parses as accelerate's own config."""
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.utils import DistributedType

    config = load_config_from_file(str(Path(__file__).resolve().parents[1] / "docs" / "accelerate"
                                       / "deepspeed_zero2.yaml"))
    assert config.distributed_type == DistributedType.DEEPSPEED and config.deepspeed_config["zero_stage"] == 2
    assert (config.num_machines, config.num_processes, config.mixed_precision) == (1, 4, "bf16")
