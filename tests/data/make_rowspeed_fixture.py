"""Freeze the per-row cleaning steps' behaviour on a generated corpus: tests/data/rowspeed_fixture.json.gz.

Run once, BEFORE changing a step for speed, from the repository root::

    .venv/bin/python tests/data/make_rowspeed_fixture.py

It generates ~2,000 varied messages with benchmarks/corpus_generator.py (seed 7, not the benchmark's seed), runs
every per-row step (and the eight of them chained, as the default pipeline does) and records, for every row, what
each step did: the text after, the action and the reason (and the safety flags, and RedactPII's found values).
tests/test_corpus_rowspeed.py then asserts the steps still produce exactly this.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from corpus_generator import CorpusGenerator  # noqa: E402

FIXTURE = Path(__file__).with_name("rowspeed_fixture.json.gz")
SEED = 7
N_MESSAGES = 2000


def steps() -> dict[str, object]:
    """The step configurations frozen by the fixture (name -> step)."""
    from nbtools.corpus import (FixUnicode, LanguageFilter, LengthFilter, NormalizeWhitespace, RedactPII,
                                SafetyScreen, StripBoilerplate, StripMarkup)

    return {
        "fix_unicode": FixUnicode(),
        "fix_unicode_nfkc": FixUnicode(form="NFKC"),
        "strip_markup": StripMarkup(),
        "strip_markup_links": StripMarkup(keep_link_urls=True),
        "strip_boilerplate": StripBoilerplate(),
        "redact_pii": RedactPII(),
        "redact_pii_all_urls": RedactPII(redact_all_urls=True, conversation_names=False),
        "normalize_whitespace": NormalizeWhitespace(),
        "length_filter": LengthFilter(),
        "length_filter_tokens": LengthFilter(min_tokens=4, max_tokens=120),
        "language_filter": LanguageFilter(),
        "language_filter_en_de": LanguageFilter(allowed=frozenset({"en", "de"}), min_confidence=0.5),
        "safety_screen": SafetyScreen(),
        "safety_screen_mark": SafetyScreen(policy="mark", threshold=0.5),
    }


CHAIN = ("fix_unicode", "strip_markup", "strip_boilerplate", "redact_pii", "normalize_whitespace", "length_filter",
         "language_filter", "safety_screen")


def input_table() -> pd.DataFrame:
    """The canonical message table the fixture was made from (stored in the fixture itself)."""
    rows = []
    for r in CorpusGenerator(SEED, pool=600).conversations(N_MESSAGES):
        role = {"customer": "user", "agent": "assistant", "bot": "assistant"}[r["speaker"]]
        rows.append({"row_id": f"gen:{len(rows) + 1}", "conversation_id": r["conversation_id"],
                     "turn": r["turn"], "role": role, "text": r["text"], "customer_name": r["customer_name"],
                     "agent_name": r["agent_name"], "customer_email": r["customer_email"]})
    return pd.DataFrame(rows)


def kept_digest(table: pd.DataFrame) -> str:
    """SHA-256 over the kept rows' ids and texts, in order (the texts themselves are the changes' or the input's)."""
    digest = hashlib.sha256()
    for row_id, text in zip(table.row_id, table.text):
        digest.update(f"{row_id}\x01{text}\x00".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def outcome_record(outcome) -> dict:
    """What a step did (its StepOutcome): its changes, the kept rows' texts, and extra columns it added."""
    record = {"changes": [[c.row_id, c.action, c.reason, c.after, c.duplicate_of] for c in outcome.changes],
              "kept": kept_digest(outcome.table)}
    if "safety_flags" in outcome.table.columns:
        record["safety_flags"] = outcome.table.safety_flags.tolist()
    if "customer_email" in outcome.table.columns:
        record["customer_email"] = outcome.table.customer_email.tolist()
    return record


def record_of(step, table: pd.DataFrame) -> dict:
    """outcome_record of `step` applied to `table`."""
    return outcome_record(step.apply(table))


def expected(table: pd.DataFrame) -> dict:
    """Every frozen outcome: each step alone on the input, the chain step by step, RedactPII.found_values."""
    configured = steps()
    out: dict = {"single": {name: record_of(step, table) for name, step in configured.items()}, "chain": []}
    work = table
    for name in CHAIN:
        outcome = configured[name].apply(work)
        out["chain"].append(outcome_record(outcome))
        work = outcome.table
    out["found_values"] = sorted(configured["redact_pii"].found_values(table))
    return out


def main() -> None:
    table = input_table()
    data = {"seed": SEED, "input": table.to_dict("records"), "expected": expected(table)}
    with gzip.open(FIXTURE, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(data, f, ensure_ascii=False, sort_keys=True)
    print(f"{FIXTURE}: {len(table)} messages, {FIXTURE.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
