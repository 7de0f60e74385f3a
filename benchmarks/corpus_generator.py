"""Generate realistic support corpora for the cleaning benchmark (and the row-speed test fixture).

Conversations of 2-6 messages built from the sample's own questions and replies (data/samples), with Faker (fixed
seed) for names, e-mails, phones, addresses and companies, extra words from the sample's vocabulary, and real dirt
at the rates in :data:`DIRT_RATES`: exact and near duplicate conversations, HTML markup, mojibake, PII (e-mails,
phones, Luhn-valid card numbers, IP addresses), other languages, signatures and boilerplate, empty and too-long
messages, offensive messages. Written as a message-per-row CSV (the sample chat log's columns plus the ticket
export's name and e-mail columns), which ``read_corpus`` detects as the ``messages`` layout.

    python benchmarks/corpus_generator.py --messages 10000 --out benchmarks/out/support_10k.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
COLUMNS = ("conversation_id", "turn", "timestamp", "channel", "speaker", "customer_name", "customer_email",
           "agent_name", "text")

# Share of conversations (duplicates, languages) or of messages (the rest) carrying each kind of dirt.
DIRT_RATES: dict[str, float] = {
    "exact_duplicate_conversation": 0.03,
    "near_duplicate_conversation": 0.03,
    "other_language_conversation": 0.02,
    "html_reply": 0.08,
    "mojibake": 0.03,
    "email": 0.08,
    "phone": 0.06,
    "card": 0.015,
    "ip": 0.01,
    "address": 0.03,
    "signature": 0.08,
    "sent_from": 0.03,
    "bot_notice": 0.02,
    "empty": 0.01,
    "too_long": 0.004,
    "offensive": 0.005,
    "whitespace": 0.05,
}

_OTHER_LANGUAGES = {
    "de": ["Hallo, meine Bestellung ist noch nicht angekommen. Können Sie bitte nachsehen, wo sie gerade ist?",
           "Ich möchte mein Abonnement kündigen, weil ich zu viel Kaffee zu Hause habe.",
           "Die Mühle macht seit gestern ein lautes Geräusch, was soll ich tun?",
           "Vielen Dank für die schnelle Antwort, das hat mir sehr geholfen."],
    "fr": ["Bonjour, ma commande n'est toujours pas arrivée. Pouvez-vous vérifier où elle se trouve ?",
           "Je voudrais changer l'adresse de livraison de mon abonnement, s'il vous plaît.",
           "Le moulin ne fonctionne plus depuis hier soir, que dois-je faire ?",
           "Merci beaucoup pour votre aide, tout fonctionne maintenant."],
    "es": ["Hola, mi pedido todavía no ha llegado. ¿Pueden decirme dónde está, por favor?",
           "Quiero cancelar mi suscripción porque tengo demasiado café en casa.",
           "El molinillo hace un ruido muy fuerte desde ayer, ¿qué debo hacer?",
           "Muchas gracias por la respuesta tan rápida, me ayudó mucho."],
}
_OFFENSIVE = ["This is fucking ridiculous, where is my damn order?", "You people are idiots and your coffee is shit.",
              "What a stupid useless company, screw you."]
_BOT = ["Hi! I'm Brewbot. An agent will be with you shortly.", "Thanks for waiting, you're next in line.",
        "This chat may be recorded for quality and training purposes.", "Customer left the chat."]
_SENT_FROM = ["Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for Android"]
_GREETING = re.compile(r"^(Hey there|Hi|Hello), [A-Z][a-z]+!")
_CURLY = str.maketrans({"'": "\u2019"})


def _sample_texts() -> tuple[list[str], list[str]]:
    """Questions and replies from the sample corpora; a greeting's name becomes ``{name}``."""
    questions, replies = [], []
    with open(SAMPLES / "support_tickets.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if len(row["question"].strip()) > 10:
                questions.append(row["question"].strip())
            if len(row["agent_reply"].strip()) > 40:
                replies.append(_GREETING.sub(r"\1, {name}!", row["agent_reply"].strip()))
    with open(SAMPLES / "chat_logs.jsonl", encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:  # the sample keeps a few broken lines on purpose
                continue
            if not isinstance(rec, dict):
                continue
            text = str(rec.get("text", "")).strip()
            if rec.get("speaker") == "customer" and len(text) > 10:
                questions.append(text)
            elif rec.get("speaker") == "agent" and len(text) > 40:
                replies.append(_GREETING.sub(r"\1, {name}!", text))
    return sorted(set(questions)), sorted(set(replies))


class CorpusGenerator:
    """Deterministic conversations (a `seed` fixes Faker and the random choices)."""

    def __init__(self, seed: int = 20261202, pool: int = 4000) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        fake = Faker(["en_US", "en_GB"])
        fake.seed_instance(seed)
        self.names = [f"{fake.first_name()} {fake.last_name()}" for _ in range(pool)]
        self.emails = [fake.free_email() for _ in range(pool)]
        self.phones = [fake.phone_number() for _ in range(pool)]
        self.addresses = [fake.address().replace("\n", ", ") for _ in range(pool // 4)]
        self.companies = [fake.company() for _ in range(pool // 4)]
        self.agents = [fake.first_name() + " " + fake.last_name() for _ in range(40)]
        self.questions, self.replies = _sample_texts()
        words = sorted({w for t in self.questions + self.replies for w in re.findall(r"\b[a-z]{4,}\b", t)})
        self.words = words
        self.history: list[list[dict]] = []

    def _extra(self) -> str:
        r = self.rng
        picks = " ".join(r.choice(self.words) for _ in range(r.randint(3, 9)))
        return r.choice([f"Order #{r.randint(100000, 999999)}, {picks}.", f"Also, {picks}?",
                         f"It is about the {picks} from {r.choice(self.companies)}.", f"PS: {picks}."])

    def _card(self) -> str:
        digits = [4] + [self.rng.randint(0, 9) for _ in range(14)]
        total = 0
        for i, d in enumerate(reversed(digits)):  # Luhn check digit
            d = d * 2 if i % 2 == 0 else d
            total += d - 9 if d > 9 else d
        digits.append((10 - total % 10) % 10)
        s = "".join(map(str, digits))
        return self.rng.choice([s, " ".join(s[i:i + 4] for i in range(0, 16, 4)),
                                "-".join(s[i:i + 4] for i in range(0, 16, 4))])

    def _dirty_user(self, text: str, email: str) -> str:
        r, rates = self.rng, DIRT_RATES
        if r.random() < rates["email"]:
            text += f" My email is {email}."
        if r.random() < rates["phone"]:
            text += f" Call me on {r.choice(self.phones)}."
        if r.random() < rates["card"]:
            text += f" I paid with card {self._card()}."
        if r.random() < rates["ip"]:
            text += f" My router shows {r.randint(11, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}."
        if r.random() < rates["address"]:
            text += f" Ship to {r.choice(self.addresses)}."
        if r.random() < rates["sent_from"]:
            text += "\n\n" + r.choice(_SENT_FROM)
        if r.random() < rates["offensive"]:
            text = r.choice(_OFFENSIVE) + " " + text
        return text

    def _dirty_reply(self, text: str, agent: str) -> str:
        r, rates = self.rng, DIRT_RATES
        if r.random() < rates["signature"]:
            text += f"\n\nBest regards,\n{agent}\nBrewtiful Support\nPhone: {r.choice(self.phones)}"
        if r.random() < rates["html_reply"]:
            paragraphs = text.split("\n\n")
            text = "".join(f"<p>{p.replace('&', '&amp;')}</p>" for p in paragraphs)
            if r.random() < 0.5:
                text += '<p>See <a href="https://brewtiful.example/faq">our FAQ</a><br>Thanks!</p>'
        return text

    def _dirt_common(self, text: str) -> str:
        r, rates = self.rng, DIRT_RATES
        if r.random() < rates["mojibake"]:
            text = text.translate(_CURLY) + " Caf\u00e9 cr\u00e8me \u2013 d\u00e9j\u00e0 vu."
            text = text.encode("utf-8").decode("cp1252", errors="replace")
        if r.random() < rates["whitespace"]:
            text = "  " + text.replace(" ", "   ", 2) + " \t\n\n\n\n"
        if r.random() < rates["empty"]:
            text = r.choice(["", "   ", "\n"])
        elif r.random() < rates["too_long"]:
            line = f"ERROR {r.randint(100, 999)} grinder firmware trace at 0x{r.getrandbits(32):08x} step "
            text += "\n" + "\n".join(line + str(i) for i in range(80))
        return text

    def _new_conversation(self, cid: str) -> list[dict]:
        r = self.rng
        i = r.randrange(len(self.names))
        name, email, agent = self.names[i], self.emails[i], r.choice(self.agents)
        first = name.split()[0]
        channel = r.choice(["email", "web_form", "chat", "social"])
        lang = None
        if r.random() < DIRT_RATES["other_language_conversation"]:
            lang = r.choice(sorted(_OTHER_LANGUAGES))
        turns = r.choice([2, 2, 3, 4, 4, 6])
        messages = []
        if channel == "chat" and r.random() < DIRT_RATES["bot_notice"] * 5:
            messages.append(("bot", r.choice(_BOT)))
        for t in range(turns):
            if t % 2 == 0:
                if lang:
                    text = r.choice(_OTHER_LANGUAGES[lang])
                else:
                    text = r.choice(self.questions)
                    if t == 0 and r.random() < 0.4:
                        text = f"Hi, I'm {first}. {text}"
                    if r.random() < 0.6:
                        text += " " + self._extra()
                    text = self._dirty_user(text, email)
                messages.append(("customer", text))
            else:
                if lang:
                    text = r.choice(_OTHER_LANGUAGES[lang])
                else:
                    text = r.choice(self.replies).replace("{name}", first)
                    if r.random() < 0.3:
                        text = text.replace("\n\n", " " + self._extra() + "\n\n", 1)
                    text = self._dirty_reply(text, agent)
                messages.append(("agent", text))
        start = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=r.randrange(500_000))
        return [{"conversation_id": cid, "turn": k + 1,
                 "timestamp": (start + timedelta(seconds=90 * k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "channel": channel, "speaker": speaker, "customer_name": name, "customer_email": email,
                 "agent_name": agent, "text": self._dirt_common(text)} for k, (speaker, text) in enumerate(messages)]

    def _near(self, rows: list[dict], cid: str) -> list[dict]:
        out = []
        for row in rows:
            text = row["text"]
            words = text.split(" ")
            if len(words) > 6:
                k = self.rng.randrange(len(words))
                words[k] = words[k] + self.rng.choice(["", "s", "!", ","])
                if self.rng.random() < 0.5:
                    del words[self.rng.randrange(len(words))]
                text = " ".join(words)
            out.append({**row, "conversation_id": cid, "text": text})
        return out

    def conversations(self, n_messages: int) -> Iterator[dict]:
        """Rows (one per message) until at least `n_messages` have been produced."""
        r, produced, k = self.rng, 0, 0
        while produced < n_messages:
            k += 1
            cid = f"C-{k:07d}"
            roll = r.random()
            if self.history and roll < DIRT_RATES["exact_duplicate_conversation"]:
                rows = [{**m, "conversation_id": cid} for m in r.choice(self.history)]
            elif self.history and roll < (DIRT_RATES["exact_duplicate_conversation"]
                                          + DIRT_RATES["near_duplicate_conversation"]):
                rows = self._near(r.choice(self.history), cid)
            else:
                rows = self._new_conversation(cid)
                if len(self.history) < 2000:
                    self.history.append(rows)
                else:
                    self.history[r.randrange(2000)] = rows
            produced += len(rows)
            yield from rows


def write_corpus(path: Path, n_messages: int, *, seed: int = 20261202) -> Path:
    """Write a generated corpus of about `n_messages` messages to `path` (CSV), unless it already exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in CorpusGenerator(seed).conversations(n_messages):
            writer.writerow(row)
    tmp.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(write_corpus(args.out, args.messages, seed=args.seed))


if __name__ == "__main__":
    main()
