#!/usr/bin/env bash
# Trains on a lent GPU machine, run there by the `device` tool after `bash scripts/device_kit.sh DIR` here:
#   run(command="bash scripts/device_train.sh MINUTES diffusion --images .carry/images --size 32 ...",
#       carry=[".whl", ".carry"], timeout_s=600)
# MINUTES is the training budget (`train --minutes`); leave 2-3 of the command's 10 minutes for the
# start, the export and the sample grid. The rest are `noisescope train` arguments; --device, --out,
# --checkpoint-dir and --quiet are set here. Back in $OUT: model/ (config.json and model.safetensors,
# the bundled format, ready for `--init` here), the loss log, the last sample grid and train.log.
# The checkpoint (optimizer state) stays behind: it is too big to come back (16 MB a file).
# DEVICE=cpu and OUT=DIR run it anywhere, to try it. scripts/device_env.sh sets up the wheels (bench/ needs it too).
set -euo pipefail
minutes=$1
shift
OUT=${OUT:-/tmp/device-out}
mkdir -p "$OUT"
source "$(dirname "$0")/device_env.sh"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda available:', torch.cuda.is_available())"
# A run that fails (out of memory: the model of the last whole step is exported first) still brings
# back what it wrote; the script ends with train's exit status.
status=0
python3 -m engine.cli train "$@" --device "${DEVICE:-cuda}" --minutes "$minutes" --quiet \
  --out "$OUT/model" --checkpoint-dir /tmp/device-checkpoints 2>&1 | tee "$OUT/train.log" || status=$?
cp /tmp/device-checkpoints/*-losses.csv "$OUT/" 2>/dev/null || true
last=$(ls /tmp/device-checkpoints/*-step*.png 2>/dev/null | tail -1 || true)
if [ -n "$last" ]; then cp "$last" "$OUT/"; fi
ls -la "$OUT" "$OUT/model" || true
exit "$status"
