"""DPO preference pairs from review tables: a prompt, the preferred reply and the non-preferred one.

    >>> import pandas as pd
    >>> rows = pd.DataFrame([{"question": "Can I pause?", "approved_reply": "Hey there! Sure thing.",
    ...                       "draft_reply": "Per our policy, yes."}])
    >>> build_dpo_pairs(rows).examples[0]
    {'input': {'messages': [{'role': 'user', 'content': 'Can I pause?'}]}, 'preferred_output': [{'role': 'assistant', 'content': 'Hey there! Sure thing.'}], 'non_preferred_output': [{'role': 'assistant', 'content': 'Per our policy, yes.'}]}
"""

from __future__ import annotations

import pandas as pd

from ..errors import InputError
from .result import REJECT_COLUMNS, BuildResult

__all__ = ["build_dpo_pairs"]


def build_dpo_pairs(rows: pd.DataFrame, *, system_prompt: str | None = None, prompt_column: str = "question",
                    preferred_column: str = "approved_reply", non_preferred_column: str = "draft_reply"
                    ) -> BuildResult:
    """One ``{"input", "preferred_output", "non_preferred_output"}`` pair per row; unusable rows go to rejects."""
    columns = (prompt_column, preferred_column, non_preferred_column)
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise InputError("review table lacks columns " + ", ".join(missing), field="columns",
                         value=list(rows.columns))
    keys = rows["row_id"].astype(str).tolist() if "row_id" in rows.columns else [f"row {i}" for i in rows.index]
    examples, ids, sources, rejects = [], [], [], []
    for key, prompt, preferred, other in zip(keys, *(rows[c] for c in columns)):
        empty = [c for c, v in zip(columns, (prompt, preferred, other)) if not isinstance(v, str) or not v.strip()]
        if empty:
            reason = f"empty {empty[0]}"
        elif preferred.strip() == other.strip():
            reason = "preferred and non-preferred replies are identical"
        else:
            reason = None
        if reason:
            rejects.append({"id": key, "reason": reason, "n_rows": 1, "row_ids": [key]})
            continue
        messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages.append({"role": "user", "content": prompt})
        examples.append({"input": {"messages": messages},
                         "preferred_output": [{"role": "assistant", "content": preferred}],
                         "non_preferred_output": [{"role": "assistant", "content": other}]})
        ids.append(key)
        sources.append([key])
    return BuildResult(examples=examples, ids=ids, row_ids=sources,
                       rejects=pd.DataFrame(rejects, columns=REJECT_COLUMNS), n_rows_in=len(rows))
