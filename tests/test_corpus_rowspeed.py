"""The per-row cleaning steps, made faster, still do exactly what they did: frozen outcomes on a generated corpus.

tests/data/rowspeed_fixture.json.gz was recorded by tests/data/make_rowspeed_fixture.py with the steps as they were
before the speed work (2,001 generated messages: mojibake, HTML, signatures, PII, other languages, offensive,
empty and too-long messages). Every step alone, and the eight chained as the default pipeline runs them, must give
the same texts, actions, reasons, safety flags and redacted values.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("make_rowspeed_fixture", DATA / "make_rowspeed_fixture.py")
assert _spec and _spec.loader
fixture_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_script)


@pytest.fixture(scope="module")
def frozen() -> dict:
    with gzip.open(DATA / "rowspeed_fixture.json.gz", "rt", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def table(frozen) -> pd.DataFrame:
    return pd.DataFrame(frozen["input"])


def test_fixture_covers_the_dirt(frozen):
    single = frozen["expected"]["single"]
    reasons = {name: {c[2].split(":")[0] for c in rec["changes"]} for name, rec in single.items()}
    assert "repaired mojibake / Unicode" in reasons["fix_unicode"]
    assert "stripped HTML markup" in reasons["strip_markup"]
    assert {"removed signature", "boilerplate message"} <= reasons["strip_boilerplate"]
    assert any(r.startswith("language 'de'") or r.startswith("language 'fr'") for r in reasons["language_filter"])
    assert {"empty message", "too long"} <= reasons["length_filter"]
    found = " ".join(c[2] for c in single["redact_pii"]["changes"])
    assert all(kind in found for kind in ("EMAIL", "PHONE", "CARD", "IP", "NAME"))
    assert reasons["safety_screen"]


@pytest.mark.parametrize("name", list(fixture_script.steps()))
def test_each_step_alone_matches_the_frozen_outcome(name, frozen, table):
    got = fixture_script.record_of(fixture_script.steps()[name], table)
    want = frozen["expected"]["single"][name]
    assert got["changes"] == want["changes"]
    assert got == want


def test_chained_steps_match_the_frozen_outcome(frozen, table):
    configured, work = fixture_script.steps(), table
    for name, want in zip(fixture_script.CHAIN, frozen["expected"]["chain"], strict=True):
        outcome = configured[name].apply(work)
        got = fixture_script.outcome_record(outcome)
        assert got["changes"] == want["changes"], name
        assert got == want, name
        work = outcome.table


def test_found_values_match(frozen, table):
    assert sorted(fixture_script.steps()["redact_pii"].found_values(table)) == frozen["expected"]["found_values"]
