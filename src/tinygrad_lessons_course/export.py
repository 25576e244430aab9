"""Grades as CSV (quoted by the csv module), with errors told apart from zeros.

One row per student and assignment. ``status`` is ``graded``, ``error`` (could not be graded
automatically: ``score`` is left empty, never 0), ``reviewed`` (an error the instructor has
since graded by hand in the gradebook) or ``missing`` (no submission). ``score`` comes
from the gradebook, so manual changes made in nbgrader's formgrader are exported too.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .course import Course
from .grade import load_result

COLUMNS = ["assignment", "student_id", "status", "score", "max_score", "needs_review", "review", "file", "graded_at",
           "isolation"]


def rows(course: Course, assignments: list[str], use_gradebook: bool = True) -> list[dict]:
    gradebook_scores: dict[str, dict] = {}
    students = set(course.students())
    if use_gradebook:
        from .gradebook import open_gradebook, scores

        with open_gradebook(course.db_url) as gb:
            students |= {s.id for s in gb.students}
            for assignment in assignments:
                try:
                    gradebook_scores[assignment] = scores(gb, assignment, course.source(assignment).notebook)
                except Exception:  # noqa: BLE001 - not in the gradebook yet
                    gradebook_scores[assignment] = {}
    out = []
    for assignment in assignments:
        max_score = course.source(assignment).max_score
        for student in sorted(students):
            result = load_result(course.results_path(student, assignment))
            row = {"assignment": assignment, "student_id": student, "max_score": f"{max_score:g}", "score": "",
                   "status": "missing", "needs_review": "", "review": "", "file": "", "graded_at": "",
                   "isolation": ""}
            from_gb = gradebook_scores.get(assignment, {}).get(student)
            if result is not None:
                row.update(file=result.file, graded_at=result.graded_at,
                           isolation=(result.isolation or {}).get("level", ""),
                           needs_review="yes" if result.review or result.status == "error" else "no",
                           review=" | ".join(result.review))
                row["status"] = result.status
                if result.status == "graded":
                    row["score"] = f"{result.score:g}" if result.score is not None else ""
            if from_gb is not None:
                score, _, needs_manual = from_gb
                if row["status"] == "error" and not needs_manual:
                    row["status"] = "reviewed"
                if row["status"] in ("graded", "reviewed"):
                    row["score"] = f"{score:g}"
                elif row["status"] == "missing":
                    row["status"] = "error" if needs_manual else "graded"
                    row["score"] = "" if needs_manual else f"{score:g}"
            out.append(row)
    return out


def write_csv(table: list[dict], path: Path | None) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow(row)
    text = buf.getvalue()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return text
