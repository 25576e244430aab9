"""What a check prints: one line per case, a summary, and an ``AssertionError`` when anything failed.

::

    ch1.full_like — 5 cases
      ✓ a float matrix filled with 7.0
      ✗ an int tensor: 2.7 is cast to int64 — values: expected 2 at [0], got 3 (3 of 3 elements differ)
        → converting a float to an integer dtype truncates toward zero: 2.7 -> 2, -1.5 -> -1
    4/5 passed

The exception (raised *after* printing, so nbgrader scores the cell as failed) only points
back at the ✗ lines: they are the feedback. Everything goes to stdout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CaseResult", "print_report", "NOT_IMPLEMENTED"]

NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code"


@dataclass
class CaseResult:
    """The verdict on one case: ``problems`` (differences, side effects, forbidden calls) and ``hints``."""

    label: str
    problems: list = field(default_factory=list)
    hints: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.passed:
            return f"  ✓ {self.label}"
        text = f"  ✗ {self.label} — " + "; ".join(self.problems)
        for hint in self.hints:
            text += f"\n    → {hint}"
        return text


def print_report(name: str, results: list[CaseResult] | None, total: int, *, title: str = "", note: str = "",
                 quiet: bool = False) -> bool:
    """Print the report of one check of ``total`` cases (``results=None``: the function is the untouched
    stub) and raise ``AssertionError`` if any case failed; ``quiet`` prints nothing, raises nothing and
    returns whether all passed."""
    __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks
    passed = results is not None and all(r.passed for r in results)
    if quiet:
        return passed
    print(f"{name}{title} — {total} case{'' if total == 1 else 's'}")
    if note:
        print(f"  ({note})")
    if results is None:
        print(f"  ✗ {NOT_IMPLEMENTED}")
        print(f"0/{total} passed")
        raise AssertionError(f"{name}: not implemented yet")
    for r in results:
        print(r.line())
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed}/{len(results)} passed")
    if failed:
        raise AssertionError(f"{name}: {failed} of {len(results)} cases failed — see the ✗ lines above")
    return True
