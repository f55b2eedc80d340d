#!/usr/bin/env bash
# One command on a fresh machine: set up .venv with the test extras, lint, run the whole suite
# (slow reproduction checks included; add -m "not slow" for a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,ray,browser,tensorboard
.venv/bin/ruff check src tests benchmarks
.venv/bin/lint-imports  # the import layers (pyproject.toml, [tool.importlinter])
# Two workers, one file each at a time, one BLAS/OpenMP thread each: most tests are single-threaded
# Python (CLI subprocesses, file checks), and the few training-heavy ones ran faster on one thread
# than on two when the cores are shared. On 2 cores: 8–9 min, against 13–15 min in one process
# with torch's two threads (docs/performance.md, "The test suite").
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
