"""Hints that name a known mistake: run the mistake on the failing case and see if the learner's result is its.

Many wrong solutions are predictable (no max subtracted, a missing ``zero_grad``...). An exercise
keeps each as a small function; when a case fails and the learner's output is exactly what that
mistake produces — and the expected output is not — the hint for that mistake is shown.
"""

from __future__ import annotations

from ..cases import fixed_defaults, quietly
from ..compare import compare
from ..plain import ErrorResult, to_plain
from . import Hint

__all__ = ["produce", "mistake_hint"]


def produce(call, fn, case):
    """What ``call(fn, ...)`` gives on fresh inputs of ``case``, as plain data (no guard: ``fn`` is ours)."""
    args, kwargs = case.build()
    with quietly(), fixed_defaults(case.default_dtype, case.default_device):
        try:
            result = call(fn, *args, **kwargs)
        except Exception as error:
            result = ErrorResult(error)
        return to_plain(result, args)


def mistake_hint(call, wrong, text, tolerance, *, errors_name_no_mistake=False) -> Hint:
    """A hint shown when the learner's result is what ``wrong`` (a known mistake) gives on this case,
    and the expected result is not.

    ``errors_name_no_mistake``: for exercises whose mistakes never raise, an error (the learner's or the
    mistake's) says nothing about which mistake was made — many fail the same way — so no hint is given,
    and the mistake is not even run when the learner's result is an error.
    """
    tol = {**tolerance, "messages": True}

    def when(case, expected, got):
        if errors_name_no_mistake and got["kind"] == "error":
            return False
        produced = produce(call, wrong, case)
        if errors_name_no_mistake and produced["kind"] == "error":
            return False
        return not compare(produced, got, tol) and bool(compare(produced, expected, tol))

    return Hint(when, text)
