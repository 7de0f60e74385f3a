"""The pure pieces of model export, on the real SmolLM2 tokenizer: end-of-turn token, the Ollama TEMPLATE derived
from the chat template (and rendered back), the Modelfile, the vLLM command, the model card, the manifest reader."""

from __future__ import annotations

import json

import pytest

from nbtools.basemodels import load_tokenizer
from nbtools.errors import ConfigError
from nbtools.modelexport import read_manifest
from nbtools.modelexport.card import base_licence, model_card
from nbtools.modelexport.gguf import modelfile_text
from nbtools.modelexport.templates import end_of_turn, ollama_template, render_ollama, render_prompt
from nbtools.modelexport.writers import vllm_command


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("smollm2-135m-instruct")


def test_end_of_turn_is_im_end(tokenizer):
    assert end_of_turn(tokenizer) == ("<|im_end|>", 2)


@pytest.mark.parametrize(("system", "prompt"), [
    ("You are Brewtiful's support agent.", "Where is my order?"),
    ("Be brief.", "Two\nlines, and ☕ unicode"),
])
def test_the_ollama_template_lays_out_a_turn_as_the_chat_template_does(tokenizer, system, prompt):
    template = ollama_template(tokenizer)
    assert template.endswith("{{ .Response }}<|im_end|>")
    messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    assert render_ollama(template, system=system, prompt=prompt) == render_prompt(tokenizer, messages)


def test_modelfile_lines():
    text = modelfile_text("model-f16.gguf", "T{{ .Response }}", ["<|im_end|>"], "Be brief.")
    assert text.splitlines() == ["FROM ./model-f16.gguf", 'TEMPLATE """T{{ .Response }}"""',
                                 'PARAMETER stop "<|im_end|>"', "PARAMETER temperature 0", 'SYSTEM """Be brief."""']
    assert "SYSTEM" not in modelfile_text("m.gguf", "T", ["</s>"], None)


@pytest.mark.parametrize(("rank", "flag"), [(4, "--max-lora-rank 8"), (16, "--max-lora-rank 16"),
                                            (64, "--max-lora-rank 64")])
def test_vllm_command_names_the_model_id_and_rank(rank, flag):
    command = vllm_command("ft:smollm2-135m-instruct:local:brew:ab12", rank)
    assert flag in command and "--lora-modules 'ft:smollm2-135m-instruct:local:brew:ab12=./lora'" in command


@pytest.mark.parametrize(("base", "licence"), [("smollm2-135m-instruct", "Apache-2.0"),
                                               ("gemma3-270m", "Gemma Terms of Use"),
                                               ("/models/mine", "see the base model's own licence")])
def test_base_licence(base, licence):
    assert licence in base_licence(base)[1]


@pytest.mark.parametrize(("fmt", "runs"), [("adapter", "PeftModel.from_pretrained"), ("merged", "AutoModelForCausalLM"),
                                           ("gguf", "llama-cli"), ("ollama", "ollama create brew"),
                                           ("vllm", "./serve.sh")])
def test_the_card_says_how_to_run_each_format(fmt, runs):
    card = model_card({"format": fmt, "model": "ft:smollm2-135m-instruct:local:brew:ab12", "base": "smollm2-135m-instruct",
                       "base_dir": "/b", "job_id": "ftjob-1", "method": "supervised", "end_of_turn": "<|im_end|>",
                       "hyperparameters": {"n_epochs": 2}, "eval_results": {"all checks": 90.0},
                       "training_files": [{"role": "training", "filename": "t.jsonl", "bytes": 3, "sha256": "ab" * 32}],
                       "verification_prompts": 3})
    assert runs in card and "ab" * 32 in card and '"all checks": 90.0' in card and "Apache-2.0" in card


@pytest.mark.parametrize(("content", "words"), [(None, "not an nbtools model export"), ("{", "not readable as JSON"),
                                                ('{"format": "zip"}', "not an nbtools export manifest")])
def test_read_manifest_refuses_what_is_not_an_export(tmp_path, content, words):
    if content is not None:
        (tmp_path / "nbtools_export.json").write_text(content)
    with pytest.raises(ConfigError, match=words):
        read_manifest(tmp_path)


def test_read_manifest_reads_an_export(tmp_path):
    (tmp_path / "nbtools_export.json").write_text(json.dumps({"format": "merged", "model": "m"}))
    assert read_manifest(tmp_path)["model"] == "m"
