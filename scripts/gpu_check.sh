#!/usr/bin/env bash
# GPU checks for a machine with an NVIDIA GPU, CuPy and PyTorch already installed (it installs nothing
# and needs no network). Runs in under 5 minutes:
#   1. the device tests of chapter 5 on the real GPU (the `gpu`-marked ones included);
#   2. the parity suite of every operation and its gradient, with tensors made on the GPU (TL_TEST_DEVICE=cuda),
#      compared with PyTorch on the CPU; and the nn/optim/training tests on the GPU;
#   3. chapters 5 and 6 (their solution notebooks) executed on the GPU, as plain scripts (no Jupyter needed);
#   4. the GPU benchmark (bench/gpu_bench.py): matmul, MLP training step, small-op overhead, kernel first use.
# Usage: bash scripts/gpu_check.sh [--quick]     (set PYTHON to choose the interpreter)
#
# Full logs (the op suite's failures with their messages, the step profile) go to $GPU_CHECK_LOGS, default
# $OUT when that is set (the device tool's folder that comes back), else /tmp/gpu_check_logs.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
LOGS="${GPU_CHECK_LOGS:-${OUT:-/tmp/gpu_check_logs}}"
mkdir -p "$LOGS"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
unset TINYGRAD_LESSONS_SIMULATE_CUDA
WORKERS="${GPU_CHECK_WORKERS:-8}"
status=0

echo "== environment"
"$PY" - <<'PYEOF' || exit 1
import platform, numpy, cupy, torch
import tinygrad_lessons as tl
print("python", platform.python_version(), "| numpy", numpy.__version__, "| cupy", cupy.__version__,
      "| torch", torch.__version__, "| tinygrad_lessons", tl.__version__)
assert tl.cuda.is_available() and not tl.backend.simulating(), "no real GPU visible to CuPy"
p = tl.cuda.get_device_properties(0)
print("GPU:", p.name, f"| {p.total_memory / 2**30:.0f} GiB | compute capability {p.major}.{p.minor}")
PYEOF

echo "== 1. chapter 5 device tests on the real GPU"
timeout 120 "$PY" -m pytest -p no:cacheprovider -q -rs tests/test_ch5_devices.py tests/test_ch5_device_work.py \
    tests/test_ch5_exercises.py 2>&1 | tee "$LOGS/gpu_check_1_devices.log" | tail -n 25
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== 2. every op and its gradient on the GPU vs PyTorch (CPU); nn, optim, training on the GPU"
# shellcheck disable=SC2086 - GPU_CHECK_TESTS is a list of paths/globs
TL_TEST_DEVICE=cuda HYPOTHESIS_PROFILE=gpu timeout 150 "$PY" -m pytest -p no:cacheprovider -q -n "$WORKERS" \
    -rf --tb=short ${GPU_CHECK_TESTS:-tests/test_ch2_shape_ops.py tests/test_ch3_*.py tests/test_ch4_*.py tests/test_ch6_*.py} \
    2>&1 | tee "$LOGS/gpu_check_2_ops.log" | grep -E "^(FAILED|ERROR)|passed|failed" | cut -c1-240 | tail -n 40
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== 3. chapters 5 (GPU) and 6 (training loop), solution notebooks run as scripts on the GPU"
MPLBACKEND=Agg timeout 120 "$PY" scripts/run_notebook.py autograder/source/ch05_gpu/05_gpu.ipynb \
    autograder/source/ch06_training_loop/06_training_loop.ipynb 2>&1 | tee "$LOGS/gpu_check_3_chapters.log" \
    | grep -v "^  cell" | tail -n 30
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== 4. GPU benchmark"
timeout 150 "$PY" bench/gpu_bench.py "$@" || status=1
cp bench/results/gpu.json bench/results/gpu_profile.txt "$LOGS/" 2>/dev/null
echo "== full logs in $LOGS"

echo "== gpu_check: $([ $status -eq 0 ] && echo PASSED || echo FAILED)"
exit $status
