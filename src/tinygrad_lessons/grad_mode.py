"""Grad mode: whether operations record the graph that ``backward()`` walks.

Recording costs memory (every op keeps what its backward needs), so code that
only *uses* a model — evaluation, or the optimizer's update of the weights —
turns it off with ``no_grad()``. All three switches work as context managers
and as decorators, as in torch.
"""

from __future__ import annotations

import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _State:
    """One flag, read by every operation (a module global would be as good; this is clearer)."""

    enabled = True


STATE = _State()


def is_grad_enabled() -> bool:
    """True when new operations are being recorded for autograd."""
    return STATE.enabled


class _GradModeSwitch:
    """Sets grad mode on entry and restores the previous mode on exit; usable as a decorator."""

    mode = True

    def __enter__(self):
        self._previous = STATE.enabled
        STATE.enabled = self.mode
        return None

    def __exit__(self, *exc):
        STATE.enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeSwitch):
    """Don't record operations: ``with tl.no_grad(): w -= lr * w.grad``."""

    mode = False


class enable_grad(_GradModeSwitch):
    """Record operations again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradModeSwitch):
    """``set_grad_enabled(False)`` switches recording off at once, or for a ``with`` block."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = STATE.enabled
        STATE.enabled = self.mode  # torch applies the mode right away, even without `with`

    def __enter__(self):
        return None

    def __call__(self, fn):
        STATE.enabled = self._previous  # used as a decorator: don't leave the mode changed

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            previous = STATE.enabled
            STATE.enabled = self.mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = previous

        return wrapper
