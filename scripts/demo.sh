#!/usr/bin/env bash
# Set up, then run the whole workflow on the sample data against the local backend (no key, no network):
# notebooks 01..07 in order. Executed copies land in build/executed/ (signed snapshots with their widget state: open
# them in JupyterLab); the cleaned data, training files, ratings and exports in build/workflow/ and build/export/.
# Ends with a summary of what the run made: the fine-tuned model, time per stage, prompt savings, eval results.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== setting up (.venv, base model)"
bash scripts/setup.sh
.venv/bin/nbtools walkthrough --build build
.venv/bin/nbtools serve --stop >/dev/null 2>&1 || true
