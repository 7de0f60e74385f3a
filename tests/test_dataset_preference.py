"""DPO pairs from review tables."""

from __future__ import annotations

import pandas as pd
import pytest

from nbtools.dataset import build_dpo_pairs
from nbtools.errors import InputError
from nbtools.validate import validate_records

ROWS = pd.DataFrame({
    "ticket_id": ["T1", "T2", "T3", "T4"],
    "question": ["Can I pause my plan?", "Where is my refund?", "", "Hi"],
    "draft_reply": ["Per our policy you can.", "Unfortunately you waited too long.", "x", "Same"],
    "approved_reply": ["Hey there! Absolutely.\nStay grounded! ☕", "Hey there! It's on its way.\nStay grounded! ☕",
                       "y", "Same"],
})


def test_pairs_have_the_official_shape_and_validate():
    result = build_dpo_pairs(ROWS, system_prompt="Be Brewtiful.")
    assert len(result) == 2
    pair = result.examples[0]
    assert pair["input"]["messages"] == [{"role": "system", "content": "Be Brewtiful."},
                                         {"role": "user", "content": "Can I pause my plan?"}]
    assert pair["preferred_output"] == [{"role": "assistant", "content": ROWS.loc[0, "approved_reply"]}]
    assert pair["non_preferred_output"] == [{"role": "assistant", "content": ROWS.loc[0, "draft_reply"]}]
    report = validate_records(result.examples, min_examples=1)
    assert report.ok and report.kind == "dpo" and not report.warnings


def test_rejects_say_why():
    result = build_dpo_pairs(ROWS)
    assert result.rejects[["id", "reason"]].values.tolist() == [
        ["row 2", "empty question"], ["row 3", "preferred and non-preferred replies are identical"]]


def test_custom_columns_and_missing_ones():
    renamed = ROWS.rename(columns={"question": "prompt"})
    assert len(build_dpo_pairs(renamed, prompt_column="prompt")) == 2
    with pytest.raises(InputError, match="lacks columns question"):
        build_dpo_pairs(renamed)
