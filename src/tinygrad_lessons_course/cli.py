"""``tl-course``: the instructor's command line (headless; run it from the repository or pass --course).

    tl-course release [CHAPTER...]            learner notebooks -> notebooks/ (scripts/release.py)
    tl-course collect DOWNLOADS[.zip]         file submissions under autograder/submitted/
    tl-course grade [CHAPTER...]              grade them in sandboxes, in parallel; write the gradebook
    tl-course feedback [CHAPTER...]           HTML per student under autograder/feedback/
    tl-course export [CHAPTER...] -o FILE     CSV of grades (errors are not zeros)
    tl-course status [CHAPTER...]             what has been collected, graded, and needs review

The gradebook is ``autograder/gradebook.db`` (SQLite) unless ``--db`` names any SQLAlchemy URL,
e.g. ``postgresql+psycopg://user@localhost/grades``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from . import sandbox
from .course import Course, find_course


def _course(args) -> Course:
    root = Path(args.course).resolve() if args.course else find_course()
    return Course(root, db_url=args.db or os.environ.get("TL_COURSE_DB", ""))


# ----------------------------------------------------------------------------- release
def cmd_release(args) -> int:
    course = _course(args)
    script = course.repo_root / "scripts" / "release.py"
    if not script.is_file():  # a course folder elsewhere: this checkout's script
        script = Path(__file__).resolve().parents[2] / "scripts" / "release.py"
    if not script.is_file():
        print(f"no release script at {script}", file=sys.stderr)
        return 2
    argv = [sys.executable, str(script), *args.chapters, "--course", str(course.root)]
    if args.check:
        argv.append("--check")
    if args.notebooks:
        argv += ["--notebooks", str(args.notebooks)]
    return subprocess.call(argv)


# ----------------------------------------------------------------------------- collect
def cmd_collect(args) -> int:
    from .collect import collect

    course = _course(args)
    assignment = course.select([args.assignment])[0] if args.assignment else None
    report = collect(course, Path(args.source), assignment=assignment, dry_run=args.dry_run, student=args.student)
    for entry in report.filed:
        extra = f" (renamed from {entry['renamed_from']!r})" if "renamed_from" in entry else ""
        print(f"{'would file' if args.dry_run else 'filed'} {entry['file']} -> {entry['to']}{extra}")
    for entry in report.skipped:
        print(f"skipped {entry['file']}: {entry['why']}")
    print(f"{len(report.filed)} submission(s) filed, {len(report.skipped)} file(s) skipped")
    return 0


# ----------------------------------------------------------------------------- grade
def cmd_grade(args) -> int:
    from .grade import GradeOptions, Grader, load_result

    course = _course(args)
    assignments = course.select(args.chapters)
    limits = sandbox.Limits(
        wall_s=args.timeout, statement_s=args.statement_timeout or min(30.0, args.timeout),
        exercise_s=args.exercise_timeout or min(30.0, args.timeout), cpu_s=int(args.timeout) + 5,
        memory_bytes=int(args.memory * 1024**2), nproc=args.nproc, fsize_bytes=int(args.fsize * 1024**2),
    )
    options = GradeOptions(limits=limits, isolation=args.isolation, workers=args.workers)
    grader = Grader(course, options)
    items = course.submissions(assignments, args.student or None)
    if not args.force:
        todo = []
        for student, assignment, folder in items:
            result = load_result(course.results_path(student, assignment))
            newest = max((p.stat().st_mtime for p in folder.iterdir()), default=0)
            done = course.results_path(student, assignment)
            if result is None or not done.exists() or done.stat().st_mtime < newest:
                todo.append((student, assignment, folder))
        skipped = len(items) - len(todo)
        if skipped:
            print(f"{skipped} submission(s) already graded (use --force to grade again)")
        items = todo
    print(f"grading {len(items)} submission(s) with {grader.workers} worker(s); isolation: "
          f"{grader.isolation.level} — {grader.isolation.description}"
          + (f" ({grader.isolation.detail})" if grader.isolation.detail else ""))
    if not items:
        return 0
    start = time.monotonic()
    errors = []
    writer = None
    if not args.no_gradebook:
        from .gradebook import Writer

        writer = Writer(course.db_url, [course.source(a) for a in assignments])

    def on_result(res):
        res.save(course.results_path(res.student, res.assignment))
        if writer is not None:
            stamp = course.submission_dir(res.student, res.assignment) / "timestamp.txt"
            when = stamp.read_text(encoding="utf-8").strip().replace(" UTC", "+00:00") if stamp.exists() else None
            writer.submit(res, when)
        shown = "ERROR" if res.status == "error" else f"{res.score:g}/{res.max_score:g}"
        flags = f"  [review: {'; '.join(res.review)}]" if res.review else ""
        print(f"  {res.assignment} {res.student}: {shown}{flags}", flush=True)
        if res.status == "error":
            errors.append(f"{res.student}/{res.assignment}: {(res.error or '').splitlines()[0]}")

    results = grader.grade_many(items, on_result=on_result)
    elapsed = time.monotonic() - start
    if writer is not None:
        writer.close()
        errors += writer.errors
    total = time.monotonic() - start
    for warning in dict.fromkeys(grader.warnings):
        print(f"warning: {warning}")
    rate = len(results) / elapsed * 60 if elapsed > 0 else 0.0
    print(f"graded {len(results)} submission(s) in {elapsed:.1f} s ({rate:.0f} per minute); gradebook "
          f"{'not written' if writer is None else f'written ({total:.1f} s in all)'}; "
          f"{len(errors)} error(s) to review")
    for e in errors:
        print(f"  error: {e}")
    return 0


# ----------------------------------------------------------------------------- feedback
def cmd_feedback(args) -> int:
    from .feedback import write
    from .grade import load_result

    course = _course(args)
    n = 0
    for student, assignment, _ in course.submissions(course.select(args.chapters), args.student or None):
        result = load_result(course.results_path(student, assignment))
        if result is None:
            print(f"  {assignment} {student}: not graded yet")
            continue
        path = write(result, course.feedback_path(student, assignment))
        n += 1
        if args.verbose:
            print(f"  wrote {path.relative_to(course.root)}")
    print(f"wrote {n} feedback page(s) under {course.feedback_dir}")
    return 0


# ----------------------------------------------------------------------------- export
def cmd_export(args) -> int:
    from .export import rows, write_csv

    course = _course(args)
    table = rows(course, course.select(args.chapters), use_gradebook=not args.no_gradebook)
    out = Path(args.output) if args.output and args.output != "-" else None
    text = write_csv(table, out)
    if out is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {len(table)} row(s) to {out}")
    return 0


# ----------------------------------------------------------------------------- status
def cmd_status(args) -> int:
    from .grade import load_result

    course = _course(args)
    print(f"course: {course.root}")
    print(f"gradebook: {course.db_url}")
    levels = sandbox.available_levels()
    print(f"isolation available here: {', '.join(levels)} (grade uses {levels[0]})")
    for assignment in course.select(args.chapters):
        subs = course.submissions([assignment])
        results = [load_result(course.results_path(s, assignment)) for s, _, _ in subs]
        graded = [r for r in results if r is not None and r.status == "graded"]
        errors = [r for r in results if r is not None and r.status == "error"]
        review = [r for r in results if r is not None and r.review]
        pending = sum(r is None for r in results)
        source = course.source(assignment)
        mean = sum(r.score or 0 for r in graded) / len(graded) if graded else 0.0
        used = sorted({(r.isolation or {}).get("level", "?") for r in results if r is not None})
        print(f"{assignment}: {len(subs)} collected, {len(graded)} graded, {len(errors)} error(s), {pending} not "
              f"graded yet; mean {mean:.2f}/{source.max_score:g}; isolation used: {', '.join(used) or '-'}")
        for r in errors:
            print(f"  error  {r.student}: {(r.error or '').splitlines()[0]}")
        for r in review:
            if r.status != "error":
                print(f"  review {r.student}: {'; '.join(r.review)}")
    return 0


# ----------------------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tl-course", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--course", help="the course directory (default: ./autograder, found upwards)")
    p.add_argument("--db", help="gradebook SQLAlchemy URL (default: sqlite:///<course>/gradebook.db)")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="build the learner notebooks (scripts/release.py)")
    r.add_argument("chapters", nargs="*")
    r.add_argument("--check", action="store_true", help="write nothing; exit 1 when notebooks/ is stale")
    r.add_argument("--notebooks", help="where learner notebooks go (default: notebooks/)")
    r.set_defaults(func=cmd_release)

    c = sub.add_parser("collect", help="file downloaded submissions (a folder or a zip)")
    c.add_argument("source", help="folder or .zip of downloads")
    c.add_argument("--assignment", help="every file is this assignment (folder name or chapter number)")
    c.add_argument("--student", help="every file is this student's")
    c.add_argument("--dry-run", action="store_true", help="only print what would be filed")
    c.set_defaults(func=cmd_collect)

    g = sub.add_parser("grade", help="grade collected submissions in sandboxes")
    g.add_argument("chapters", nargs="*", help="assignments (folder names or chapter numbers; default: all)")
    g.add_argument("--student", action="append", help="only this student (repeatable)")
    g.add_argument("--workers", type=int, default=0, help="parallel submissions (default: one per core)")
    g.add_argument("--isolation", default="auto", choices=["auto", *sandbox.LEVELS],
                   help="sandbox level (default: the strongest available)")
    g.add_argument("--timeout", type=float, default=300.0, help="wall-clock seconds for a whole notebook")
    g.add_argument("--exercise-timeout", type=float, default=0.0, help="seconds for one exercise's cases (30)")
    g.add_argument("--statement-timeout", type=float, default=0.0, help="seconds for one top-level statement (30)")
    g.add_argument("--memory", type=float, default=2048, help="address-space limit in MiB (RLIMIT_AS)")
    g.add_argument("--nproc", type=int, default=64, help="process limit (RLIMIT_NPROC)")
    g.add_argument("--fsize", type=float, default=64, help="largest file a submission may write, MiB")
    g.add_argument("--force", action="store_true", help="grade again what is already graded")
    g.add_argument("--no-gradebook", action="store_true", help="write results.json only")
    g.set_defaults(func=cmd_grade)

    f = sub.add_parser("feedback", help="write HTML feedback per student")
    f.add_argument("chapters", nargs="*")
    f.add_argument("--student", action="append")
    f.add_argument("-v", "--verbose", action="store_true")
    f.set_defaults(func=cmd_feedback)

    e = sub.add_parser("export", help="write grades as CSV")
    e.add_argument("chapters", nargs="*")
    e.add_argument("-o", "--output", default="-", help="CSV file (default: stdout)")
    e.add_argument("--no-gradebook", action="store_true", help="use results.json only")
    e.set_defaults(func=cmd_export)

    s = sub.add_parser("status", help="summarise collected and graded submissions")
    s.add_argument("chapters", nargs="*")
    s.set_defaults(func=cmd_status)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
