#!/usr/bin/env bash
# Set up, then run every test: unit and end-to-end tests (pytest) and all tutorial notebooks (nbval).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest tests nbtools notebooks --nbval-lax "$@"
