#!/usr/bin/env bash
# One command on a fresh machine: set up .venv, then run the main demo (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/rulesfacts demo "$@"
