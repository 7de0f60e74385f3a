"""The fixed customer prompts the chat-speed benchmarks send (the same ones to every engine)."""

PROMPTS = [
    "My coffee subscription box arrived with a torn bag. What should I do?",
    "Can you explain the difference between a light roast and a dark roast?",
    "Write a short, friendly note thanking a customer for five years with us.",
    "How do I brew cold brew at home? Give me the steps.",
    "Do you ship to Canada, and how long does it take?",
    "Is decaf coffee really caffeine free?",
    "How do I pause my subscription for a month?",
    "What grind size should I use for a French press?",
]
