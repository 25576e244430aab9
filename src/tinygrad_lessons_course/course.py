"""The course directory (``autograder/``) and where each kind of file lives in it.

nbgrader's layout, so nbgrader's own commands keep working beside ``tl-course``::

    autograder/
      nbgrader_config.py
      source/<assignment>/<notebook>.ipynb       authored chapters (solutions, hidden tests)
      reference/chN.json                         expected outputs of the hidden cases
      submitted/<student>/<assignment>/<notebook>.ipynb   what ``tl-course collect`` files
      autograded/<student>/<assignment>/results.json      what ``tl-course grade`` decided
      feedback/<student>/<assignment>/<notebook>.html     what ``tl-course feedback`` writes
      gradebook.db                               the default gradebook (SQLite)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .program import SourceNotebook, read_source

_STUDENT_OK = re.compile(r"[^A-Za-z0-9._@+-]+")


def safe_id(text: str) -> str:
    """A student or assignment id that is safe as a folder name."""
    cleaned = _STUDENT_OK.sub("_", text.strip()).strip("._")
    return cleaned[:100] or "unknown"


def find_course(start: str | os.PathLike | None = None) -> Path:
    """The course directory: ``$TL_COURSE_DIR``, else the nearest folder at or above ``start``
    (the current directory) that holds ``nbgrader_config.py`` or ``autograder/nbgrader_config.py``."""
    env = os.environ.get("TL_COURSE_DIR")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "autograder" / "nbgrader_config.py").is_file():
            return folder / "autograder"
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise SystemExit(f"no course directory (autograder/nbgrader_config.py) at or above {here}; pass --course DIR")


@dataclass
class Course:
    root: Path
    db_url: str = ""
    _sources: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        if not self.db_url:
            self.db_url = "sqlite:///" + str(self.root / "gradebook.db")

    # folders
    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def reference_dir(self) -> Path:
        return self.root / "reference"

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded_dir(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback_dir(self) -> Path:
        return self.root / "feedback"

    @property
    def repo_root(self) -> Path:
        return self.root.parent

    @property
    def gradebook_path(self) -> Path | None:
        """The SQLite file behind ``db_url`` (None for a server database)."""
        if self.db_url.startswith("sqlite:///"):
            return Path(self.db_url[len("sqlite:///"):])
        return None

    # assignments
    def assignments(self) -> list[str]:
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def select(self, wanted: list[str] | None) -> list[str]:
        """Assignments named by folder name or chapter number ('1', '01', 'ch01')."""
        available = self.assignments()
        if not wanted:
            return available
        chosen = []
        for w in wanted:
            number = re.fullmatch(r"(?:ch)?0*(\d+)", w)
            hits = [a for a in available if a == w or (number and re.match(rf"ch0*{number.group(1)}_", a))]
            if len(hits) != 1:
                raise SystemExit(f"no single assignment matches {w!r}; assignments: {', '.join(available) or 'none'}")
            chosen += [h for h in hits if h not in chosen]
        return chosen

    def source_notebook(self, assignment: str) -> Path:
        notebooks = sorted((self.source_dir / assignment).glob("*.ipynb"))
        if len(notebooks) != 1:
            raise SystemExit(f"expected one notebook in {self.source_dir / assignment}, found {len(notebooks)}")
        return notebooks[0]

    def source(self, assignment: str) -> SourceNotebook:
        if assignment not in self._sources:
            self._sources[assignment] = read_source(self.source_notebook(assignment), assignment)
        return self._sources[assignment]

    def notebook_names(self) -> dict[str, str]:
        """{notebook stem: assignment} for every assignment (``01_tensors`` -> ``ch01_tensors``)."""
        return {self.source_notebook(a).stem: a for a in self.assignments()}

    # submissions
    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.submitted_dir / student / assignment

    def results_path(self, student: str, assignment: str) -> Path:
        return self.autograded_dir / student / assignment / "results.json"

    def feedback_path(self, student: str, assignment: str) -> Path:
        return self.feedback_dir / student / assignment / (self.source_notebook(assignment).stem + ".html")

    def students(self) -> list[str]:
        if not self.submitted_dir.is_dir():
            return []
        return sorted(p.name for p in self.submitted_dir.iterdir() if p.is_dir())

    def submissions(self, assignments: list[str], students: list[str] | None = None) -> list[tuple[str, str, Path]]:
        """(student, assignment, folder) for each collected submission."""
        out = []
        for student in students or self.students():
            for assignment in assignments:
                folder = self.submission_dir(student, assignment)
                if folder.is_dir():
                    out.append((student, assignment, folder))
        return out
