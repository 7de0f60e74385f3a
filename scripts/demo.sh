#!/usr/bin/env bash
# Set up, then run the whole workflow on the sample data against the local backend (no key, no network):
# notebooks 01..07 in order. Executed copies land in build/executed/ (open them in JupyterLab); the cleaned data,
# training files, ratings and exports in build/workflow/ and build/export/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p build/executed
for notebook in notebooks/0*.ipynb; do
  echo "== running ${notebook}"
  .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1800 \
    --output-dir build/executed "${notebook}" --log-level WARN
done
.venv/bin/nbtools serve --stop >/dev/null 2>&1 || true
echo
echo "Done. Executed notebooks: build/executed/; data: build/workflow/ and build/export/."
echo "Open them with: .venv/bin/jupyter lab build/executed"
