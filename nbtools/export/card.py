"""The dataset card: a Hugging Face style ``README.md`` with YAML front matter, written from the manifest's facts.

The front matter's ``configs`` point at the JSONL files, so ``datasets.load_dataset(export_dir)`` loads the chat
examples (config ``sft``, the default) and the preference pairs (config ``dpo``) with their train/validation splits.
The body says what each file is, which trainer reads which format, where the data came from, how it was cleaned,
and what is known to be missing.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping, Sequence

from huggingface_hub import DatasetCardData

__all__ = ["dataset_card", "card_configs", "size_category", "loss_summary"]

_SIZE_BOUNDS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def size_category(n: int) -> str:
    """Hugging Face's size bucket for `n` examples.

    >>> size_category(120), size_category(25_000)
    ('n<1K', '10K<n<100K')
    """
    return next((label for bound, label in _SIZE_BOUNDS if n < bound), "n>1M")


_KINDS = {"sft": "Chat examples", "dpo": "Preference pairs"}


def card_configs(parts: Mapping[str, Mapping[str, Any]], files: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``configs`` for the front matter: one per kind (sft, dpo), each listing its splits' JSONL files.

    Each config's description carries a fingerprint of its files' SHA-256: ``datasets`` keys its cache of a local
    folder on the folder's name and the config's parameters only, so without it a re-export (or another export
    folder with the same name) would load a stale cached copy.

    >>> card_configs({"sft/train": {"jsonl": "sft/train.jsonl"}}, [{"path": "sft/train.jsonl", "sha256": "ab"}])
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'config_name': 'sft', 'data_files': [{'split': 'train', 'path': 'sft/train.jsonl'}],
      'description': 'Chat examples, content fingerprint da324db807a71f2e', 'default': True}]
    """
    hashes = {entry["path"]: entry["sha256"] for entry in files}
    configs = []
    for kind, label in _KINDS.items():
        data_files = [{"split": part.split("/")[1], "path": facts["jsonl"]} for part, facts in parts.items()
                      if part.startswith(kind + "/")]
        if data_files:
            joined = ";".join(f"{f['path']}:{hashes[f['path']]}" for f in data_files)
            fingerprint = hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]
            config: dict[str, Any] = {"config_name": kind, "data_files": data_files,
                                      "description": f"{label}, content fingerprint {fingerprint}"}
            if kind == "sft":
                config["default"] = True
            configs.append(config)
    return configs


def loss_summary(losses: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Losses grouped by format and field pattern (indexes removed), with a count and one detail each.

    >>> loss_summary([{"format": "sharegpt", "field": "messages[1].weight", "detail": "no weight"},
    ...               {"format": "sharegpt", "field": "messages[3].weight", "detail": "no weight"}])
    [{'format': 'sharegpt', 'field': 'messages[].weight', 'count': 2, 'detail': 'no weight'}]
    """
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for loss in losses:
        key = (loss["format"], re.sub(r"\[\d+\]", "[]", loss["field"]))
        group = groups.setdefault(key, {"format": key[0], "field": key[1], "count": 0, "detail": loss["detail"]})
        group["count"] += 1
    return list(groups.values())


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("|", "\\|").replace("\n", " ")


def _contents(manifest: Mapping[str, Any]) -> str:
    rows = ["| part | examples | billed tokens (total) | per example (mean / p95 / max) | trained tokens | files |",
            "|---|---:|---:|---|---:|---|"]
    for part, facts in manifest["parts"].items():
        stats = facts.get("tokens", {})
        billed, trained = stats.get("billed"), stats.get("trained")
        per = f"{billed['mean']:g} / {billed['p95']:g} / {billed['max']}" if billed else "–"
        files = ", ".join(f"`{path}`" for key, path in facts.items() if key not in ("examples", "tokens"))
        rows.append(f"| {part} | {facts['examples']} | {billed['total'] if billed else 0} | {per} | "
                    f"{trained['total'] if trained else 0} | {files} |")
    for name in ("rejects", "cleaned_messages"):
        if manifest.get(name):
            rows.append(f"| {name} | {manifest[name]['rows']} rows | | | | `{manifest[name]['path']}` |")
    return "\n".join(rows)


def _usage(manifest: Mapping[str, Any]) -> str:
    parts = manifest["parts"]
    lf_names = manifest.get("llamafactory", {}).get("datasets", {})
    lines = [
        "```python",
        "from datasets import load_dataset",
        'sft = load_dataset("path/to/this/folder")            # config "sft": train/validation chat examples',
    ]
    if any(p.startswith("dpo/") for p in parts):
        lines.append('dpo = load_dataset("path/to/this/folder", "dpo")     # preference pairs')
    lines += [f'train = load_dataset("json", data_files="{parts["sft/train"]["jsonl"]}", split="train")', "```", ""]
    lines += [
        "- **OpenAI fine-tuning** (and nbtools' local server): upload `sft/*.jsonl` (or `dpo/*.jsonl` with "
        '`method.type = "dpo"`) as they are.',
        "- **Axolotl, OpenAI messages format** (keeps per-message `weight` and tools):",
        "",
        "  ```yaml",
        "  datasets:",
        f"    - path: path/to/this/folder/{parts['sft/train']['jsonl']}",
        "      ds_type: json",
        "      type: chat_template",
        "      field_messages: messages",
        "      message_field_training: weight   # weight 0 = context only, not trained",
        "      field_tools: tools",
        "  ```",
        "",
        "  Tool-call `arguments` are JSON strings, as OpenAI's format has them; some chat templates expect objects.",
    ]
    if lf_names:
        names = ", ".join(f"`{n}`" for n in lf_names)
        lines += [
            "- **LLaMA-Factory, ShareGPT format**: set `dataset_dir: path/to/this/folder/llamafactory` and "
            "`dataset:` to any of "
            f"{names} (described in `llamafactory/dataset_info.json`: `formatting: sharegpt`, tags "
            "`human`/`gpt`/`function_call`/`observation`/`system`; preference files have `ranking: true` with "
            "`chosen`/`rejected`).",
            "- **Axolotl, ShareGPT format**: `type: chat_template`, `field_messages: conversations`, "
            "`message_property_mappings: {role: from, content: value}`, `roles: {user: [human], assistant: [gpt], "
            "system: [system]}`; for DPO `rl: dpo`, `type: chat_template.default`, `field_messages: conversations`, "
            "`field_chosen: chosen`, `field_rejected: rejected` with the same mappings. Files with tool calls are "
            "better read from the OpenAI JSONL.",
        ]
    if manifest.get("tables"):
        lines.append("- **Spreadsheets / pandas**: `tables/*.csv` and `tables/*.parquet` (see Fields).")
    return "\n".join(lines)


_FIELDS = """\
- `sft/*.jsonl`: one chat example per line, OpenAI's fine-tuning format: `{"messages": [{"role": "system" | "user" |
  "assistant" | "tool", "content": ..., "weight"?: 0 | 1, "tool_calls"?: [...], "tool_call_id"?: ...}], "tools"?:
  [...]}`. `weight: 0` marks an assistant turn kept as context but not trained on.
- `dpo/*.jsonl`: one preference pair per line: `{"input": {"messages": [...], "tools"?: [...]},
  "preferred_output": [assistant message], "non_preferred_output": [assistant message]}`.
- `tables/*.csv`, `tables/*.parquet`: one row per example. The JSON columns (`messages`, `tools`, `extra`; or
  `input`, `preferred_output`, `non_preferred_output`, `extra`) hold the example exactly; `system`, `user`,
  `assistant` (or `preferred`/`non_preferred`), `n_messages`, `has_tool_calls`, `has_weights`, `billed_tokens` and
  `trained_tokens` are for reading only.
- `llamafactory/*.json`: ShareGPT records `{"conversations": [{"from", "value"}], "tools": "<JSON string>"}`
  (ranking records add `chosen` and `rejected` turns); `llamafactory/dataset_info.json` registers them.
- `rejects/`: every row the cleaning dropped, with the reason; `manifest.json`: counts, token statistics, cleaning
  settings, and the size and SHA-256 of every file."""


def _cleaning(cleaning: Any) -> str:
    if not cleaning:
        return "No cleaning report was given to the export."
    steps = cleaning.get("steps") if isinstance(cleaning, Mapping) else None
    lines = []
    if isinstance(steps, list) and all(isinstance(s, Mapping) for s in steps) and steps:
        columns = list(dict.fromkeys(k for step in steps for k in step))
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(_cell(step.get(c, "")) for c in columns) + " |" for step in steps]
        lines.append("")
    else:
        text = json.dumps(cleaning, ensure_ascii=False, indent=2, default=str)
        lines += ["```json", text if len(text) < 4000 else text[:4000] + "\n…", "```", ""]
    lines.append("The full cleaning settings are in `manifest.json` under `cleaning`.")
    return "\n".join(lines)


def _limitations(manifest: Mapping[str, Any]) -> str:
    lines = [
        f"- Token counts use the `{manifest['tokenizer']}` tokenizer (model `{manifest['token_model']}`) and OpenAI's "
        "published counting rule; the provider does not publish its exact rule for tools and DPO lines, so those "
        "are estimates.",
        "- Cleaning is automatic: PII redaction and the safety screen can miss things; read samples before "
        "publishing.",
        "- `datasets` gives every message the same columns: a field one message lacks (`weight`, `tool_calls`) may "
        "come back as null; the JSONL files themselves hold each message as written.",
    ]
    losses = manifest.get("format_losses", {}).get("summary", [])
    if losses:
        lines.append(f"- Formats that cannot hold everything (each instance is listed in "
                     f"`{manifest['format_losses']['file']}`):")
        lines += [f"  - {group['format']}: `{group['field']}` ({group['count']}×): {group['detail']}"
                  for group in losses]
    else:
        lines.append("- Every format written holds every example completely (no conversion losses).")
    return "\n".join(lines)


def dataset_card(manifest: Mapping[str, Any]) -> str:
    """The Markdown card for an export, from its manifest (whose ``files`` list the data files, not the card)."""
    n_examples = sum(facts["examples"] for facts in manifest["parts"].values())
    data = DatasetCardData(
        license=manifest["license"],
        language=list(manifest["language"]),
        task_categories=["text-generation"],
        tags=["chat", "fine-tuning", "openai-format", "sharegpt", "nbtools"],
        size_categories=[size_category(n_examples)],
        pretty_name=manifest["name"],
        configs=card_configs(manifest["parts"], manifest["files"]),
    )
    sources = manifest.get("sources") or {}
    provenance = [f"- Exported by nbtools {manifest['nbtools_version']} on {manifest['created_at']}; token counts "
                  f"with the `{manifest['tokenizer']}` tokenizer (model `{manifest['token_model']}`)."]
    provenance += [f"- {line}" for line in manifest.get("provenance", [])]
    if manifest.get("rejects"):
        provenance.append(f"- {manifest['rejects']['rows']} rows were left out by cleaning or building; each is in "
                          f"`{manifest['rejects']['path']}` with its reason.")
    if sources:
        provenance.append("- Source files of the cleaned messages: "
                          + ", ".join(f"`{name}` ({count} messages)" for name, count in sources.items()) + ".")
    body = "\n\n".join([
        f"# {manifest['name']}",
        manifest.get("description") or "Chat fine-tuning data exported by nbtools.",
        "## Contents\n\n" + _contents(manifest),
        "## How to use it\n\n" + _usage(manifest),
        "## Fields\n\n" + _FIELDS,
        "## Provenance\n\n" + "\n".join(provenance),
        "## Cleaning\n\n" + _cleaning(manifest.get("cleaning")),
        "## Known limitations\n\n" + _limitations(manifest),
        "## Integrity\n\n`manifest.json` lists the size and SHA-256 of every file; check them with "
        "`nbtools export --verify DIR` or `nbtools.verify_manifest(DIR)`. Each config's description carries a "
        "fingerprint of its files, so `datasets` reloads the folder when the data changes instead of reusing an "
        "older cached copy.",
    ])
    return f"---\n{data.to_yaml()}\n---\n\n{body}\n"
