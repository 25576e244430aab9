"""Checking your exercises: ``check`` in the notebook, ``check_hidden`` when grading.

Each exercise of the course asks you to write a piece of this library yourself. A check
cell runs your function on a set of cases and compares what it returns with what the
reference solution returns — shape, dtype, device, values, strides, memory sharing,
the exception raised — and prints one line per case, with a hint when something differs::

    from tinygrad_lessons.grading import check
    check("ch1.full_like", full_like)

How it stays honest:

* results are compared as *plain data* (``plain.py``), never with ``==`` on your objects;
* while your function runs, the library's own implementation of the thing you are writing
  is switched off (``guard.py``): calling it fails the case with a clear message;
* every case builds fresh inputs (``cases.py``), and a function that changes its inputs
  or the global random generator fails too.

When a visible check passes, your function's source is saved (``mine.py``); a later
chapter can call ``use_mine()`` to run the library with your implementations plugged in,
and ``use_reference()`` to go back.
"""

from __future__ import annotations

from .cases import A, Case, Seed, T, run_case
from .compare import compare
from .exercises import Exercise, Hint, all_exercises, exercises_of, get_exercise, load_hidden
from .guard import ForbiddenCall, forbid
from .mine import use_mine, use_reference
from .plain import to_plain
from .report import CaseResult, print_report

__all__ = ["check", "check_hidden", "use_mine", "use_reference", "evaluate", "get_exercise", "exercises_of",
           "all_exercises", "Exercise", "Hint", "Case", "T", "A", "Seed", "to_plain", "compare", "forbid",
           "ForbiddenCall"]


def _hints(exercise, case, expected, got) -> list[str]:
    found = []
    for hint in exercise.hints:
        try:
            applies = hint.when(case, expected, got)
        except Exception:  # a hint that cannot judge this case stays silent
            applies = False
        if applies and hint.text not in found:
            found.append(hint.text)
    return found


def evaluate(exercise: Exercise, fn, pairs) -> list[CaseResult] | None:
    """Run ``fn`` on each ``(case, expected plain)`` pair; ``None`` when every case raised
    ``NotImplementedError`` (the untouched stub)."""
    results, stubbed = [], 0
    for case, expected in pairs:
        outcome = run_case(exercise, fn, case)
        expects_not_implemented = expected["kind"] == "error" and expected["type"] == "NotImplementedError"
        stubbed += outcome.not_implemented and not expects_not_implemented
        if outcome.calls:
            called = ", ".join(dict.fromkeys(outcome.calls))
            problems = [f"this exercise asks you to write {exercise.function} yourself; don't call {called}"]
        else:
            problems = compare(expected, outcome.plain, exercise.compare)
        problems += outcome.side_effects
        hints = _hints(exercise, case, expected, outcome.plain) if problems and not outcome.calls else []
        results.append(CaseResult(case.title(exercise.function), problems, hints))
    if pairs and stubbed == len(results):
        return None
    return results


def check(name: str, fn, *, quiet: bool = False) -> bool | None:
    """Run the visible cases of exercise ``name`` on your function ``fn`` and print the verdicts.

    Raises ``AssertionError`` if a case fails (this is what makes a graded cell fail). With
    ``quiet=True`` prints nothing, raises nothing, and returns whether every case passed.
    """
    __tracebackhide__ = True
    exercise = get_exercise(name)
    pairs = [(case, exercise.expected(case)) for case in exercise.visible]
    results = evaluate(exercise, fn, pairs)
    passed = print_report(name, results, len(pairs), quiet=quiet)
    if passed and not quiet:
        from . import mine

        mine.save(exercise, fn)
    return passed if quiet else None


def check_hidden(name: str, fn) -> None:
    """Run the hidden cases of exercise ``name`` (used by the graded cells' hidden tests).

    Expected outputs come from ``autograder/reference/chN.json`` (see ``exercises.reference_file``);
    without that file they are computed from the reference solution, and a line says so.
    """
    __tracebackhide__ = True
    exercise = get_exercise(name)
    pairs = load_hidden(exercise)
    note = ""
    if pairs is None:
        pairs = [(case, exercise.expected(case)) for case in exercise.hidden]
        note = "no reference file found: expected outputs computed from the reference solution"
    print_report(name, evaluate(exercise, fn, pairs), len(pairs), title=", hidden cases", note=note)
