#!/usr/bin/env bash
# The GPU measurements in one command, on a machine with its own PyTorch + CUDA and the project's
# dependencies (nothing is installed; the project runs from src/ on PYTHONPATH). Writes JSON (and
# the paper-wd phase panels) into OUT_DIR:
#
#   bench_cuda.json      throughput against the ensemble size M (1, 8, 64, 256) at p = 97, N = 500 and
#                        p = 23, N = 64: fp32, TF32, bf16, CUDA graphs, the CPU's blocked layout,
#                        beside the card's fp32 / TF32 / bf16 matmul peaks (rulesfacts bench --device cuda)
#   gpu_checks.json      no host sync between log passes; memory per member against the estimate;
#                        CUDA graph against eager; the four reference points' phases (fp32, TF32,
#                        bf16, graphs) against the CPU's; the small preset cell by cell, GPU against CPU
#   gpu_paper_wd_*.json  the paper-wd grid end to end (FRACTION of its 17 α values; 1 = all 1156
#                        runs), in each of DTYPES (default "float32 bfloat16"; tfloat32 too),
#                        model-epochs/s and phases, with .png panels
#
# usage: scripts/gpu_check.sh [OUT_DIR] [SECTION ...]
#   OUT_DIR   default: $OUT, else benchmarks/results/gpu
#   SECTION   bench, checks, paperwd (default: all three, in that order; about 6-10 min on one H200)
# environment: FRACTION (default 1), PYTHON (default python), COMPILED=1 adds the compiled variants
#   to the bench (each compiles for tens of seconds).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${1:-${OUT:-benchmarks/results/gpu}}"
shift || true
SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(bench checks paperwd)
PY="${PYTHON:-python}"
FRACTION="${FRACTION:-1}"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT_DIR"

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "error: no CUDA device visible to $PY (torch.cuda.is_available() is False)" >&2
    exit 2
fi
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" >&2

status=0
for section in "${SECTIONS[@]}"; do
    echo "== $section" >&2
    case "$section" in
        bench)
            compiled=(--no-compiled)
            [ "${COMPILED:-0}" = 1 ] && compiled=(--compiled)
            "$PY" -m rulesfacts.cli.main bench --device cuda --sizes 97x500,23x64 --ensembles 1,8,64,256 \
                --epochs 20 --repeats 3 --no-extras "${compiled[@]}" --json > "$OUT_DIR/bench_cuda.json" || status=1
            ;;
        checks)
            "$PY" benchmarks/gpu_checks.py --out "$OUT_DIR" > /dev/null || status=1
            ;;
        paperwd)
            for dtype in ${DTYPES:-float32 bfloat16}; do
                "$PY" benchmarks/gpu_paper_wd.py --fraction "$FRACTION" --dtype "$dtype" --out "$OUT_DIR" \
                    > /dev/null || status=1
            done
            ;;
        *)
            echo "error: unknown section '$section' (allowed: bench, checks, paperwd)" >&2
            exit 2
            ;;
    esac
done
ls -l "$OUT_DIR" >&2
exit $status
