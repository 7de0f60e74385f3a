"""Build the sample files' rows from a checked Source and one seeded random generator (no IO).

The order of the random draws is part of the output: changing it changes every generated file.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from sample_source import Source
from sample_text import compose_reply, email_for, first_name, machine_log, mojibake, near_duplicate, to_html

TICKETS_FROM = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # tickets spread over the next 240 days
CHATS_FROM = datetime(2026, 4, 1, 15, 0, tzinfo=timezone.utc)  # chats spread over the next 200 days
ODD_KINDS = ("offensive", "off_voice", "empty", "short", "non_english", "long")


@dataclass
class Ticket:
    """One row of support_tickets.csv while it is being built."""

    topic: str
    question: str
    reply: str
    customer: str
    email: str
    agent: str
    channel: str
    subject: str
    kind: str = "base"
    draft: str | None = None
    ticket_id: str = ""
    created_at: str = ""
    tags: set[str] = field(default_factory=set)

    def row(self) -> list[str]:
        """The ticket as a support_tickets.csv row."""
        return [self.ticket_id, self.created_at, self.channel, self.customer, self.email, self.subject,
                self.question, self.agent, self.reply]


def _odd_tickets(src: Source) -> list[tuple[str, str, str, str, bool, str | None]]:
    """The dirty extras as (kind, topic, question, reply or body, composed?, customer name or None)."""
    odd, sign_off = src.odd, src.voice.sign_off
    rows = [("offensive", "other", r["question"], r["answer"], True, None) for r in odd["offensive"]]
    rows += [("off_voice", "other", r["question"], r["reply"], False, None) for r in odd["off_voice"]]
    rows += [("empty", "other", r["question"], r["reply"], False, None) for r in odd["empty_reply"]]
    rows += [("short", "other", r["question"], r["reply"], False, None) for r in odd["short_reply"]]
    rows += [("non_english", "other", r["question"], f"{r['answer']}\n\n{sign_off}", False, r["customer"])
             for r in odd["non_english"]]
    return rows


def _add_pii(free: list[Ticket], src: Source, rng: random.Random) -> list[Ticket]:
    """Put e-mail addresses, phone numbers, card numbers and IP addresses into some questions; return those rows."""
    people, dirt = src.people, src.dirt
    say = dirt["pii_sentences"]
    token_rows = [t for t in free if t.question in dirt["token_url_sentences"]]
    money = [t for t in free if t.topic in dirt["card_topics"]]
    login = [t for t in free if t.topic in dirt["ip_topics"] and t not in token_rows]
    card_rows = rng.sample(money, len(people["test_cards"]))
    ip_rows = rng.sample(login, len(people["ip_addresses"]))
    contacts = [("email", None)] * dirt["counts"]["question_emails"]
    for kind in ("us_phone", "uk_phone", "intl_phone"):
        contacts += [(kind, phone) for phone in people[kind + "s"]]
    others = rng.sample([t for t in free if t not in card_rows + ip_rows], len(contacts))
    for i, (t, (kind, value)) in enumerate(zip(others, contacts)):
        value = value or email_for(t.customer or "Pat Doe", rng, 500 + i)
        t.question += " " + say[kind].format(value)
    for t, card in zip(card_rows, people["test_cards"]):
        t.question += " " + say["card"].format(card)
    for t, ip in zip(ip_rows, people["ip_addresses"]):
        t.question += " " + say["ip"].format(ip)
    return others + card_rows + ip_rows


def _add_formatting_dirt(pool: list[Ticket], src: Source, rng: random.Random) -> None:
    """HTML, signatures, "Sent from my iPhone", disclaimers and mojibake: each row gets at most one kind."""
    dirt, n = src.dirt, src.dirt["counts"]
    for i, t in enumerate([t for t in pool if t.channel == "email"][:n["html"]]):
        t.reply = to_html(t.reply, rng, i % 3, dirt["html_footer"])
        t.tags.add("html")
    phones = {a["name"]: a["phone"] for a in src.people["agents"]}
    rest = [t for t in pool if not t.tags]
    tails = ([("signature", None)] * n["signature"] + [("iphone", dirt["iphone"])] * n["iphone"]
             + [("disclaimer", dirt["disclaimer"])] * n["disclaimer"])
    for t, (tag, text) in zip(rest, tails):
        t.reply += "\n\n" + (text or dirt["signature"].format(agent=t.agent, phone=phones[t.agent]))
        t.tags.add(tag)
    for t in [t for t in rest[len(tails):] if "'" in t.question + t.reply][:n["mojibake"]]:
        t.question, t.reply = mojibake(t.question), mojibake(t.reply)
        t.tags.add("mojibake")


def build_tickets(src: Source, rng: random.Random) -> tuple[list[Ticket], dict[str, list[str]]]:
    """All ticket rows, in export order, plus where each kind of dirt went (ticket ids, for the README)."""
    people, dirt, n, voice = src.people["customers"], src.dirt, src.dirt["counts"], src.voice
    tickets: list[Ticket] = []

    def new_ticket(topic, question, body_or_reply, *, kind, composed, name=None, draft=None):
        if name is None:
            name = "" if rng.random() < n["nameless_per_300"] / 300 else rng.choice(people)
        reply = compose_reply(voice, body_or_reply, first_name(name)) if composed else body_or_reply
        agent = rng.choice(src.people["agents"])["name"]
        channel = rng.choices(list(dirt["channels"]), weights=list(dirt["channels"].values()))[0]
        subject = rng.choice(dirt["subjects"].get(topic, dirt["subjects"]["other"]))
        return Ticket(topic, question, reply, name, email_for(name, rng, len(tickets) + 11), agent, channel,
                      subject, kind=kind, draft=draft)

    for qa in src.qas:
        tickets.append(new_ticket(qa.topic, qa.question, qa.answer, kind="base", composed=True, draft=qa.draft))
    for kind, topic, question, text, composed, name in _odd_tickets(src):
        tickets.append(new_ticket(topic, question, text, kind=kind, composed=composed, name=name))
    long_name = rng.choice(people)
    long_body = f"{src.odd['long_log']['answer']}\n{machine_log(rng)}"
    tickets.append(new_ticket("machine", src.odd["long_log"]["question"],
                              compose_reply(voice, long_body, first_name(long_name)),
                              kind="long", composed=False, name=long_name))

    base = [t for t in tickets if t.kind == "base"]
    reviewed = [t for t in base if t.draft]
    free = [t for t in base if not t.draft]
    token_rows = []
    for t in free:  # replies where the agent pasted a personal link carrying a secret token
        template = dirt["token_url_sentences"].get(t.question)
        if template:
            token = "".join(rng.choice("abcdef0123456789") for _ in range(32))
            greeting_body, _, sign_off = t.reply.rpartition("\n\n")
            t.reply = f"{greeting_body} {template.format(token=token)}\n\n{sign_off}"
            token_rows.append(t)
    pii_rows = _add_pii(free, src, rng)
    pool = list(free)
    rng.shuffle(pool)
    _add_formatting_dirt(pool, src, rng)

    # Near duplicates: the same customer re-sent the form and the agent answered again, almost identically.
    near = []
    for t in [t for t in pool if not t.tags][:n["near_duplicates"]]:
        body = t.reply.replace("\n\n" + voice.sign_off, "")
        dup = replace(t, question=near_duplicate(t.question, rng, typo=True),
                      reply=near_duplicate(body, rng, typo=False) + "\n\n" + voice.sign_off,
                      kind="near_duplicate", draft=None, tags={"near_duplicate"})
        near.append((t, dup))

    # Export order: shuffled, each near duplicate some time after its original.
    order = list(tickets)
    rng.shuffle(order)
    for original, dup in near:
        at = order.index(original)
        order.insert(rng.randrange(at + 1, min(at + 12, len(order)) + 1), dup)
    offsets = sorted(rng.randrange(0, 240 * 24 * 3600) for _ in order)
    for i, (t, off) in enumerate(zip(order, offsets)):
        t.ticket_id = f"T-{10001 + i}"
        t.created_at = (TICKETS_FROM + timedelta(seconds=off)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Exact duplicates: the export repeated some rows verbatim.
    dup_sources = rng.sample(order, n["exact_duplicates"])
    for t in dup_sources:
        at = order.index(t)
        order.insert(rng.randrange(at + 1, len(order) + 1), t)

    ids = lambda rows: sorted(t.ticket_id for t in rows)  # noqa: E731
    where = {"reviewed": ids(reviewed), "exact_duplicates": ids(dup_sources),
             "near_duplicates": [f"{o.ticket_id}~{d.ticket_id}" for o, d in near]}
    for tag in ("html", "signature", "iphone", "disclaimer", "mojibake"):
        where[tag] = ids(t for t in tickets if tag in t.tags)
    where["pii_text"], where["token_urls"] = ids(pii_rows), ids(token_rows)
    for kind in ODD_KINDS:
        where[kind] = ids(t for t in tickets if t.kind == kind)
    return order, where


def build_chats(src: Source, rng: random.Random) -> tuple[list[str], dict[str, object]]:
    """The chat export's lines (JSON objects, one malformed) and where the dirt went."""
    n, malformed = src.dirt["counts"], src.dirt["malformed_chat"]
    eligible = [c for c in src.chats if len(c.turns) <= 5 and c.slug != malformed["after"]]
    with_bot = {c.slug for c in rng.sample(eligible, n["chat_bot_intros"])}
    offsets = sorted(rng.randrange(0, 200 * 24 * 3600) for _ in src.chats)
    lines: list[str] = []
    for number, (chat, off) in enumerate(zip(src.chats, offsets)):
        clock = CHATS_FROM + timedelta(seconds=off)
        messages = [("bot", rng.choice(src.bot_messages))] if chat.slug in with_bot else []
        for kind, text in chat.turns:
            if kind == "agent":
                messages.append(("agent", compose_reply(src.voice, text, chat.name)))
            else:
                messages.append(("customer" if kind == "customer" else "agent", text))
        if chat.slug == malformed["after"]:
            messages.insert(1, ("malformed", ""))  # the export cut this bot message short: the turn is lost
        for turn, (speaker, text) in enumerate(messages, start=1):
            clock += timedelta(seconds=rng.randrange(20, 240))
            if speaker == "malformed":
                lines.append(malformed["line"])
                continue
            record = {"conversation_id": f"C-{2001 + number}", "turn": turn, "speaker": speaker,
                      "text": mojibake(text) if chat.mojibake else text,
                      "timestamp": clock.strftime("%Y-%m-%dT%H:%M:%SZ")}
            lines.append(json.dumps(record, ensure_ascii=False))
    # Export glitch: a few lines repeated right after themselves.
    candidates = [i for i, line in enumerate(lines) if line != malformed["line"]]
    for i in sorted(rng.sample(candidates, n["chat_duplicate_lines"]), reverse=True):
        lines.insert(i + 1, lines[i])
    copies = [k + 1 for k in range(1, len(lines)) if lines[k] == lines[k - 1]]
    where = {"malformed_line": lines.index(malformed["line"]) + 1, "bot_intros": sorted(with_bot),
             "repeated_lines": copies}
    return lines, where


def build_reviews(tickets: list[Ticket]) -> list[list[str]]:
    """reply_reviews.csv rows: the QA team's off-voice drafts and the in-voice replies they approved."""
    seen: set[str] = set()
    rows = []
    for t in tickets:
        if t.draft and t.ticket_id not in seen:
            seen.add(t.ticket_id)
            rows.append([t.ticket_id, t.question, t.draft, t.reply])
    return rows


def build_lookups(src: Source) -> list[list[str]]:
    """order_lookups.csv rows: question, tool call, tool result, in-voice final answer."""
    return [[question, "lookup_order", json.dumps({"order_id": order_id}),
             json.dumps({"order_id": order_id, **result}), compose_reply(src.voice, body)]
            for question, order_id, result, body in src.lookups]
