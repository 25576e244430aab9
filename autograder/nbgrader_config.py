"""nbgrader configuration for the course (run nbgrader commands from this folder).

The course directory is this folder: ``source/<assignment>/`` holds the authored chapters
(solutions and hidden tests), ``reference/`` the expected outputs of the hidden cases.
Everything nbgrader writes at run time (``release/``, ``submitted/``, ``autograded/``,
``feedback/``, ``gradebook.db``) stays here too and is ignored by git (``.gitignore``).

nbgrader runs ``alembic`` as a subprocess when it creates the gradebook: put the
environment's ``bin/`` on PATH first, e.g. ``PATH=$PWD/../.venv-nb/bin:$PATH nbgrader ...``.
The learner notebooks in ``../notebooks/`` are made by ``python scripts/release.py``.
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "tinygrad_lessons"
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograde: a generous per-cell limit (a chapter runs in seconds; a runaway loop is
# interrupted and the later cells still run).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# Tracebacks without source lines: a failing hidden test would otherwise be quoted, line by line,
# in the learner's feedback. The check cells print what went wrong (✓/✗ lines) themselves.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]
# Any stderr output in a test cell scores 0: drop warnings (a learner's DeprecationWarning,
# a NumPy RuntimeWarning on purpose in a demo) before grading.
c.IgnorePattern.pattern = r"\w*Warning\b"
c.IgnorePattern.enabled = True
# A learner who deletes a graded test cell gets it back instead of silently not being graded.
c.OverwriteCells.add_missing_cells = True

# Feedback must not show the hidden tests.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
