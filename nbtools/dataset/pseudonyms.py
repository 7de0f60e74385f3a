"""Training text that cannot teach placeholders: typed redaction placeholders become consistent, realistic pseudonyms.

PII redaction (``nbtools.RedactPII``) leaves ``[NAME]``, ``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[IP]`` and ``[URL]``
in the cleaned messages, which is right for an audit export and wrong for training: a model trained on them writes
"Hey there, [NAME]!". :func:`pseudonymize` replaces them, conversation by conversation, with fake values drawn from
Faker with a seed (deterministic: the same seed and conversation give the same fakes):

- names: one fake first name for the customer and one for the agent per conversation, the same in every message
  (a ``[NAME]`` in a customer message is the customer, unless it is a greeting addressed to the agent; in an agent
  message a greeting or thanks addresses the customer, an introduction is the agent);
- the agent's greeting keeps a name only when the customer gave theirs earlier in the conversation; otherwise the
  name is dropped ("Hey there, [NAME]!" -> "Hey there!"), so the model does not learn to invent one;
- contact data from reserved ranges that belong to nobody: e-mail at example.com (RFC 2606), phone numbers
  555-0100 to 555-0199 (reserved for fiction in the North American plan), published payment-card test numbers,
  IP addresses of the documentation ranges (RFC 5737), links at example.com.

The pseudonymiser only ever sees placeholders, never an original value; ``avoid`` lists values it must never emit
(for instance the values :meth:`nbtools.RedactPII.found_values` detected in the raw corpus), so a fake can never be
equal to an original. The ledger records each replacement by type, row and conversation, never an original::

    >>> import pandas as pd
    >>> table = pd.DataFrame({"row_id": ["a", "b", "c", "d"], "conversation_id": ["c1", "c1", "c2", "c2"],
    ...                       "turn": [0, 1, 0, 1], "role": ["user", "assistant", "user", "assistant"],
    ...                       "text": ["Hi, I'm [NAME].", "Hey there, [NAME]! Sure.", "Is it decaf?",
    ...                                "Hey there, [NAME]! It is."]})
    >>> result = pseudonymize(table, seed=1)
    >>> name = result.messages.text[0].removeprefix("Hi, I'm ").rstrip(".")
    >>> result.messages.text[1] == f"Hey there, {name}! Sure.", result.messages.text[3]
    (True, 'Hey there! It is.')
    >>> result.summary()["replaced"], result.summary()["greeting_names_dropped"]
    ({'NAME': 2}, 1)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import pandas as pd
from faker import Faker

from ..errors import InputError

__all__ = ["PLACEHOLDER", "PseudonymResult", "pseudonymize", "placeholder_counts", "LEDGER_COLUMNS", "TEST_CARDS"]

# The typed placeholders nbtools.RedactPII writes (and the validator warns about in assistant targets).
PLACEHOLDER = re.compile(r"\[(NAME|EMAIL|PHONE|CARD|IP|URL)\]")
LEDGER_COLUMNS = ("row_id", "conversation_id", "role", "kind", "action", "count")
# Payment-card numbers the card networks and processors publish for testing: no account holds them.
TEST_CARDS = ("4242 4242 4242 4242", "5555 5555 5555 4444", "3782 822463 10005", "6011 1111 1111 1117",
              "4000 0566 5566 5556", "2223 0031 2200 3222")
_AREA_CODES = ("206", "212", "303", "312", "415", "503", "512", "617", "702", "808")
_LEAD = r"(?:Hey there|Hi there|Hello there|Hey|Hi|Hello|Dear|Thanks|Thank you|Cheers|Welcome back|Good morning)"
# A name that addresses someone: "Hey there, [NAME]!", "Hi [NAME],", "Thanks, [NAME]."
_ADDRESSED = re.compile(rf"\b(?P<lead>{_LEAD})(?P<comma>,?)\s+\[NAME\](?P<end>\s*[!,.?]|\s*$)")
# A name that introduces its speaker: "I'm [NAME]", "this is [NAME]", "[NAME] here", "it's [NAME]", and a sign-off
# on its own last line ("Thanks,\n[NAME]").
_INTRODUCED = re.compile(r"(?:\b(?:I'm|I am|[Tt]his is|[Ii]t's|[Mm]y name is|[Mm]y name's)\s+\[NAME\])|"
                         r"\[NAME\](?= here\b)|"
                         r"\b(?:Thanks|Thank you|Cheers|Best|(?:Best |Kind |Warm )?[Rr]egards)[,!.]?[ \t]*\n"
                         r"\s*\[NAME\]\s*$")
_MAX_DRAWS = 50


@dataclass(frozen=True, eq=False)
class PseudonymResult:
    """The messages with pseudonyms, and the ledger of every replacement (by type; never an original value)."""

    messages: pd.DataFrame
    ledger: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(LEDGER_COLUMNS)))
    seed: int = 0

    def summary(self) -> dict:
        """Counts: placeholders replaced by kind, greeting names dropped, rows changed, placeholders left."""
        replaced = self.ledger[self.ledger.action == "pseudonym"]
        dropped = self.ledger[self.ledger.action == "greeting name dropped"]
        left = int(self.messages.text.map(lambda t: len(PLACEHOLDER.findall(t)) if isinstance(t, str) else 0).sum())
        return {"seed": self.seed,
                "replaced": {k: int(v) for k, v in replaced.groupby("kind", sort=True)["count"].sum().items()},
                "greeting_names_dropped": int(dropped["count"].sum()),
                "rows_changed": int(self.ledger.row_id.nunique()), "placeholders_left": left}


class _Identities:
    """The fake values of one conversation, drawn lazily from a Faker seeded for that conversation."""

    def __init__(self, seed: int, conversation_id: str, avoid: frozenset[str]) -> None:
        digest = hashlib.sha256(f"{seed}\x00{conversation_id}".encode("utf-8")).digest()
        self.fake = Faker("en_US")
        self.fake.seed_instance(int.from_bytes(digest[:8], "big"))
        self.avoid = avoid
        self.values: dict[str, str] = {}

    def _fresh(self, draw: Callable[[], str], key: Callable[[str], str] = str.casefold) -> str:
        taken = {key(v) for v in self.values.values()}
        for _ in range(_MAX_DRAWS):
            value = draw()
            if key(value) not in self.avoid and key(value) not in taken:
                return value
        raise InputError(f"could not draw a pseudonym outside `avoid` in {_MAX_DRAWS} tries", field="avoid",
                         value=len(self.avoid))

    def get(self, slot: str) -> str:
        if slot not in self.values:
            self.values[slot] = self._draw(slot)
        return self.values[slot]

    def _draw(self, slot: str) -> str:
        fake = self.fake
        if slot in ("customer", "agent"):
            return self._fresh(fake.first_name)
        if slot == "EMAIL":
            first = re.sub(r"[^a-z]", "", self.get("customer").casefold())
            return self._fresh(lambda: f"{first}.{re.sub(r'[^a-z]', '', fake.last_name().casefold())}@example.com")
        digits = lambda v: re.sub(r"\D", "", v)  # noqa: E731 - compare phone and card numbers by their digits
        if slot == "PHONE":
            return self._fresh(lambda: f"+1 {fake.random_element(_AREA_CODES)}-555-01{fake.random_int(0, 99):02d}",
                               key=digits)
        if slot == "CARD":
            return self._fresh(lambda: fake.random_element(TEST_CARDS), key=digits)
        if slot == "IP":
            return self._fresh(lambda: f"{fake.random_element(('192.0.2', '198.51.100', '203.0.113'))}."
                                       f"{fake.random_int(1, 254)}")
        return self._fresh(lambda: f"https://example.com/{fake.uri_path()}")


def _normalised_avoid(avoid: Iterable[str]) -> frozenset[str]:
    out = set()
    for value in avoid:
        if isinstance(value, str) and value.strip():
            out.add(value.strip().casefold())
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 7:  # phone and card numbers are compared by their digits
                out.add(digits)
    return frozenset(out)


def _names(text: str, role: str, ids: _Identities, customer_known: bool, counts: dict[str, int]) -> str:
    """Replace the [NAME]s of one message: addressed, introduced, or otherwise mentioned."""

    def addressed(match: re.Match) -> str:
        if role == "user":  # a customer greeting someone by name greets the agent
            counts["NAME"] = counts.get("NAME", 0) + 1
            return f"{match['lead']}{match['comma']} {ids.get('agent')}{match['end']}"
        if customer_known:
            counts["NAME"] = counts.get("NAME", 0) + 1
            return f"{match['lead']}{match['comma']} {ids.get('customer')}{match['end']}"
        counts["dropped"] = counts.get("dropped", 0) + 1
        end = match["end"].strip() or ""
        return match["lead"] + (end if end in "!.?" else ",") + (" " if match["end"].endswith(" ") else "")

    def introduced(match: re.Match) -> str:
        counts["NAME"] = counts.get("NAME", 0) + 1
        who = "customer" if role == "user" else "agent"
        return match.group(0).replace("[NAME]", ids.get(who))

    text = _INTRODUCED.sub(introduced, text)
    text = _ADDRESSED.sub(addressed, text)
    if "[NAME]" in text:  # any other mention: the customer when speaking or when known, else the agent
        who = "customer" if role == "user" or customer_known else "agent"
        counts["NAME"] = counts.get("NAME", 0) + text.count("[NAME]")
        text = text.replace("[NAME]", ids.get(who))
    return text


def _contacts(text: str, ids: _Identities, counts: dict[str, int]) -> str:
    """Replace the contact placeholders ([EMAIL], [PHONE], [CARD], [IP], [URL]) of one message."""

    def contact(match: re.Match) -> str:
        counts[match[1]] = counts.get(match[1], 0) + 1
        return ids.get(match[1])

    return PLACEHOLDER.sub(contact, text)


def _gives_customer_name(text: str) -> bool:
    """True when a customer message names its writer (any [NAME] that is not a greeting addressed to the agent)."""
    return "[NAME]" in _ADDRESSED.sub("", _INTRODUCED.sub("<intro>", text)) or bool(_INTRODUCED.search(text))


def pseudonymize(messages: pd.DataFrame, *, seed: int = 0, avoid: Iterable[str] = ()) -> PseudonymResult:
    """Replace the typed placeholders in `messages` (``row_id``, ``conversation_id``, ``turn``, ``role``, ``text``)
    with consistent pseudonyms; see the module docstring for the rules. Rows keep their order and other columns."""
    missing = [c for c in ("row_id", "conversation_id", "turn", "role", "text") if c not in messages.columns]
    if missing:
        raise InputError("message table lacks required columns " + ", ".join(missing), field="columns",
                         value=list(messages.columns))
    avoided = _normalised_avoid(avoid)
    texts = messages["text"].tolist()
    ledger: list[dict] = []
    order = messages.assign(_pos=range(len(messages))).sort_values(["conversation_id", "turn", "_pos"],
                                                                   kind="stable")
    for conversation_id, rows in order.groupby("conversation_id", sort=False):
        ids = _Identities(seed, str(conversation_id), avoided)
        customer_known = False
        for pos, row_id, role, text in zip(rows["_pos"], rows["row_id"], rows["role"], rows["text"]):
            if not isinstance(text, str) or not PLACEHOLDER.search(text):
                continue
            counts: dict[str, int] = {}
            if role == "user" and _gives_customer_name(text):
                customer_known = True
            texts[pos] = _contacts(_names(text, role, ids, customer_known, counts), ids, counts)
            for kind, n in counts.items():
                action = "greeting name dropped" if kind == "dropped" else "pseudonym"
                ledger.append({"row_id": row_id, "conversation_id": str(conversation_id), "role": role,
                               "kind": "NAME" if kind == "dropped" else kind, "action": action, "count": n})
    out = messages.copy()
    out["text"] = texts
    return PseudonymResult(out, pd.DataFrame(ledger, columns=list(LEDGER_COLUMNS)), seed)


def placeholder_counts(texts: Iterable[str]) -> Mapping[str, int]:
    """How many typed placeholders of each kind `texts` hold.

    >>> dict(placeholder_counts(["Hey there, [NAME]!", "mail [EMAIL] or [NAME]"]))
    {'NAME': 2, 'EMAIL': 1}
    """
    counts: dict[str, int] = {}
    for text in texts:
        for kind in PLACEHOLDER.findall(text if isinstance(text, str) else ""):
            counts[kind] = counts.get(kind, 0) + 1
    return counts
