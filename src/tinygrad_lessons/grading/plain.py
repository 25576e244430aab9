"""Plain data: what a function returned, as JSON-able dicts that can be compared safely.

A check never asks a learner's object whether it is equal to the expected one: an
object whose ``__eq__`` always answers ``True`` would pass every test. Instead,
``to_plain`` *describes* the value — a tensor by its shape, dtype, device, strides,
values and memory sharing; an exception by its type and message — using only the
library's own methods (called on the class, so a subclass cannot override them), and
the comparison happens on those descriptions. Anything unrecognised becomes
``{"kind": "object"}``, which is never equal to a tensor.

The same description works for PyTorch tensors (recognised by duck typing, without
importing torch), so the test suite can hold the reference outputs against torch.

>>> to_plain((3, 2.5))
{'kind': 'tuple', 'items': [{'kind': 'int', 'value': 3}, {'kind': 'float', 'value': 2.5}]}
"""

from __future__ import annotations

import math

import numpy as np

import tinygrad_lessons as tl

__all__ = ["ErrorResult", "to_plain", "describe", "encode_number", "decode_number"]


class ErrorResult:
    """What a call raised, kept in place of a return value."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


# ---------------------------------------------------------------------- numbers
def encode_number(x):
    """A Python number as JSON allows it: NaN and infinities become the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def decode_number(x):
    """The inverse of ``encode_number``."""
    if isinstance(x, str):
        return float(x)
    return x


def _encode_nested(values):
    if isinstance(values, list):
        return [_encode_nested(v) for v in values]
    return encode_number(values)


# ---------------------------------------------------------------------- memory
def _extent(ptr: int, shape, strides, itemsize: int):
    """The bytes ``[lo, hi)`` an array with these strides (in elements) can touch; None when it is empty."""
    if any(n == 0 for n in shape):
        return None
    lo = hi = ptr
    for n, s in zip(shape, strides):
        step = (n - 1) * s * itemsize
        lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
    return lo, hi + itemsize


def _memory(value):
    """(start pointer, shape, strides in elements, itemsize) of a tensor or array, else None."""
    if isinstance(value, tl.Tensor):
        return tl.Tensor.data_ptr(value), tuple(value.shape), tl.Tensor.stride(value), tl.Tensor.element_size(value)
    if isinstance(value, np.ndarray):
        itemsize = value.itemsize
        return (value.__array_interface__["data"][0], value.shape, tuple(s // itemsize for s in value.strides),
                itemsize)
    if _is_torch_tensor(value):
        return value.data_ptr(), tuple(value.shape), tuple(value.stride()), value.element_size()
    return None


def _shared_input(value, inputs) -> int | None:
    """The position of the first input whose memory ``value`` overlaps, or None."""
    mine = _memory(value)
    if mine is None:
        return None
    span = _extent(*mine)
    if span is None:
        return None
    for i, candidate in enumerate(inputs):
        theirs = _memory(candidate)
        other = None if theirs is None else _extent(*theirs)
        if other is not None and span[0] < other[1] and other[0] < span[1]:
            return i
    return None


# ---------------------------------------------------------------------- torch, by duck typing
def _is_torch_tensor(value) -> bool:
    cls = type(value)
    return cls.__module__.startswith("torch") and hasattr(value, "stride") and hasattr(value, "untyped_storage")


def _is_torch_dtype(value) -> bool:
    cls = type(value)
    return cls.__module__.startswith("torch") and cls.__name__ == "dtype"


def _torch_dtype_name(d) -> str:
    return str(d).removeprefix("torch.")


# ---------------------------------------------------------------------- to_plain
def _tensor_plain(kind, shape, dtype, device, strides, values, requires_grad, shares):
    return {"kind": kind, "shape": list(shape), "dtype": dtype, "device": device, "strides": list(strides),
            "values": _encode_nested(values), "requires_grad": requires_grad, "shares_input": shares}


def to_plain(value, inputs=()):
    """Describe ``value`` as plain, JSON-able data (see the module docstring for the forms).

    ``inputs`` are the arguments the function was called with: a returned tensor that
    overlaps one of them in memory records its position as ``shares_input``.
    """
    if isinstance(value, ErrorResult):
        error = value.error
        return {"kind": "error", "type": type(error).__name__, "message": str(error)}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(int(value))}
    if isinstance(value, int):
        return {"kind": "int", "value": int.__index__(value)}
    if isinstance(value, np.integer):
        return {"kind": "int", "value": int(np.int64(value)) if value.dtype.kind == "i" else int(np.uint64(value))}
    if isinstance(value, (float, np.floating)):
        number = float.__float__(value) if isinstance(value, float) else float(value)
        return {"kind": "float", "value": encode_number(number)}
    if isinstance(value, str):
        return {"kind": "str", "value": str.__str__(value)}
    if isinstance(value, tl.dtype):
        return {"kind": "dtype", "value": value.name}
    if _is_torch_dtype(value):
        return {"kind": "dtype", "value": _torch_dtype_name(value)}
    if isinstance(value, np.dtype):
        return {"kind": "numpy_dtype", "value": value.name}
    if isinstance(value, tl.Tensor):
        T = tl.Tensor
        return _tensor_plain("tensor", value.shape, value.dtype.name, str(value.device), T.stride(value),
                             T.tolist(value), bool(value.requires_grad), _shared_input(value, inputs))
    if _is_torch_tensor(value):
        return _tensor_plain("tensor", value.shape, _torch_dtype_name(value.dtype), str(value.device), value.stride(),
                             value.detach().cpu().tolist(), bool(value.requires_grad), _shared_input(value, inputs))
    if isinstance(value, np.ndarray):
        itemsize = value.itemsize
        values = value.astype(np.float64).tolist() if value.dtype.kind == "V" or "bfloat16" in str(value.dtype) \
            else value.tolist()
        return _tensor_plain("array", value.shape, str(value.dtype), "cpu", [s // itemsize for s in value.strides],
                             values, False, _shared_input(value, inputs))
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"kind": kind, "items": [to_plain(item, inputs) for item in _items(value)]}
    return {"kind": "object", "type": type(value).__qualname__}


def _items(value):
    """The items of a tuple or list, read with the built-in type's own iterator."""
    return list(tuple.__iter__(value)) if isinstance(value, tuple) else list(list.__iter__(value))


# ---------------------------------------------------------------------- describe
def _shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def describe(plain) -> str:
    """A short phrase for a plain value, as a hint says it: ``a tensor of shape (2, 3), tl.float32``."""
    kind = plain["kind"]
    if kind in ("tensor", "array"):
        dtype = f"tl.{plain['dtype']}" if kind == "tensor" else plain["dtype"]
        name = "a tensor" if kind == "tensor" else "a NumPy array"
        return f"{name} of shape {_shape_text(plain['shape'])}, {dtype}"
    if kind == "error":
        return f"{plain['type']}: {plain['message']}" if plain["message"] else plain["type"]
    if kind == "none":
        return "None"
    if kind == "dtype":
        return f"tl.{plain['value']}"
    if kind == "numpy_dtype":
        return f"the NumPy dtype {plain['value']}"
    if kind == "str":
        return f"the string {plain['value']!r}"
    if kind in ("int", "float", "bool"):
        return f"{'an' if kind == 'int' else 'a'} {kind} ({plain['value']})"
    if kind in ("tuple", "list"):
        n = len(plain["items"])
        return f"a {kind} of {n} item{'' if n == 1 else 's'}"
    return f"an object of type {plain['type']}"


def shape_text(shape) -> str:
    """``(2, 3)``, ``(3,)`` or ``()``: a shape as Python writes a tuple."""
    return _shape_text(shape)
