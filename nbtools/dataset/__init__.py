"""Chat fine-tuning examples from tables: SFT conversations, tool calls, DPO pairs; split; JSONL in and out.

Modules: build (SFT from the cleaned message table), tools (tool-calling examples), preference (DPO pairs),
result (BuildResult), split (train/validation without near duplicates across), prompts (system prompts
from a Markdown file).
"""

from ..jsonl import read_jsonl, write_jsonl  # re-exported: the one JSONL module is nbtools.jsonl
from .build import build_sft_examples
from .facts import Fact, FactPairs, FactsSheet, assert_held_out, fact_pairs, near_questions, parse_facts_sheet, \
    read_facts_sheet
from .preference import build_dpo_pairs
from .paraphrase import model_paraphraser
from .prompts import SystemPrompts, read_system_prompts
from .pseudonyms import PseudonymResult, placeholder_counts, pseudonymize
from .result import BuildResult
from .split import SplitResult, example_text, split_examples
from .tools import build_tool_examples, infer_tool_definitions

__all__ = [
    "BuildResult",
    "Fact",
    "FactPairs",
    "FactsSheet",
    "PseudonymResult",
    "assert_held_out",
    "fact_pairs",
    "model_paraphraser",
    "near_questions",
    "parse_facts_sheet",
    "placeholder_counts",
    "pseudonymize",
    "read_facts_sheet",
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
