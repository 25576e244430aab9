"""Helpers shared by the course-notebook tests: where things are, a quiet Jupyter environment, nbgrader's Validator."""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "autograder"
SOURCE = COURSE / "source"
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"

sys.path.insert(0, str(ROOT / "scripts"))
import release  # noqa: E402
import sync_setup_cell  # noqa: E402, F401 -- for the tests that import it from here

# Jupyter, IPython and matplotlib write dotfiles under $HOME, and a passing check saves the learner's
# function under ~/.tinygrad_lessons: point all of them at one temporary folder (unless the caller did).
_SCRATCH = Path(tempfile.mkdtemp(prefix="tl-jupyter-"))
QUIET_DIRS = {
    "JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_DATA_DIR": "jupyter-data", "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib", "TL_MINE_DIR": "mine",
}


def notebook_env(**extra: str) -> dict[str, str]:
    """os.environ with the quiet dirs set, this environment's bin/ first on PATH, and ``extra``."""
    env = dict(os.environ)
    for name, sub in QUIET_DIRS.items():
        env.setdefault(name, str(_SCRATCH / sub))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning on stderr from the kernel
    env.update(extra)
    return env


def use_notebook_env() -> None:
    """Put notebook_env() into this process (kernels started in-process inherit it)."""
    os.environ.update(notebook_env())


def chapters() -> list[str]:
    """The assignment folders under autograder/source/ (one per chapter)."""
    return release.assignments(SOURCE) if SOURCE.is_dir() else []


def source_notebook(chapter: str) -> Path:
    (path,) = sorted((SOURCE / chapter).glob("*.ipynb"))
    return path


@functools.lru_cache(maxsize=1)
def built_release() -> dict[str, str]:
    """What scripts/release.py makes from every source now (one nbgrader run per test process)."""
    return release.generate(chapters(), COURSE)


def text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def is_test_cell(cell) -> bool:
    """An autograded test cell: nbgrader ``grade`` without ``solution``, code."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell["cell_type"] == "code" and meta.get("grade", False) and not meta.get("solution", False)


def validate(path: Path, timeout: int = 120) -> tuple[object, dict]:
    """Execute a notebook with nbgrader's Validator; (the notebook as read, Validator's results).

    Results: {} when every graded cell passes; {"failed": [{"source", "error", ...}]} otherwise;
    {"changed": [...]} when a locked cell no longer matches its checksum.
    """
    import nbformat
    from nbgrader.validator import Validator
    from traitlets.config import Config

    use_notebook_env()
    config = Config({"Execute": {"timeout": timeout}})
    results = Validator(config=config).validate(str(path))
    return nbformat.read(path, as_version=4), results


STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"}


def solution_lines(source_nb) -> set[str]:
    """Lines that only the solutions or hidden tests contain (stripped; blank and comment lines left out).

    A solution cell without ``### BEGIN SOLUTION`` is a solution as a whole (nbgrader replaces all of it).
    """
    inside, outside = set(), set()
    for cell in source_nb.cells:
        src = text(cell.source)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        whole = meta.get("solution", False) and "BEGIN SOLUTION" not in src
        region = whole
        for line in src.split("\n"):
            if re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)", line):
                region = True
                continue
            if re.search(r"END (SOLUTION|HIDDEN TESTS)", line):
                region = whole
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            (inside if region else outside).add(stripped)
    return inside - outside - STUB_LINES
