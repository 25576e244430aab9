"""tinygrad_lessons_course — the instructor's tools (``tl-course``); learners never import this.

It ships in the same distribution as ``tinygrad_lessons`` (so ``pip install -e .[dev]`` gives
the ``tl-course`` command) but is a separate package: nothing in the learner library depends on
it, and the sandbox in which submissions run does not even see it.

Modules: ``cli`` (the command line), ``collect`` (downloads -> ``submitted/``), ``recover``
(reading damaged notebooks), ``program`` (which learner code runs), ``sandbox`` (isolation
levels and limits), ``driver`` (the runner inside the sandbox), ``grade`` (comparison and
scores outside it), ``gradebook`` (nbgrader's Gradebook API), ``feedback`` (HTML), ``export`` (CSV).
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
