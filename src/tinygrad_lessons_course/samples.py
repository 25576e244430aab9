"""Make sample submissions from a source notebook: the instructor's smoke test for grading.

``learner_notebook(source)`` is what a learner receives (solutions replaced by the stub,
hidden tests removed, nbgrader metadata kept, as ``nbgrader generate_assignment`` makes it);
``solved_notebook(source)`` is that notebook with the source's own solutions filled in.
``with_function(nb, name, code)`` swaps one exercise function for other code, which is how
the tests and the benchmark build wrong, hostile and damaged submissions.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from .program import HIDDEN_BLOCK, released_solution

_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.MULTILINE)


def _text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def learner_notebook(source: dict) -> dict:
    nb = copy.deepcopy(source)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code":
            continue
        if meta.get("solution"):
            cell["source"] = released_solution(_text(cell))
        elif meta.get("grade"):
            cell["source"] = HIDDEN_BLOCK.sub("", _text(cell))
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def solved_notebook(source: dict) -> dict:
    nb = learner_notebook(source)
    solutions = [c for c in source["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    targets = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    for src, dst in zip(solutions, targets):
        dst["source"] = _MARKER.sub("", _text(src))
    return nb


def solution_cell_of(nb: dict, function: str) -> dict:
    """The cell that defines ``function`` (by its ``def`` or ``class`` line)."""
    pattern = re.compile(rf"^(def|class) {re.escape(function)}\b", re.MULTILINE)
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and pattern.search(_text(cell)):
            return cell
    raise KeyError(f"no cell defines {function}")


def with_function(nb: dict, function: str, code: str) -> dict:
    """A copy of ``nb`` whose cell defining ``function`` holds ``code`` instead."""
    nb = copy.deepcopy(nb)
    solution_cell_of(nb, function)["source"] = code
    return nb


def append_to_function_cell(nb: dict, function: str, code: str) -> dict:
    nb = copy.deepcopy(nb)
    cell = solution_cell_of(nb, function)
    cell["source"] = _text(cell).rstrip("\n") + "\n" + code
    return nb


def test_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
