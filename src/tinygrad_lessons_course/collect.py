"""File downloaded submissions under ``submitted/<student>/<assignment>/<notebook>.ipynb``.

Input: a folder or a ``.zip`` of what students handed in, in any of the usual shapes —

* ``<student>/<notebook>.ipynb`` or ``<student>/<anything>/<file>.ipynb`` (one folder per student);
* ``<student>_<anything>.ipynb`` or ``<student>-<notebook>.ipynb`` (flat, as LMS exports do);
* Colab and browser renames: ``Copy of 01_tensors.ipynb``, ``01_tensors (1).ipynb``,
  ``01_tensors.ipynb.json``, or any name at all (then the notebook's content decides: its
  nbgrader cell ids, else the exercise functions it defines).

Which assignment a file is: the chapter notebook name inside the file name
(``01_tensors``), else its content. When a student handed in several files for the same
assignment, the most recently modified one is kept and the choice is logged.
``submitted/collect_log.json`` records, for every input file, where it went and why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import recover
from .course import Course, safe_id
from .program import _defined_names, _parse

NOTEBOOK_SUFFIXES = (".ipynb", ".ipynb.json", ".ipynb.txt")
_JUNK = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints|\.[^/]*)(/|$)")


@dataclass
class Found:
    original: str  # the path inside the input (for the log)
    path: Path  # where the bytes are now (extracted or in place)
    mtime: float
    student: str | None = None
    assignment: str | None = None
    how: list[str] = field(default_factory=list)


@dataclass
class CollectReport:
    filed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _notebook_files(root: Path) -> list[tuple[str, Path, float]]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or _JUNK.search(rel):
            continue
        if path.name.lower().endswith(NOTEBOOK_SUFFIXES) or path.suffix.lower() == ".zip":
            out.append((rel, path, path.stat().st_mtime))
    return out


def _unzip(archive: Path, into: Path) -> list[tuple[str, Path, float]]:
    """Extract notebook files only, defusing path tricks (``../``, absolute names) and zip bombs."""
    out = []
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for i, info in enumerate(zf.infolist()):
            name = info.filename
            if info.is_dir() or _JUNK.search(name) or not name.lower().endswith(NOTEBOOK_SUFFIXES):
                continue
            total += info.file_size
            if info.file_size > 50 * 1024**2 or total > 2 * 1024**3:
                continue
            target = into / f"{i:05d}" / Path(name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            stamp = datetime(*info.date_time).replace(tzinfo=timezone.utc).timestamp()
            out.append((name, target, stamp))
    return out


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _strip_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in NOTEBOOK_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _assignment_from_name(stem: str, notebooks: dict[str, str]) -> tuple[str | None, str]:
    """(assignment, what is left of the name around the notebook name)."""
    norm = _norm(stem)
    for nb_stem, assignment in sorted(notebooks.items(), key=lambda kv: -len(kv[0])):
        key = _norm(nb_stem)
        for candidate in (key, _norm(assignment)):
            idx = norm.find(candidate)
            if idx >= 0:
                return assignment, norm[:idx].strip("_")
    return None, norm


def _assignment_from_content(path: Path, course: Course) -> tuple[str | None, str]:
    loaded = recover.load(path)
    if loaded.fatal or not loaded.cells:
        return None, loaded.fatal or "no cells"
    ids = {c.grade_id for c in loaded.cells if c.grade_id}
    defined: set[str] = set()
    for cell in loaded.cells:
        if cell.cell_type == "code":
            tree = _parse(cell.source)
            if tree is not None:
                defined |= _defined_names(tree)
    best, best_score = None, 0
    for assignment in course.assignments():
        source = course.source(assignment)
        own_ids = set(source.solution_ids) | set(source.tests) | source.locked_ids
        names = set().union(*source.solution_ids.values()) if source.solution_ids else set()
        score = 3 * len(ids & own_ids) + len(defined & names)
        if score > best_score:
            best, best_score = assignment, score
    return best, f"content matches {best}" if best else "content matches no assignment"


_COPY_OF = re.compile(r"^(copy of |kopie von |copie de )+", re.IGNORECASE)
_SEPARATORS = re.compile(r"[ _\-.]+")


def _student_from_flat_name(stem: str, notebooks: dict[str, str]) -> str | None:
    """``alice_01_tensors`` -> ``alice``; ``bob_homework`` -> ``bob``; ``Copy of 01_tensors`` -> None."""
    stem = _COPY_OF.sub("", re.sub(r"\s*\(\d+\)$", "", stem))
    found, rest = _assignment_from_name(stem, notebooks)
    if found:
        return rest or None
    m = re.match(r"([A-Za-z0-9.@+]+)[_\-]", stem)
    return m.group(1) if m else None


def _strip_wrapper(items: list[tuple[str, Path, float]], notebooks: dict[str, str]) -> list[tuple[str, Path, float]]:
    """Drop a folder that wraps everything (``submissions/alice/...``) when it is not a student's."""
    parts = [Path(rel).parts for rel, _, _ in items]
    if len(items) < 2 or any(len(p) < 2 for p in parts) or len({p[0] for p in parts}) != 1:
        return items
    if all(len(p) >= 3 for p in parts):
        return [(Path(*Path(rel).parts[1:]).as_posix(), path, m) for rel, path, m in items]
    students = [_student_from_flat_name(_strip_suffix(p[-1]), notebooks) for p in parts if len(p) == 2]
    if all(students) and len(set(students)) >= 2:
        return [(Path(*Path(rel).parts[1:]).as_posix(), path, m) for rel, path, m in items]
    return items


def collect(course: Course, source: Path, *, assignment: str | None = None, dry_run: bool = False,
            student: str | None = None) -> CollectReport:
    """File every notebook found in ``source`` (a folder or a zip) under the course's ``submitted/``."""
    report = CollectReport()
    notebooks = course.notebook_names()
    with tempfile.TemporaryDirectory(prefix="tl-collect-") as tmp:
        tmp = Path(tmp)
        items: list[tuple[str, Path, float]] = []
        if source.is_file() and source.suffix.lower() == ".zip":
            items = _unzip(source, tmp / "zip")
            base = ""
        elif source.is_dir():
            items = _notebook_files(source)
            base = ""
        elif source.is_file():
            items = [(source.name, source, source.stat().st_mtime)]
            base = ""
        else:
            raise SystemExit(f"no such file or folder: {source}")
        # Zips inside the folder (one per student, as some LMS do): unpack beside.
        expanded = []
        for n, (rel, path, mtime) in enumerate(items):
            if path.suffix.lower() == ".zip":
                try:
                    inner = _unzip(path, tmp / f"inner{n}")
                except zipfile.BadZipFile:
                    report.skipped.append({"file": rel, "why": "not a valid zip file"})
                    continue
                owner = Path(rel).parent.as_posix()
                prefix = owner + "/" if owner != "." else Path(rel).stem + "/"
                expanded += [(prefix + r, p, m) for r, p, m in inner]
            else:
                expanded.append((rel, path, mtime))
        found: list[Found] = []
        for rel, path, mtime in _strip_wrapper(expanded, notebooks):
            f = Found(original=base + rel, path=path, mtime=mtime)
            parts = Path(rel).parts
            stem = _strip_suffix(parts[-1])
            stem = re.sub(r"\s*\(\d+\)$", "", stem)  # "01_tensors (1)"
            name_assignment, _ = _assignment_from_name(_COPY_OF.sub("", stem), notebooks)
            if assignment:
                f.assignment = assignment
                f.how.append(f"assignment {assignment} (given)")
            elif name_assignment:
                f.assignment = name_assignment
                f.how.append(f"assignment {name_assignment} from the file name")
            else:
                f.assignment, why = _assignment_from_content(path, course)
                f.how.append(f"renamed file: {why}")
            if student:
                f.student = student
            elif len(parts) > 1:
                f.student = parts[0]
                f.how.append(f"student {parts[0]!r} from the folder name")
            else:
                f.student = _student_from_flat_name(parts[-1] and _strip_suffix(parts[-1]), notebooks)
                if f.student:
                    f.how.append(f"student {f.student!r} from the file name")
            if not f.student or not f.assignment:
                report.skipped.append({"file": f.original, "why": "; ".join(f.how) or "cannot tell the student "
                                       "or the assignment", "student": f.student, "assignment": f.assignment})
                continue
            f.student = safe_id(f.student)
            found.append(f)
        # One file per (student, assignment): the newest.
        chosen: dict[tuple[str, str], Found] = {}
        for f in sorted(found, key=lambda f: f.mtime):
            key = (f.student, f.assignment)
            if key in chosen:
                report.skipped.append({"file": chosen[key].original, "why": f"older than {f.original} "
                                       f"(same student and assignment)", "student": f.student,
                                       "assignment": f.assignment})
            chosen[key] = f
        for (stu, asg), f in sorted(chosen.items()):
            nb_name = course.source_notebook(asg).name
            target = course.submission_dir(stu, asg) / nb_name
            entry = {"file": f.original, "student": stu, "assignment": asg, "to": str(target.relative_to(course.root)),
                     "how": f.how}
            if _strip_suffix(Path(f.original).name) != _strip_suffix(nb_name):
                entry["renamed_from"] = Path(f.original).name
            report.filed.append(entry)
            if dry_run:
                continue
            if target.parent.exists():
                shutil.rmtree(target.parent)
            target.parent.mkdir(parents=True)
            shutil.copyfile(f.path, target)
            os.utime(target, (f.mtime, f.mtime))
            stamp = datetime.fromtimestamp(f.mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
            (target.parent / "timestamp.txt").write_text(stamp + "\n", encoding="utf-8")
            if "renamed_from" in entry:
                (target.parent / "original_name.txt").write_text(entry["renamed_from"] + "\n", encoding="utf-8")
    if not dry_run:
        course.submitted_dir.mkdir(parents=True, exist_ok=True)
        log = course.submitted_dir / "collect_log.json"
        history = []
        if log.exists():
            try:
                history = json.loads(log.read_text(encoding="utf-8"))
            except ValueError:
                history = []
        history.append({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": str(source),
                         **report.to_json()})
        log.write_text(json.dumps(history, indent=1), encoding="utf-8")
    return report
