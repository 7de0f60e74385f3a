"""Each cleaning step on a table of inputs: what it changes, drops (with which reason) and leaves alone."""

from __future__ import annotations

import pandas as pd
import pytest

from nbtools.corpus import (DropIncompleteConversations, ExactDuplicates, FixUnicode, LanguageFilter, LengthFilter,
                            NearDuplicates, NormalizeWhitespace, RedactPII, RepeatedMessages, SafetyScreen,
                            StripBoilerplate, StripMarkup)
from nbtools.tokens import TokenCounter
from nbtools.errors import InputError


def row(text, role="assistant", **extra):
    return {"text": text, "role": role, **extra}


@pytest.mark.parametrize(
    "step, text, expected, reason",
    [
        (FixUnicode(), "donâ€™t", "don't", "repaired mojibake / Unicode"),
        (FixUnicode(), "café", "café", ""),
        (FixUnicode(), "cafe\u0301", "café", "repaired mojibake / Unicode"),  # decomposed → NFC
        (StripMarkup(), "<p>Line one</p><p>Line <b>two</b></p>", "Line one\n\nLine two", "stripped HTML markup"),
        (StripMarkup(), "Use &lt;Settings&gt; &amp; save", "Use <Settings> & save", "stripped HTML markup"),
        (StripMarkup(), "2 < 3 and 5 > 4", "2 < 3 and 5 > 4", ""),
        (StripMarkup(keep_link_urls=True), '<a href="https://x.example/faq">FAQ</a>', "FAQ (https://x.example/faq)",
         "stripped HTML markup"),
        (NormalizeWhitespace(), "a \t b\n\n\n\nc ", "a b\n\nc", "normalised whitespace"),
        (StripBoilerplate(), "Done!\nSent from my iPhone", "Done!", "removed boilerplate line"),
        (StripBoilerplate(), "Done!\n\nStay grounded! ☕\n\nKind regards,\nAna\nCustomer Care",
         "Done!\n\nStay grounded! ☕", "removed signature"),
        (StripBoilerplate(), "Stay grounded! ☕", "Stay grounded! ☕", ""),
        (StripBoilerplate(), "Hey there! Thanks for waiting! Help?", "Hey there! Thanks for waiting! Help?", ""),
        (RedactPII(), "mail a.b@example.co.uk now", "mail [EMAIL] now", "redacted 1 EMAIL"),
        (RedactPII(), "card 5500-0000-0000-0004 ok", "card [CARD] ok", "redacted 1 CARD"),
        (RedactPII(), "order 1234 5678 9012 3456", "order 1234 5678 9012 3456", ""),  # not Luhn-valid
        (RedactPII(), "from 10.0.0.256 and 10.0.0.25", "from 10.0.0.256 and [IP]", "redacted 1 IP"),
        (RedactPII(), "see https://shop.example/faq", "see https://shop.example/faq", ""),
        (RedactPII(), "https://x.example/login?session=abc&x=1", "[URL]", "redacted 1 URL"),
        (RedactPII(), "ring +44 20 7946 0958", "ring [PHONE]", "redacted 1 PHONE"),
        (RedactPII(), "Hey there, Victor! Hi", "Hey there, [NAME]! Hi", "redacted 1 NAME"),
        (RedactPII(), "Hi, I'm Dana. Where is it?", "Hi, I'm [NAME]. Where is it?", "redacted 1 NAME"),
        (RedactPII(), "Chris here. Login fails", "[NAME] here. Login fails", "redacted 1 NAME"),
        (RedactPII(), "Hey, Tom here, charged twice", "Hey, [NAME] here, charged twice", "redacted 1 NAME"),
        (RedactPII(), "Reply here to confirm.", "Reply here to confirm.", ""),
        (RedactPII(), "I'm sorry, I'm not sure. I'm Really upset!", "I'm sorry, I'm not sure. I'm Really upset!", ""),
        (RedactPII(), "write to help@brewtiful.example", "write to help@brewtiful.example", ""),
        (RedactPII(keep_role_addresses=False), "write to help@brewtiful.example", "write to [EMAIL]",
         "redacted 1 EMAIL"),
    ],
)
def test_row_steps_change_text(step, text, expected, reason):
    result = step.clean(text, row(text))
    assert result.text == expected and result.reason == reason


def test_pii_uses_the_rows_own_name_columns_and_blanks_them():
    table = pd.DataFrame([{"row_id": "1", "conversation_id": "c", "role": "assistant", "customer_name": "Dana Wu",
                           "customer_email": "dana@example.com", "text": "Sure Dana, Wu family plan is set."}])
    outcome = RedactPII().apply(table)
    assert outcome.table.text[0] == "Sure [NAME], [NAME] family plan is set."
    assert outcome.table.customer_email[0] == "[EMAIL]" and outcome.table.customer_name[0] == "[NAME]"


@pytest.mark.parametrize(
    "text, role, reason",
    [
        ("", "user", "empty message"),
        ("   ", "assistant", "empty message"),
        ("ok", "assistant", "too short: 2 characters < 12 (minimum for assistant messages)"),
        ("x" * 5000, "user", "too long: 5,000 characters > 4,000"),
    ],
)
def test_length_filter_drops_with_reason(text, role, reason):
    assert LengthFilter().clean(text, row(text, role)).reason == reason


def test_length_filter_keeps_short_user_messages():
    assert LengthFilter().clean("ok", row("ok", "user")).text == "ok"


@pytest.mark.parametrize("text", ["Where is my order?", "Wie lange dauert der Versand nach Deutschland? " * 3])
def test_length_filter_counts_tokens_with_tiktoken(text):
    n = TokenCounter.for_encoding("o200k_base").count_text(text.strip())
    assert LengthFilter(max_tokens=n).clean(text, row(text, "user")).text == text
    assert LengthFilter(max_tokens=n - 1).clean(text, row(text, "user")).reason == \
        f"too long: {n:,} tokens > {n - 1:,} (o200k_base)"
    assert LengthFilter(min_tokens=n + 1).clean(text, row(text, "user")).reason == \
        f"too short: {n} tokens < {n + 1} (o200k_base)"


def table(*conversations):
    rows = []
    for cid, texts in conversations:
        for turn, (role, text) in enumerate(texts):
            rows.append({"row_id": f"{cid}:{turn}", "conversation_id": cid, "turn": turn, "role": role,
                         "text": text})
    return pd.DataFrame(rows)


def test_language_filter_drops_whole_conversations_and_keeps_english():
    t = table(("en", [("user", "Where is my order? It has been two weeks."), ("assistant", "On its way today!")]),
              ("de", [("user", "Wie lange dauert der Versand nach Deutschland?"),
                      ("assistant", "Der Versand dauert sieben bis vierzehn Werktage.")]))
    out = LanguageFilter().apply(t)
    assert set(out.table.conversation_id) == {"en"}
    assert [c.row_id for c in out.changes] == ["de:0", "de:1"]
    assert out.changes[0].reason.startswith("language 'de'")
    assert set(LanguageFilter(allowed=frozenset({"en", "de"})).apply(t).table.conversation_id) == {"en", "de"}


def test_exact_and_near_duplicates_keep_the_first_and_name_it():
    base = [("user", "My espresso shots come out too fast and watery."),
            ("assistant", "Hey there! That usually means the grind is too coarse, so go a step or two finer.")]
    near = [("user", "My espresso shots come out too fast and watery ."),
            ("assistant", "Hey there ! That usually means the grind is too coarse, so go a step or two finer!!")]
    typo = [("user", "My espresso shots come out too fast and watry."), base[1]]
    other = [("user", "Do you ship to Canada?"), ("assistant", "Yes, in five to eight business days.")]
    t = table(("a", base), ("b", near), ("c", typo), ("d", other))
    exact = ExactDuplicates().apply(t)
    assert set(exact.table.conversation_id) == {"a", "c", "d"}
    assert {c.duplicate_of for c in exact.changes} == {"a"}
    fuzzy = NearDuplicates(threshold=0.7).apply(exact.table)
    assert set(fuzzy.table.conversation_id) == {"a", "d"}
    assert fuzzy.changes[0].duplicate_of == "a" and "Jaccard" in fuzzy.changes[0].reason
    with pytest.raises(InputError, match="threshold"):
        NearDuplicates(threshold=0).apply(t)


def test_near_duplicates_decide_on_exact_jaccard_just_above_the_threshold():
    # One typo in a short conversation: shingle Jaccard 26/32 = 0.8125, where a MinHash estimate alone can miss.
    first = [("user", "Who pays for return shipping? You can call me at [PHONE]."),
             ("assistant", "Hey there, [NAME]! We do for US returns! Print a free label from Account > Orders > "
                           "Return an item. Stay grounded!")]
    typo = [("user", first[0][1].replace("return", "rteurn")), first[1]]
    t = table(("a", first), ("b", typo))
    step = NearDuplicates(threshold=0.8)
    texts = [" ".join(x.lower() for _, x in conv) for conv in (first, typo)]
    a, b = (step.shingles(" ".join(normalise(x).split())) for x in texts)
    assert len(a & b) / len(a | b) >= 0.8
    out = step.apply(t)
    assert set(out.table.conversation_id) == {"a"} and [c.duplicate_of for c in out.changes] == ["a", "a"]
    assert set(NearDuplicates(threshold=0.9).apply(t).table.conversation_id) == {"a", "b"}


def normalise(text):
    from nbtools.corpus.dedup import normalise_for_dedup

    return normalise_for_dedup(text)


def test_repeated_messages_drop_the_repeat_and_keep_the_conversation():
    t = table(("c", [("user", "cancel please"), ("user", "Cancel please!"), ("assistant", "Done, cancelled."),
                     ("user", "cancel please"), ("assistant", "Done, cancelled.")]),
              ("d", [("user", "cancel please"), ("assistant", "Sure.")]))
    out = RepeatedMessages().apply(t)
    assert out.table.row_id.tolist() == ["c:0", "c:2", "c:3", "c:4", "d:0", "d:1"]
    assert [(c.row_id, c.duplicate_of, c.reason) for c in out.changes] == [
        ("c:1", "c:0", "repeats the previous message c:0")]


def test_pii_names_found_in_one_message_are_redacted_in_the_whole_conversation():
    t = table(("c", [("user", "Hi, I'm Dana. Is Dana's order out?"), ("assistant", "Hey there, Dana! It ships today."),
                     ("user", "Thanks! Dana again: and the grinder?")]),
              ("other", [("user", "Is Dana a coffee?"), ("assistant", "Hey there! No.")]))
    out = RedactPII().apply(t).table.set_index("row_id").text
    assert out["c:0"] == "Hi, I'm [NAME]. Is [NAME]'s order out?"
    assert out["c:2"] == "Thanks! [NAME] again: and the grinder?"
    assert out["other:0"] == "Is Dana a coffee?"  # another conversation: not known as a name there
    assert out["c:1"] == "Hey there, [NAME]! It ships today."
    assert RedactPII(conversation_names=False).apply(t).table.set_index("row_id").text["c:2"] == \
        "Thanks! Dana again: and the grinder?"


@pytest.mark.parametrize("policy, kept", [("drop_conversation", {"ok:0", "ok:1"}),
                                          ("drop_message", {"ok:0", "ok:1", "bad:1"}),
                                          ("mark", {"ok:0", "ok:1", "bad:0", "bad:1"})])
def test_safety_screen_policies(policy, kept):
    t = table(("ok", [("user", "Thanks for the quick help!"), ("assistant", "Any time! Stay grounded! ☕")]),
              ("bad", [("user", "you are fucking useless idiots"), ("assistant", "I'm sorry, let me fix it.")]))
    out = SafetyScreen(policy=policy).apply(t)
    assert set(out.table.row_id) == kept
    if policy == "mark":
        assert out.table.set_index("row_id").safety_flags["bad:0"] == "harassment"
    else:
        assert all("safety screen" in c.reason for c in out.changes)


class WordModerator:
    """A scripted classifier for the screen: flags texts containing `word` as harassment, and records its calls."""

    name = "scripted-word-moderator"

    def __init__(self, word: str) -> None:
        self.word, self.calls = word, []

    def moderate(self, texts, *, threshold=0.5):
        from nbtools.moderation import CATEGORIES, ModerationResult

        self.calls.append((list(texts), threshold))
        return [ModerationResult(self.word in t, {k: self.word in t and k == "harassment" for k in CATEGORIES},
                                 {k: float(self.word in t and k == "harassment") for k in CATEGORIES}) for t in texts]


@pytest.mark.parametrize("roles, dropped", [(("user", "assistant"), {"c1", "c2"}), (("assistant",), {"c2"})])
def test_safety_screen_uses_the_injected_moderator(roles, dropped):
    t = table(("c0", [("user", "hello"), ("assistant", "hi")]), ("c1", [("user", "beans?"), ("assistant", "yes")]),
              ("c2", [("user", "ok"), ("assistant", "more beans")]))
    moderator = WordModerator("beans")
    out = SafetyScreen(moderator=moderator, roles=roles, threshold=0.7).apply(t)
    assert set(t.conversation_id) - set(out.table.conversation_id) == dropped
    ((texts, threshold),) = moderator.calls  # one call for every screened message
    assert threshold == 0.7 and len(texts) == (t.role.isin(roles)).sum()
    settings = SafetyScreen(moderator=moderator).settings()
    assert settings["backend"] == "classifier scripted-word-moderator" and "moderator" not in settings


def test_safety_screen_can_use_a_moderation_endpoint_in_batches(tmp_path):
    """The real local server's /v1/moderations through the real openai SDK, in batches of 2."""
    import openai

    from nbtools.server.config import ServerConfig
    from server_support import thread_server

    t = table(*[(f"c{i}", [("user", "you stupid idiots" if i == 3 else f"question {i} about beans"),
                           ("assistant", f"answer {i}")]) for i in range(5)])
    with thread_server(ServerConfig(data_dir=tmp_path / "server", worker=False)) as url:
        client = openai.OpenAI(base_url=url, api_key="unused")
        remote = SafetyScreen(client=client, batch_size=2, threshold=0.5).apply(t)
    local = SafetyScreen(threshold=0.5).apply(t)
    assert "c3" not in set(remote.table.conversation_id)
    assert remote.table.row_id.tolist() == local.table.row_id.tolist()
    assert [c.row_id for c in remote.changes] == [c.row_id for c in local.changes]
    assert SafetyScreen(client=client).settings()["backend"] == "moderation endpoint"
    assert "client" not in SafetyScreen(client=client).settings()


def test_incomplete_conversations_are_dropped_with_their_rows():
    t = table(("full", [("user", "q"), ("assistant", "a")]), ("no_answer", [("user", "q")]),
              ("no_question", [("assistant", "a")]))
    out = DropIncompleteConversations().apply(t)
    assert set(out.table.conversation_id) == {"full"}
    assert {c.reason for c in out.changes} == {"conversation has no assistant message left",
                                               "conversation has no user message left"}
