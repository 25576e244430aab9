"""From a (possibly damaged) learner notebook to the code the runner executes.

The course's source notebook is the trusted side: its nbgrader metadata says which cells
are solutions (``solution: true``), which are graded tests (``grade: true`` with
``points``) and which exercises each test cell checks (``check("ch2.view", ...)`` and
``check_hidden(...)`` calls). The learner's notebook is the untrusted side: only its
*solution* code is run, statement by statement; its test cells never are (so editing or
deleting them changes nothing), and cells it added contribute only their definitions
(functions, classes, imports, constants) — enough for a helper in a new cell, without
running scratch code.

When metadata is lost (Colab, VS Code, a copy-paste into a fresh notebook), a cell is
recognised as a solution by the exercise functions it defines; when a solution cell is
duplicated, the last copy that is not the untouched stub wins; when a cell was split in
the middle of a function, consecutive cells that only parse together are joined. Every
such repair adds one line to the learner's feedback.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .recover import Cell, Loaded

CHECK_CALL = re.compile(r"""\bcheck(_hidden)?\(\s*(?:name\s*=\s*)?["']([\w.\-]+)["']""")
EXERCISE_NAME = re.compile(r"""["'](ch\d+\.\w+)["']""")
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)
SOLUTION_BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[^\n]*", re.DOTALL | re.MULTILINE)
MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.MULTILINE)
_CHAPTER = re.compile(r"ch0*(\d+)")

HELPER_NODES = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class TestCell:
    grade_id: str
    points: float
    checks: list[tuple[str, str]]  # (exercise name, "visible" | "hidden")
    released_text: str  # what learners see (hidden tests stripped)
    derived: bool = False  # free-form test code: scored from the exercises it names (their visible checks)


@dataclass
class SourceNotebook:
    """What grading needs from one authored notebook (``autograder/source/<assignment>/<name>.ipynb``)."""

    assignment: str
    notebook: str  # the notebook's name without .ipynb
    path: Path
    chapter: int | None
    solution_ids: dict[str, set[str]]  # grade_id -> names it defines at top level
    tests: dict[str, TestCell]  # grade_id -> test cell, in notebook order
    locked_ids: set[str]  # every other nbgrader cell (read-only course cells)
    course_texts: set[str]  # normalised text of every non-solution code cell
    prelude: list[tuple[set[str], str]]  # (names it binds, code): imports and definitions from course cells
    solution_cells: list[dict] = field(default_factory=list)  # nbgrader metadata of solution cells (gradebook)

    @property
    def exercises(self) -> list[str]:
        seen: dict[str, None] = {}
        for cell in self.tests.values():
            for name, _ in cell.checks:
                seen.setdefault(name, None)
        return list(seen)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.tests.values())


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def strip_magics(text: str) -> str:
    """IPython magics and shell escapes (``%pip``, ``!ls``) become ``pass`` so the cell parses."""
    return MAGIC.sub(lambda m: m.group(1) + "pass", text)


def released_solution(text: str) -> str:
    return SOLUTION_BLOCK.sub(lambda m: m.group(1) + "# YOUR CODE HERE\n" + m.group(1) + "raise NotImplementedError()",
                              text)


def _defined_names(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(strip_magics(text))
    except (SyntaxError, ValueError):
        return None


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    names: set[str] = set()
    for target in targets:
        items = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        names |= {t.id for t in items if isinstance(t, ast.Name)}
    return names


def _used_names(code: str) -> set[str]:
    tree = _parse(code)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}


def _is_literal_assign(node: ast.stmt) -> bool:
    """``LIMIT = 3``, ``A, B = 1, 2``: a constant bound to plain names (not ``p.grad = None``)."""
    value = getattr(node, "value", None)
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        items = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        if not all(isinstance(t, ast.Name) for t in items):
            return False
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def read_source(path: Path, assignment: str | None = None) -> SourceNotebook:
    """Parse an authored notebook (trusted)."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assignment = assignment or path.parent.name
    m = _CHAPTER.match(assignment) or _CHAPTER.search(path.stem)
    solution_ids: dict[str, set[str]] = {}
    tests: dict[str, TestCell] = {}
    locked: set[str] = set()
    course_texts: set[str] = set()
    prelude: list[tuple[set[str], str]] = []
    solution_cells: list[dict] = []
    for cell in data.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        text = "".join(cell.get("source", [])) if isinstance(cell.get("source"), list) else cell.get("source", "")
        gid = meta.get("grade_id")
        if cell.get("cell_type") != "code":
            if gid:
                locked.add(gid)
            continue
        if meta.get("solution"):
            tree = _parse(released_solution(text)) or _parse(text)
            solution_ids[gid or f"_unnamed{len(solution_ids)}"] = _defined_names(tree) if tree else set()
            solution_cells.append(dict(meta))
            continue
        released = HIDDEN_BLOCK.sub("", text)
        if meta.get("grade"):
            checks = [(name, "hidden" if hidden else "visible") for hidden, name in CHECK_CALL.findall(text)]
            derived = False
            if not checks:  # e.g. a training run that needs the exercises to pass first: not re-run
                checks = [(name, "visible") for name in dict.fromkeys(EXERCISE_NAME.findall(text))]
                derived = bool(checks)
            tests[gid] = TestCell(grade_id=gid, points=float(meta.get("points", 0) or 0), checks=checks,
                                  released_text=released, derived=derived)
            course_texts.add(normalise(released))
            continue
        if gid:
            locked.add(gid)
        course_texts.add(normalise(text))
        tree = _parse(text)
        if tree is None:
            continue
        lines = strip_magics(text).splitlines()
        for node in tree.body:
            if isinstance(node, HELPER_NODES) or _is_literal_assign(node):
                start = min([node.lineno, *[d.lineno for d in getattr(node, "decorator_list", [])]])
                prelude.append((_bound_names(node), "\n".join(lines[start - 1 : node.end_lineno])))
    return SourceNotebook(
        assignment=assignment,
        notebook=path.stem,
        path=path,
        chapter=int(m.group(1)) if m else None,
        solution_ids=solution_ids,
        tests=tests,
        locked_ids=locked,
        course_texts=course_texts,
        prelude=prelude,
        solution_cells=solution_cells,
    )


# ----------------------------------------------------------------------------- units
@dataclass
class Unit:
    id: int
    cell: int  # the learner notebook's cell number (1-based)
    code: str
    line: int  # first line of the statement in its cell
    defines: set[str] = field(default_factory=set)
    stub: bool = False  # an untouched ``raise NotImplementedError()`` definition

    def to_json(self) -> dict:
        return {"id": self.id, "cell": self.cell, "code": self.code, "line": self.line}


@dataclass
class Program:
    prelude: list[str]  # the course's own imports and helpers the learner's code refers to
    units: list[Unit]
    notes: list[str]  # recovery notes for the learner
    solution_cells: dict[str, int]  # grade_id -> learner cell number (for feedback)
    found_functions: set[str]


def _is_stub(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    exc = body[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _is_check_call(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    func = node.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("check", "check_hidden")


def _statements(text: str, keep) -> list[tuple[int, str, ast.stmt]]:
    """(first line, code, node) for each top-level statement that ``keep(node)`` accepts; statements
    sharing a line (``a = 1; b = 2``) stay together."""
    text = strip_magics(text)
    tree = ast.parse(text)
    lines = text.splitlines()
    groups: list[list] = []  # [start, end, [nodes]]
    for node in tree.body:
        start = min([node.lineno, *[d.lineno for d in getattr(node, "decorator_list", [])]])
        if groups and start <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], node.end_lineno)
            groups[-1][2].append(node)
        else:
            groups.append([start, node.end_lineno, [node]])
    out = []
    for start, end, nodes in groups:
        kept = [n for n in nodes if keep(n)]
        if not kept:
            continue
        if len(kept) != len(nodes):  # a shared line with something dropped: keep only the accepted nodes
            for n in kept:
                out.append((n.lineno, ast.unparse(n), n))
            continue
        out.append((start, "\n".join(lines[start - 1 : end]), nodes[0] if len(nodes) == 1 else None))
    return out


def _salvage(text: str) -> str | None:
    """A cell that does not parse: keep the top-level blocks that do (a syntax error in one
    function should not lose the others)."""
    text = strip_magics(text)
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line and not line[0].isspace() and not line.startswith("#")]
    if not starts:
        return None
    chunks, kept = [], []
    bounds = starts + [len(lines)]
    for a, b in zip(bounds, bounds[1:]):
        chunks.append("\n".join(lines[a:b]))
    for chunk in chunks:
        if _parse(chunk) is not None:
            kept.append(chunk)
    return "\n".join(kept) if kept else None


def build_program(loaded: Loaded, source: SourceNotebook, functions: dict[str, str]) -> Program:
    """The runner's statements for one submission. ``functions`` maps exercise name -> function name."""
    notes = list(loaded.notes)
    wanted = set(functions.values())
    solution_names = set().union(*source.solution_ids.values()) if source.solution_ids else set()
    wanted_or_solution = wanted | solution_names
    code_cells = [c for c in loaded.cells if c.cell_type == "code"]

    # 1. Join cells that only parse together (a cell split in the middle of a block).
    merged: list[Cell] = []
    i = 0
    while i < len(code_cells):
        cell = code_cells[i]
        if _parse(cell.source) is None:
            for j in range(i + 1, min(i + 4, len(code_cells))):
                text = "\n".join(c.source for c in code_cells[i : j + 1])
                if _parse(text) is not None:
                    notes.append(f"cells {cell.index}–{code_cells[j].index} only make sense together (a split cell?); "
                                 "they were joined")
                    meta = next((c.nbgrader for c in code_cells[i : j + 1] if c.nbgrader), None)
                    cell = Cell(index=cell.index, cell_type="code", source=text, nbgrader=meta)
                    i = j
                    break
        merged.append(cell)
        i += 1

    # 2. Classify cells and keep their statements.
    kinds: list[tuple[Cell, str]] = []
    seen_tests: set[str] = set()
    solution_cells: dict[str, int] = {}
    for cell in merged:
        gid = cell.grade_id
        nbg = cell.nbgrader or {}
        text = cell.source
        tree = _parse(text)
        defined = _defined_names(tree) if tree else set()
        if gid in source.tests or (nbg.get("grade") and not nbg.get("solution")):
            if gid in source.tests:
                seen_tests.add(gid)
                if normalise(text) != normalise(source.tests[gid].released_text):
                    notes.append(f"you changed the test cell in cell {cell.index} ({gid}); grading ignores your "
                                 "copy and runs the course's own tests")
            kinds.append((cell, "test"))
            continue
        if gid in source.solution_ids:
            if gid in solution_cells:
                notes.append(f"cell {cell.index} repeats the solution cell {gid} (cell {solution_cells[gid]}); "
                             "as when running the notebook top to bottom, the later definition counts")
            solution_cells.setdefault(gid, cell.index)
            kinds.append((cell, "solution"))
            continue
        if gid in source.locked_ids or (not defined & wanted_or_solution and normalise(text) in source.course_texts):
            kinds.append((cell, "course"))
            continue
        if CHECK_CALL.search(text) and not defined & wanted:
            kinds.append((cell, "test"))  # a test cell that lost its metadata, or the learner's own checks
            continue
        if defined & wanted_or_solution:
            names = ", ".join(f"`{n}`" for n in sorted(defined & wanted_or_solution))
            if not nbg:
                notes.append(f"cell {cell.index} has no nbgrader metadata (edited in another tool?); it was graded as "
                             f"your solution because it defines {names}")
            else:
                notes.append(f"cell {cell.index} is not the solution cell the course gave, but it defines {names}; "
                             "it was graded as your solution")
            kinds.append((cell, "solution"))
            continue
        kinds.append((cell, "added"))

    missing_tests = [gid for gid in source.tests if gid not in seen_tests]
    if missing_tests and any(c.nbgrader for c in merged):
        notes.append(f"{len(missing_tests)} test cell(s) are missing from your notebook ({', '.join(missing_tests)}); "
                     "grading runs the course's own tests anyway")

    units: list[Unit] = []
    for cell, kind in kinds:
        if kind in ("test", "course"):
            continue
        if kind == "solution":
            def keep(n):
                return not _is_check_call(n)
        else:
            def keep(n):
                return isinstance(n, HELPER_NODES) or _is_literal_assign(n)
        text = cell.source
        if _parse(text) is None:
            salvaged = _salvage(text)
            if salvaged is None:
                if kind == "solution":
                    notes.append(f"cell {cell.index} has a syntax error and nothing in it could be run: "
                                 f"{_syntax_error(text)}")
                continue
            if kind == "solution":
                notes.append(f"cell {cell.index} has a syntax error ({_syntax_error(text)}); only the parts of it "
                             "that parse were run")
            text = salvaged
        for line, code, node in _statements(text, keep):
            names = _defined_names(ast.Module(body=[node], type_ignores=[])) if node is not None else set()
            units.append(Unit(id=len(units), cell=cell.index, code=code, line=line, defines=names,
                              stub=node is not None and _is_stub(node)))

    # 3. Duplicates: for each exercise function, drop untouched stubs that come after a real
    # implementation (a duplicated stub cell must not undo the learner's work).
    for name in wanted:
        defs = [u for u in units if name in u.defines]
        real = [u for u in defs if not u.stub]
        if real:
            last_real = real[-1]
            later_stubs = [u for u in defs if u.stub and u.id > last_real.id]
            if later_stubs:
                notes.append(f"`{name}` is defined again later as the untouched stub (cell "
                             f"{later_stubs[-1].cell}); your implementation in cell {last_real.cell} was graded")
                units = [u for u in units if u not in later_stubs]
    for new_id, unit in enumerate(units):
        unit.id = new_id
    found = {n for u in units for n in u.defines}
    # The course's own imports and helpers, only those the learner's code refers to (a chapter's
    # matplotlib import costs time and is never needed to grade a function).
    used: set[str] = set()
    for unit in units:
        used |= _used_names(unit.code)
    needed, changed = [], True
    remaining = list(source.prelude)
    while changed:  # a course helper may itself need another import
        changed = False
        for names, code in list(remaining):
            if names & used:
                needed.append((names, code))
                remaining.remove((names, code))
                used |= _used_names(code)
                changed = True
    order = [c for _, c in source.prelude if any(c == n for _, n in needed)]
    return Program(prelude=list(dict.fromkeys(order)), units=units, notes=notes, solution_cells=solution_cells,
                   found_functions=found)


def _syntax_error(text: str) -> str:
    try:
        ast.parse(strip_magics(text))
    except SyntaxError as exc:
        return f"{exc.msg}, line {exc.lineno}"
    except ValueError as exc:
        return str(exc)
    return "?"
