"""Run a notebook's code cells as one Python script (standard library only), printing each cell's time.

For machines without Jupyter — such as a GPU machine that has CuPy and PyTorch but no
nbclient — to check that a chapter runs top to bottom there:

    MPLBACKEND=Agg python scripts/run_notebook.py autograder/source/ch05_gpu/05_gpu.ipynb

IPython-only lines (``%magic``, ``!shell``) are skipped. The first failing cell stops the run
with its traceback and exit status 1.
"""

from __future__ import annotations

import json
import sys
import time
import traceback


def code_cells(path: str):
    with open(path, encoding="utf-8") as f:
        notebook = json.load(f)
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            yield index, "\n".join(lines)


def main(argv=None) -> int:
    paths = (argv if argv is not None else sys.argv[1:]) or []
    if not paths:
        print(__doc__)
        return 2
    status = 0
    for path in paths:
        namespace = {"__name__": "__main__"}
        start = time.perf_counter()
        for index, source in code_cells(path):
            began = time.perf_counter()
            try:
                exec(compile(source, f"{path}[cell {index}]", "exec"), namespace)  # noqa: S102 - running the notebook is the point
            except Exception:  # noqa: BLE001 - report the failing cell and stop this notebook
                traceback.print_exc()
                print(f"FAILED {path}: cell {index}")
                status = 1
                break
            print(f"  cell {index:3d}: {time.perf_counter() - began:6.2f} s", flush=True)
        else:
            print(f"OK {path}: {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
