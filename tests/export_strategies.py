"""Hypothesis strategies for random, structurally valid OpenAI fine-tuning lines (chat and preference)."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Any Unicode text a JSON file can hold (no lone surrogates), including newlines, quotes, commas and NUL.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
SHORT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | TEXT,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SHORT, inner, max_size=3),
                          max_leaves=6)


@st.composite
def tool_call(draw):
    arguments = draw(st.dictionaries(SHORT, JSON_VALUE, max_size=3))
    spacing = draw(st.sampled_from([(", ", ": "), (",", ":")]))
    return {"id": draw(st.sampled_from(["call_1", "call_2"]) | SHORT), "type": "function",
            "function": {"name": draw(SHORT), "arguments": json.dumps(arguments, ensure_ascii=False,
                                                                      separators=spacing)}}


@st.composite
def message(draw, roles=("system", "user", "assistant", "tool")):
    role = draw(st.sampled_from(roles))
    content = draw(TEXT | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}), max_size=2))
    out = {"role": role, "content": content}
    if role == "assistant":
        if draw(st.booleans()):
            out["tool_calls"] = draw(st.lists(tool_call(), min_size=1, max_size=2))
            if draw(st.booleans()):
                del out["content"]
        if draw(st.booleans()):
            out["weight"] = draw(st.sampled_from([0, 1]))
        if draw(st.integers(0, 5)) == 0:
            out["name"] = draw(SHORT)
    if role == "tool":
        out["tool_call_id"] = draw(st.sampled_from(["call_1", "call_2"]) | SHORT)
    return out


TOOLS = st.lists(st.fixed_dictionaries({"type": st.just("function"), "function": st.fixed_dictionaries(
    {"name": SHORT, "parameters": st.dictionaries(SHORT, JSON_VALUE, max_size=2)})}), max_size=2)


@st.composite
def sft_example(draw):
    example = {"messages": draw(st.lists(message(), max_size=6))}
    if draw(st.booleans()):
        example["tools"] = draw(TOOLS)
    if draw(st.integers(0, 4)) == 0:
        example["metadata"] = draw(st.dictionaries(SHORT, JSON_VALUE, max_size=2))
    return example


@st.composite
def dpo_example(draw):
    prompt = {"messages": draw(st.lists(message(("system", "user", "assistant")), min_size=1, max_size=4))}
    if draw(st.booleans()):
        prompt["tools"] = draw(TOOLS)
    outputs = st.lists(message(("assistant",)), min_size=1, max_size=2)
    return {"input": prompt, "preferred_output": draw(outputs), "non_preferred_output": draw(outputs)}


EXAMPLE = sft_example() | dpo_example()
