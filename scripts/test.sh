#!/usr/bin/env bash
# Run the whole test suite in its own virtual environment (.venv-test).
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=.venv-test
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
"$VENV/bin/python" -m ruff check src tests bench scripts
# The notebook tests start kernels and JupyterLab: keep Jupyter's, IPython's and matplotlib's files
# out of $HOME, in a folder removed afterwards.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export JUPYTER_CONFIG_DIR="$scratch/jupyter-config" JUPYTER_DATA_DIR="$scratch/jupyter-data" \
    IPYTHONDIR="$scratch/ipython" MPLCONFIGDIR="$scratch/matplotlib"
"$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
# A full run (no arguments) repeats the parity suite of every operation and its gradient, and the nn/optim
# tests, with the tensors on the simulated CUDA device: CI has no GPU, and the device rules must hold anyway.
if [ $# -eq 0 ]; then
    echo "== the same operations on the simulated CUDA device (TL_TEST_DEVICE=cuda)"
    TINYGRAD_LESSONS_SIMULATE_CUDA=1 TL_TEST_DEVICE=cuda "$VENV/bin/python" -m pytest -q -n "${PYTEST_WORKERS:-auto}" \
        tests/test_ch2_shape_ops.py tests/test_ch3_indexing.py tests/test_ch3_linalg.py tests/test_ch3_math_ops.py \
        tests/test_ch3_sorting.py tests/test_ch3_matrix_and_math_extras.py tests/test_ch3_python_int_scalars.py \
        tests/test_ch3_reductions.py tests/test_ch4_autograd_engine.py tests/test_ch4_gradients_*.py \
        tests/test_ch6_nn.py tests/test_ch6_optim.py tests/test_ch6_training.py tests/test_ch6_clip_grad.py \
        tests/test_ch6_embedding_layernorm.py tests/test_ch6_gelu_bce.py
fi
