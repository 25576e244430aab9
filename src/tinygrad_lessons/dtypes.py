"""Data types: what one element of a tensor is, and how mixed types combine.

PyTorch names a small, closed set of element types. Each of ours is a thin object
that remembers the NumPy dtype that stores it (``bfloat16`` comes from ``ml_dtypes``,
a maintained NumPy extension, because NumPy itself has no bfloat16).

Two rules from PyTorch live here because every operator needs them:

* **inference**: Python ``int`` -> int64, ``float`` -> the default float dtype
  (float32 unless changed), ``bool`` -> bool;
* **promotion**: ``promote_types`` for two dtypes and ``result_type`` for the
  operands of one operator, where Python numbers and 0-d tensors are "weaker"
  than tensors with dimensions (``int32 tensor + 1`` stays int32, but
  ``int64 tensor * 2.5`` becomes float32).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "uint8", "int8", "int16", "short", "int32", "int", "int64", "long", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "finfo", "iinfo", "check_python_int",
]


class dtype:
    """One element type, e.g. ``tl.float32``; compare with ``is`` or ``==``."""

    __slots__ = ("name", "numpy_dtype", "itemsize", "is_floating_point", "is_signed", "_rank")

    def __init__(self, name, numpy_dtype, is_floating_point, is_signed, rank):
        self.name = name
        self.numpy_dtype = np.dtype(numpy_dtype)
        self.itemsize = self.numpy_dtype.itemsize
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self._rank = rank  # order used only to break ties inside one category

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self

    def __repr__(self):
        return f"tl.{self.name}"

    def __reduce__(self):  # pickles as the singleton it is
        return (getattr, (_module(), self.name))


def _module():
    import sys

    return sys.modules[__name__]


float16 = half = dtype("float16", np.float16, True, True, 5)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, True, True, 5)
float32 = float = dtype("float32", np.float32, True, True, 6)
float64 = double = dtype("float64", np.float64, True, True, 7)
uint8 = dtype("uint8", np.uint8, False, False, 1)
int8 = dtype("int8", np.int8, False, True, 1)
int16 = short = dtype("int16", np.int16, False, True, 2)
int32 = int = dtype("int32", np.int32, False, True, 3)
int64 = long = dtype("int64", np.int64, False, True, 4)
bool = dtype("bool", np.bool_, False, False, 0)  # noqa: A001 - torch's name

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
FLOAT_DTYPES = (float16, bfloat16, float32, float64)

#: NumPy dtype -> our dtype; the one lookup every new tensor makes.
FROM_NUMPY = {d.numpy_dtype: d for d in ALL_DTYPES}


# ---------------------------------------------------------------- names torch's messages give each dtype
#: torch's ScalarType names: "expected scalar type Float but found Double", "not implemented for 'Half'"
SCALAR_NAMES = {
    bool: "Bool", uint8: "Byte", int8: "Char", int16: "Short", int32: "Int", int64: "Long", float16: "Half",
    bfloat16: "BFloat16", float32: "Float", float64: "Double",
}
#: the C++ scalar type a value is converted to: "value cannot be converted to type uint8_t without overflow"
CPP_SCALAR_NAMES = {
    bool: "bool", uint8: "uint8_t", int8: "int8_t", int16: "int16_t", int32: "int", int64: "int64_t",
    float16: "c10::Half", bfloat16: "c10::BFloat16", float32: "float", float64: "double",
}
#: the C++ type as the compiler spells it (``typeid``): "expected m1 and m2 to have the same dtype, but got:
#: float != double", clamp_'s "unsigned char"
CPP_TYPEID_NAMES = {
    bool: "bool", uint8: "unsigned char", int8: "signed char", int16: "short int", int32: "int", int64: "long int",
    float16: "c10::Half", bfloat16: "c10::BFloat16", float32: "float", float64: "double",
}


def from_numpy_dtype(np_dtype) -> dtype:
    """Our dtype for a NumPy dtype, with torch's error for the ones torch lacks."""
    try:
        return FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def as_dtype(d) -> dtype:
    """Accept ``tl.float32``, a NumPy dtype or a Python type, as torch accepts its dtypes."""
    if d.__class__ is dtype:
        return d
    if d is _builtin_float:
        return float64
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    try:
        return FROM_NUMPY[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"expected a tinygrad_lessons dtype (e.g. tl.float32), but got {d!r}") from None


import builtins as _builtins  # noqa: E402

_builtin_float, _builtin_int, _builtin_bool = _builtins.float, _builtins.int, _builtins.bool

# ---------------------------------------------------------------- default dtype
_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype Python floats become (float32: fast, and precise enough for deep learning)."""
    return _default_float


def set_default_dtype(d) -> None:
    """Change the dtype Python floats become; torch allows only floating types here."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


# ---------------------------------------------------------------- promotion
def _category(d: dtype) -> _builtin_int:
    """0 for bool, 1 for integers, 2 for floating point: promotion never goes down a category."""
    return 2 if d.is_floating_point else (0 if d is bool else 1)


def _promote(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a is bool:
        return b
    if b is bool:
        return a
    if a.is_floating_point or b.is_floating_point:
        if a.is_floating_point and b.is_floating_point:
            if {a, b} == {float16, bfloat16}:
                return float32  # neither holds the other: float32 holds both
            return a if a._rank > b._rank else b
        return a if a.is_floating_point else b
    # two integer types
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a._rank > b._rank else b


_PROMOTION_TABLE = {(a, b): _promote(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1, type2) -> dtype:
    """The smallest dtype both can be converted to without leaving their category."""
    return _PROMOTION_TABLE[as_dtype(type1), as_dtype(type2)]


# ---------------------------------------------------------------- Python ints as torch reads them
_INT64_MIN, _INT64_MAX, _UINT64_END = -(2**63), 2**63 - 1, 2**64


#: what a complex number meets anywhere in the library (torch would make a complex tensor)
NO_COMPLEX = "tinygrad_lessons has no complex dtypes: use two real tensors instead"


def check_python_int(value) -> None:
    """torch's first step with a Python int passed where it expects a number: fit it in 64 bits.

    torch's argument parser reads such an int as a C ``int64_t`` or, when it is too big for
    that, as a ``uint64_t``. So ``-2**63 <= value < 2**64`` is accepted and anything else is
    Python's own ``OverflowError`` (a negative one fails the unsigned try last, hence its
    message), raised before the op looks at its tensors, dtypes or other arguments:
    ``bool_tensor - 2**80`` is this error, not the bool-subtraction one. Anything that is not
    an exact ``int`` (floats, bools, tensors) passes untouched. A value from 2**63 on becomes a
    uint64 number (``result_type``): it wraps around in an integer tensor, as C converts it.
    """
    if value.__class__ is _builtin_int and not _INT64_MIN <= value < _UINT64_END:
        raise OverflowError("can't convert negative int to unsigned" if value < 0 else "int too big to convert")


#: what torch makes of a Python int in [2**63, 2**64): a uint64 number. We have no uint64 tensors, so
#: this dtype lives only inside ``result_type``, where torch refuses to promote it with anything but
#: a floating dtype (``bool_tensor + 2**63`` is an error; ``int32_tensor + 2**63`` stays int32).
_uint64 = dtype("uint64", np.uint64, False, False, 5)


def _promote_pair(a: dtype, b: dtype) -> dtype:
    """``promote_types`` inside ``result_type``, where one side may be the uint64 of a huge int."""
    try:
        return _PROMOTION_TABLE[a, b]
    except KeyError:  # one of them is _uint64: torch promotes it only with itself or a floating dtype
        if a is b:
            return a
        if a.is_floating_point or b.is_floating_point:
            return a if a.is_floating_point else b
        names = [SCALAR_NAMES.get(d, "UInt64") for d in (a, b)]
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                           f"{names[0]} and {names[1]}") from None


def _wrapped_dtype(value) -> dtype:
    """The dtype of a Python number among an op's operands: ``_scalar_dtype``, after torch's 64-bit
    check of an int, and uint64 for the ints only that type holds."""
    if value.__class__ is _builtin_int:
        check_python_int(value)
        if value > _INT64_MAX:
            return _uint64
        return int64
    return _scalar_dtype(value)


def _scalar_dtype(value) -> dtype:
    """The dtype torch gives a Python number when it takes part in an operator."""
    cls = value.__class__
    if cls is _builtin_bool:
        return bool
    if cls is _builtin_int:
        return int64
    if cls is _builtin_float:
        return _default_float
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        # torch reads a NumPy scalar as a Python number (int -> int64, float -> default float),
        # and a NumPy bool as a float: tensor([1]) + np.bool_(True) is float32 in torch
        return int64 if isinstance(value, np.integer) else _default_float
    if isinstance(value, _builtin_bool):
        return bool
    if isinstance(value, _builtin_int):
        return int64
    if isinstance(value, _builtin_float):
        return _default_float
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(NO_COMPLEX)
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


def _combine_categories(higher, lower):
    """torch's rule: a weaker group of operands only counts if it is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return _promote_pair(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """The dtype torch computes an operator in, for tensors and Python numbers mixed.

    Operands fall in three groups, strongest first: tensors with dimensions, 0-d tensors,
    and Python numbers. A weaker group changes the result only when it is of a higher
    category (bool < integer < floating). ``uint8 + 300`` therefore stays uint8, while
    ``int32 + 1.5`` becomes the default float dtype. A Python int gets torch's 64-bit check
    (``check_python_int``) here, where every op first meets its numbers.
    """
    dim_result = zero_result = wrapped_result = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if d.__class__ is dtype and hasattr(op, "_data"):
            if op._data.ndim:
                dim_result = d if dim_result is None else _PROMOTION_TABLE[dim_result, d]
            else:
                zero_result = d if zero_result is None else _PROMOTION_TABLE[zero_result, d]
        else:
            d = _wrapped_dtype(op)
            wrapped_result = d if wrapped_result is None else _promote_pair(wrapped_result, d)
    result = _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))
    if result is _uint64:  # only numbers, all in [2**63, 2**64): torch's answer is a dtype we don't have
        raise TypeError("tinygrad_lessons has no uint64 dtype: the numbers in [2**63, 2**64) need a tensor "
                        "to take the dtype of")
    return result


# ---------------------------------------------------------------- numeric limits
class finfo:
    """Range and precision of a floating dtype (``tl.finfo(tl.float16).max`` -> 65504.0)."""

    def __init__(self, type=None):  # noqa: A002 - torch's name
        d = as_dtype(type if type is not None else _default_float)
        if not d.is_floating_point:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"
            )
        info = ml_dtypes.finfo(d.numpy_dtype)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.eps = _builtin_float(info.eps)
        self.max = _builtin_float(info.max)
        self.min = _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision  # torch's: a power of ten, not rounded to the dtype

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Range of an integer dtype (``tl.iinfo(tl.int8).min`` -> -128)."""

    def __init__(self, type):  # noqa: A002 - torch's name
        d = as_dtype(type)
        if d.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        if d is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = np.iinfo(d.numpy_dtype)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.min = _builtin_int(info.min)
        self.max = _builtin_int(info.max)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"  # torch prints them as floats
