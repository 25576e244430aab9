"""Instructor grading (``tl-course``): hostile and damaged submissions, graded in one batch.

Every submission is made from chapter 1's source notebook (``samples.py``): the solved
notebook, then one change — a stub, an infinite loop, a crash, a 50 GB allocation, a fork
bomb, reading or writing course files, a network connection, a patched checker, always-equal
objects, edited/deleted/duplicated/split cells, lost metadata, broken JSON, a renamed file.
All go through ``collect`` and ONE ``grade`` batch (2 workers, short limits); each must get
its expected score, the batch must complete, and nothing may leak into the gradebook, the
host's files, the network, or the feedback.

Smaller batches check each weaker isolation level this machine offers, and the gradebook
against a real PostgreSQL when its binaries exist.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from tinygrad_lessons_course import recover, samples, sandbox
from tinygrad_lessons_course.collect import collect
from tinygrad_lessons_course.course import Course
from tinygrad_lessons_course.export import rows, write_csv
from tinygrad_lessons_course.feedback import render
from tinygrad_lessons_course.grade import GradeOptions, Grader, judge_case, load_result
from tinygrad_lessons_course.gradebook import Writer
from tinygrad_lessons_course.program import build_program, read_source

ROOT = Path(__file__).resolve().parent.parent
REAL_COURSE = ROOT / "autograder"
ASSIGNMENT = "ch01_tensors"

pytestmark = pytest.mark.skipif(not (REAL_COURSE / "source" / ASSIGNMENT).is_dir(),
                                reason="chapter 1's source notebook is not there yet")

# Short limits keep the suite fast; generous enough for a loaded 2-core machine.
LIMITS = sandbox.Limits(wall_s=20.0, statement_s=3.0, exercise_s=4.0, cpu_s=20, memory_bytes=1536 * 1024**2,
                        nproc=48, fsize_bytes=8 * 1024**2)


# ----------------------------------------------------------------------------- the course copy
def make_course(tmp: Path) -> Course:
    root = tmp / "autograder"
    root.mkdir(parents=True)
    shutil.copy(REAL_COURSE / "nbgrader_config.py", root)
    shutil.copytree(REAL_COURSE / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    shutil.copytree(REAL_COURSE / "reference", root / "reference")
    return Course(root)


def _source_nb() -> dict:
    return samples.read(next((REAL_COURSE / "source" / ASSIGNMENT).glob("*.ipynb")))


def _exercises():
    """[(exercise name, function, points)] in notebook order."""
    source = read_source(next((REAL_COURSE / "source" / ASSIGNMENT).glob("*.ipynb")), ASSIGNMENT)
    from tinygrad_lessons.grading import get_exercise

    points: dict[str, float] = {}
    for cell in source.tests.values():
        for name in dict.fromkeys(n for n, _ in cell.checks):
            points[name] = points.get(name, 0.0) + cell.points
    return [(name, get_exercise(name).function, points[name]) for name in source.exercises], source.max_score


# ----------------------------------------------------------------------------- hostile code
def _secrets(course: Course) -> list[str]:
    return [str(course.reference_dir / "ch1.json"), str(course.gradebook_path),
            str(next((course.source_dir / ASSIGNMENT).glob("*.ipynb"))),
            str(REAL_COURSE / "reference" / "ch1.json"), "/root/.bash_history", "/etc/shadow"]


def read_secrets_code(course: Course) -> str:
    return f"""
for _path in {_secrets(course)!r}:
    try:
        with open(_path, "rb") as _fh:
            _fh.read(64)
        print("READ OK", _path)
    except Exception as _exc:
        print("READ FAIL", _path, type(_exc).__name__)
"""


def write_outside_code(course: Course, marker: str) -> tuple[str, list[Path]]:
    targets = [course.root / f"pwned-{marker}.txt", ROOT / f"pwned-{marker}.txt", Path(f"/tmp/pwned-{marker}.txt"),
               course.reference_dir / f"pwned-{marker}.json", Path(f"/root/pwned-{marker}.txt")]
    code = f"""
import sqlite3 as _sqlite3
for _path in {[str(t) for t in targets]!r}:
    try:
        with open(_path, "w") as _fh:
            _fh.write("pwned")
        print("WRITE OK", _path)
    except Exception as _exc:
        print("WRITE FAIL", _path, type(_exc).__name__)
try:
    _con = _sqlite3.connect({str(course.gradebook_path)!r})
    _con.execute("CREATE TABLE pwned (x)")
    _con.execute("UPDATE grade SET auto_score = 1000")
    _con.commit()
    print("GRADEBOOK WRITE OK")
except Exception as _exc:
    print("GRADEBOOK WRITE FAIL", type(_exc).__name__)
"""
    return code, targets


def network_code(port: int) -> str:
    return f"""
import socket as _socket
for _host, _port in (("127.0.0.1", {port}), ("1.1.1.1", 80), ("8.8.8.8", 53)):
    try:
        _s = _socket.create_connection((_host, _port), timeout=1)
        _s.sendall(b"leak")
        print("NET OK", _host)
    except Exception as _exc:
        print("NET FAIL", _host, type(_exc).__name__)
"""


PATCH_CHECKER = """
import contextlib as _contextlib
import tinygrad_lessons.grading as _g
import tinygrad_lessons.grading.cases as _cases
import tinygrad_lessons.grading.compare as _cmp
import tinygrad_lessons.grading.guard as _guard


class _Guard:
    calls = []


@_contextlib.contextmanager
def _nothing(*args, **kwargs):
    yield _Guard()


_guard.forbid = _cases.forbid = _g.forbid = _nothing
_cmp.compare = _cases.compare = _g.compare = lambda *args, **kwargs: []
_g.check = _g.check_hidden = lambda *args, **kwargs: True
"""

ALWAYS_EQUAL = """
class AlwaysEqual(tuple):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __getattr__(self, name):
        return self


def {name}(*args, **kwargs):
    return AlwaysEqual()
"""


class Listener:
    """A TCP server on loopback that records every connection (none may arrive)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop = True
        self.thread.join(timeout=2)
        self.sock.close()


# ----------------------------------------------------------------------------- the submissions
def build_submissions(course: Course, port: int, marker: str):
    """{student: (relative download path, bytes, expected score or "error", fix-up notes)}; write targets."""
    (ex0, fn0, p0), (ex1, fn1, p1), (ex2, fn2, p2), (ex3, fn3, p3) = EXERCISES[:4]
    src = _source_nb()
    solved = samples.solved_notebook(src)
    stub = samples.learner_notebook(src)
    subs: dict[str, tuple[str, bytes, object]] = {}

    def add(student, nb, expected, name=None):
        data = nb if isinstance(nb, bytes) else samples.dumps(nb).encode()
        subs[student] = (name or f"{student}/{NOTEBOOK}.ipynb", data, expected)

    add("stub", stub, 0.0)
    add("correct", solved, MAX)
    add("stderr-warnings", samples.append_to_function_cell(solved, fn0, (
        "import sys, warnings\nwarnings.warn('a DeprecationWarning from my code', DeprecationWarning)\n"
        "print('debug output on stderr', file=sys.stderr)\n"
        f"_original_{fn0} = {fn0}\n"
        f"def {fn0}(*args, **kwargs):\n"
        "    print('noise on stderr', file=sys.stderr)\n"
        "    warnings.warn('a RuntimeWarning inside the graded function', RuntimeWarning)\n"
        f"    return _original_{fn0}(*args, **kwargs)\n")), MAX)
    add("loop-top-level", samples.append_to_function_cell(solved, fn0, "while True:\n    pass\n"), MAX)
    add("loop-in-function", samples.with_function(solved, fn1, f"def {fn1}(*args, **kwargs):\n    while True:\n"
                                                   "        pass\n"), MAX - p1)
    add("loop-ignores-signals", samples.with_function(solved, fn2, (
        "import signal\n"
        f"def {fn2}(*args, **kwargs):\n"
        "    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
        "        signal.signal(sig, signal.SIG_IGN)\n"
        "    while True:\n"
        "        try:\n"
        "            pass\n"
        "        except BaseException:\n"
        "            pass\n")), MAX - p2)
    add("os-exit", samples.with_function(solved, fn3, f"import os\ndef {fn3}(*args, **kwargs):\n    os._exit(0)\n"),
        MAX - p3)
    add("os-exit-top-level", samples.append_to_function_cell(solved, fn3, "import os\nos._exit(3)\n"), MAX)
    add("alloc-50gb", samples.with_function(solved, fn0, (
        f"def {fn0}(*args, **kwargs):\n"
        "    buffer = bytearray(50 * 1024 ** 3)\n"
        "    return buffer\n")), MAX - p0)
    add("fork-bomb", samples.with_function(solved, fn1, (
        "import os, time\n"
        f"def {fn1}(*args, **kwargs):\n"
        "    children = 0\n"
        "    for _ in range(500):\n"
        "        try:\n"
        "            pid = os.fork()\n"
        "        except OSError:\n"
        "            break\n"
        "        if pid == 0:\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
        "    print('forked', children)\n"
        "    time.sleep(60)\n")), MAX - p1)
    add("read-secrets", samples.append_to_function_cell(solved, fn0, read_secrets_code(course)), MAX)
    write_code, targets = write_outside_code(course, marker)
    add("write-outside", samples.append_to_function_cell(solved, fn0, write_code), MAX)
    add("network", samples.append_to_function_cell(solved, fn0, network_code(port)), MAX)
    # Patching the checker does not help a solution that calls the library's own implementation.
    add("patch-checker", samples.with_function(solved, fn0, PATCH_CHECKER + (
        f"def {fn0}(*args, **kwargs):\n    return {FORBIDDEN_CALL}(*args, **kwargs)\n")), MAX - p0)
    always = solved
    for _, fn, _ in EXERCISES:
        always = samples.with_function(always, fn, ALWAYS_EQUAL.format(name=fn))
    add("always-equal", always, 0.0)
    edited = json.loads(json.dumps(solved))
    for cell in samples.test_cells(edited):
        cell["source"] = "check = check_hidden = lambda *args, **kwargs: None\nassert True\n"
    add("edited-tests", edited, MAX)
    deleted = json.loads(json.dumps(solved))
    deleted["cells"] = [c for c in deleted["cells"] if c not in samples.test_cells(deleted)]
    add("deleted-tests", deleted, MAX)
    dup = json.loads(json.dumps(solved))
    cells = []
    for cell in dup["cells"]:
        cells.append(cell)
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cells.append(json.loads(json.dumps(cell)))
    # ... and the untouched stub of one exercise pasted again after the real implementation
    stub_cell = samples.solution_cell_of(stub, fn2)
    at = cells.index(samples.solution_cell_of({"cells": cells}, fn2)) + 2
    cells.insert(at, json.loads(json.dumps(stub_cell)))
    dup["cells"] = cells
    add("duplicated-cells", dup, MAX)
    colab = json.loads(json.dumps(solved))
    for cell in colab["cells"]:
        cell.get("metadata", {}).pop("nbgrader", None)
    add("lost-metadata", colab, MAX)
    split = json.loads(json.dumps(solved))
    cell = samples.solution_cell_of(split, fn0)
    lines = "".join(cell["source"]).splitlines(keepends=True)
    half = len(lines) // 2
    second = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": "".join(lines[half:])}
    cell["source"] = "".join(lines[:half])
    split["cells"].insert(split["cells"].index(cell) + 1, second)
    add("split-cell", split, MAX)
    text = samples.dumps(solved)
    last_test = samples.test_cells(solved)[-1]["metadata"]["nbgrader"]["grade_id"]
    add("truncated-json", text[: text.rindex(last_test)].encode(), MAX)
    garbled = text.replace('},\n  {\n   "cell_type"', '}\n  {\n   "cell_type"', 3)  # missing commas
    assert garbled != text
    add("garbled-json", garbled.encode(), MAX)
    add("empty-file", b"", "error")
    add("colab-copy", solved, MAX, name=f"colab-copy/Copy of {NOTEBOOK}.ipynb")
    add("renamed", solved, MAX, name="renamed/homework final version.ipynb")
    add("top-level-error", samples.append_to_function_cell(solved, fn1, "print(undefined_name)\n"), MAX)
    return subs, targets


EXERCISES, MAX = (_exercises() if (REAL_COURSE / "source" / ASSIGNMENT).is_dir() else ([], 0.0))
NOTEBOOK = next((REAL_COURSE / "source" / ASSIGNMENT).glob("*.ipynb")).stem \
    if (REAL_COURSE / "source" / ASSIGNMENT).is_dir() else ""
FORBIDDEN_CALL = "tl.creation.infer_dtype"  # the library's own version of chapter 1's first exercise


# ----------------------------------------------------------------------------- the batch
def _build_batch(folder: Path) -> dict:
    course = make_course(folder)
    course.gradebook_path.write_bytes(b"")  # exists from the start, as in a running course
    listener = Listener()
    marker = uuid.uuid4().hex[:8]
    subs, targets = build_submissions(course, listener.port, marker)
    downloads = folder / "downloads"
    for _, (name, data, _) in subs.items():
        path = downloads / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    report = collect(course, downloads)
    writer = Writer(course.db_url, [course.source(ASSIGNMENT)])
    grader = Grader(course, GradeOptions(limits=LIMITS, workers=2))
    start = time.monotonic()
    grader.grade_many(course.submissions([ASSIGNMENT]),
                      on_result=lambda r: (r.save(course.results_path(r.student, r.assignment)), writer.submit(r)))
    elapsed = time.monotonic() - start
    writer.close()
    listener.close()
    written = [str(t) for t in targets if t.exists()]
    for target in targets:
        if target.exists():
            target.unlink()
    return {"root": str(course.root), "expected": {s: e for s, (_, _, e) in subs.items()},
            "report": report.to_json(), "targets": [str(t) for t in targets], "written": written,
            "connections": listener.connections, "elapsed": elapsed, "isolation": grader.isolation.level,
            "writer_errors": writer.errors}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The one batch, built once even when pytest-xdist runs this module's tests on several workers."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of one run
    folder = base / "tl-instructor-batch"
    with open(base / "tl-instructor-batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state_file = folder / "state.json"
        if not state_file.exists():
            folder.mkdir(exist_ok=True)
            state_file.write_text(json.dumps(_build_batch(folder)))
    state = json.loads(state_file.read_text())
    course = Course(Path(state["root"]))
    results = {s: load_result(course.results_path(s, ASSIGNMENT)) for s in state["expected"]}
    return {**state, "course": course, "results": results}


def test_collect_files_every_download_under_its_student(batch):
    filed = {e["student"]: e for e in batch["report"]["filed"]}
    assert set(filed) == set(batch["expected"]), batch["report"]["skipped"]
    assert filed["colab-copy"]["renamed_from"] == f"Copy of {NOTEBOOK}.ipynb"
    assert filed["renamed"]["assignment"] == ASSIGNMENT
    assert any("content" in how for how in filed["renamed"]["how"])


def test_the_batch_completes_with_every_expected_score(batch):
    results = batch["results"]
    assert all(r is not None for r in results.values())
    wrong = {}
    for student, expected in batch["expected"].items():
        res = results[student]
        got = "error" if res.status == "error" else res.score
        if got != expected:
            wrong[student] = (expected, got, res.error, [(e.name, e.status, e.notes[:1]) for e in res.exercises])
    assert not wrong, wrong
    print(f"graded {len(results)} submissions in {batch['elapsed']:.1f} s with isolation {batch['isolation']}")


def test_isolation_is_recorded_and_is_the_strongest_available(batch):
    levels = sandbox.available_levels()
    for res in batch["results"].values():
        assert res.isolation["level"] == levels[0]
        assert res.isolation["description"]


def test_an_ungradable_submission_is_an_error_to_review_never_a_zero(batch):
    res = batch["results"]["empty-file"]
    assert res.status == "error" and res.score is None
    assert "empty" in res.error
    assert res.review and res.review[0].startswith("grading error")


def test_stderr_costs_nothing_and_is_mentioned(batch):
    res = batch["results"]["stderr-warnings"]
    assert res.stderr_bytes > 0
    assert any("stderr" in n for n in res.notes)


def test_loops_crashes_and_bombs_are_explained(batch):
    results = batch["results"]
    (_, fn0, _), (ex1, fn1, _), (ex2, _, _), (ex3, _, _) = EXERCISES[:4]
    assert any(s["status"] == "timeout" for s in results["loop-top-level"].statements)
    assert any(s["status"] == "crashed" for s in results["os-exit-top-level"].statements)
    by = {name: {e.name: e for e in res.exercises} for name, res in results.items()}
    assert by["loop-in-function"][ex1].status == "timeout"
    assert by["loop-ignores-signals"][ex2].status == "timeout"
    assert by["fork-bomb"][ex1].status == "timeout"
    assert by["os-exit"][ex3].status == "crashed"
    alloc = by["alloc-50gb"][EXERCISES[0][0]]
    assert any("MemoryError" in p for c in alloc.cases for p in c.problems)
    # Other exercises of the same notebooks were graded normally.
    assert all(e.status == "graded" for n, e in by["loop-in-function"].items() if n != ex1)
    assert results["top-level-error"].statements[0]["error"].startswith("NameError")


def test_course_files_are_invisible_and_nothing_outside_is_written(batch):
    level = batch["isolation"]
    out = batch["results"]["read-secrets"].stdout_tail
    assert "READ FAIL" in out
    if level in ("bwrap", "unshare"):
        assert "READ OK" not in out, out
    assert not batch["written"], f"a submission wrote {batch['written']}"
    written = batch["results"]["write-outside"].stdout_tail
    assert "GRADEBOOK WRITE FAIL" in written, written


def test_no_network(batch):
    out = batch["results"]["network"].stdout_tail
    if batch["isolation"] in ("bwrap", "unshare"):
        assert "NET OK" not in out, out
        assert batch["connections"] == 0


def test_the_patched_checker_is_unpatched_before_the_cases_run(batch):
    res = batch["results"]["patch-checker"]
    ex = {e.name: e for e in res.exercises}[EXERCISES[0][0]]
    assert all(not c.passed for c in ex.cases)
    assert any("don't call" in p for c in ex.cases for p in c.problems)
    assert any("grading library" in r for r in res.review)


def test_the_cheat_would_pass_without_the_guard():
    """The patched-checker submission is a real threat: unguarded, the library's call passes."""
    import tinygrad_lessons as tl
    from tinygrad_lessons.grading import compare, get_exercise
    from tinygrad_lessons.grading.cases import run_case

    ex = get_exercise(EXERCISES[0][0])
    fn = eval(FORBIDDEN_CALL, {"tl": tl})
    unguarded = [not compare(ex.expected(c), run_case(ex, fn, c, guarded=False).plain, ex.compare) for c in ex.visible]
    assert sum(unguarded) >= len(unguarded) // 2  # the library's answer is mostly right...
    assert all(run_case(ex, fn, c).calls for c in ex.visible)  # ...and guarded, every call is caught


def test_recovery_is_explained_in_the_notes(batch):
    results = batch["results"]
    assert any("test cell" in n and "ignores your copy" in n for n in results["edited-tests"].notes)
    assert any("missing from your notebook" in n for n in results["deleted-tests"].notes)
    assert any("untouched stub" in n for n in results["duplicated-cells"].notes)
    assert any("no nbgrader metadata" in n for n in results["lost-metadata"].notes)
    assert any("joined" in n for n in results["split-cell"].notes)
    assert any("cut short" in n for n in results["truncated-json"].notes)
    assert any("damaged" in n for n in results["garbled-json"].notes)


def test_gradebook_holds_exactly_the_expected_grades(batch):
    assert not batch["writer_errors"]
    course = batch["course"]
    con = sqlite3.connect(course.gradebook_path)
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    assert "pwned" not in tables
    got = dict(con.execute(
        "select s.student_id, sum(coalesce(g.auto_score, 0)) from grade g "
        "join submitted_notebook n on g.notebook_id = n.id join submitted_assignment s on n.assignment_id = s.id "
        "group by s.student_id"))
    flagged = {r[0] for r in con.execute(
        "select s.student_id from submitted_notebook n join submitted_assignment s on n.assignment_id = s.id "
        "where n.flagged")}
    students = {r[0] for r in con.execute("select id from student")}
    con.close()
    assert students == set(batch["expected"])
    for student, expected in batch["expected"].items():
        if expected == "error":
            assert student in flagged
        else:
            assert got[student] == pytest.approx(expected), student
    assert flagged == {s for s, e in batch["expected"].items() if e == "error"}


def test_feedback_shows_cases_and_hints_but_no_hidden_inputs(batch):
    from tinygrad_lessons.grading import get_exercise

    visible_labels = " ".join(case.label for name, _, _ in EXERCISES for case in get_exercise(name).visible)
    hidden_labels = [case.label for name, _, _ in EXERCISES for case in get_exercise(name).hidden
                     if case.label and case.label not in visible_labels]
    for student, res in batch["results"].items():
        page = render(res)
        assert "BEGIN HIDDEN" not in page and "check_hidden" not in page
        for label in hidden_labels:
            assert label not in page, (student, label)
        assert "READ OK" not in page and "READ FAIL" not in page  # the learner's own output is not echoed
    page = render(batch["results"]["loop-in-function"])
    assert "✓" in page and "✗" in page and "timed out" in page
    stub = render(batch["results"]["stub"])
    assert "not implemented yet" in stub


def test_export_csv_quotes_and_marks_errors(batch, tmp_path):
    course = batch["course"]
    table = rows(course, [ASSIGNMENT], use_gradebook=False)
    text = write_csv(table, tmp_path / "grades.csv")
    back = list(csv.DictReader(io.StringIO(text)))
    assert back == table
    by = {r["student_id"]: r for r in back}
    assert by["empty-file"]["status"] == "error" and by["empty-file"]["score"] == ""
    assert by["stub"]["status"] == "graded" and float(by["stub"]["score"]) == 0.0
    assert by["correct"]["score"] == f"{MAX:g}"
    assert by["loop-top-level"]["needs_review"] == "yes"


def test_a_second_grade_changes_nothing_for_others(batch, tmp_path):
    """Grading one student again (e.g. after a fix) leaves every other result as it was."""
    course = batch["course"]
    before = {s: json.dumps(r.to_json()["cells"]) for s, r in batch["results"].items()}
    grader = Grader(course, GradeOptions(limits=LIMITS, workers=1))
    again = grader.grade_many([(s, a, f) for s, a, f in course.submissions([ASSIGNMENT]) if s == "correct"])
    assert again[0].score == MAX
    for student in batch["expected"]:
        saved = load_result(course.results_path(student, ASSIGNMENT))
        assert json.dumps(saved.to_json()["cells"]) == before[student]


# ----------------------------------------------------------------------------- weaker levels
@pytest.mark.parametrize("level", [lv for lv in ("unshare", "setuid", "rlimits") if lv in sandbox.available_levels()])
def test_each_weaker_isolation_level_grades_and_says_which(level, tmp_path):
    course = make_course(tmp_path)
    src = _source_nb()
    solved = samples.solved_notebook(src)
    fn1 = EXERCISES[1][1]
    subs = {
        "correct": (solved, MAX),
        "loop": (samples.with_function(solved, fn1, f"def {fn1}(*a, **k):\n    while True:\n        pass\n"),
                 MAX - EXERCISES[1][2]),
        "secrets": (samples.append_to_function_cell(solved, EXERCISES[0][1], read_secrets_code(course)), MAX),
    }
    for student, (nb, _) in subs.items():
        path = course.submission_dir(student, ASSIGNMENT) / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(samples.dumps(nb))
    fast = sandbox.Limits(**{**LIMITS.to_json(), "exercise_s": 2.5})
    grader = Grader(course, GradeOptions(limits=fast, isolation=level, workers=2))
    results = {r.student: r for r in grader.grade_many(course.submissions([ASSIGNMENT]))}
    for student, (_, expected) in subs.items():
        assert results[student].score == expected, (student, results[student].error)
        assert results[student].isolation["level"] == level
    if level == "unshare":
        assert "READ OK" not in results["secrets"].stdout_tail


def test_a_level_that_is_not_available_is_refused():
    missing = [lv for lv in sandbox.LEVELS if lv not in sandbox.available_levels()]
    if not missing:
        pytest.skip("every isolation level is available here")
    with pytest.raises(RuntimeError, match="not available"):
        sandbox.detect_isolation(missing[0])


# ----------------------------------------------------------------------------- units
def test_recover_reads_truncated_garbled_and_script_files():
    nb = samples.solved_notebook(_source_nb())
    text = samples.dumps(nb)
    cut = recover.loads(text[: len(text) * 3 // 4].encode())
    assert cut.fatal is None and cut.cells and any("cut short" in n for n in cut.notes)
    assert recover.loads(b"").fatal == "the submitted file is empty"
    assert recover.loads(b"   \n").fatal
    script = recover.loads(b"# %%\nimport numpy as np\n\n# %%\ndef f(x):\n    return x\n")
    assert [c.source.strip()[:3] for c in script.cells] == ["imp", "def"]
    assert recover.loads(b'{"not": "a notebook"}').fatal
    assert recover.loads(b"\x00\xff garbage {").cells is not None


def test_program_keeps_solutions_and_helpers_but_not_tests_or_scratch_code():
    src = _source_nb()
    source = read_source(next((REAL_COURSE / "source" / ASSIGNMENT).glob("*.ipynb")), ASSIGNMENT)
    nb = samples.solved_notebook(src)
    fn0 = EXERCISES[0][1]
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "def _helper(x):\n    return x\n\nresult = slow_demo()\nLIMIT = 3\n"})
    loaded = recover.loads(samples.dumps(nb).encode())
    functions = {name: fn for name, fn, _ in EXERCISES}
    program = build_program(loaded, source, functions)
    code = "\n".join(u.code for u in program.units)
    assert "def _helper" in code and "LIMIT = 3" in code and "slow_demo" not in code
    assert "check(" not in code
    assert all(fn in program.found_functions for fn in functions.values())
    assert f"def {fn0}" in code
    assert "import tinygrad_lessons as tl" not in program.prelude or "tl" in code


def test_judging_outside_agrees_with_the_notebook_check():
    """judge_case decides as tinygrad_lessons.grading.evaluate does, on right and wrong answers."""
    from tinygrad_lessons.grading import evaluate, get_exercise
    from tinygrad_lessons.grading.cases import run_case
    from tinygrad_lessons_course.grade import ExerciseSpec

    name = EXERCISES[2][0]
    ex = get_exercise(name)

    def wrong(t, value, dtype=None):  # keeps the input's memory order: wrong strides for a transposed input
        import tinygrad_lessons as tl

        return tl.tensor(__import__("numpy").full(tuple(t.shape), value), dtype=dtype or t.dtype).contiguous()

    for fn in (ex.reference, wrong):
        cases = [{"id": f"v{i}", "hidden": False, "label": c.title(ex.function), "case": c.to_json(),
                  "expected": ex.expected(c), "case_obj": c} for i, c in enumerate(ex.visible)]
        spec = ExerciseSpec(name, ex, ex.function, cases)
        inside = evaluate(ex, fn, [(c, ex.expected(c)) for c in ex.visible])
        for case, verdict_in in zip(cases, inside):
            outcome = run_case(ex, fn, case["case_obj"])
            got = {"plain": outcome.plain, "calls": outcome.calls, "side_effects": outcome.side_effects}
            verdict = judge_case(spec, case, {"status": "done", "got": got})
            assert verdict.passed == verdict_in.passed
            assert verdict.problems == verdict_in.problems


def test_collect_from_a_zip_with_lms_names(tmp_path):
    course = make_course(tmp_path)
    nb = samples.dumps(samples.solved_notebook(_source_nb())).encode()
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"export/alice_{NOTEBOOK}.ipynb", nb)
        zf.writestr(f"export/bob-{NOTEBOOK} (1).ipynb", nb)
        zf.writestr(f"export/carol_{NOTEBOOK}.ipynb", b"")
        zf.writestr("export/__MACOSX/._alice.ipynb", b"junk")
        zf.writestr("export/notes.txt", b"not a notebook")
        zf.writestr("../evil.ipynb", nb)
    report = collect(course, archive)
    filed = {e["student"] for e in report.filed}
    assert {"alice", "bob", "carol"} <= filed
    assert not (tmp_path / "evil.ipynb").exists()
    assert (course.submission_dir("alice", ASSIGNMENT) / f"{NOTEBOOK}.ipynb").read_bytes() == nb


def test_export_quotes_awkward_text():
    table = [{"assignment": "a", "student_id": 'o"brien, jr', "status": "error", "score": "", "max_score": "11",
              "needs_review": "yes", "review": 'grading error: "x", then\na newline', "file": "Copy of a.ipynb",
              "graded_at": "", "isolation": "bwrap"}]
    text = write_csv(table, None)
    assert list(csv.DictReader(io.StringIO(text))) == table


# ----------------------------------------------------------------------------- PostgreSQL
def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


@pytest.fixture
def postgres(tmp_path):
    initdb, postgres_bin = _pg_bin("initdb"), _pg_bin("postgres")
    if not (initdb and postgres_bin):
        pytest.skip("no PostgreSQL binaries (initdb, postgres) on this machine")
    pytest.importorskip("psycopg")
    home = Path(tempfile.mkdtemp(prefix="tl-pg-"))  # not under pytest's private tmp: postgres runs as nobody
    data = home / "pg"
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use nobody
        os.chown(home, 65534, 65534)
        run_as = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(home)}
    subprocess.run([*run_as, initdb, "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, env=env, cwd=home)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*run_as, postgres_bin, "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k",
                             str(data), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=home)
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(f"host=127.0.0.1 port={port} user=grader dbname=postgres", autocommit=True) as c:
                c.execute("CREATE DATABASE grades")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.2)
    yield f"postgresql+psycopg://grader@127.0.0.1:{port}/grades"
    proc.terminate()
    proc.wait(timeout=20)
    shutil.rmtree(home, ignore_errors=True)


def test_gradebook_on_postgresql(postgres, tmp_path):
    course = make_course(tmp_path / "c")
    course.db_url = postgres
    solved = samples.solved_notebook(_source_nb())
    for student, nb in (("ann", solved), ("ben", samples.learner_notebook(_source_nb()))):
        path = course.submission_dir(student, ASSIGNMENT) / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(samples.dumps(nb))
    empty = course.submission_dir("cleo", ASSIGNMENT) / f"{NOTEBOOK}.ipynb"
    empty.parent.mkdir(parents=True)
    empty.write_bytes(b"")
    writer = Writer(course.db_url, [course.source(ASSIGNMENT)])
    grader = Grader(course, GradeOptions(limits=LIMITS, workers=2))
    for res in grader.grade_many(course.submissions([ASSIGNMENT])):
        res.save(course.results_path(res.student, res.assignment))
        writer.submit(res)
    writer.close()
    assert not writer.errors
    import psycopg

    with psycopg.connect(postgres.replace("postgresql+psycopg://", "postgresql://")) as con:
        got = dict(con.execute(
            "select s.student_id, sum(g.auto_score) from grade g join submitted_notebook n on g.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id group by s.student_id").fetchall())
        flagged = {r[0] for r in con.execute(
            "select s.student_id from submitted_notebook n join submitted_assignment s on n.assignment_id = s.id "
            "where n.flagged").fetchall()}
    assert got["ann"] == MAX and got["ben"] == 0.0
    assert got["cleo"] is None and flagged == {"cleo"}  # an error: no score, flagged for review


def test_nbgrader_export_reads_our_gradebook(batch, tmp_path):
    """``nbgrader export`` (the real command) lists the scores the batch wrote through the Gradebook API."""
    course = batch["course"]
    out = tmp_path / "grades.csv"
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--to={out}", f"--CourseDirectory.root={course.root}",
                    "--log-level=ERROR"], check=True, cwd=course.root, env=env, capture_output=True, timeout=300)
    exported = {r["student_id"]: r for r in csv.DictReader(out.open())}
    for student, expected in batch["expected"].items():
        # nbgrader's own export has no way to say "error": it prints 0 there (ours says "error").
        assert float(exported[student]["raw_score"]) == (0.0 if expected == "error" else expected), student


def test_a_free_form_graded_cell_is_scored_from_the_exercises_it_names(tmp_path):
    """A graded cell that trains a model with the learner's code is not re-run: it needs the checks it names."""
    cells = [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "sol", "solution": True, "grade": False}},
         "source": "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n", "outputs": []},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "run", "grade": True, "solution": False,
                                                        "points": 2, "locked": True}},
         "source": 'for name, yours in (("ch9.f", f), ("ch9.g", g)):\n    assert check(name, yours, quiet=True)\n'
                   "train()\n", "outputs": []},
    ]
    path = tmp_path / "ch09_x" / "09_x.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    source = read_source(path)
    cell = source.tests["run"]
    assert cell.derived and cell.checks == [("ch9.f", "visible"), ("ch9.g", "visible")]
    assert source.solution_ids == {"sol": {"f"}}
