"""``forbid``: switch off the library's own implementation while a learner's code runs.

An exercise asks you to *write* something the library already has — ``full_like``,
dtype inference, ``view``'s strides. A solution that just calls the library's version
would pass every value check, so while your function runs, ``forbid`` replaces that
version with a stub that raises::

    ForbiddenCall: this exercise asks you to write full_like yourself; don't call tl.full_like

A function is reachable under several names — ``tl.full_like`` is the same object as
``tl.creation.full_like``, ``tl.split`` is ``Tensor.split`` — so each target is replaced
everywhere a learner would find it: in its own module, in the ``tinygrad_lessons``
namespace, as a ``Tensor`` method, and in the namespaces passed as ``namespaces``
(a check passes the learner function's globals, which catches
``from tinygrad_lessons import full_like`` written before the check ran), and in the
default arguments and closure cells of the ``functions`` passed (``def f(t, g=tl.full_like)``).
Internal imports inside other library modules are left alone, so the library keeps working:
list every other public alias (``tl.nn.functional.softmax``...) as a target of its own.

Everything is put back in a ``finally`` block, even when the learner's function raises.
Every call to a stub is recorded (``guard.calls``), so a solution that catches the
error and carries on still fails its check.
"""

from __future__ import annotations

import importlib
import inspect
from contextlib import contextmanager

__all__ = ["ForbiddenCall", "forbid", "resolve", "places", "display_name"]

_MISSING = object()


class ForbiddenCall(RuntimeError):
    """Raised by a forbidden function while an exercise's check runs."""


def resolve(target: str):
    """``"tinygrad_lessons.Tensor.view"`` -> ``(owner, "view", the object)``: the longest importable module
    prefix, then attributes. Raises ``LookupError`` when the target does not exist."""
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        owner = obj
        try:
            for name in parts[cut:]:
                owner, obj = obj, inspect.getattr_static(obj, name)
        except AttributeError:
            break
        return owner, parts[-1], obj
    raise LookupError(f"no such function to forbid or plug in: {target}")


def places(target: str, namespaces=()) -> list[tuple[object, str]]:
    """Every ``(owner, name)`` where the object named ``target`` is reachable: its own place, the
    ``tinygrad_lessons`` namespace, the ``Tensor`` class, and the given ``namespaces`` (dicts)."""
    import tinygrad_lessons as tl

    owner, name, obj = resolve(target)
    found = [(owner, name)]
    scopes = [tl, tl.Tensor, *namespaces]
    for scope in scopes:
        items = scope.items() if isinstance(scope, dict) else vars(scope).items()
        for key, value in list(items):
            if value is obj and not any(o is scope and k == key for o, k in found):
                found.append((scope, key))
    return found


def display_name(target: str) -> str:
    """How a learner would write the target: ``tl.full_like``, ``Tensor.split``, ``tl.creation.infer_dtype``."""
    import tinygrad_lessons as tl

    owner, name, obj = resolve(target)
    if ".grading.exercises." in target:
        return "the course's reference solution"
    names = [f"tl.{key}" for key, value in vars(tl).items() if value is obj]
    names += [f"Tensor.{key}" for key, value in vars(tl.Tensor).items() if value is obj]
    return " / ".join(names) if names else target.replace("tinygrad_lessons.", "tl.", 1)


def _get(owner, name):
    if isinstance(owner, dict):
        return owner.get(name, _MISSING)
    return vars(owner).get(name, _MISSING)  # only what the owner itself holds, not what it inherits


def _set(owner, name, value):
    if isinstance(owner, dict):
        if value is _MISSING:
            owner.pop(name, None)
        else:
            owner[name] = value
    elif value is _MISSING:
        if name in vars(owner):
            delattr(owner, name)
    else:
        setattr(owner, name, value)


class Guard:
    """The record of one ``forbid`` block: ``calls`` lists the forbidden names that were called."""

    def __init__(self):
        self.calls: list[str] = []
        self._originals: list[tuple[object, str]] = []  # (forbidden object, its name)

    def name_of(self, obj) -> str | None:
        """The name of a forbidden function if ``obj`` *is* one (``check("...", tl.full_like)``), else None."""
        return next((shown for original, shown in self._originals if original is obj), None)


def _swap_in_function(fn, original, stub, undo: list) -> None:
    """Replace ``original`` by ``stub`` in ``fn``'s default arguments and closure cells (``def f(x, g=tl.full)``)."""
    defaults = getattr(fn, "__defaults__", None)
    if defaults and any(d is original for d in defaults):
        undo.append(lambda old=defaults: setattr(fn, "__defaults__", old))
        fn.__defaults__ = tuple(stub if d is original else d for d in defaults)
    kwdefaults = getattr(fn, "__kwdefaults__", None)
    if kwdefaults and any(v is original for v in kwdefaults.values()):
        undo.append(lambda old=dict(kwdefaults): setattr(fn, "__kwdefaults__", old))
        fn.__kwdefaults__ = {k: stub if v is original else v for k, v in kwdefaults.items()}
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            if cell.cell_contents is original:
                undo.append(lambda cell=cell: setattr(cell, "cell_contents", original))
                cell.cell_contents = stub
        except ValueError:  # an empty cell
            continue


def _stub(shown: str, what: str, guard: Guard):
    def forbidden(*args, **kwargs):
        guard.calls.append(shown)
        raise ForbiddenCall(f"this exercise asks you to write {what} yourself; don't call {shown}")

    forbidden.__name__ = forbidden.__qualname__ = shown.rsplit(".", 1)[-1]
    return forbidden


@contextmanager
def forbid(*targets: str, what: str = "this", namespaces=(), functions=()):
    """Within the block, every target (a dotted path such as ``"tinygrad_lessons.creation.full_like"``)
    raises ``ForbiddenCall`` wherever a learner could reach it — including the default arguments and
    closures of ``functions`` — and a ``Guard`` recording the calls is yielded.

    >>> with forbid("tinygrad_lessons.creation.full_like", what="full_like") as guard:
    ...     tl.full_like(t, 1.0)    # ForbiddenCall; guard.calls == ["tl.full_like"]
    """
    guard = Guard()
    undo = []  # how to put back each replacement, in the order they were made
    try:
        for target in targets:
            try:
                shown = display_name(target)
                original = resolve(target)[2]
            except LookupError:  # the library no longer has it: nothing to switch off (a test guards this)
                continue
            guard._originals.append((original, shown))
            stub = _stub(shown, what, guard)
            for owner, name in places(target, namespaces):
                old = _get(owner, name)
                undo.append(lambda owner=owner, name=name, old=old: _set(owner, name, old))
                _set(owner, name, stub)
            for fn in functions:
                _swap_in_function(fn, original, stub, undo)
        yield guard
    finally:
        for put_back in reversed(undo):
            put_back()
