"""The exercises of the course, one module per chapter (``ch1.py`` ... ``ch6.py``), and their registry.

An ``Exercise`` says everything a check needs: the learner's function name, a reference
solution, the visible and hidden cases, what the learner must not call, what must match,
and targeted hints. A chapter module builds a list of them and calls ``register``;
``get_exercise("ch1.full_like")`` imports the chapter on first use.

Expected outputs of *visible* cases are computed live from the reference; those of *hidden*
cases are stored in ``autograder/reference/chN.json`` by ``scripts/gen_reference.py``
(``reference_file`` finds that file; ``hidden_expected`` computes the same entries).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..cases import Case, run_case

__all__ = ["Exercise", "Hint", "register", "get_exercise", "exercises_of", "all_exercises", "chapter_of",
           "reference_file", "hidden_expected"]


@dataclass
class Hint:
    """A targeted hint: shown after a failed case's differences when ``when(case, expected, got)`` is true
    (``expected`` and ``got`` are plain data; a predicate that raises counts as false)."""

    when: Callable
    text: str


@dataclass
class Exercise:
    """One graded exercise; see docs/grading.md for how to write one.

    ``collect`` turns what the function returns into something ``to_plain`` can describe (``list`` for
    an iterator); it runs under the same guard as the function. ``pure`` (default True): the function
    must not change its arguments nor the global random generator. ``plug_in``: the dotted path where a
    passing learner implementation can replace the library's; ``adapt(mine, original)`` wraps it first
    when the library needs more than the exercise asks. ``torch_oracle(torch, *args, **kwargs)``: the
    same computation in PyTorch, which the test suite holds every expected output against.
    ``call(obj, *args, **kwargs)``: how a check uses what the learner hands in, when that is not a
    function to call with the case's arguments (a ``tl.Function`` class to apply and run backward
    through, say); it runs under the same guard, and returns what is compared.
    """

    name: str
    function: str
    reference: Callable
    visible: list
    hidden: list = field(default_factory=list)
    forbid: list = field(default_factory=list)
    compare: dict = field(default_factory=dict)
    hints: list = field(default_factory=list)
    plug_in: str | None = None
    adapt: Callable | None = None
    collect: Callable | None = None
    pure: bool = True
    torch_oracle: Callable | None = None
    call: Callable | None = None

    @property
    def chapter(self) -> int:
        return chapter_of(self.name)

    def forbidden_targets(self) -> list[str]:
        """The ``forbid`` list plus the reference solution itself (it ships with the package)."""
        ref = self.reference
        return [*self.forbid, f"{ref.__module__}.{ref.__qualname__}"]

    def expected(self, case: Case) -> dict:
        """The plain output of the reference solution on ``case``."""
        return run_case(self, self.reference, case, guarded=False).plain


_REGISTRY: dict[str, Exercise] = {}


def register(*exercises: Exercise) -> None:
    """Make exercises findable by name (a chapter module calls this once, at import)."""
    for ex in exercises:
        _REGISTRY[ex.name] = ex


def chapter_of(name: str) -> int:
    """``"ch2.view_strides"`` -> 2."""
    head = name.split(".", 1)[0]
    if not head.startswith("ch") or not head[2:].isdigit():
        raise ValueError(f"an exercise name looks like 'ch2.view_strides', not {name!r}")
    return int(head[2:])


def _load_chapter(chapter: int) -> None:
    try:
        importlib.import_module(f"{__name__}.ch{chapter}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.ch{chapter}":
            raise


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name`` (``"ch1.full_like"``)."""
    _load_chapter(chapter_of(name))
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"no exercise called {name!r} (known: {known})") from None


def exercises_of(chapter) -> list[Exercise]:
    """The exercises of one chapter (``1`` or ``"ch1"``), in the order the chapter registers them."""
    number = chapter if isinstance(chapter, int) else chapter_of(f"{chapter}.x")
    _load_chapter(number)
    return [ex for ex in _REGISTRY.values() if ex.chapter == number]


def all_exercises() -> list[Exercise]:
    """Every exercise of every chapter module present."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("ch") and module.name[2:].isdigit():
            _load_chapter(int(module.name[2:]))
    return sorted(_REGISTRY.values(), key=lambda ex: ex.chapter)


# ---------------------------------------------------------------------- hidden expected outputs
def hidden_expected(exercise: Exercise) -> list[dict]:
    """``[{"case": ..., "expected": ...}]`` for the hidden cases, computed from the reference solution."""
    return [{"case": case.to_json(), "expected": exercise.expected(case)} for case in exercise.hidden]


def reference_file(chapter: int, start: Path | None = None) -> Path | None:
    """Where ``chN.json`` lives: ``$TL_REFERENCE_DIR/chN.json``, else ``reference/chN.json`` next to the
    ``nbgrader_config.py`` of the nearest course directory above ``start`` (the current directory)."""
    name = f"ch{chapter}.json"
    env = os.environ.get("TL_REFERENCE_DIR")
    if env:
        path = Path(env) / name
        return path if path.is_file() else None
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        path = folder / "reference" / name
        if (folder / "nbgrader_config.py").is_file() and path.is_file():
            return path
    return None


def load_hidden(exercise: Exercise) -> list[tuple[Case, dict]] | None:
    """The hidden cases with their stored expected outputs, or None when no reference file is found."""
    path = reference_file(exercise.chapter)
    if path is None:
        return None
    entries = json.loads(path.read_text(encoding="utf-8"))["exercises"].get(exercise.name)
    if entries is None:
        return None
    return [(Case.from_json(e["case"]), e["expected"]) for e in entries["cases"]]
