"""Build the learner notebooks in notebooks/ from the nbgrader sources in autograder/source/.

Usage (in an environment with nbgrader, e.g. the dev extra):
    python scripts/release.py                    # every chapter
    python scripts/release.py ch01_tensors 2     # some: the assignment folder's name or its number
    python scripts/release.py --check            # exit 1 when notebooks/ or a source's managed cells are stale

Each chapter is an nbgrader assignment ``autograder/source/chNN_name/NN_name.ipynb`` with solutions
(``### BEGIN/END SOLUTION``) and hidden tests (``### BEGIN/END HIDDEN TESTS``). This script first
brings the badge and setup cells of the sources up to date (``scripts/sync_setup_cell.py``), then
runs ``nbgrader generate_assignment --no-db`` (through nbgrader's Python API) on a copy of the
course in a temporary folder, so the real gradebook is never touched, and writes each learner
notebook to ``notebooks/NN_name.ipynb``: outputs cleared, volatile metadata dropped, ``# NBVAL_...``
marker lines removed from ungraded cells, written the way nbformat writes — so building twice
gives byte-identical files. Only notebooks are released: Colab opens one file from GitHub, so
a chapter must not need files beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_setup_cell  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "autograder"
NOTEBOOKS = ROOT / "notebooks"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Cell metadata a release keeps: nbgrader's (autograde needs it), the locks, tags, and hidden-input flags.
KEPT_CELL_METADATA = ("nbgrader", "deletable", "editable", "tags", "jupyter")
NBVAL_MARKER = re.compile(r"^\s*#\s*NBVAL_[A-Z_]+\s*$")


def assignments(source_dir: Path = COURSE / "source") -> list[str]:
    """The assignment folders (chapters) under source/, in order."""
    return sorted(p.name for p in source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def select(available: list[str], wanted: list[str]) -> list[str]:
    """``wanted`` given as folder names or chapter numbers ('1', '01', 'ch01')."""
    if not wanted:
        return available
    chosen = []
    for w in wanted:
        number = re.fullmatch(r"(?:ch)?0*(\d+)", w)
        hits = [a for a in available if a == w or (number and re.match(rf"ch0*{number.group(1)}_", a))]
        if len(hits) != 1:
            raise SystemExit(f"no single chapter matches {w!r}; chapters: {', '.join(available)}")
        chosen += hits
    return chosen


def _run_generate_assignment(course: Path) -> str:
    """``nbgrader generate_assignment '*' --no-db --force`` in ``course``, through nbgrader's Python API.

    In-process (the converter the ``nbgrader`` command runs) so that building again costs milliseconds,
    not a new interpreter. Returns nbgrader's log (warnings and errors).
    """
    import logging

    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.merge(Config({
        "CourseDirectory": {"root": str(course), "assignment_id": "*"},
        "GenerateAssignment": {"no_database": True},  # the --no-db flag: the real gradebook is never touched
        "SaveCells": {"enabled": False},
        "BaseConverter": {"force": True},
    }))
    log = logging.getLogger("tinygrad_lessons.release")
    log.setLevel(logging.WARNING)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    try:
        GenerateAssignment(coursedir=CourseDirectory(config=config, log=log), config=config, log=log).start()
    except Exception as error:
        raise RuntimeError(f"nbgrader generate_assignment failed: {error}\n{stream.getvalue()}") from error
    finally:
        log.removeHandler(handler)
    return stream.getvalue()


def generate(chosen: list[str], course: Path = COURSE) -> dict[str, str]:
    """Run ``nbgrader generate_assignment`` on a temporary copy of the course; {file name: normalized text}."""
    with tempfile.TemporaryDirectory(prefix="tl-release-") as tmp:
        tmp = Path(tmp)
        shutil.copy2(course / "nbgrader_config.py", tmp / "nbgrader_config.py")
        for a in chosen:
            shutil.copytree(course / "source" / a, tmp / "source" / a,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        messages = _run_generate_assignment(tmp)
        out = {}
        for a in chosen:
            released = sorted((tmp / "release" / a).glob("*.ipynb"))
            if not released:
                raise RuntimeError(f"nbgrader released no notebook for {a}:\n{messages}")
            for path in released:
                if path.name in out:
                    raise RuntimeError(f"two chapters release a notebook named {path.name}")
                out[path.name] = normalize(path.read_text(encoding="utf-8"))
        return out


def normalize(text: str) -> str:
    """A released notebook in canonical form: no outputs, stable metadata, stable JSON."""
    nb = nbformat.reads(text, as_version=4)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    has_ids = (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    for i, cell in enumerate(nb.cells):
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA})
        if "nbgrader" not in cell.metadata:
            cell.source = "\n".join(line for line in cell.source.split("\n") if not NBVAL_MARKER.match(line))
        if has_ids and not cell.get("id"):
            cell.id = hashlib.sha1(f"{i}:{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def stale_notebooks(built: dict[str, str], notebooks: Path = NOTEBOOKS, complete: bool = True) -> list[str]:
    """Messages for each released notebook that differs from what was built (and, when complete, extras)."""
    problems = []
    for name, text in built.items():
        path = notebooks / name
        if not path.exists():
            problems.append(f"missing: {_show(path)}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {_show(path)}")
    if complete:
        for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
            if path.name not in built:
                problems.append(f"no source for: {_show(path)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="assignment folder names or chapter numbers (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when something is stale")
    parser.add_argument("--course", type=Path, default=COURSE, help="the nbgrader course folder (autograder/)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="where learner notebooks go (notebooks/)")
    args = parser.parse_args(argv)
    course, notebooks = args.course.resolve(), args.notebooks.resolve()

    available = assignments(course / "source") if (course / "source").is_dir() else []
    if not available:
        print(f"no chapters under {course / 'source'}")
        return 0
    chosen = select(available, args.chapters)
    sources = [p for a in chosen for p in sorted((course / "source" / a).glob("*.ipynb"))]
    unsynced = [p for p in sources if sync_setup_cell.sync_file(p, check=args.check)]
    built = generate(chosen, course)
    if args.check:
        problems = [f"setup/badge cells out of sync: {_show(p)}" for p in unsynced]
        problems += stale_notebooks(built, notebooks, complete=not args.chapters)
        for p in problems:
            print(p)
        if problems:
            print("run: python scripts/release.py", file=sys.stderr)
            return 1
        print(f"notebooks/ is up to date ({len(built)} notebooks)")
        return 0
    for p in unsynced:
        print(f"synced setup/badge cells: {_show(p)}")
    notebooks.mkdir(exist_ok=True)
    for name, text in built.items():
        path = notebooks / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_show(path)}")
    return 0


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
