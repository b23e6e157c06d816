#!/usr/bin/env bash
# Creates .venv and installs Noisescope with what it needs; safe to run again (it only adds what is missing).
# torch is pinned and installed first: without a torch already present, a bare requirement would pull the
# newest build with several GB of CUDA packages even on machines without a GPU. On a GPU machine,
# `pip install torch==2.13.0` gets the CUDA build from PyPI (Linux); set TORCH_SPEC to choose another.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet "$TORCH_SPEC"
fi
.venv/bin/python -m pip install --quiet -e ".[dev]"
