"""What the walkthrough achieved, in one summary: the model it made, how long each stage took, what it saves.

Everything in it is read from the files the notebooks wrote and from the run log, so the summary can be printed at
the end of ``scripts/demo.sh``, from a notebook cell, or at any later time::

    summary = walkthrough_summary("build")
    print(summary.to_text())

The figures:

- the **fine-tuned model** of notebook 04 (from the run log; ``served`` says whether the backend lists it);
- **stage times**: seconds per notebook, as :func:`nbtools.walkthrough.execute.run_notebooks` recorded them in
  ``executed/timings.json``;
- the **prompt-size reduction**: tokens of the system message with the long custom instructions against the
  one-line prompt the fine-tuned model needs, counted with the base model's own tokenizer;
- **eval results**, when the evaluation left ``workflow/eval_summary.csv`` (pass rate per set-up and check);
- **where things are**, each path checked to exist, and the next commands to try.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from ..errors import JobError

__all__ = ["WalkthroughSummary", "walkthrough_summary", "write_timings", "TIMINGS_FILE", "EVAL_SUMMARY_FILE"]

TIMINGS_FILE = "timings.json"  # in the executed-notebooks folder
EVAL_SUMMARY_FILE = "eval_summary.csv"  # in the workflow folder
_TUTORIAL_LABEL = "04_launch_job"
# (label, path below the build folder) of the files a user looks for first.
_PLACES = (
    ("cleaned messages", "workflow/cleaned_messages.parquet"),
    ("rejected rows, with reasons", "workflow/rejects.csv"),
    ("training file", "workflow/train.jsonl"),
    ("validation file", "workflow/valid.jsonl"),
    ("your ratings", "workflow/ratings.jsonl"),
    ("exported dataset", "export"),
    ("executed notebooks", "executed"),
)


@dataclass(frozen=True)
class WalkthroughSummary:
    """The outcome of one walkthrough run (see the module docstring for where each figure comes from)."""

    build_dir: Path
    fine_tuned_model: str | None
    job_id: str | None
    base_model: str | None
    served: bool | None  # None: the backend was not asked
    stages: tuple[tuple[str, float], ...]
    long_prompt_tokens: int | None
    short_prompt_tokens: int | None
    places: tuple[tuple[str, Path, bool], ...]
    evals: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def prompt_reduction(self) -> float | None:
        """Share of system-prompt tokens the fine-tune saves per request (0.98 = 98 % fewer)."""
        if not self.long_prompt_tokens or self.short_prompt_tokens is None:
            return None
        return 1 - self.short_prompt_tokens / self.long_prompt_tokens

    @property
    def total_seconds(self) -> float:
        return sum(seconds for _, seconds in self.stages)

    def next_steps(self) -> list[str]:
        """Commands to try next, with this run's model id filled in."""
        steps = [".venv/bin/jupyter lab build/executed     # the executed notebooks, widgets as they were"]
        if self.fine_tuned_model:
            steps.append(f".venv/bin/nbtools serve --detach && .venv/bin/python -c \"import nbtools; "
                         f"c = nbtools.connect('local'); print(c.chat.completions.create(model='{self.fine_tuned_model}', "
                         "messages=[{'role': 'user', 'content': 'Can I pause my plan?'}]).choices[0].message.content)\"")
        if self.fine_tuned_model:
            steps.append(f".venv/bin/nbtools model export {self.fine_tuned_model} --format ollama --out build/model-ollama"
                         "     # the model for llama.cpp / Ollama (formats: adapter, merged, gguf, ollama, vllm)")
        return steps

    def to_text(self) -> str:
        """The summary as plain text lines, for a terminal."""
        lines = ["What this run made"]
        if self.fine_tuned_model:
            state = {True: "served by the local server", False: "NOT listed by the server", None: "not checked"}
            lines.append(f"  fine-tuned model  {self.fine_tuned_model}  ({state[self.served]}; job {self.job_id}, "
                         f"base {self.base_model})")
        else:
            lines.append("  fine-tuned model  none (notebook 04 has not finished a job)")
        if self.prompt_reduction is not None:
            lines.append(f"  prompt size       {self.long_prompt_tokens} -> {self.short_prompt_tokens} system-prompt "
                         f"tokens per request ({self.prompt_reduction:.0%} fewer with the fine-tune)")
        if self.stages:
            lines.append(f"  time              {self.total_seconds / 60:.1f} min in all: " + ", ".join(
                f"{name} {seconds:.0f} s" for name, seconds in self.stages))
        if self.evals is not None and not self.evals.empty:
            lines.append("  eval (pass rate per set-up)")
            lines += ["    " + line for line in self.evals.to_string().splitlines()]
        lines.append("Where things are")
        lines += [f"  {label:<29} {path}" + ("" if exists else "  (missing)") for label, path, exists in self.places]
        lines.append("Try next")
        lines += [f"  {step}" for step in self.next_steps()]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "```text\n" + self.to_text() + "\n```"


def write_timings(executed_dir: str | os.PathLike[str], stages: Iterable[tuple[str, float]]) -> Path:
    """Record seconds per stage beside the executed notebooks (read back by :func:`walkthrough_summary`)."""
    path = Path(executed_dir) / TIMINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"stage": name, "seconds": round(seconds, 1)} for name, seconds in stages], indent=1),
                    encoding="utf-8")
    return path


def _read_timings(path: Path) -> tuple[tuple[str, float], ...]:
    if not path.is_file():
        return ()
    return tuple((row["stage"], float(row["seconds"])) for row in json.loads(path.read_text(encoding="utf-8")))


def _prompt_tokens(samples_dir: Path, model: str | None) -> tuple[int | None, int | None]:
    """System-message tokens of the long and the short prompt, with the base model's tokenizer."""
    source = samples_dir / "custom_instructions.md"
    if not source.is_file():
        return None, None
    from ..dataset import read_system_prompts
    from ..tokens import TokenCounter

    prompts = read_system_prompts(source)
    counter = TokenCounter.for_model(model or "gpt-4o-mini")
    return tuple(counter.count_messages([{"role": "system", "content": text}])  # type: ignore[return-value]
                 for text in (prompts.long, prompts.short))


def _read_evals(path: Path) -> pd.DataFrame | None:
    """The pass-rate table notebook 05 wrote (``EvalResult.write_summary``), one row per set-up."""
    if not path.is_file():
        return None
    from ..csvfiles import read_csv

    table = read_csv(path)
    return table.set_index("setup") if "setup" in table.columns else table


def _served(client: Any, model: str) -> bool:
    return model in {m.id for m in client.models.list()}


def walkthrough_summary(build_dir: str | os.PathLike[str] = "build", *, samples_dir: str | os.PathLike[str] | None = None,
                        client: Any = None, home: str | os.PathLike[str] | None = None,
                        label: str = _TUTORIAL_LABEL) -> WalkthroughSummary:
    """Summarise a walkthrough from its build folder (``build/`` of ``scripts/demo.sh``) and the run log.

    With `client`, the fine-tuned model is looked up on the backend (``served``); without, it is not checked.
    """
    from ..jobs import latest_job

    build = Path(build_dir)
    samples = Path(samples_dir) if samples_dir is not None else build.resolve().parent / "data" / "samples"
    try:
        job = latest_job(status="succeeded", label=label, home=home)
    except JobError:
        job = None
    model = job.fine_tuned_model if job else None
    evals_path = build / "workflow" / EVAL_SUMMARY_FILE
    long_tokens, short_tokens = _prompt_tokens(samples, job.model if job else None)
    return WalkthroughSummary(
        build_dir=build,
        fine_tuned_model=model,
        job_id=job.job_id if job else None,
        base_model=job.model if job else None,
        served=_served(client, model) if (client is not None and model) else None,
        stages=_read_timings(build / "executed" / TIMINGS_FILE),
        long_prompt_tokens=long_tokens,
        short_prompt_tokens=short_tokens,
        places=tuple((name, build / rel, (build / rel).exists()) for name, rel in _PLACES),
        evals=_read_evals(evals_path),
    )


def summary_record(summary: WalkthroughSummary) -> Mapping[str, Any]:
    """The summary as a JSON-ready dict (``python -m nbtools.walkthrough --json``)."""
    return {
        "fine_tuned_model": summary.fine_tuned_model, "job_id": summary.job_id, "base_model": summary.base_model,
        "served": summary.served, "stages": [{"stage": n, "seconds": s} for n, s in summary.stages],
        "long_prompt_tokens": summary.long_prompt_tokens, "short_prompt_tokens": summary.short_prompt_tokens,
        "prompt_reduction": summary.prompt_reduction,
        "places": [{"label": n, "path": str(p), "exists": e} for n, p, e in summary.places],
        "next_steps": summary.next_steps(),
    }
