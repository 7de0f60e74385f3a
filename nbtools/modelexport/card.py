"""The model card (README.md) of an export: what the model is, what it was trained on, how to run it.

:func:`model_card` is a pure function of the export manifest (see :mod:`.manifest`).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

__all__ = ["model_card", "base_licence", "run_instructions"]

_LICENCES = {
    "smollm2-135m-instruct": ("HuggingFaceTB/SmolLM2-135M-Instruct", "Apache-2.0"),
    "gemma3-270m": ("google/gemma-3-270m", "Gemma Terms of Use (https://ai.google.dev/gemma/terms); they also bind "
                                           "models fine-tuned from it"),
}


def base_licence(base: str) -> tuple[str, str]:
    """(upstream name, licence) of a base model; a custom base model's licence is its own.

    >>> base_licence("smollm2-135m-instruct")
    ('HuggingFaceTB/SmolLM2-135M-Instruct', 'Apache-2.0')
    """
    return _LICENCES.get(base, (base, "see the base model's own licence"))


def run_instructions(manifest: Mapping[str, Any]) -> list[str]:
    """Markdown lines: how to run this export's format (llama.cpp, Ollama, vLLM, transformers)."""
    fmt, model = manifest["format"], manifest["model"]
    if fmt == "adapter":
        return ["```python", "from peft import PeftModel", "from transformers import AutoModelForCausalLM, AutoTokenizer",
                f"base = AutoModelForCausalLM.from_pretrained({manifest['base_dir']!r})",
                "model = PeftModel.from_pretrained(base, '.')  # this directory", "tokenizer = AutoTokenizer.from_pretrained('.')",
                "```"]
    if fmt == "merged":
        return ["```python", "from transformers import AutoModelForCausalLM, AutoTokenizer",
                "model = AutoModelForCausalLM.from_pretrained('.')  # this directory",
                "tokenizer = AutoTokenizer.from_pretrained('.')",
                "ids = tokenizer.apply_chat_template([{'role': 'user', 'content': 'Hi'}], add_generation_prompt=True,"
                " return_tensors='pt')",
                "print(tokenizer.decode(model.generate(ids, max_new_tokens=64)[0]))", "```"]
    if fmt == "gguf":
        return ["```sh", "llama-cli -m model-q8_0.gguf -cnv        # llama.cpp: chat with the template in the GGUF",
                "llama-server -m model-f16.gguf --jinja   # an OpenAI-compatible server", "```"]
    if fmt == "ollama":
        name = model.split(":")[3] if model.count(":") >= 3 else "nbtools-model"
        return ["```sh", f"ollama create {name} -f Modelfile", f"ollama run {name}", "```"]
    return ["```sh", "./serve.sh   # " + manifest.get("serve", "vllm serve ./base --enable-lora --lora-modules …"),
            "```", f"then chat with `model={model!r}` through any OpenAI client at http://localhost:8000/v1."]


def _files_table(manifest: Mapping[str, Any]) -> list[str]:
    rows = manifest.get("training_files") or []
    if not rows:
        return ["(none recorded: a base model, or the job's files were deleted)"]
    out = ["| role | file | bytes | SHA-256 |", "|---|---|---|---|"]
    out += [f"| {r['role']} | {r['filename']} | {r['bytes']} | `{r['sha256']}` |" for r in rows]
    return out


def model_card(manifest: Mapping[str, Any]) -> str:
    """README.md text of an export.

    >>> card = model_card({"format": "merged", "model": "m", "base": "smollm2-135m-instruct", "base_dir": "/b",
    ...                    "job_id": None, "hyperparameters": None, "training_files": [], "eval_results": None,
    ...                    "end_of_turn": "<|im_end|>", "verification_prompts": 3})
    >>> card.splitlines()[0], "Apache-2.0" in card
    ('# m (merged)', True)
    """
    upstream, licence = base_licence(manifest["base"])
    lines = [f"# {manifest['model']} ({manifest['format']})", "",
             f"Fine-tuned with nbtools from **{upstream}** (built-in id `{manifest['base']}`).", "",
             f"- Licence of the base model: {licence}",
             "- Base weights: the ones nbtools trained on (for the built-in models, dequantized from their GGUF "
             "release), so the adapter reproduces the local server's answers only on those.",
             f"- Training job: `{manifest.get('job_id')}` ({manifest.get('method') or 'n/a'})",
             f"- Chat template: the base model's; a turn ends with `{manifest['end_of_turn']}` (the EOS / stop token).",
             "", "## Training files", "", *_files_table(manifest), "", "## Hyperparameters", ""]
    hyper = manifest.get("hyperparameters")
    lines += ["```json", json.dumps(hyper, indent=1, sort_keys=True), "```"] if hyper else ["(none: a base model)"]
    lines += ["", "## Evaluation", ""]
    evals = manifest.get("eval_results")
    lines += ["```json", json.dumps(evals, indent=1, sort_keys=True, default=str), "```"] if evals else \
        ["No eval results were attached to this export."]
    lines += ["", "## Run it", "", *run_instructions(manifest), "",
              "## Verify it", "", f"`nbtools model export --verify .` reloads this export and checks that its greedy "
              f"answers to {manifest['verification_prompts']} prompts equal the local server's (stored in "
              "nbtools_export.json), and that its chat template and end-of-turn token did not drift.", ""]
    return "\n".join(lines)
