"""Test cases: the arguments an exercise is called with, and running one call safely.

A function under test may change its arguments, so a case never holds a tensor: it holds
*descriptors* that build fresh inputs for every call —

* plain Python values (numbers, strings, nested lists and tuples, ``None``, ``tl`` dtypes);
* ``T(values, dtype, shape=, permute=, slice=, requires_grad=)``: a tensor, optionally a
  non-contiguous view (``permute`` a transpose, ``slice`` a ``[start, stop, step]`` per dimension);
* ``A(values, dtype)``: a NumPy array;
* ``Seed(n)``: the number ``n``, with the global random generator seeded with ``n`` just
  before the call.

Cases and descriptors turn into JSON (``case.to_json()``, ``Case.from_json``), so a grader in
another process rebuilds exactly the same inputs; ``case.build(torch=torch)`` builds the
PyTorch counterparts, which is how the tests hold the expected outputs against PyTorch.

``run_case`` makes one call the way a check makes it: fresh inputs, the CPU and float32 as
defaults (whatever the notebook chose, unless the case asks for others), warnings silenced,
anything written to stderr sent to stdout, the exercise's forbidden functions switched off,
and the result described as plain data — along with side effects the function should not
have had (changed arguments, a disturbed global random generator).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

import tinygrad_lessons as tl

from .compare import compare
from .guard import ForbiddenCall, forbid
from .plain import ErrorResult, decode_number, encode_number, to_plain

__all__ = ["T", "A", "Seed", "Case", "Outcome", "run_case", "quietly", "encode_value", "decode_value"]


# ---------------------------------------------------------------------- JSON for plain values
def encode_value(value):
    """A case argument as JSON: tuples, dicts, non-finite floats, dtypes and descriptors are tagged."""
    if isinstance(value, (T, A, Seed)):
        return value.to_json()
    if isinstance(value, tl.dtype):
        return {"dtype": value.name}
    if isinstance(value, float):
        encoded = encode_number(value)
        return {"float": encoded} if isinstance(encoded, str) else encoded
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): encode_value(v) for k, v in value.items()}}
    raise TypeError(f"a case argument must be plain data or a descriptor, not {type(value).__name__}")


def decode_value(data):
    """The inverse of ``encode_value``."""
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if not isinstance(data, dict):
        return data
    (tag, body), = data.items()
    if tag == "tuple":
        return tuple(decode_value(v) for v in body)
    if tag == "dict":
        return {k: decode_value(v) for k, v in body.items()}
    if tag == "float":
        return decode_number(body)
    if tag == "dtype":
        return getattr(tl, body)
    return _DESCRIPTORS[tag].from_json(body)


def _build_value(value, torch):
    """A fresh copy of one argument: descriptors build, containers are copied, dtypes are translated."""
    if isinstance(value, (T, A, Seed)):
        return value.build(torch)
    if isinstance(value, list):
        return [_build_value(v, torch) for v in value]
    if isinstance(value, tuple):
        return tuple(_build_value(v, torch) for v in value)
    if isinstance(value, dict):
        return {k: _build_value(v, torch) for k, v in value.items()}
    if torch is not None and isinstance(value, tl.dtype):
        return getattr(torch, value.name)
    return value


# ---------------------------------------------------------------------- descriptors
class T:
    """A tensor built fresh for each call: ``T([[1, 2], [3, 4]], "int64", permute=(1, 0))``."""

    def __init__(self, values, dtype="float32", shape=None, permute=None, slice=None,  # noqa: A002
                 requires_grad=False, device="cpu"):
        self.values, self.dtype, self.device = values, dtype, device
        self.shape = None if shape is None else tuple(shape)
        self.permute = None if permute is None else tuple(permute)
        self.slice = None if slice is None else [list(s) for s in slice]
        self.requires_grad = requires_grad

    def build(self, torch=None):
        lib = tl if torch is None else torch
        values = decode_value(encode_value(self.values))  # a deep copy
        kwargs = {"device": self.device} if torch is None else {}
        t = lib.tensor(values, dtype=getattr(lib, self.dtype), **kwargs)
        if self.shape is not None:
            t = t.reshape(self.shape)
        if self.requires_grad:
            t.requires_grad_(True)
        if self.permute is not None:
            t = t.permute(*self.permute)
        if self.slice is not None:
            t = t[tuple(slice(*s) for s in self.slice)]
        return t

    def to_json(self):
        body = {"values": encode_value(self.values), "dtype": self.dtype}
        for key in ("shape", "permute", "slice"):
            if getattr(self, key) is not None:
                body[key] = [list(s) for s in self.slice] if key == "slice" else list(getattr(self, key))
        if self.requires_grad:
            body["requires_grad"] = True
        if self.device != "cpu":
            body["device"] = self.device
        return {"T": body}

    @classmethod
    def from_json(cls, body):
        return cls(decode_value(body["values"]), body["dtype"], body.get("shape"), body.get("permute"),
                   body.get("slice"), body.get("requires_grad", False), body.get("device", "cpu"))

    def __repr__(self):
        extras = "".join(f", {k}={getattr(self, k)!r}" for k in ("shape", "permute", "slice")
                         if getattr(self, k) is not None)
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"T({self.values!r}, {self.dtype!r}{extras}{grad})"


class A:
    """A NumPy array built fresh for each call: ``A([1.0, 2.0], "float32")``."""

    def __init__(self, values, dtype="float64"):
        self.values, self.dtype = values, dtype

    def build(self, torch=None):
        return np.array(decode_value(encode_value(self.values)), dtype=getattr(tl, self.dtype).numpy_dtype)

    def to_json(self):
        return {"A": {"values": encode_value(self.values), "dtype": self.dtype}}

    @classmethod
    def from_json(cls, body):
        return cls(decode_value(body["values"]), body["dtype"])

    def __repr__(self):
        return f"A({self.values!r}, {self.dtype!r})"


class Seed:
    """The number ``n``, with the global random generator seeded with ``n`` just before the call."""

    def __init__(self, n: int):
        self.n = n

    def build(self, torch=None):
        return self.n

    def to_json(self):
        return {"Seed": self.n}

    @classmethod
    def from_json(cls, body):
        return cls(body)

    def __repr__(self):
        return f"Seed({self.n})"


_DESCRIPTORS = {"T": T, "A": A, "Seed": Seed}


@dataclass
class Case:
    """One call of an exercise: ``Case(args=(T([1., 2.]), 0.5), kwargs={"dtype": tl.int32}, label="...")``.

    ``default_dtype`` (a name such as ``"float64"``) is the default float dtype during the call;
    float32 otherwise, whatever the notebook set. ``default_device="cuda"`` makes the default device a
    GPU during the call (the library's simulated one when there is no real GPU), to catch a function
    that forgets ``device=``; the CPU otherwise. Inputs are built on the CPU unless a ``T`` says otherwise.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    default_dtype: str | None = None
    default_device: str | None = None

    def build(self, torch=None):
        """Fresh ``(args, kwargs)`` for one call (PyTorch's counterparts with ``torch=``)."""
        return [_build_value(a, torch) for a in self.args], {k: _build_value(v, torch) for k, v in self.kwargs.items()}

    @property
    def seed(self):
        """The ``Seed`` among the arguments, if any."""
        return next((a for a in (*self.args, *self.kwargs.values()) if isinstance(a, Seed)), None)

    def title(self, function: str) -> str:
        """The label, or the call written out: ``infer_dtype([1, 2.5])``."""
        if self.label:
            return self.label
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{function}({', '.join(parts)})"

    def to_json(self):
        data = {"args": [encode_value(a) for a in self.args]}
        if self.kwargs:
            data["kwargs"] = {k: encode_value(v) for k, v in self.kwargs.items()}
        if self.label:
            data["label"] = self.label
        if self.default_dtype:
            data["default_dtype"] = self.default_dtype
        if self.default_device:
            data["default_device"] = self.default_device
        return data

    @classmethod
    def from_json(cls, data):
        return cls(tuple(decode_value(a) for a in data["args"]),
                   {k: decode_value(v) for k, v in data.get("kwargs", {}).items()},
                   data.get("label", ""), data.get("default_dtype"), data.get("default_device"))


# ---------------------------------------------------------------------- running one call
@contextlib.contextmanager
def quietly():
    """No warnings, no NumPy floating-point complaints, and stderr sent to stdout: nbgrader scores a test
    cell that writes anything to stderr as 0."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("ignore")
        yield


def _cuda_for_a_while():
    """Make a ``cuda`` device exist for one call: the real GPU, else the library's simulated one.
    Returns the function that switches the simulation off again (None if nothing was switched on),
    or False when no cuda device can exist."""
    cuda = getattr(tl, "cuda", None)
    if cuda is not None and cuda.is_available():
        return None
    simulate = getattr(getattr(tl, "backend", None), "simulate_cuda", None)
    if simulate is None:
        return False
    simulate(True)
    return lambda: simulate(False)


@contextlib.contextmanager
def fixed_defaults(default_dtype: str | None, default_device: str | None = None):
    """The default dtype (float32 unless given) and device (the CPU unless given) during a call, put back
    afterwards; so is the global random generator's state."""
    dtype_before = tl.get_default_dtype()
    get_device, set_device = getattr(tl, "get_default_device", None), getattr(tl, "set_default_device", None)
    device_before = get_device() if get_device else None
    rng_before = tl.random.default_generator.get_state()
    undo_cuda = _cuda_for_a_while() if default_device == "cuda" and set_device else False
    tl.set_default_dtype(getattr(tl, default_dtype or "float32"))
    if set_device:
        set_device("cuda" if default_device == "cuda" and undo_cuda is not False else "cpu")
    try:
        yield rng_before
    finally:
        tl.set_default_dtype(dtype_before)
        if set_device:
            set_device(device_before)
        if undo_cuda:
            undo_cuda()
        tl.random.default_generator.set_state(rng_before)


@dataclass
class Outcome:
    """What one call did: ``plain`` (the result or the error, described), ``calls`` (forbidden functions
    it called) and ``side_effects`` (what it changed that it should not have)."""

    plain: dict
    calls: list = field(default_factory=list)
    side_effects: list = field(default_factory=list)

    @property
    def not_implemented(self) -> bool:
        return self.plain["kind"] == "error" and self.plain["type"] == "NotImplementedError"


def _safe_plain(value, inputs):
    try:
        return to_plain(value, inputs)
    except Exception:  # an object that breaks while being described proves nothing
        return {"kind": "object", "type": type(value).__qualname__}


def run_case(exercise, fn, case: Case, *, guarded: bool = True) -> Outcome:
    """Call ``fn`` on fresh inputs built from ``case``, as ``exercise`` says (its ``forbid`` list when
    ``guarded``, its ``collect`` step, and whether it must be ``pure``)."""
    args, kwargs = case.build()
    pure = exercise.pure
    before = [_safe_plain(a, ()) for a in args] if pure else None
    seed = case.seed
    targets = exercise.forbidden_targets() if guarded else ()
    namespaces = (fn.__globals__,) if guarded and isinstance(getattr(fn, "__globals__", None), dict) else ()
    with quietly(), fixed_defaults(case.default_dtype, case.default_device) as rng_before:
        if seed is not None:
            tl.manual_seed(seed.n)
        with forbid(*targets, what=exercise.function, namespaces=namespaces, functions=(fn,)) as guard:
            try:
                itself = guard.name_of(fn)
                if itself is not None:  # check("...", tl.full_like): the library's function itself
                    guard.calls.append(itself)
                    raise ForbiddenCall(f"this exercise asks you to write {exercise.function} yourself")
                call = getattr(exercise, "call", None)
                result = call(fn, *args, **kwargs) if call is not None else fn(*args, **kwargs)
                if exercise.collect is not None:
                    result = exercise.collect(result)
            except Exception as error:
                result = ErrorResult(error)
        calls = guard.calls
        plain = _safe_plain(result, args)
        rng_changed = seed is None and pure and \
            tl.random.default_generator.get_state().tolist() != rng_before.tolist()
    side_effects = []
    if pure:
        for i, (was, arg) in enumerate(zip(before, args)):
            changes = compare(was, _safe_plain(arg, ()), {"rtol": 0.0, "atol": 0.0, "strides": True})
            if changes:
                side_effects.append(f"your function changed argument {i} ({changes[0]}): leave its inputs as they "
                                    "were")
        if rng_changed:
            side_effects.append("your function used the global random generator (tl.manual_seed, or a draw without "
                                "generator=): use a tl.Generator of your own, so the rest of the program's random "
                                "numbers stay as they were")
    return Outcome(plain, list(calls), side_effects)
