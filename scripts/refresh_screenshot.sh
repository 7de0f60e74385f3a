#!/usr/bin/env bash
# Refresh the README's picture: the browser test executes notebook 05 as the demo does, opens the executed copy in
# JupyterLab (Chromium) and screenshots the comparison widget rendered from its saved state; the picture is copied
# to docs/images/. Needs the test set-up (bash scripts/setup.sh --test); runs notebooks 01-04 first if this home has
# no tutorial job yet.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest tests/test_browser_compare.py -k executed_snapshot -q -p no:cacheprovider
mkdir -p docs/images
cp test-artifacts/executed_05_compare_outputs.png docs/images/05_compare_outputs.png
echo "updated docs/images/05_compare_outputs.png"
