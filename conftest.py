"""Session set-up shared by the tests and the notebook runs (nbval).

Everything nbtools writes goes to a throw-away home for this test session; the converted base model is reused from
the normal model cache (``~/.nbtools/models`` unless NBTOOLS_MODEL_CACHE says otherwise), since converting it takes
about 45 s. Notebook kernels inherit this environment, so notebooks 01..07 share one home, as a user's would.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="nbtools-test-home-"))
os.environ["NBTOOLS_HOME"] = str(_SESSION_HOME)
os.environ.setdefault("NBTOOLS_MODEL_CACHE", str(Path.home() / ".nbtools" / "models"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Never let a developer's real key reach a test or a notebook run.
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
    os.environ.pop(_name, None)
# ... nor a .env file in the clone choose a hosted backend for the notebooks: the environment wins over .env.
os.environ["NBTOOLS_BACKEND"] = "local"

# Doctests run over the package; the entry-point module would run the CLI on import.
collect_ignore = ["nbtools/__main__.py"]


def pytest_sessionfinish(session, exitstatus):
    """Stop the local server the notebooks started in this session's home, then remove the home."""
    import shutil

    try:
        from nbtools.server.launcher import stop_local_server

        stop_local_server(_SESSION_HOME)
    except Exception as exc:  # never hide the test result behind a clean-up problem, but say what happened
        print(f"\nnbtools test clean-up: could not stop the local server in {_SESSION_HOME}: {exc}")
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
