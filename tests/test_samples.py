"""The sample corpus in data/samples/: reproducible, parseable as documented, dirty exactly as its README says,
and in voice wherever it claims to be.

The dirt inventory is measured here with detectors of our own (regexes, rapidfuzz, py3langid, alt-profanity-check,
ftfy), independent of the generator, and compared with the table in data/samples/README.md.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import ftfy
import pandas as pd
import py3langid
import pytest
from profanity_check import predict_prob
from rapidfuzz import fuzz, process

from nbtools.errors import InputError
from nbtools.tokens import TokenCounter

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SCRIPT = ROOT / "scripts" / "make_samples.py"
SOURCE = ROOT / "scripts" / "samples"
GENERATED = ["support_tickets.csv", "chat_logs.jsonl", "faq.txt", "reply_reviews.csv", "order_lookups.csv"]
HAND_WRITTEN = ["README.md", "brand_style_guide.md", "custom_instructions.md", "facts.yaml"]
SIGN_OFF = "Stay grounded! ☕"
GREETING = re.compile(r"^Hey there(, [A-Z][a-z]+)?! ")
TICKET_COLUMNS = ["ticket_id", "created_at", "channel", "customer_name", "customer_email", "subject", "question",
                  "agent_name", "agent_reply"]

# Detectors (deliberately independent of the generator's code).
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
US_PHONE = re.compile(r"(?:\+1 )?(?:\(\d{3}\) |\b\d{3}-)\d{3}-\d{4}\b")
UK_PHONE = re.compile(r"\+44 \d{2,3} \d{3,4} \d{4}\b")
OTHER_PHONE = re.compile(r"\+(?:33|49|61) \d[\d ]{7,}\d")
CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
TOKEN_URL = re.compile(r"https?://\S+[?&]token=\w+")
HTML = re.compile(r"</?(?:p|br|a|div|small)\b[^>]*>|&(?:amp|gt|lt|nbsp);")
MOJIBAKE = re.compile(r"Ã|â€|â˜")


def luhn_ok(number: str) -> bool:
    """Luhn checksum of the digits in `number`."""
    digits = [int(c) for c in number if c.isdigit()][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def has_card(text: str) -> bool:
    return any(luhn_ok(m.group()) for m in CARD.finditer(text))


def customer_email_in(text: str) -> bool:
    return any(not m.group().endswith("@brewtiful.example") for m in EMAIL.finditer(text))


def plain(text: str) -> str:
    """Text without HTML tags and without the sign-off (for language detection)."""
    return re.sub(r"<[^>]+>", " ", text).replace(SIGN_OFF, " ").strip()


def language(text: str) -> str:
    return py3langid.classify(text)[0]


def offensive(texts: list[str]) -> list[bool]:
    return [p > 0.9 for p in predict_prob(list(texts))] if len(texts) else []


@lru_cache(maxsize=None)
def generator():
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / name, dtype=str, keep_default_na=False)


def chat_lines() -> list[str]:
    return (SAMPLES / "chat_logs.jsonl").read_text(encoding="utf-8").splitlines()


def chat_records() -> pd.DataFrame:
    records = []
    for line in chat_lines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return pd.DataFrame(records)


def faq_blocks() -> list[tuple[str, str]]:
    text = (SAMPLES / "faq.txt").read_text(encoding="utf-8")
    blocks = []
    for block in text.strip().split("\n\n"):
        q, a = block.split("\n", 1)
        assert q.startswith("Q: ") and a.startswith("A: "), block
        blocks.append((q[3:], a[3:]))
    return blocks


def readme() -> str:
    return (SAMPLES / "README.md").read_text(encoding="utf-8")


def style_guide_list(heading_word: str) -> list[str]:
    """The quoted items of the list under the style guide's heading containing `heading_word`."""
    text = (SAMPLES / "brand_style_guide.md").read_text(encoding="utf-8")
    section = re.search(rf"^## [^\n]*{heading_word}[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S | re.I)
    assert section, f"no '## ...{heading_word}...' section in brand_style_guide.md"
    return [m.group(1) for m in re.finditer(r'^- "([^"]+)"', section.group(1), re.M)]


# ------------------------------------------------------------------------------------------------ reproducibility
def test_generator_reproduces_the_committed_files_byte_for_byte(tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different hash seed must not matter
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, env=env, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_every_sample_file_is_documented_in_the_readme():
    present = sorted(p.name for p in SAMPLES.iterdir())
    assert present == sorted(GENERATED + HAND_WRITTEN)
    for name in GENERATED + HAND_WRITTEN[1:]:
        assert f"`{name}`" in readme(), name


# A broken copy of the source folder: (file, text replaced, replacement, line and field the error must name).
BROKEN_SOURCES = [
    ("tickets.yaml", "  answer: Starter is one 340 g bag", "  anser: Starter is one 340 g bag", "line 6", "answer"),
    ("chats.yaml", "  - customer: do you ship to canada", "  - client: do you ship to canada", "line 22", "turns"),
    ("brand.yaml", "seed: 20261125", "seed: twenty", "line 3", "seed"),
    ("order_lookups.yaml", "  order_id: BC-10234", "  order: BC-10234", "line 3", "order_id"),
    ("faq.yaml", "- question: What subscription", "- q: What subscription", "line 2", "question"),
]


@pytest.mark.parametrize("name, old, new, line, field", BROKEN_SOURCES)
def test_a_broken_source_file_is_refused_with_file_line_and_field(tmp_path, name, old, new, line, field):
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    text = (source / name).read_text(encoding="utf-8")
    assert old in text, f"{name} no longer holds {old!r}: update the table"
    (source / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        generator().generate(tmp_path / "out", source)
    message = str(caught.value)
    assert name in message and f"{line}," in message and f"field {field}" in message, message
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_an_edited_source_copy_makes_its_own_sample_set(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    brand = (source / "brand.yaml").read_text(encoding="utf-8")
    (source / "brand.yaml").write_text(brand.replace("Stay grounded! ☕", "Keep brewing!"), encoding="utf-8")
    generator().generate(tmp_path / "out", source)
    lookups = pd.read_csv(tmp_path / "out" / "order_lookups.csv", dtype=str, keep_default_na=False)
    assert lookups.final_answer.str.endswith("\n\nKeep brewing!").all()
    assert (tmp_path / "out" / "faq.txt").read_bytes() == (SAMPLES / "faq.txt").read_bytes()


# ------------------------------------------------------------------------------------------------ parsing
def test_support_tickets_parse_with_pandas_and_csv_alike():
    tickets = read_csv("support_tickets.csv")
    assert list(tickets.columns) == TICKET_COLUMNS
    with open(SAMPLES / "support_tickets.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == TICKET_COLUMNS and len(rows) - 1 == len(tickets)
    assert all(len(r) == len(TICKET_COLUMNS) for r in rows)
    assert tickets.ticket_id.str.fullmatch(r"T-\d{5}").all()
    in_id_order = tickets.drop_duplicates().sort_values("ticket_id")
    assert pd.to_datetime(in_id_order.created_at, format="%Y-%m-%dT%H:%M:%SZ").is_monotonic_increasing
    assert set(tickets.channel) == {"email", "web_form", "social"}
    assert (tickets.customer_email.str.fullmatch(r"[\w.+-]+@(mail\.)?example\.(com|net|org)")).all()


def test_ticket_ids_are_unique_apart_from_the_exact_duplicates():
    tickets = read_csv("support_tickets.csv")
    unique = tickets.drop_duplicates()
    assert unique.ticket_id.is_unique


def test_chat_log_lines_are_json_except_the_documented_malformed_line():
    documented = re.search(r"line (\d+) is exactly:\n\n```text\n(.*?)\n```", readme(), re.S)
    assert documented, "README.md must quote the malformed chat line"
    line_no, text = int(documented.group(1)), documented.group(2)
    bad = []
    for n, line in enumerate(chat_lines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad.append((n, line))
            continue
        assert list(record) == ["conversation_id", "turn", "speaker", "text", "timestamp"], n
        assert record["speaker"] in {"customer", "agent", "bot"} and isinstance(record["turn"], int), n
    assert bad == [(line_no, text)]


def test_chat_conversations_have_two_to_six_messages_in_turn_order():
    records = chat_records().drop_duplicates()
    for conv_id, conv in records.groupby("conversation_id"):
        turns = conv.turn.tolist()
        assert 2 <= len(turns) <= 6 and turns == sorted(turns), conv_id
        assert conv.timestamp.is_monotonic_increasing, conv_id


def test_faq_blocks_parse():
    blocks = faq_blocks()
    assert len(blocks) == 25 and all(q.strip() and a.strip() for q, a in blocks)


def test_reply_reviews_point_at_tickets_and_approve_the_sent_reply():
    reviews = read_csv("reply_reviews.csv")
    tickets = read_csv("support_tickets.csv").drop_duplicates().set_index("ticket_id")
    assert list(reviews.columns) == ["ticket_id", "question", "draft_reply", "approved_reply"]
    assert reviews.ticket_id.is_unique
    for row in reviews.itertuples():
        assert tickets.loc[row.ticket_id, "question"] == row.question
        assert tickets.loc[row.ticket_id, "agent_reply"] == row.approved_reply
        assert row.draft_reply != row.approved_reply


def test_order_lookups_are_consistent_tool_calls():
    lookups = read_csv("order_lookups.csv")
    assert list(lookups.columns) == ["question", "tool_name", "tool_arguments", "tool_result", "final_answer"]
    assert set(lookups.tool_name) == {"lookup_order"}
    for row in lookups.itertuples():
        args, result = json.loads(row.tool_arguments), json.loads(row.tool_result)
        assert list(args) == ["order_id"] and args["order_id"] in row.question
        assert result["order_id"] == args["order_id"]
        eta = result.get("eta")
        if eta and result.get("status") not in ("cancelled",):
            day = pd.Timestamp(eta)
            assert f"{day.month_name()} {day.day}" in row.final_answer, row.question
        if result.get("carrier") and result.get("status") != "scheduled":
            assert result["carrier"] in row.final_answer, row.question


# ------------------------------------------------------------------------------------------------ dirt inventory
def measure_tickets() -> dict[str, int]:
    raw = read_csv("support_tickets.csv")
    t = raw.drop_duplicates().reset_index(drop=True)
    q, r = t.question, t.agent_reply
    texts = (q + "\n" + r).tolist()
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=90, workers=1)
    near = sum(any(scores[i, j] and texts[i] != texts[j] for j in range(i)) for i in range(len(texts)))
    lang = [language(plain(a + " " + b)) for a, b in zip(q, r)]
    moji = [bool(MOJIBAKE.search(a + b)) for a, b in zip(q, r)]
    stripped = r.str.strip()
    off_voice = [
        5 < len(s) <= 10_000 and lg == "en" and not m and not plain(s).startswith("Hey there")
        for s, lg, m in zip(stripped, lang, moji)
    ]
    return {
        "rows": len(raw),
        "exact duplicate rows (extra copies)": int(raw.duplicated().sum()),
        "near-duplicate rows (typo/whitespace/punctuation variants)": near,
        "replies with HTML": int(r.str.contains(HTML).sum()),
        "replies with an agent signature": int(r.str.contains("Best regards,").sum()),
        'replies ending "Sent from my iPhone"': int(r.str.contains("Sent from my iPhone").sum()),
        "replies with a confidentiality disclaimer": int(r.str.contains("CONFIDENTIALITY NOTICE").sum()),
        "questions with a customer e-mail address": int(q.map(customer_email_in).sum()),
        "questions with a US phone number": int(q.str.contains(US_PHONE).sum()),
        "questions with a UK phone number": int(q.str.contains(UK_PHONE).sum()),
        "questions with another international phone number": int(q.str.contains(OTHER_PHONE).sum()),
        "questions with a card number (Luhn-valid)": int(q.map(has_card).sum()),
        "questions with an IP address": int(q.str.contains(IPV4).sum()),
        "replies with a URL carrying a token": int(r.str.contains(TOKEN_URL).sum()),
        "replies greeting the customer by first name": int(r.str.match(r"(<[^>]+>)*Hey there, [A-Z]").sum()),
        "rows without a customer name": int((t.customer_name == "").sum()),
        "empty or whitespace-only replies": int((stripped == "").sum()),
        "too-short replies (1-5 characters)": int(stripped.str.len().between(1, 5).sum()),
        "absurdly long replies (> 10,000 characters)": int((r.str.len() > 10_000).sum()),
        "non-English rows": sum(lg != "en" for lg in lang),
        "mojibake rows": sum(moji),
        "offensive customer questions": sum(offensive(q.tolist())),
        "off-voice replies (no greeting/sign-off)": sum(off_voice),
    }


def measure_chats() -> dict[str, int]:
    lines = chat_lines()
    c = chat_records()
    text, speaker = c.text, c.speaker
    agent = speaker == "agent"
    moji = text.str.contains(MOJIBAKE)
    customers = c[speaker == "customer"].text
    long_enough = [len(x) >= 25 for x in text]
    return {
        "lines": len(lines),
        "malformed lines": len(lines) - len(c),
        "conversations": c.conversation_id.nunique(),
        "bot messages (boilerplate)": int((speaker == "bot").sum()),
        "exact duplicate lines (repeated message)": sum(a == b for a, b in zip(lines, lines[1:])),
        "empty agent messages": int((agent & (text.str.strip() == "")).sum()),
        "off-voice agent messages": int((agent & (text.str.strip() != "") & ~moji
                                        & ~text.str.startswith("Hey there")).sum()),
        "mojibake messages": int(moji.sum()),
        "non-English messages": sum(ok and language(plain(x)) != "en" for x, ok in zip(text, long_enough)),
        "customer messages with an e-mail address": int(customers.map(customer_email_in).sum()),
        "customer messages with a phone number": int(customers.str.contains(
            f"{US_PHONE.pattern}|{UK_PHONE.pattern}|{OTHER_PHONE.pattern}").sum()),
        "customer messages with a card number (Luhn-valid)": int(customers.map(has_card).sum()),
        "customer messages with an IP address": int(customers.str.contains(IPV4).sum()),
        "offensive customer messages": sum(offensive(customers.tolist())),
    }


def measure_others() -> dict[tuple[str, str], int]:
    reviews = read_csv("reply_reviews.csv")
    lookups = read_csv("order_lookups.csv")
    banned = style_guide_list("banned")
    drafts = reviews.draft_reply.str.lower()
    results = [json.loads(x) for x in lookups.tool_result]
    return {
        ("reply_reviews.csv", "rows"): len(reviews),
        ("reply_reviews.csv", "drafts without the greeting and sign-off"): int(
            (~reviews.draft_reply.str.startswith("Hey there") & ~reviews.draft_reply.str.contains(SIGN_OFF)).sum()),
        ("reply_reviews.csv", "drafts using a banned phrase"): int(
            drafts.map(lambda d: any(p in d for p in banned)).sum()),
        ("order_lookups.csv", "rows"): len(lookups),
        ("order_lookups.csv", "distinct order statuses"): len({r.get("status", "error") for r in results}),
        ("order_lookups.csv", "lookups returning an error (order not found)"): sum("error" in r for r in results),
        ("faq.txt", "Q/A blocks"): len(faq_blocks()),
    }


def readme_inventory() -> dict[tuple[str, str], int]:
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+?) \| (\d+) \|", readme(), re.M)
    assert rows, "README.md has no dirt-inventory table"
    inventory = {(f, what.strip()): int(n) for f, what, n in rows}
    assert len(inventory) == len(rows), "a README inventory row is repeated"
    return inventory


def test_readme_dirt_inventory_matches_the_files():
    measured = {("support_tickets.csv", k): v for k, v in measure_tickets().items()}
    measured |= {("chat_logs.jsonl", k): v for k, v in measure_chats().items()}
    measured |= measure_others()
    assert readme_inventory() == measured


def test_mojibake_rows_are_repaired_by_ftfy():
    tickets = read_csv("support_tickets.csv").drop_duplicates()
    bad = tickets[tickets.agent_reply.str.contains(MOJIBAKE)]
    assert len(bad)
    for reply in bad.agent_reply:
        fixed = ftfy.fix_text(reply)
        assert not MOJIBAKE.search(fixed) and fixed.rstrip().endswith(SIGN_OFF)


def test_each_exact_duplicate_is_one_extra_copy_of_a_row():
    raw = read_csv("support_tickets.csv")
    dups = raw[raw.duplicated(keep=False)]
    assert dups.groupby("ticket_id").size().eq(2).all()


# ------------------------------------------------------------------------------------------------ voice
def in_voice_replies() -> list[tuple[str, str]]:
    """(where, reply) for every reply that claims to be in voice, across the generated files."""
    out = []
    tickets = read_csv("support_tickets.csv").drop_duplicates()
    for row in tickets.itertuples():
        r, q = row.agent_reply, row.question
        dirty = HTML.search(r) or MOJIBAKE.search(r + q) or len(r) > 10_000 or any(
            m in r for m in ("Best regards,", "Sent from my iPhone", "CONFIDENTIALITY NOTICE"))
        if r.startswith("Hey there") and not dirty:
            out.append((f"support_tickets.csv {row.ticket_id}", r))
    chats = chat_records()
    agent = chats[(chats.speaker == "agent") & chats.text.str.startswith("Hey there")]
    for row in agent[~agent.text.str.contains(MOJIBAKE)].itertuples():
        out.append((f"chat_logs.jsonl {row.conversation_id}/{row.turn}", row.text))
    out += [(f"reply_reviews.csv {t}", r) for t, r in zip(*[read_csv("reply_reviews.csv")[c]
                                                               for c in ("ticket_id", "approved_reply")])]
    out += [(f"order_lookups.csv {i}", r) for i, r in enumerate(read_csv("order_lookups.csv").final_answer)]
    return out


def body_of(reply: str) -> str:
    return GREETING.sub("", reply.rstrip().removesuffix(SIGN_OFF)).strip()


def test_there_are_enough_in_voice_replies_and_distinct_questions():
    qas = generator().load_source(generator().SOURCE).qas
    assert len({qa.question.casefold() for qa in qas}) == len(qas) >= 140
    assert len({qa.answer for qa in qas}) == len(qas)
    assert len(in_voice_replies()) >= 300


def test_every_in_voice_reply_follows_the_voice_rules():
    banned = style_guide_list("banned")
    puns = style_guide_list("pun")
    assert banned and puns
    problems = []
    for where, reply in in_voice_replies():
        body = body_of(reply)
        lowered = body.lower()
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", body) if s]
        checks = {
            "greeting": bool(GREETING.match(reply)),
            "sign-off on its own last line": reply.splitlines()[-1] == SIGN_OFF and reply.endswith("\n\n" + SIGN_OFF),
            "1-4 sentences": 1 <= len(sentences) <= 4,
            "at most one pun": sum(lowered.count(p) for p in puns) <= 1,
            "no banned phrase": not any(p in lowered for p in banned),
        }
        problems += [(where, rule, body) for rule, ok in checks.items() if not ok]
    assert problems == []


def test_puns_are_used_but_not_everywhere():
    puns = style_guide_list("pun")
    with_pun = [r for _, r in in_voice_replies() if any(p in body_of(r).lower() for p in puns)]
    share = len(with_pun) / len(in_voice_replies())
    assert 0.05 <= share <= 0.5, share


def test_prices_in_replies_are_the_style_guides_facts():
    guide = (SAMPLES / "brand_style_guide.md").read_text(encoding="utf-8")
    facts = set(re.findall(r"\$(\d+(?:\.\d\d)?)", guide))
    derived = {f"{449 * 0.9:.2f}", f"{18 * 0.85:.2f}"}  # Bloom with the Barista 10%, Starter with WELCOME15
    for where, reply in in_voice_replies():
        for amount in re.findall(r"\$(\d+(?:\.\d\d)?)", reply):
            assert amount in facts | derived, (where, amount)


def test_off_voice_drafts_are_fixed_by_the_approved_replies():
    reviews = read_csv("reply_reviews.csv")
    banned = style_guide_list("banned")
    for row in reviews.itertuples():
        assert not GREETING.match(row.draft_reply) and SIGN_OFF not in row.draft_reply
        assert not any(p in row.approved_reply.lower() for p in banned)


# ------------------------------------------------------------------------------------------------ prompts
def prompts() -> dict[str, str]:
    text = (SAMPLES / "custom_instructions.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+?)\n.*?^```\w*\n(.*?)^```", text, re.M | re.S)
    return {title.strip(): body.strip() for title, body in sections}


@pytest.mark.parametrize("model", [
    "gpt-4o-mini",
    "gpt-3.5-turbo",
    pytest.param("smollm2-135m-instruct", marks=pytest.mark.slow),
])
def test_long_custom_instructions_are_at_least_600_tokens(model):
    long_prompt = prompts()["Long custom instructions"]
    assert TokenCounter.for_model(model).count_text(long_prompt) >= 600


def test_short_prompt_is_one_line_and_long_prompt_teaches_the_voice():
    found = prompts()
    assert "\n" not in found["Short prompt"] and len(found["Short prompt"]) < 80
    long_prompt = found["Long custom instructions"]
    assert long_prompt.count(SIGN_OFF) >= 4 and long_prompt.count("Hey there!") >= 4  # rule + 3 examples
    examples = re.findall(r"^Assistant: (.*?)(?=^Customer: |\Z)", long_prompt, re.M | re.S)
    assert len(examples) >= 3
    for example in examples:
        assert GREETING.match(example) and example.strip().endswith(SIGN_OFF)
