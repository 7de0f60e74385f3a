"""Check an export in its own runtime: its template, its end-of-turn token, its files, and its greedy answers to
the prompts whose answers the local server gave at export time (stored in the manifest).

Runtimes: transformers (``merged``), PEFT on the base model (``adapter``, ``vllm``: the layout's ``base/`` and
``lora/``), and for GGUF transformers' GGUF loader (``gguf_file=``), which reads the GGUF's own weights, template and
tokenizer; the result's `runtime` says so (a llama.cpp runtime is not used: llama-cpp-python compiles llama.cpp
at install, too slow for these machines' CI).
Every problem found is reported (the first one does not hide the others); `passed` is True only without any. The
f16 GGUF must answer token for token; a quantized one (q8_0) is checked for its template, EOS and files, and its
answers are compared and reported in `notes` (quantization may change a greedy answer, so that is no failure).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .export import read_manifest, sha256_file
from .templates import render_ollama

__all__ = ["ModelVerification", "verify_model_export"]

RUNTIME_TRANSFORMERS = "transformers"
RUNTIME_PEFT = "transformers + PEFT (PeftModel.from_pretrained on the base)"
RUNTIME_GGUF_HF = "transformers' GGUF loader (gguf_file=)"
_EXACT_GGUF = ("model-f16.gguf",)  # unquantized conversions: must answer token for token as the server did


@dataclass(frozen=True)
class ModelVerification:
    """What verifying an export found: `problems` (empty when it passed) and the answers compared."""

    path: Path
    format: str
    model: str
    runtime: str
    problems: tuple[str, ...]
    compared: int  # prompts compared (per GGUF file)
    matched: int
    notes: tuple[str, ...] = field(default=())  # what was compared but may differ (a quantized GGUF's answers)

    @property
    def passed(self) -> bool:
        """True when nothing drifted and every answer matched the server's."""
        return not self.problems and self.compared > 0 and self.matched == self.compared

    def summary(self) -> str:
        """A few lines for people."""
        head = (f"{'PASSED' if self.passed else 'FAILED'}: {self.format} export of {self.model} at {self.path}\n"
                f"  runtime: {self.runtime}; answers equal to the local server's: {self.matched}/{self.compared}")
        return "\n".join([head, *[f"  - {p}" for p in self.problems], *[f"  ({n})" for n in self.notes]])


def _first_difference(a: str, b: str) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"first difference at character {i}: {a[i:i + 30]!r} instead of {b[i:i + 30]!r}"


def _template_problem(where: str, actual: str | None, expected: str) -> list[str]:
    if actual == expected:
        return []
    if not actual:
        return [f"chat template drifted: {where} has no chat template (the model was trained with one)"]
    return [f"chat template drifted: {where} differs from the template the model was trained with "
            f"({_first_difference(actual, expected)})"]


def _file_problems(root: Path, manifest: dict[str, Any]) -> list[str]:
    out = []
    for name, record in (manifest.get("files") or {}).items():
        path = root / name
        if not path.is_file():
            out.append(f"{name}: missing (the export wrote {record['bytes']} bytes)")
        elif path.stat().st_size != record["bytes"]:
            out.append(f"{name}: {path.stat().st_size} bytes, the export wrote {record['bytes']} (truncated or "
                       "replaced)")
        elif name.endswith((".safetensors", ".gguf")) and sha256_file(path) != record["sha256"]:
            out.append(f"{name}: its SHA-256 changed since the export ({record['sha256'][:12]}…)")
    return out


def _eos_list(value: Any) -> list[int]:
    return [int(v) for v in (value if isinstance(value, list) else [] if value is None else [value])]


def _answers(model, tokenizer, prompts: list[str], max_tokens: int, eos: list[int] | None) -> list[tuple[str, int]]:
    """Greedy (text, tokens generated) for each prompt text, as transformers' generate gives them."""
    import torch

    out = []
    for text in prompts:
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        kwargs: dict[str, Any] = {"eos_token_id": eos} if eos is not None else {}
        with torch.no_grad():
            generated = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_tokens,
                                       do_sample=False, pad_token_id=tokenizer.pad_token_id or 0, **kwargs)
        new = generated[0, ids.shape[1]:].tolist()
        out.append((tokenizer.decode(new, skip_special_tokens=True), len(new)))
    return out


def _compare(manifest: dict[str, Any], answers: list[tuple[str, int]], label: str) -> tuple[int, list[str]]:
    matched, problems = 0, []
    for i, (reference, (text, count)) in enumerate(zip(manifest["reference"], answers), 1):
        if text == reference["text"] and count == reference["completion_tokens"]:
            matched += 1
            continue
        problems.append(f"{label}answer {i} differs from the local server's: {text!r} ({count} tokens) instead of "
                        f"{reference['text']!r} ({reference['completion_tokens']} tokens)")
    return matched, problems


def _prompts(tokenizer, manifest: dict[str, Any]) -> list[str]:
    return [tokenizer.apply_chat_template(r["messages"], tokenize=False, add_generation_prompt=True)
            for r in manifest["reference"]]


def _eos_problem(where: str, eos: list[int], manifest: dict[str, Any]) -> list[str]:
    if manifest["end_of_turn_id"] in eos:
        return []
    return [f"EOS drifted: {where} eos_token_id is {eos or None}, but the chat template ends a turn with "
            f"{manifest['end_of_turn']} (id {manifest['end_of_turn_id']}): generation would run past the answer"]


def _hf_dir(model_dir: Path, tokenizer_dir: Path, manifest: dict[str, Any], adapter: Path | None
            ) -> tuple[int, list[str]]:
    """Check and run a Hugging Face directory (with an optional PEFT adapter on it)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    problems = _template_problem(f"{tokenizer_dir.name}/ tokenizer", tokenizer.chat_template,
                                 manifest["chat_template"])
    eos = _eos_list(GenerationConfig.from_pretrained(str(model_dir)).eos_token_id)
    problems += _eos_problem(f"{model_dir.name}/generation_config.json", eos, manifest)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter)).eval()
    except Exception as error:  # a truncated or corrupted weights file: report it, do not crash
        return 0, [*problems, f"cannot load the model: {type(error).__name__}: {str(error)[:200]}"]
    matched, different = _compare(manifest, _answers(model, tokenizer, _prompts(tokenizer, manifest),
                                                     manifest["max_tokens"], None), "")
    return matched, problems + different


def _gguf_file(root: Path, name: str, manifest: dict[str, Any], modelfile: str | None) -> tuple[int, list[str]]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .gguf import read_gguf_metadata

    label = f"{name}: "
    try:
        meta = read_gguf_metadata(root / name)
    except Exception as error:  # not a whole GGUF
        return 0, [f"{label}not a readable GGUF: {type(error).__name__}: {str(error)[:200]}"]
    problems = _template_problem(f"{name} metadata tokenizer.chat_template", meta["tokenizer.chat_template"],
                                 manifest["chat_template"])
    eos = _eos_list(meta["tokenizer.ggml.eos_token_id"]) + _eos_list(meta["tokenizer.ggml.eot_token_id"])
    problems += _eos_problem(f"{name} metadata tokenizer.ggml", eos, manifest)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(root), gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(str(root), gguf_file=name).eval()
    except Exception as error:
        return 0, [*problems, f"{label}cannot load: {type(error).__name__}: {str(error)[:200]}"]
    tokenizer.chat_template = meta["tokenizer.chat_template"] or tokenizer.chat_template
    prompts = _prompts(tokenizer, manifest)
    if modelfile is not None:  # Ollama sends what its TEMPLATE makes of the turn: run exactly that
        template = _modelfile_value(modelfile, "TEMPLATE")
        bos = tokenizer.bos_token if "bos_token" in (manifest["chat_template"] or "") else ""
        ollama = [(bos or "") + render_ollama(template or "", system=_system(r), prompt=r["messages"][-1]["content"])
                  for r in manifest["reference"]]
        for i, (mine, theirs) in enumerate(zip(ollama, prompts), 1):
            if mine != theirs:
                problems.append(f"Modelfile TEMPLATE drifted: prompt {i} renders differently from the chat template "
                                f"({_first_difference(mine, theirs)})")
        prompts = ollama
    matched, different = _compare(manifest, _answers(model, tokenizer, prompts, manifest["max_tokens"], eos), label)
    if name not in _EXACT_GGUF:  # quantized weights: other greedy answers are expected, reported but not a failure
        n = len(manifest["reference"])
        return 0, problems + [f"note: {name} is quantized: {matched}/{n} answers identical to the server's "
                              "(differences are expected and do not fail verification)", *different]
    return matched, problems + different


def _system(reference: dict[str, Any]) -> str:
    first = reference["messages"][0]
    return first["content"] if first["role"] == "system" else ""


def _modelfile_value(text: str, key: str) -> str | None:
    """The (triple-quoted or one-line) value of a Modelfile instruction."""
    start = text.find(f'{key} """')
    if start >= 0:
        body = text[start + len(key) + 4:]
        return body[:body.find('"""')]
    for line in text.splitlines():
        if line.startswith(key + " "):
            return line[len(key) + 1:]
    return None


def _modelfile_problems(text: str, manifest: dict[str, Any]) -> list[str]:
    stops = [line.split(" ", 2)[2].strip('"') for line in text.splitlines() if line.startswith("PARAMETER stop ")]
    problems = []
    if manifest["end_of_turn"] not in stops:
        problems.append(f"Modelfile stop tokens drifted: {stops} lack the end-of-turn token {manifest['end_of_turn']}")
    if manifest.get("system_prompt") and _modelfile_value(text, "SYSTEM") != manifest["system_prompt"]:
        problems.append(f"Modelfile SYSTEM differs from the training system prompt {manifest['system_prompt']!r}")
    return problems


def verify_model_export(path: str | os.PathLike[str]) -> ModelVerification:
    """Reload export `path` in its own runtime and compare its greedy answers with the local server's.

    ``verify_model_export("export/merged") -> ModelVerification(passed=True, runtime="transformers", matched=3, compared=3)``
    """
    root = Path(path).expanduser().resolve()
    manifest = read_manifest(root)
    fmt = manifest["format"]
    problems = _file_problems(root, manifest)
    n = len(manifest["reference"])
    if fmt == "merged":
        runtime, (matched, found), compared = RUNTIME_TRANSFORMERS, _hf_dir(root, root, manifest, None), n
    elif fmt == "adapter":
        base = Path(manifest["base_dir"])
        runtime, (matched, found), compared = RUNTIME_PEFT, _hf_dir(base, root, manifest, root), n
    elif fmt == "vllm":
        runtime, compared = RUNTIME_PEFT + " on base/ with lora/", n
        matched, found = _hf_dir(root / "base", root / "base", manifest, root / "lora")
    else:
        import importlib.util

        runtime = RUNTIME_GGUF_HF + ("; llama-cpp-python is not installed" if importlib.util.find_spec("llama_cpp")
                                     is None else "; llama-cpp-python is installed but not used by this check")
        names = sorted(name for name in manifest["files"] if name.endswith(".gguf"))
        modelfile = None
        found = []
        if fmt == "ollama":
            modelfile = (root / "Modelfile").read_text(encoding="utf-8") if (root / "Modelfile").is_file() else ""
            found += _modelfile_problems(modelfile, manifest) if modelfile else ["Modelfile: missing"]
        matched, compared, notes = 0, n * len([m for m in names if m in _EXACT_GGUF]), []
        for name in names:
            ok, more = _gguf_file(root, name, manifest, modelfile)
            matched += ok
            if name in _EXACT_GGUF:
                found += more
            else:
                first_note = next((i for i, m in enumerate(more) if m.startswith("note: ")), len(more))
                found += more[:first_note]
                notes += more[first_note:]
        return ModelVerification(root, fmt, manifest["model"], runtime, tuple(problems + found), compared, matched,
                                 tuple(notes))
    return ModelVerification(root, fmt, manifest["model"], runtime, tuple(problems + found), compared, matched)
