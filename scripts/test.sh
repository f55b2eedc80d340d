#!/usr/bin/env bash
# One command on a fresh machine: set up .venv with the test extras, lint, run the whole suite
# (slow reproduction checks included; add -m "not slow" for a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,ray,browser,tensorboard
.venv/bin/ruff check src tests benchmarks
.venv/bin/lint-imports  # the import layers (pyproject.toml, [tool.importlinter])
exec .venv/bin/python -m pytest "$@"
