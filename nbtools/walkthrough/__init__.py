"""The walkthrough: run the tutorial notebooks unattended, keep executed copies that render as they did live, and
summarise what the run made (``nbtools walkthrough``, called by ``scripts/demo.sh``)."""

from .execute import SNAPSHOT_MARK, NotebookFailed, NotebookRun, run_notebook, run_notebooks
from .summary import EVAL_SUMMARY_FILE, TIMINGS_FILE, WalkthroughSummary, walkthrough_summary, write_timings

__all__ = [
    "SNAPSHOT_MARK",
    "NotebookFailed",
    "NotebookRun",
    "run_notebook",
    "run_notebooks",
    "EVAL_SUMMARY_FILE",
    "TIMINGS_FILE",
    "WalkthroughSummary",
    "walkthrough_summary",
    "write_timings",
]
