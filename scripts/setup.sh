#!/usr/bin/env bash
# Set up .venv with rulesfacts and the given extras, idempotently, on a fresh machine.
#   bash scripts/setup.sh            # core: what the demo needs
#   bash scripts/setup.sh dev,ray,browser,tensorboard   # everything the test suite needs (+ Debian's chromium)
# torch is pinned to 2.13.0 and installed first, so that no dependency can pull a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
pip=".venv/bin/pip"
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  "$pip" install -q "torch==2.13.0"
fi
spec="."
[ -n "$extras" ] && spec=".[$extras]"
# pip compares against the installed state, so a second run is quick
"$pip" install -q -e "$spec" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import rulesfacts" # fail loudly if the install did not work
if [[ ",$extras," == *",browser,"* ]] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian's chromium for the browser tests" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: browser tests need Debian's chromium: sudo apt-get install chromium" >&2
  fi
fi
