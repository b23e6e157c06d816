#!/usr/bin/env bash
# Gets a training run ready for a lent GPU machine (the `device` tool's nvidia-h200: python3 with a CUDA
# torch and most of what training needs, no network). Run here, from the repository root:
#   bash scripts/device_kit.sh [IMAGE_FOLDER]
# It downloads, into .whl/ (git-ignored), wheels of the packages that machine lacks, at the versions of
# this checkout's .venv, and copies IMAGE_FOLDER (a `train --images` folder) into .carry/images.
# Then one device call, carrying both, trains there (scripts/device_train.sh says how).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "device_kit.sh: no .venv here: run bash scripts/setup.sh first" >&2; exit 1; }
if [ $# -ge 1 ] && [ ! -d "$1" ]; then echo "device_kit.sh: $1 is not a folder of images" >&2; exit 1; fi
# What the device image lacks of training's imports (its package list: /work/.library/device/KINDS.md;
# it has torch, numpy, pillow, safetensors, huggingface-hub 1.33, transformers, tqdm, requests, regex).
NEEDED=(diffusers platformdirs importlib_metadata)
pins=()
for name in "${NEEDED[@]}"; do
  version=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('$name'))")
  pins+=("$name==$version")
done
rm -rf .whl && mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl "${pins[@]}"
ls .whl
if [ $# -ge 1 ]; then
  rm -rf .carry/images && mkdir -p .carry && cp -r "$1" .carry/images
  echo "copied $1 to .carry/images ($(du -sh .carry/images | cut -f1))"
fi
du -sh .whl
