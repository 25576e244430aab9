#!/usr/bin/env bash
# Start JupyterLab on the course's chapters, in its own virtual environment (.venv).
# Usage: bash scripts/lab.sh [extra jupyter lab arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=.venv
if [ ! -x "$VENV/bin/jupyter-lab" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[course]"
    touch "$VENV/.installed"
fi
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec "$VENV/bin/jupyter" lab --notebook-dir=notebooks "${extra[@]}" "$@"
