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
