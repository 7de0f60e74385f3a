"""Pseudonyms for redaction placeholders: consistent within a conversation, deterministic, never an original value,
greetings without an unknown name, contact data from reserved ranges; and the validator's placeholder warning."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import nbtools
from nbtools.corpus.pii import luhn_ok
from nbtools.dataset.pseudonyms import PLACEHOLDER, TEST_CARDS
from nbtools.validate.rules import check_example


def table(conversations: dict[str, list[tuple[str, str]]]) -> pd.DataFrame:
    rows = [{"row_id": f"{cid}:{k}", "conversation_id": cid, "turn": k, "role": role, "text": text}
            for cid, turns in conversations.items() for k, (role, text) in enumerate(turns)]
    return pd.DataFrame(rows)


INTRO = table({"c1": [("user", "Hi, I'm [NAME]. Is the decaf chemical-free?"),
                      ("assistant", "Hey there, [NAME]! Yes, Swiss Water Process.\n\nStay grounded! ☕"),
                      ("user", "Thanks! Mail me at [EMAIL] or call [PHONE]."),
                      ("assistant", "Hey there, [NAME]! Noted: [EMAIL] and [PHONE].\n\nStay grounded! ☕")]})


def test_same_person_same_fake_within_a_conversation():
    out = nbtools.pseudonymize(INTRO, seed=3).messages.text.tolist()
    name = re.match(r"Hi, I'm (\w+)\.", out[0])[1]
    assert out[1].startswith(f"Hey there, {name}! ") and out[3].startswith(f"Hey there, {name}! ")
    email = re.search(r"[\w.]+@example\.com", out[2])[0]
    phone = re.search(r"\+1 \d{3}-555-01\d\d", out[2])[0]
    assert email in out[3] and phone in out[3]
    assert email.startswith(name.lower() + ".")  # the customer's e-mail fits the customer's fake name
    assert not any(PLACEHOLDER.search(t) for t in out)


def test_deterministic_and_seed_dependent():
    first = nbtools.pseudonymize(INTRO, seed=3).messages.text.tolist()
    assert nbtools.pseudonymize(INTRO, seed=3).messages.text.tolist() == first
    others = {tuple(nbtools.pseudonymize(INTRO, seed=s).messages.text) for s in range(4, 9)}
    assert len(others | {tuple(first)}) > 1


def test_conversations_get_their_own_people():
    many = table({f"c{i}": [("user", "[NAME] here, where is my order?"),
                            ("assistant", "Hey there, [NAME]! On its way.")] for i in range(12)})
    out = nbtools.pseudonymize(many, seed=0).messages
    names = [re.match(r"(\w+) here", t)[1] for t in out.text[out.role == "user"]]
    assert len(set(names)) >= 8  # Faker draws per conversation, not one name for everybody


@pytest.mark.parametrize("conversation, expected_reply", [
    ([("user", "Is the decaf chemical-free?"), ("assistant", "Hey there, [NAME]! It is.")], "Hey there! It is."),
    ([("user", "Do you ship to Canada?"), ("assistant", "Hi [NAME], we do.")], "Hi, we do."),
    ([("user", "Any promo?"), ("assistant", "Use WELCOME15. Thanks, [NAME]!")], "Use WELCOME15. Thanks!"),
    ([("user", "Hi [NAME], any promo?"), ("assistant", "Hey there, [NAME]! WELCOME15.")], "Hey there! WELCOME15."),
])
def test_greeting_drops_a_name_the_customer_never_gave(conversation, expected_reply):
    result = nbtools.pseudonymize(table({"c": conversation}), seed=0)
    assert result.messages.text.iloc[-1] == expected_reply
    assert result.summary()["greeting_names_dropped"] == 1


def test_greeting_keeps_a_name_given_earlier_but_not_one_given_later():
    later = table({"c": [("user", "Where is my box?"), ("assistant", "Hey there, [NAME]! Checking."),
                         ("user", "I'm [NAME], by the way."), ("assistant", "Hey there, [NAME]! Found it.")]})
    out = nbtools.pseudonymize(later, seed=0).messages.text.tolist()
    name = re.search(r"I'm (\w+),", out[2])[1]
    assert out[1] == "Hey there! Checking." and out[3] == f"Hey there, {name}! Found it."


def test_a_sign_off_names_its_writer():
    chat = table({"c": [("user", "Where is BC-10234?\n\nThanks,\n[NAME]"), ("assistant", "Hey there, [NAME]! Today.")]})
    out = nbtools.pseudonymize(chat, seed=0).messages.text.tolist()
    customer = out[0].rsplit("\n", 1)[1]
    assert out[1] == f"Hey there, {customer}! Today."


def test_customer_greeting_the_agent_names_the_agent_not_the_customer():
    chat = table({"c": [("user", "Hi [NAME], I'm [NAME]. Quick question."), ("assistant", "Hey there, [NAME]! Sure.")]})
    out = nbtools.pseudonymize(chat, seed=0).messages.text.tolist()
    agent, customer = re.match(r"Hi (\w+), I'm (\w+)\.", out[0]).groups()
    assert agent != customer and out[1] == f"Hey there, {customer}! Sure."


def test_contact_data_comes_from_reserved_ranges():
    chat = table({"c": [("user", "card [CARD], ip [IP], mail [EMAIL], phone [PHONE]"),
                        ("assistant", "Hey there! Reset here: [URL]")]})
    out = nbtools.pseudonymize(chat, seed=5).messages.text.tolist()
    card = re.search(r"card ([\d ]+),", out[0])[1]
    ip = re.search(r"ip ([\d.]+),", out[0])[1]
    assert card in TEST_CARDS and luhn_ok(card.replace(" ", ""))
    assert any(ipaddress.ip_address(ip) in ipaddress.ip_network(n)
               for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
    assert re.search(r"mail [a-z]+\.[a-z]+@example\.com, phone \+1 \d{3}-555-01\d\d$", out[0])
    assert re.search(r"https://example\.com/\S+$", out[1])


def test_avoid_is_never_emitted():
    first = nbtools.pseudonymize(INTRO, seed=3).messages.text[0]
    name = re.match(r"Hi, I'm (\w+)\.", first)[1]
    again = nbtools.pseudonymize(INTRO, seed=3, avoid=[name.upper()]).messages.text[0]
    assert re.match(r"Hi, I'm (\w+)\.", again)[1].casefold() != name.casefold()


def test_ledger_records_types_and_never_a_value():
    result = nbtools.pseudonymize(INTRO, seed=3)
    assert list(result.ledger.columns) == ["row_id", "conversation_id", "role", "kind", "action", "count"]
    assert result.summary()["replaced"] == {"EMAIL": 2, "NAME": 3, "PHONE": 2}
    fakes = set(re.findall(r"[\w.+-]+@example\.com|\+1 [\d-]+|\b[A-Z][a-z]+\b", " ".join(result.messages.text)))
    cells = {str(v) for v in result.ledger.to_numpy().ravel()}
    assert not fakes & cells - {"NAME", "EMAIL", "PHONE"}


def test_missing_columns_is_a_clear_error():
    with pytest.raises(nbtools.errors.InputError, match="lacks required columns row_id"):
        nbtools.pseudonymize(pd.DataFrame({"text": ["[NAME]"]}))


def test_never_equal_to_an_original_value_of_the_sample_corpus():
    """Redact the sample exports, pseudonymise with the originals as `avoid`, and compare every fake with them."""
    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    raw = nbtools.read_corpora([samples / "support_tickets.csv", samples / "chat_logs.jsonl"]).messages
    originals = nbtools.RedactPII().found_values(raw)
    assert {"Dana", "+1 503-555-0126", "4111 1111 1111 1111"} <= originals  # known values of the sample data
    redacted = nbtools.CleaningPipeline([nbtools.RedactPII()]).run(raw).cleaned
    result = nbtools.pseudonymize(redacted, seed=7, avoid=originals)
    assert result.summary()["placeholders_left"] == 0
    folded = {o.casefold() for o in originals} | {re.sub(r"\D", "", o) for o in originals
                                                   if sum(c.isdigit() for c in o) >= 7}
    changed = result.messages.text != redacted.text
    checked = 0
    for before, after in zip(redacted.text[changed], result.messages.text[changed]):
        # the fakes are the words/values that replaced the placeholders
        pattern = "^" + re.escape(before).replace(r"\[NAME\]", "(.*?)")
        for kind in ("EMAIL", "PHONE", "CARD", "IP", "URL"):
            pattern = pattern.replace(re.escape(f"[{kind}]"), "(.*?)")
        pattern = pattern.replace(re.escape("Hey there, "), "Hey there,? ?") + "$"
        match = re.match(pattern, after, flags=re.S)
        fakes = [g for g in (match.groups() if match else ()) if g]
        for fake in fakes:
            assert fake.casefold() not in folded and re.sub(r"\D", "", fake) not in folded - {""}, (fake, after)
            checked += 1
    assert checked >= 60  # every name and contact value of the sample's conversations was compared


# --- the validator warns when an assistant target holds a placeholder ---------------------------------------------

def sft(*messages):
    return {"messages": [{"role": "system", "content": "You are Brewtiful's assistant."}, *messages]}


@pytest.mark.parametrize("example, fields", [
    (sft({"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hey there, [NAME]!"}),
     ["messages[2].content"]),
    (sft({"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "text", "text": "[EMAIL]"}]}),
     ["messages[2].content[0].text"]),
    (sft({"role": "user", "content": "I'm [NAME]"}, {"role": "assistant", "content": "Hey there!"}), []),
    (sft({"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hey there, [NAME]!", "weight": 0},
         {"role": "user", "content": "ok"}, {"role": "assistant", "content": "Done."}), []),
    (sft({"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hey there, Dana! Mail [me]."}), []),
    ({"input": {"messages": [{"role": "user", "content": "hi"}]},
      "preferred_output": [{"role": "assistant", "content": "Hey there, [NAME]!"}],
      "non_preferred_output": [{"role": "assistant", "content": "hi [NAME]"}]}, ["preferred_output[0].content"]),
])
def test_placeholder_warning(example, fields):
    issues = [i for i in check_example(example).issues if i.code == "placeholder_in_target"]
    assert [i.field for i in issues] == fields
    assert all(i.severity == "warning" and "[" in i.value and "pseudonymize" in i.hint for i in issues)


def test_placeholder_warning_names_the_line(tmp_path):
    path = tmp_path / "train.jsonl"
    good = sft({"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hey there!"})
    bad = sft({"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hey there, [NAME]! [CARD]"})
    path.write_text("\n".join(json.dumps(e) for e in [good] * 10 + [bad]) + "\n", encoding="utf-8")
    report = nbtools.validate_file(path)
    frame = report.to_dataframe().query("code == 'placeholder_in_target'")
    assert frame[["line", "field", "value"]].values.tolist() == [[11, "messages[2].content", "'[NAME], [CARD]'"]]
    assert report.ok  # a warning, not an error
