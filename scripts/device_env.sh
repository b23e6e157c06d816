# Source this on a lent GPU machine (the `device` tool), from the repository root, before running the
# engine there: it installs the wheels scripts/device_kit.sh put in .whl/ (carried: carry=[".whl"]) into
# /tmp/site and puts them and this checkout on PYTHONPATH, e.g.
#   source scripts/device_env.sh && python3 -m bench.train_step_bench --device cuda --widths 64,128,128 --batch 128
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || { echo "device_env.sh: no wheels in .whl/: run scripts/device_kit.sh here and carry .whl" >&2; return 1 2>/dev/null || exit 1; }
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
