"""Token counts of chat examples as the provider bills them.

OpenAI's counting (from its cookbook): every message costs 3 tokens plus the encoded length of each of its values,
1 more when it has a ``name``, and every example 3 more for the reply's priming. We extend it where the cookbook
stops: ``weight`` is metadata (0 tokens), structured values (``tool_calls``, content parts) count as their compact
JSON, an example's ``tools`` definitions count as their JSON, and a DPO line counts its input plus both outputs.
These extensions are estimates: the provider does not publish its exact rule for them.

    >>> counter = TokenCounter.for_model("gpt-4o-mini")
    >>> counter.count_example({"messages": [{"role": "user", "content": "Hi"},
    ...                                     {"role": "assistant", "content": "Hello!"}]})
    ExampleTokens(total=14, trained=2, n_messages=2)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .encodings import LOCAL_TOKENIZER, encoding_name_for_model, get_encoding

__all__ = ["ExampleTokens", "TokenCounter", "ChatTemplateCounter", "TOKENS_PER_MESSAGE", "TOKENS_PER_NAME", "TOKENS_PER_REPLY"]

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3
_MEMO_LIMIT = 4096  # distinct strings remembered (system prompts and tool lists repeat on every line)
_MEMO_MAX_CHARS = 20_000


@dataclass(frozen=True)
class ExampleTokens:
    """Billed tokens of one training example, and how many of them are trained on (assistant, weight != 0)."""

    total: int
    trained: int
    n_messages: int


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class TokenCounter:
    """Counts text and chat examples with one tokenizer; remembers counts of strings that repeat."""

    def __init__(self, encode: Callable[[str], list[int]], name: str) -> None:
        self._encode = encode
        self.name = name
        self._memo: dict[str, int] = {}

    @classmethod
    def for_encoding(cls, encoding_name: str) -> "TokenCounter":
        """A counter for a tiktoken encoding name ("cl100k_base", "o200k_base")."""
        return cls(get_encoding(encoding_name).encode_ordinary, encoding_name)

    @classmethod
    def for_model(cls, model: str) -> "TokenCounter":
        """A counter with the tokenizer that bills `model` (tiktoken for OpenAI, the model's own for local ones)."""
        name = encoding_name_for_model(model)
        if name == LOCAL_TOKENIZER:
            from ..basemodels import load_tokenizer

            return ChatTemplateCounter(load_tokenizer(model), f"local:{model}")
        return cls.for_encoding(name)

    def count_text(self, text: str) -> int:
        """Number of tokens in `text` (ordinary text: special-token strings count as plain characters)."""
        if not text:
            return 0
        cached = self._memo.get(text)
        if cached is not None:
            return cached
        n = len(self._encode(text))
        if len(text) <= _MEMO_MAX_CHARS:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[text] = n
        return n

    def count_value(self, key: str, value: Any) -> int:
        """Tokens billed for one message field."""
        if key == "weight" or value is None:
            return 0
        if isinstance(value, str):
            return self.count_text(value)
        if key == "content" and isinstance(value, list):
            return sum(self.count_text(p.get("text", "")) for p in value if isinstance(p, Mapping))
        return self.count_text(_compact_json(value))

    def count_messages(self, messages: Iterable[Mapping[str, Any]], *, reply_priming: bool = True) -> int:
        """Billed tokens of a message list (cookbook rule, extended as the module docstring says)."""
        total = 0
        for message in messages:
            total += TOKENS_PER_MESSAGE
            for key, value in message.items():
                total += self.count_value(key, value)
                if key == "name":
                    total += TOKENS_PER_NAME
        return total + (TOKENS_PER_REPLY if reply_priming else 0)

    def count_example(self, example: Mapping[str, Any]) -> ExampleTokens:
        """Billed and trained tokens of one JSONL line: chat (``messages``) or DPO (``input`` + outputs)."""
        if "messages" in example:
            messages = list(example["messages"])
            total = self.count_messages(messages)
            trained = sum(
                self.count_value("content", m.get("content")) + self.count_value("tool_calls", m.get("tool_calls"))
                for m in messages
                if m.get("role") == "assistant" and m.get("weight", 1) != 0
            )
            extra = self.count_value("tools", example.get("tools")) + self.count_value(
                "functions", example.get("functions")
            )
            return ExampleTokens(total=total + extra, trained=trained, n_messages=len(messages))
        prompt = example.get("input", {}) or {}
        prompt_messages = list(prompt.get("messages", []))
        total = self.count_messages(prompt_messages) + self.count_value("tools", prompt.get("tools"))
        trained = 0
        n = len(prompt_messages)
        for key in ("preferred_output", "non_preferred_output"):
            outputs = list(example.get(key, []) or [])
            n += len(outputs)
            tokens = self.count_messages(outputs, reply_priming=False)
            total += tokens
            trained += tokens
        return ExampleTokens(total=total, trained=trained, n_messages=n)


class ChatTemplateCounter(TokenCounter):
    """Exact counts for local models: a message list costs what the model's own chat template makes of it.

    Local models see the conversation rendered by their chat template (role markers, end-of-turn tokens and, for
    some templates, a default system prompt), so that rendering is what we count, not the cookbook's overhead.
    """

    def __init__(self, tokenizer, name: str) -> None:
        super().__init__(lambda text: tokenizer.encode(text, add_special_tokens=False), name)
        self._tokenizer = tokenizer

    def count_messages(self, messages: Iterable[Mapping[str, Any]], *, reply_priming: bool = True) -> int:
        """Tokens of the chat-template rendering (plus the assistant prompt when `reply_priming` and the list does
        not already end with an assistant turn)."""
        plain = [{"role": m.get("role"), "content": self._text(m)} for m in messages]
        if not plain:
            return 0
        priming = reply_priming and plain[-1]["role"] != "assistant"  # a finished example needs no reply prompt
        ids = self._tokenizer.apply_chat_template(plain, tokenize=True, add_generation_prompt=priming)
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        return len(ids)

    def count_example(self, example: Mapping[str, Any]) -> ExampleTokens:
        """Like :meth:`TokenCounter.count_example`; a DPO output counts the tokens it adds after its prompt (a
        template renders a lone assistant turn with a default system prompt the model never sees there)."""
        if "messages" in example:
            return super().count_example(example)
        prompt_input = example.get("input", {}) or {}
        prompt_messages = list(prompt_input.get("messages", []))
        prompt = self.count_messages(prompt_messages)
        total, trained, n = prompt + self.count_value("tools", prompt_input.get("tools")), 0, len(prompt_messages)
        for key in ("preferred_output", "non_preferred_output"):
            outputs = list(example.get(key, []) or [])
            if outputs:
                added = self.count_messages(prompt_messages + outputs, reply_priming=False) - prompt
                total, trained, n = total + added, trained + added, n + len(outputs)
        return ExampleTokens(total=total, trained=trained, n_messages=n)

    @staticmethod
    def _text(message: Mapping[str, Any]) -> str:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        text = content or ""
        if message.get("tool_calls"):
            text += _compact_json(message["tool_calls"])
        return text
