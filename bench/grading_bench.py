"""Grading throughput: ``tl-course grade`` (sandboxed, parallel) beside plain serial ``nbgrader autograde``.

Usage:
    .venv-test/bin/python bench/grading_bench.py                    # 40 submissions per chapter, 2 workers
    .venv-test/bin/python bench/grading_bench.py --submissions 8 --skip-nbgrader   # a quick look

For every chapter under ``autograder/source/`` it makes the same set of submissions (from the
source notebook: a quarter untouched stubs, a quarter with one wrong function, the rest
solved), in two temporary copies of the course. Both graders run as the instructor would run
them, as commands, startup and gradebook writes included:

* ``tl-course grade --workers 2`` — each submission in its own sandbox (the strongest isolation
  available here), the gradebook written as results arrive;
* ``nbgrader autograde <assignment>`` once per chapter (serial, as nbgrader does it), after
  ``nbgrader generate_assignment`` has filled its gradebook (not timed).

It prints notebooks graded per minute for both and the ratio, checks that both gave every
submission the same score, and writes ``bench/results/grading.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import RESULTS, machine  # noqa: E402

from tinygrad_lessons_course import samples, sandbox  # noqa: E402
from tinygrad_lessons_course.course import Course  # noqa: E402

COURSE = ROOT / "autograder"


def make_course(folder: Path) -> Course:
    root = folder / "autograder"
    root.mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", root)
    shutil.copytree(COURSE / "source", root / "source")
    if (COURSE / "reference").is_dir():
        shutil.copytree(COURSE / "reference", root / "reference")
    return Course(root)


def submissions(course: Course, per_chapter: int) -> dict[tuple[str, str], str]:
    """Writes ``submitted/<student>/<assignment>/<nb>.ipynb``; returns {(student, assignment): kind}."""
    kinds = {}
    for assignment in course.assignments():
        path = course.source_notebook(assignment)
        src = samples.read(path)
        solved, stub = samples.solved_notebook(src), samples.learner_notebook(src)
        from tinygrad_lessons.grading import get_exercise

        functions = [get_exercise(name).function for name in course.source(assignment).exercises]
        for i in range(per_chapter):
            student = f"student{i:03d}"
            if i % 4 == 1:
                nb, kind = stub, "stub"
            elif i % 4 == 3 and functions:
                fn = functions[i % len(functions)]
                nb, kind = samples.with_function(solved, fn, f"def {fn}(*args, **kwargs):\n    return None\n"), \
                    f"wrong {fn}"
            else:
                nb, kind = solved, "solved"
            target = course.submission_dir(student, assignment) / path.name
            target.parent.mkdir(parents=True)
            target.write_text(samples.dumps(nb), encoding="utf-8")
            kinds[student, assignment] = kind
    return kinds


def env_with_bin(scratch: Path) -> dict:
    """This environment's bin/ first on PATH (nbgrader runs alembic), Jupyter's dotfiles in ``scratch``."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR", "MPLCONFIGDIR", "TL_MINE_DIR"):
        env[name] = os.path.join(scratch, name.lower())
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def scores_from_gradebook(db: Path) -> dict[tuple[str, str], float]:
    con = sqlite3.connect(db)
    rows = con.execute(
        "select s.student_id, a.name, sum(coalesce(g.manual_score, g.auto_score, 0)) from grade g "
        "join submitted_notebook n on g.notebook_id = n.id join submitted_assignment s on n.assignment_id = s.id "
        "join assignment a on s.assignment_id = a.id group by s.student_id, a.name").fetchall()
    con.close()
    return {(student, assignment): float(score) for student, assignment, score in rows}


def run_ours(course: Course, workers: int) -> tuple[float, str]:
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "tinygrad_lessons_course", "--course", str(course.root), "grade",
                          "--workers", str(workers), "--force"], capture_output=True, text=True,
                         env=env_with_bin(course.root.parent))
    wall = time.monotonic() - start
    if out.returncode != 0:
        raise RuntimeError(f"tl-course grade failed:\n{out.stdout}\n{out.stderr}")
    return wall, out.stdout


def run_nbgrader(course: Course) -> float:
    env = env_with_bin(course.root.parent)
    for assignment in course.assignments():  # fills the gradebook, as an instructor's release does (not timed)
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                        "--log-level=ERROR"], cwd=course.root, env=env, check=True, capture_output=True)
    start = time.monotonic()
    for assignment in course.assignments():
        subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force", "--log-level=ERROR"],
                       cwd=course.root, env=env, capture_output=True)
    return time.monotonic() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40, help="submissions per chapter (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="tl-course workers (default 2)")
    parser.add_argument("--skip-nbgrader", action="store_true", help="time tl-course only")
    parser.add_argument("--nbgrader-per-chapter", type=int, default=0,
                        help="time nbgrader on the first N submissions of each chapter only (same mix of kinds; "
                             "its rate is per notebook). Default: all of them")
    parser.add_argument("--out", type=Path, default=RESULTS / "grading.json")
    args = parser.parse_args(argv)
    load_at_start = [round(x, 2) for x in os.getloadavg()]

    with tempfile.TemporaryDirectory(prefix="tl-grading-bench-") as tmp:
        tmp = Path(tmp)
        ours_course = make_course(tmp / "ours")
        kinds = submissions(ours_course, args.submissions)
        n = len(kinds)
        chapters = ours_course.assignments()
        print(f"{n} notebooks: {args.submissions} per chapter × {len(chapters)} chapter(s) ({', '.join(chapters)})")
        isolation = sandbox.detect_isolation()
        ours_wall, ours_log = run_ours(ours_course, args.workers)
        ours_scores = scores_from_gradebook(ours_course.gradebook_path)
        ours_rate = n / ours_wall * 60
        print(f"tl-course grade ({args.workers} workers, isolation {isolation.level}): {ours_wall:.1f} s, "
              f"{ours_rate:.1f} notebooks/min")
        result = {
            "notebooks": n, "per_chapter": args.submissions, "chapters": chapters, "workers": args.workers,
            "isolation": isolation.level,
            "tl_course": {"wall_s": round(ours_wall, 2), "per_minute": round(ours_rate, 2)},
            "machine": machine(), "cpu_count": os.cpu_count(),
            # Other work on the machine slows both graders (nbgrader more: it runs every cell).
            "load_average_at_start": load_at_start,
            "command": "python bench/grading_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        }
        if not args.skip_nbgrader:
            nb_course = make_course(tmp / "nbgrader")
            per = min(args.nbgrader_per_chapter or args.submissions, args.submissions)
            nb_kinds = submissions(nb_course, per)
            nb_n = len(nb_kinds)
            nb_wall = run_nbgrader(nb_course)
            nb_scores = scores_from_gradebook(nb_course.gradebook_path)
            nb_rate = nb_n / nb_wall * 60
            same = {key for key in nb_kinds
                    if key in nb_scores and abs(nb_scores[key] - ours_scores.get(key, -1)) < 1e-9}
            agree = len(same)
            disagree = {f"{s}/{a} ({kinds[s, a]})": [ours_scores.get((s, a)), nb_scores.get((s, a))]
                        for s, a in nb_kinds if (s, a) not in same}
            print(f"nbgrader autograde (serial) on {nb_n} of them: {nb_wall:.1f} s, {nb_rate:.1f} notebooks/min")
            print(f"ratio: {ours_rate / nb_rate:.2f}× (target ≥ 2×); same score on {agree}/{nb_n} submissions")
            for key, (ours, theirs) in list(disagree.items())[:10]:
                print(f"  differs: {key}: tl-course {ours}, nbgrader {theirs}")
            result.update(nbgrader={"notebooks": nb_n, "wall_s": round(nb_wall, 2), "per_minute": round(nb_rate, 2)},
                          ratio=round(ours_rate / nb_rate, 2), same_score=agree, differs=disagree)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
