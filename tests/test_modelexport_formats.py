"""Model export against the REAL local server: one tiny fine-tune (the session's shared job: 12 examples, 2 epochs
of 3 steps), exported in every format and reloaded in each format's own runtime, whose greedy answers must equal the
server's token for token; corrupted exports and drifted templates must fail verification, naming what drifted; an
unknown model id or format must fail clearly and write nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nbtools.cli import main
from nbtools.errors import ConfigError, InputError, ModelNotFoundError
from nbtools.modelexport import export_model, verify_model_export
from nbtools.modelexport.converter import converter_dir
from server_support import client_for, shared_server, trained_job

pytestmark = pytest.mark.slow

SMOLLM2_END_OF_TURN = 2  # <|im_end|>, SmolLM2's end-of-turn token (tests/test_engine_chat_format.py)


@pytest.fixture(scope="module")
def server():
    return shared_server()


@pytest.fixture(scope="module")
def home(server):
    return server.data_dir.parent


@pytest.fixture(scope="module")
def job(server):
    trained = trained_job()
    assert trained["job"].status == "succeeded", trained["job"].error
    return trained


@pytest.fixture(scope="module")
def checkpoint_id(server, job):
    names = [c.fine_tuned_model_checkpoint for c in
             client_for(server).fine_tuning.jobs.checkpoints.list(job["job"].id).data]
    return next(n for n in names if n != job["job"].fine_tuned_model)


@pytest.fixture(scope="module")
def exports(tmp_path_factory, home, job, checkpoint_id):
    """Format -> export directory, each exported once, on first use (vllm from the epoch-1 checkpoint)."""
    root = tmp_path_factory.mktemp("model-export")
    made: dict[str, Path] = {}

    def get(fmt: str) -> Path:
        if fmt not in made:
            model = checkpoint_id if fmt == "vllm" else job["job"].fine_tuned_model
            made[fmt] = export_model(model, format=fmt, out=root / fmt, home=home).path
        return made[fmt]

    return get


# format, files the runtime needs, runtime named by the verification
FORMATS = [
    ("adapter", ["adapter_config.json", "adapter_model.safetensors", "chat_template.jinja"], "PEFT"),
    ("merged", ["model.safetensors", "config.json", "generation_config.json", "tokenizer.json", "chat_template.jinja"],
     "transformers"),
    ("vllm", ["base/model.safetensors", "base/chat_template.jinja", "lora/adapter_config.json",
              "lora/adapter_model.safetensors", "serve.sh"], "PEFT"),
    ("gguf", ["model-f16.gguf", "model-q8_0.gguf"], "GGUF loader"),
    ("ollama", ["model-f16.gguf", "Modelfile"], "GGUF loader"),
]


@pytest.mark.parametrize(("fmt", "files", "runtime"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_reloads_with_the_servers_greedy_answers(exports, job, fmt, files, runtime):
    if fmt in ("gguf", "ollama"):
        converter_dir()  # installed by scripts/setup.sh --test; a missing converter fails here, it is not skipped
    path = exports(fmt)
    for name in [*files, "README.md", "nbtools_export.json"]:
        assert (path / name).is_file(), name
    result = verify_model_export(path)
    assert result.passed, result.summary()
    assert runtime in result.runtime and result.matched == result.compared >= 3
    manifest = json.loads((path / "nbtools_export.json").read_text())
    assert manifest["end_of_turn"] == "<|im_end|>" and manifest["end_of_turn_id"] == SMOLLM2_END_OF_TURN
    assert any(r["finish_reason"] == "stop" for r in manifest["reference"])  # the answers end at the turn's end
    card = (path / "README.md").read_text()
    assert "Apache-2.0" in card and "SmolLM2-135M-Instruct" in card
    assert job["train"].filename in card and manifest["training_files"][0]["sha256"] in card
    assert '"n_epochs": 2' in card


def test_merged_generation_config_ends_at_the_end_of_turn_token(exports):
    config = json.loads((exports("merged") / "generation_config.json").read_text())
    assert config["eos_token_id"] == SMOLLM2_END_OF_TURN


def test_ollama_modelfile(exports):
    text = (exports("ollama") / "Modelfile").read_text()
    assert text.startswith("FROM ./model-f16.gguf\n")
    assert 'PARAMETER stop "<|im_end|>"' in text
    assert "SYSTEM \"\"\"You are Brewtiful's support agent.\"\"\"" in text
    assert "<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n{{ .Response }}<|im_end|>" in text


def test_vllm_layout_serves_the_checkpoint_under_its_own_id(exports, checkpoint_id):
    path = exports("vllm")
    serve = (path / "serve.sh").read_text()
    assert f"--lora-modules '{checkpoint_id}=./lora'" in serve and "vllm serve ./base --enable-lora" in serve
    assert json.loads((path / "lora" / "adapter_config.json").read_text())["base_model_name_or_path"] == "./base"


def _clone(source: Path, target: Path, changed: str) -> Path:
    """A copy of export `source` (hard links, except `changed`, which is a real copy to corrupt)."""
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copy2 if path.name == changed else os.link)(path, dest)
    return target


def _edit_template(path: Path) -> None:
    text = path.read_text()
    path.write_text(text.replace("'<|im_start|>assistant\n'", "'<|im_start|>Assistant:\n'"))


def _edit_eos(path: Path) -> None:
    config = json.loads(path.read_text())
    path.write_text(json.dumps({**config, "eos_token_id": 0}))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _edit_modelfile(path: Path) -> None:
    path.write_text(path.read_text().replace("<|im_start|>assistant\n", "<|im_start|>bot\n"))


# format, file to corrupt, how, words the failure must say
CORRUPTIONS = [
    ("merged", "chat_template.jinja", _edit_template, ["chat template drifted", "first difference"]),
    ("merged", "generation_config.json", _edit_eos, ["EOS drifted", "eos_token_id is [0]", "<|im_end|> (id 2)"]),
    ("merged", "model.safetensors", _truncate, ["model.safetensors", "truncated", "cannot load the model"]),
    ("ollama", "Modelfile", _edit_modelfile, ["Modelfile TEMPLATE drifted"]),
]


@pytest.mark.parametrize(("fmt", "name", "corrupt", "words"), CORRUPTIONS, ids=[c[1] for c in CORRUPTIONS])
def test_verification_fails_naming_what_drifted(exports, tmp_path, capsys, fmt, name, corrupt, words):
    copy = _clone(exports(fmt), tmp_path / "copy", name)
    corrupt(copy / name)
    # One verification, through the CLI: it prints verify_model_export's summary and exits 1 when it failed
    # (verifying twice, from Python and from the CLI, doubled this test's time: a GGUF reload is ~20-40 s).
    assert main(["model", "export", "--verify", str(copy)]) == 1
    text = capsys.readouterr().out
    assert text.startswith("FAILED") and all(w in text for w in words), text


def test_cli_verify_passes_on_an_intact_export(exports, capsys):
    assert main(["model", "export", "--verify", str(exports("adapter"))]) == 0
    assert capsys.readouterr().out.startswith("PASSED: adapter export")


# model id, format, error, words in the message
REFUSALS = [
    ("ft:smollm2-135m-instruct:local:nope:xxxxxxxx", "merged", ModelNotFoundError, "unknown model"),
    ("{job}", "safetensors", InputError, "unknown export format"),
    ("smollm2-135m-instruct", "adapter", InputError, "is a base model"),
]


@pytest.mark.parametrize(("model", "fmt", "error", "words"), REFUSALS, ids=["unknown-id", "unknown-format", "base"])
def test_refusals_write_nothing(home, job, tmp_path, capsys, model, fmt, error, words):
    model = model.replace("{job}", job["job"].fine_tuned_model)
    out = tmp_path / "out"
    with pytest.raises(error, match=words):
        export_model(model, format=fmt, out=out, home=home)
    assert main(["model", "export", model, "--format", fmt, "--out", str(out), "--home", str(home)]) == 2
    assert words in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_out_directory_is_refused(home, job, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an empty directory"):
        export_model(job["job"].fine_tuned_model, format="adapter", out=tmp_path, home=home)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
