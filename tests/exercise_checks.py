"""What every chapter's exercise tests share: run a check quietly, and assert that it passes or fails.

``check`` and ``check_hidden`` print their report and raise ``AssertionError`` when a case
fails (that is how nbgrader scores them); these helpers capture the report so a test can
assert on the hint a learner would read. Import ``course_env`` into a test module to give
each test its own folder for saved learner code and the committed reference outputs.
"""

from __future__ import annotations

import contextlib
import io
import types
from pathlib import Path

import pytest

from tinygrad_lessons.grading import check, check_hidden, use_reference

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def course_env(monkeypatch, tmp_path):
    """Saved learner code goes to a temporary folder; hidden checks read autograder/reference/."""
    monkeypatch.setenv("TL_MINE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("TL_REFERENCE_DIR", str(ROOT / "autograder" / "reference"))
    yield
    use_reference(quiet=True)  # undo any plug-in a test made


def run_check(checker, name, fn) -> tuple[bool, str]:
    """Whether ``checker(name, fn)`` passed, and the report it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            checker(name, fn)
            passed = True
        except AssertionError:
            passed = False
    return passed, out.getvalue()


def assert_passes(name, fn):
    """``fn`` passes the visible and the hidden check (against the committed reference outputs)."""
    for checker in (check, check_hidden):
        passed, text = run_check(checker, name, fn)
        assert passed, text
        assert "no reference file found" not in text


def assert_fails(name, fn, *hints):
    """``fn`` fails the visible check, or else the hidden one, and the output says each of ``hints``."""
    passed, text = run_check(check, name, fn)
    if passed:
        passed, text = run_check(check_hidden, name, fn)
    assert not passed, f"{name}: a wrong solution passed\n{text}"
    for hint in hints:
        assert hint in text, f"expected the hint {hint!r} in\n{text}"
    return text


def stub(*args, **kwargs):
    """The untouched learner stub, as nbgrader releases it."""
    raise NotImplementedError()


def copy_of(fn):
    """A copy of a reference function: the reference object itself is forbidden to learners."""
    return types.FunctionType(fn.__code__, fn.__globals__, "solution", fn.__defaults__, fn.__closure__)
