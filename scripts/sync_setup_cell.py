"""Keep the two cells every chapter starts with identical: the "Open in Colab" badge and the setup cell.

Usage:
    python scripts/sync_setup_cell.py           # rewrite the managed cells in autograder/source/*/*.ipynb
    python scripts/sync_setup_cell.py --check   # exit 1 if a source notebook is out of sync

One source for both cells: the templates below, filled in from pyproject.toml — the repository URL
(``[project.urls] Repository``: the ONE place that names the GitHub org/repo), the supported Python
(``requires-python``) and NumPy (``dependencies``) versions. Each managed cell is found by its
nbgrader ``grade_id`` (``tl-colab-badge``, ``tl-setup``); both are locked (read-only, restored by
autograde). A notebook without them gets the badge as its first cell, and as its setup cell the
author's placeholder (the first code cell whose first line is ``# SETUP``), else a new cell
just before its first code cell. Nothing else in a notebook is touched; ``scripts/release.py`` runs
this before it builds the learner notebooks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "autograder" / "source"

BADGE_ID = "tl-colab-badge"
SETUP_ID = "tl-setup"

BADGE_TEMPLATE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/{github}/blob/main/notebooks/{notebook})"
)

SETUP_TEMPLATE = '''\
# Setup: the same first cell in every chapter. Run it first. In Google Colab it installs the course
# library (nowhere else: not in JupyterLab, nbgrader or CI); then it picks the device the chapter
# uses and reports your environment.
import importlib, importlib.util, os, platform, re, subprocess, sys

REPOSITORY = "{repository}"
IN_COLAB = "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ
if IN_COLAB and not os.environ.get("NBGRADER_EXECUTION") and importlib.util.find_spec("tinygrad_lessons") is None:
    print("Installing tinygrad_lessons from", REPOSITORY)
    _pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                           f"tinygrad_lessons @ git+{{REPOSITORY}}@main"], capture_output=True, text=True)
    if _pip.returncode != 0:
        raise RuntimeError("pip could not install tinygrad_lessons:\\n" + _pip.stdout[-2000:] + _pip.stderr[-2000:])
    importlib.invalidate_caches()

import numpy as np
import tinygrad_lessons as tl

# "cuda" when a GPU can hold tensors (an NVIDIA GPU with CuPy, or the simulated one), else "cpu".
_cuda = getattr(tl, "cuda", None)
device = "cuda" if _cuda is not None and _cuda.is_available() else "cpu"

if device == "cuda":
    _gpu = "GPU: " + (_cuda.get_device_name(0) if hasattr(_cuda, "get_device_name") else "yes")
elif importlib.util.find_spec("cupy") is None:
    _gpu = "no GPU (CuPy is not installed)"
else:
    _gpu = "no GPU (CuPy is installed, but there is no usable CUDA device)"
print(f"tinygrad_lessons {{tl.__version__}} · Python {{platform.python_version()}} · NumPy {{np.__version__}} ·", _gpu)
print(f"device = {{device!r}}")

_numpy = tuple(int(part) for part in re.findall(r"\\d+", np.__version__)[:2])
if sys.version_info[:2] < {python_min}:
    print("⚠ This course needs Python ≥ {python_min_text}; some cells may fail on Python", platform.python_version())
if not {numpy_min} <= _numpy < {numpy_max}:
    print("⚠ This course is tested with NumPy {numpy_range}; you have NumPy", np.__version__)
'''


def project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def github_repo() -> str:
    """``org/repo`` from ``[project.urls] Repository`` in pyproject.toml."""
    url = project()["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", url)
    if not match:
        raise SystemExit(f"pyproject.toml [project.urls] Repository is not a GitHub URL: {url}")
    return match.group(1)


def _two(version: str) -> tuple[int, int]:
    major, minor = (int(p) for p in version.split(".")[:2])
    return major, minor


def numpy_bounds() -> tuple[tuple[int, int], tuple[int, int], str]:
    """(lowest, first unsupported, text) from the numpy requirement in pyproject.toml."""
    spec = next(d for d in project()["dependencies"] if re.match(r"numpy\b", d))
    low = re.search(r">=\s*([\d.]+)", spec)
    high = re.search(r"<\s*([\d.]+)", spec)
    low_v = _two(low.group(1)) if low else (0, 0)
    high_v = _two(high.group(1)) if high else (99, 0)
    return low_v, high_v, spec.removeprefix("numpy").replace(",", ", ")


def python_min() -> tuple[int, int]:
    return _two(re.search(r">=\s*([\d.]+)", project()["requires-python"]).group(1))


def setup_source() -> str:
    low, high, text = numpy_bounds()
    pmin = python_min()
    return SETUP_TEMPLATE.format(
        repository=f"https://github.com/{github_repo()}",
        python_min=pmin, python_min_text=".".join(map(str, pmin)),
        numpy_min=low, numpy_max=high, numpy_range=text,
    ).rstrip("\n")


def badge_source(notebook_name: str) -> str:
    return BADGE_TEMPLATE.format(github=github_repo(), notebook=notebook_name)


def colab_url(notebook_name: str) -> str:
    return f"https://colab.research.google.com/github/{github_repo()}/blob/main/notebooks/{notebook_name}"


def _nbgrader_meta(grade_id: str) -> dict:
    return {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3, "solution": False,
            "task": False}


def _managed_index(cells: list[dict], grade_id: str) -> int | None:
    for i, cell in enumerate(cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    return None


def _make_cell(cell_type: str, source: str, grade_id: str, with_id: bool) -> dict:
    cell = {"cell_type": cell_type, "metadata": {"nbgrader": _nbgrader_meta(grade_id)}, "source": source}
    if with_id:
        cell["id"] = grade_id
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _placeholder_index(cells: list[dict]) -> int | None:
    """An author's placeholder for the setup cell: the first code cell whose first line is ``# SETUP``."""
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and _text(cell["source"]).lstrip().upper().startswith("# SETUP"):
            return i
    return None


def _put(cells: list[dict], grade_id: str, cell_type: str, source: str, default_index: int, with_id: bool) -> None:
    i = _managed_index(cells, grade_id)
    if i is None and grade_id == SETUP_ID:
        i = _placeholder_index(cells)
    if i is None:
        cells.insert(default_index, _make_cell(cell_type, source, grade_id, with_id))
        return
    cell = cells[i]
    cell["source"] = source
    cell["cell_type"] = cell_type
    cell.setdefault("metadata", {})["nbgrader"] = _nbgrader_meta(grade_id)
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []  # the report differs per machine: never stored
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def synced(nb: dict, notebook_name: str) -> dict:
    """The notebook (a plain JSON dict) with its badge and setup cells as the templates say."""
    nb = json.loads(json.dumps(nb))
    cells = nb["cells"]
    with_id = (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5)
    _put(cells, BADGE_ID, "markdown", badge_source(notebook_name), 0, with_id)
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    _put(cells, SETUP_ID, "code", setup_source(), first_code, with_id)
    return nb


def dumps(nb: dict) -> str:
    """The notebook's text, written the way nbformat (and so JupyterLab) writes it."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(nb))
    return text if text.endswith("\n") else text + "\n"


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def source_notebooks(source_dir: Path = SOURCE) -> list[Path]:
    return sorted(p for p in source_dir.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def sync_file(path: Path, check: bool = False) -> bool:
    """Bring one notebook's managed cells up to date; True when it was (or, with check, would be) changed."""
    original = json.loads(path.read_text(encoding="utf-8"))
    new = synced(original, path.name)
    # Compare content, not formatting: an author's notebook saved by JupyterLab keeps its bytes
    # unless a managed cell really changes.
    def norm(nb):
        nb = json.loads(json.dumps(nb))
        for c in nb["cells"]:
            c["source"] = _text(c["source"])
        return nb
    if norm(original) == norm(new):
        return False
    if not check:
        # The author may be saving this notebook right now: write only if it is still what was read.
        if json.loads(path.read_text(encoding="utf-8")) != original:
            raise RuntimeError(f"{path} changed while it was being synced; run the sync again")
        path.write_text(dumps(new), encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when a notebook is out of sync")
    parser.add_argument("--source", type=Path, default=SOURCE, help="the nbgrader source folder")
    args = parser.parse_args(argv)
    stale = [p for p in source_notebooks(args.source) if sync_file(p, check=args.check)]
    for p in stale:
        shown = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
        print(("out of sync: " if args.check else "updated: ") + str(shown))
    if args.check and stale:
        print("run: python scripts/sync_setup_cell.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
