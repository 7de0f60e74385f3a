#!/usr/bin/env bash
# Set up, then run every test: unit and end-to-end tests (pytest) and all tutorial notebooks (nbval).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# Lint (ruff, rule set in pyproject.toml) and types (mypy on nbtools/) first: both must report 0 findings.
.venv/bin/ruff check
.venv/bin/mypy
# Notebooks first, in order: notebook 04's fine-tune is then reused by the browser test instead of being run twice.
# --durations: the slowest tests, to keep the whole run within its time budget (about 40 min on 2 cores).
exec .venv/bin/python -m pytest notebooks tests nbtools --nbval-lax --durations=25 "$@"
