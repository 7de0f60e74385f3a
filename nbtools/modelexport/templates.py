"""A model's turn format as other runtimes need it: its end-of-turn token, and its chat template as an Ollama
(Go) ``TEMPLATE``.

The Ollama template is derived from the Jinja chat template itself, by rendering a system + user turn with marker
strings in place of the texts and putting Ollama's ``{{ .System }}`` / ``{{ .Prompt }}`` where the markers landed, so
that it lays out a single-turn chat exactly as the model was trained (``render_ollama`` checks that).
"""

from __future__ import annotations

from typing import Any

from ..errors import DataFormatError

__all__ = ["end_of_turn", "ollama_template", "render_ollama", "render_prompt"]

_SYSTEM, _PROMPT, _REPLY = "\x01NBSYSTEM\x01", "\x01NBPROMPT\x01", "\x01NBREPLY\x01"


def render_prompt(tokenizer: Any, messages: list[dict[str, Any]]) -> str:
    """The prompt text the chat template makes of `messages`, ready for the assistant's turn."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def end_of_turn(tokenizer: Any) -> tuple[str, int]:
    """The special token the chat template closes an assistant turn with, and its id.

    ``SmolLM2 -> ("<|im_end|>", 2)``; ``Gemma -> ("<end_of_turn>", 106)``.
    """
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "u"}, {"role": "assistant", "content": _REPLY}], tokenize=False)
    after = text.split(_REPLY, 1)[1] if _REPLY in text else ""
    special = set(tokenizer.all_special_ids) | {i for t, i in tokenizer.get_added_vocab().items()
                                                if t.startswith("<") and t.endswith(">")}
    for token_id in tokenizer(after, add_special_tokens=False)["input_ids"]:
        if token_id in special:
            return tokenizer.convert_ids_to_tokens(token_id), int(token_id)
    raise DataFormatError("the chat template closes an assistant turn with no special token", field="chat_template",
                          value=after[:40])


def ollama_template(tokenizer: Any) -> str:
    """An Ollama ``TEMPLATE`` (Go template) laying out system + user prompt + reply as the chat template does.

    ``SmolLM2 -> "<|im_start|>system\\n{{ .System }}<|im_end|>\\n<|im_start|>user\\n{{ .Prompt }}<|im_end|>\\n…"``
    """
    prompt = render_prompt(tokenizer, [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": _PROMPT}])
    if _SYSTEM not in prompt or _PROMPT not in prompt:
        raise DataFormatError("the chat template drops the system or user text", field="chat_template")
    bos = tokenizer.bos_token or ""
    if bos and "bos_token" in (tokenizer.chat_template or "") and prompt.startswith(bos):  # llama.cpp (and so Ollama) adds BOS itself, from the GGUF's metadata
        prompt = prompt[len(bos):]
    eot, _ = end_of_turn(tokenizer)
    body = prompt.replace(_SYSTEM, "{{ .System }}").replace(_PROMPT, "{{ .Prompt }}")
    return body + "{{ .Response }}" + eot


def render_ollama(template: str, *, system: str, prompt: str) -> str:
    """What Ollama sends the model for one turn with this ``TEMPLATE`` (the reply left open): used to check one.

    >>> render_ollama("<s>{{ .System }}|{{ .Prompt }}>{{ .Response }}</s>", system="S", prompt="P")
    '<s>S|P>'
    """
    head = template.split("{{ .Response }}", 1)[0]
    return head.replace("{{ .System }}", system).replace("{{ .Prompt }}", prompt)
