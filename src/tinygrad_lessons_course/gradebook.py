"""Writing grades with nbgrader's own Gradebook API, so ``nbgrader export`` and formgrader see them.

Only the grading process (never a sandboxed submission) opens the gradebook, one write per
submission as its result arrives. The assignment's structure (notebook, graded cells and
their points, solution cells) is taken from the source notebook; test cells' *sources* are
not stored (nbgrader's ``generate_assignment`` stores them, hidden tests included; we have
no need to).

An ungradable submission (status ``error``) keeps ``auto_score`` empty with
``needs_manual_grade`` set and its notebook ``flagged``: nbgrader's formgrader lists it for
review, and ``tl-course export`` writes ``error`` instead of a number. (``nbgrader export``
itself prints such a submission as 0 — its limitation, noted in the README.)
"""

from __future__ import annotations

import os
import sys
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .program import SourceNotebook


@contextmanager
def open_gradebook(db_url: str, course_id: str = "tinygrad_lessons"):
    from nbgrader.api import Gradebook

    # nbgrader runs `alembic` as a subprocess when it creates a database: it must be on PATH.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    gb = Gradebook(db_url, course_id=course_id)
    try:
        yield gb
    finally:
        gb.close()


def ensure_assignment(gb, source: SourceNotebook) -> None:
    """Create or update the assignment, its notebook and its cells from the source notebook."""
    gb.update_or_create_assignment(source.assignment)
    gb.update_or_create_notebook(source.notebook, source.assignment)
    for cell in source.tests.values():
        gb.update_or_create_grade_cell(cell.grade_id, source.notebook, source.assignment,
                                       max_score=cell.points, cell_type="code")
    for meta in source.solution_cells:
        gid = meta.get("grade_id")
        if gid:
            gb.update_or_create_solution_cell(gid, source.notebook, source.assignment)


def _parse_time(text: str | None):
    if not text:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    return stamp


def record(gb, source: SourceNotebook, result, timestamp: str | None = None) -> None:
    """Write one SubmissionResult (grade.py) into the gradebook."""
    from nbgrader.api import Grade, MissingEntry

    try:
        gb.find_student(result.student)
    except MissingEntry:
        gb.add_student(result.student)
    try:
        submission = gb.find_submission(source.assignment, result.student)
    except MissingEntry:
        with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
            warnings.simplefilter("ignore")
            submission = gb.add_submission(source.assignment, result.student, timestamp=_parse_time(timestamp))
    else:
        if timestamp:
            submission.timestamp = _parse_time(timestamp)
    nb = gb.find_submission_notebook(source.notebook, source.assignment, result.student)
    have = {g.name: g for g in nb.grades}
    scores = {c.grade_id: c.score for c in result.cells}
    for grade_id in source.tests:
        grade = have.get(grade_id)
        if grade is None:  # the cell was added to the source after this submission was first recorded
            cell = gb.find_grade_cell(grade_id, source.notebook, source.assignment)
            grade = Grade(cell_id=cell.id, notebook=nb)
            gb.db.add(grade)
        score = scores.get(grade_id) if result.status != "error" else None
        if score is None:
            grade.auto_score = None
            grade.needs_manual_grade = True
        else:
            grade.auto_score = float(score)
            grade.needs_manual_grade = False
    nb.flagged = result.status == "error"
    gb.db.commit()


def scores(gb, assignment: str, notebook: str) -> dict[str, tuple[float, float, bool]]:
    """{student: (score, max score, needs manual grade)} for every submission of an assignment."""
    out = {}
    for sub in gb.assignment_submissions(assignment):
        try:
            nb = gb.find_submission_notebook(notebook, assignment, sub.student.id)
        except Exception:  # noqa: BLE001
            continue
        out[sub.student.id] = (float(sub.score or 0.0), float(sub.max_score or 0.0), bool(nb.needs_manual_grade))
    return out


# ----------------------------------------------------------------------------- a writer process
_WORKER: dict = {}


def _worker_open(db_url: str, sources: list[tuple[str, str]]) -> None:
    from .program import read_source

    ctx = open_gradebook(db_url)
    gb = ctx.__enter__()
    loaded = {assignment: read_source(Path(path), assignment) for assignment, path in sources}
    for source in loaded.values():
        ensure_assignment(gb, source)
    _WORKER.update(ctx=ctx, gb=gb, sources=loaded)


def _worker_record(result_json: dict, timestamp: str | None) -> str | None:
    from .grade import SubmissionResult

    gb = _WORKER["gb"]
    result = SubmissionResult.from_json(result_json)
    try:
        record(gb, _WORKER["sources"][result.assignment], result, timestamp=timestamp)
    except Exception as exc:  # noqa: BLE001 - one bad write must not stop the batch
        gb.db.rollback()
        return f"{result.student}/{result.assignment}: gradebook write failed: {exc}"
    return None


def _worker_close() -> None:
    ctx = _WORKER.pop("ctx", None)
    if ctx is not None:
        ctx.__exit__(None, None, None)


class Writer:
    """Records results in the gradebook, one at a time, in a process of its own.

    Importing nbgrader takes seconds of CPU (much of it regex compilation that holds the
    GIL), so it happens in a separate process that starts with the batch: grading does not
    wait for it, and results are written in the order they arrive. ``errors`` collects the
    writes that failed (the batch goes on).
    """

    def __init__(self, db_url: str, sources: list[SourceNotebook]):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.errors: list[str] = []
        self._futures = []
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_open,
            initargs=(db_url, [(s.assignment, str(s.path)) for s in sources]))

    def submit(self, result, timestamp: str | None = None) -> None:
        self._futures.append(self._pool.submit(_worker_record, result.to_json(), timestamp))

    def close(self) -> None:
        try:
            for future in self._futures:
                try:
                    error = future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. the gradebook could not be opened
                    error = f"gradebook: {type(exc).__name__}: {exc}"
                if error:
                    self.errors.append(error)
            self._pool.submit(_worker_close).result()
        except Exception as exc:  # noqa: BLE001
            self.errors.append(f"gradebook: {type(exc).__name__}: {exc}")
        finally:
            self._pool.shutdown()
