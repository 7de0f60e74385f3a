"""Chat fine-tuning examples from tables: SFT conversations, tool calls, DPO pairs; split; JSONL in and out.

Modules: build (SFT from the cleaned message table), tools (tool-calling examples), preference (DPO pairs),
result (BuildResult), split (train/validation without near duplicates across), jsonl (IO), prompts (system prompts
from a Markdown file).
"""

from .build import build_sft_examples
from .jsonl import read_jsonl, write_jsonl
from .preference import build_dpo_pairs
from .prompts import SystemPrompts, read_system_prompts
from .result import BuildResult
from .split import SplitResult, example_text, split_examples
from .tools import build_tool_examples, infer_tool_definitions

__all__ = [
    "BuildResult",
    "SplitResult",
    "SystemPrompts",
    "build_dpo_pairs",
    "build_sft_examples",
    "build_tool_examples",
    "example_text",
    "infer_tool_definitions",
    "read_jsonl",
    "read_system_prompts",
    "split_examples",
    "write_jsonl",
]
