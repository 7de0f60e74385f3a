"""Notebook 04's fine-tuned job for tests that need the tutorial's outcome (the browser tests, the walkthrough
summary): found in this session's run log (the test command runs the notebooks first), or made by running notebooks
01-04 headless."""

from __future__ import annotations

from pathlib import Path

from nbtools.jobs import find_jobs

ROOT = Path(__file__).resolve().parents[1]
PREREQUISITES = ("01_clean_corpus", "02_build_jsonl", "03_estimate_cost", "04_launch_job")
TUTORIAL_LABEL = "04_launch_job"


def has_tuned_model() -> bool:
    return bool(find_jobs(kind="local", status="succeeded", label=TUTORIAL_LABEL))


def ensure_tutorial_job() -> None:
    """Run notebooks 01-04 unless the run log already has their succeeded job."""
    if not has_tuned_model():
        import nbformat
        from nbclient import NotebookClient

        for name in PREREQUISITES:
            notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
            NotebookClient(notebook, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    assert has_tuned_model(), "notebooks 01-04 ran but the run log has no succeeded job from 04_launch_job"
