"""Creating tensors: from Python data and NumPy, filled with a value, ranges, and ``*_like``.

**Copy or share?** The three ways to bring data in differ in one thing, memory:

* ``tensor(data)`` always *copies*: changing ``data`` later never changes the tensor;
* ``from_numpy(array)`` never copies: the tensor is a window onto the array's memory,
  so a write through either one shows in both;
* ``as_tensor(data)`` shares when it can (an array or tensor that already has the
  requested dtype) and copies otherwise.

**Which dtype?** ``tensor`` looks at every element: a Python ``float`` means the default
dtype (float32), an ``int`` means int64, a ``bool`` means bool, NumPy scalars and
tensors keep their own dtype, and a mix is combined with ``promote_types``, so
``[1, 2.5]`` is float32 and ``[True, 2]`` is int64. ``full`` infers from its fill value,
``arange`` gives int64 when ``start``, ``end`` and ``step`` are all integers, and the
rest (``zeros``, ``linspace``...) use the default dtype.

**Which strides?** New tensors are row-major ("contiguous"). A copy of an existing
tensor or array (``tensor(array)``, ``zeros_like(t)``) keeps that one's memory order,
as torch's ``memory_format=torch.preserve_format`` does: the copy of a transposed
matrix is laid out transposed too.

**Ranges** compute exactly torch's formulas (``arange``'s length is
``ceil((end - start) / step)``; ``linspace`` fills from both ends toward the middle),
because a length that differs from torch's by one breaks a learner's code.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from . import dtypes
from .backend import array_module, module_for
from .device import CPU, as_device
from .layout import copy_with_strides, element_strides, empty_strided, preserve_format_strides
from .storage import contiguous_strides, strided_view
from .tensor import Tensor, _wrap

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange", "linspace",
    "logspace", "zeros_like", "ones_like", "full_like", "empty_like",
]


_MAX_DIMS = 64  # NumPy's limit, and torch's error message when nested data goes deeper


def type_name(obj) -> str:
    """The type name torch's argument errors show: ``float``, ``Tensor``, ``numpy.ndarray``."""
    cls = type(obj)
    if isinstance(obj, Tensor):
        return cls.__name__  # Tensor, or a subclass by its own name (Parameter), as torch says
    if cls.__module__ in ("builtins", None):
        return cls.__name__
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"


# ---------------------------------------------------------------------- arguments
def _as_int(value):
    """``value`` as a Python int if it is an integer (not a bool or a float), else None."""
    if value.__class__ is int:
        return value
    if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
        return None
    try:
        return value.__index__()
    except TypeError:  # a float tensor, or a tensor of several elements
        return None


def int_arg(value, fname: str, argname: str, position: int) -> int:
    """An argument torch declares ``int`` (``eye(n)``, ``randperm(n)``), with torch's TypeError."""
    n = _as_int(value)
    if n is None:
        raise TypeError(f"{fname}(): argument '{argname}' (position {position}) must be int, not {type_name(value)}")
    return n


def number_arg(value, fname: str, argname: str, position: int):
    """An argument torch declares ``Number``: a Python bool, int or float (also from NumPy or a 0-d tensor)."""
    cls = value.__class__
    if cls is int:
        dtypes.check_python_int(value)  # torch's 64-bit check, before the op's own (full's dtype, ...)
        return value
    if cls is float or cls is bool:
        return value
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.bool_):
        return float(value)  # torch's argument parser reads a NumPy bool as a float
    if isinstance(value, np.number) and value.dtype.kind in "iuf":
        return value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{fname}(): argument '{argname}' (position {position}) must be Number, not {type_name(value)}")


def size_from_args(size: tuple, fname: str, check_negative: bool = True) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean shape ``(2, 3)``; torch's errors otherwise."""
    if len(size) == 1:
        if isinstance(size[0], (tuple, list)):
            size = size[0]
        elif _as_int(size[0]) is None:
            raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, not {type_name(size[0])}")
    elif not size:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "size"')
    shape = []
    for position, s in enumerate(size, 1):
        n = _as_int(s)
        if n is None:
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos {position} with error "
                            f'"type must be tuple of ints,but got {type_name(s)}"')
        shape.append(n)
    if check_negative:
        for n in shape:
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {shape}")
    return tuple(shape)


def dtype_or_default(dtype) -> dtypes.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def set_requires_grad(t: Tensor, requires_grad: bool) -> Tensor:
    """Mark a new tensor as a leaf that autograd tracks; only floating tensors can be."""
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


_LIMITS = {d: (dtypes.finfo(d).min, dtypes.finfo(d).max) if d.is_floating_point else (dtypes.iinfo(d).min,
                                                                                     dtypes.iinfo(d).max)
           for d in dtypes.ALL_DTYPES if d is not dtypes.bool}


def checked_scalar(value, d: dtypes.dtype):
    """A Python number as a NumPy scalar of dtype ``d``, with torch's error when it doesn't fit.

    torch lets negative integers wrap around into unsigned types (``-1`` -> 255) but
    refuses values beyond the type's range, and NaN or infinity in integer types.
    """
    if d is dtypes.bool or value.__class__ is bool:
        return d.numpy_dtype.type(value)
    lowest, highest = _LIMITS[d]
    if isinstance(value, float):
        fits = math.isfinite(value) and lowest <= value <= highest or d.is_floating_point and not math.isfinite(value)
    else:  # an integer: unsigned types also take -highest..-1, wrapping around
        fits = (-highest if lowest == 0 else lowest) <= value <= highest
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {dtypes.CPP_SCALAR_NAMES[d]} without overflow")
    if d.is_floating_point:
        if d.itemsize == 2:  # torch rounds through float32 on the way to a half type
            return np.float32(value).astype(d.numpy_dtype)
        return d.numpy_dtype.type(value)
    return d.numpy_dtype.type(int(value) % (1 << 8 * d.itemsize) if lowest == 0 else int(value))


# ---------------------------------------------------------------------- strides of new memory
def _same_strides(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of one shape step through memory alike, counted in elements."""
    if a.itemsize == b.itemsize:
        return a.strides == b.strides
    return all(x // a.itemsize == y // b.itemsize for x, y in zip(a.strides, b.strides))


def empty_like_array(array: np.ndarray, np_dtype=None) -> np.ndarray:
    """New memory shaped like ``array``, on its device, in its memory order (what ``empty_like`` holds)."""
    xp = array_module(array)
    out = xp.empty_like(array, dtype=np_dtype)  # NumPy keeps the memory order too, and fast...
    if _same_strides(out, array):
        return out
    # ...but differs from torch for arrays with gaps or repeats, and for size-1 dimensions
    return empty_strided(array.shape, preserve_format_strides(array.shape, element_strides(array)), out.dtype, xp)


def copy_preserving_layout(array: np.ndarray, np_dtype=None) -> np.ndarray:
    """A copy of ``array`` (cast to ``np_dtype`` if given) in the same memory order."""
    if np_dtype is None or np_dtype == array.dtype:
        out = array.copy(order="K")
    else:
        with np.errstate(invalid="ignore", over="ignore"):  # torch casts out-of-range values silently
            out = array.astype(np_dtype, order="K")
    if _same_strides(out, array):
        return out
    # NumPy's copy keeps the memory order too, but differs from torch for arrays with gaps or repeats
    return copy_with_strides(out, preserve_format_strides(array.shape, element_strides(array)))


def fresh_array(shape, np_dtype, xp=np) -> np.ndarray:
    """Uninitialised row-major memory (from array module ``xp``), with torch's strides even when a dimension is 0."""
    if 0 in shape:  # NumPy would give every dimension stride 0 here
        return strided_view(xp.empty(0, np_dtype), shape, contiguous_strides(shape), 0)
    return xp.empty(shape, np_dtype)


def new_tensor(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """Wrap freshly computed values as a new tensor (torch's strides if it is empty)."""
    if not isinstance(array, np.ndarray) and array_module(array) is np:  # NumPy computes 0-d results as scalars
        array = np.asarray(array)
    if array.size == 0:
        array = fresh_array(array.shape, array.dtype, array_module(array))
    return set_requires_grad(_wrap(array), requires_grad)


def _filled(shape, np_dtype, value, xp=np) -> np.ndarray:
    """Row-major memory holding ``value`` everywhere (made by array module ``xp``: on its device)."""
    if 0 in shape:
        return fresh_array(shape, np_dtype, xp)
    if value == 0:
        return xp.zeros(shape, np_dtype)  # the OS hands out zeroed pages: faster than filling
    return xp.full(shape, value, np_dtype)


def on_device(array, device) -> np.ndarray:
    """``array`` (made on the host) moved to ``device``: the host->device copy torch makes for ``tensor(data)``."""
    if device is CPU:
        return array
    from .copy_ops import check_dtype_on_device

    check_dtype_on_device(dtypes.FROM_NUMPY[array.dtype], device)
    if array_module(array) is module_for(device):
        return array
    from .copy_ops import copy_to_device

    return copy_to_device(array, None, device)


def _module_on(device, d: dtypes.dtype):
    """The array module that makes memory on ``device`` (with the dtype checked for that device)."""
    if device is CPU:
        return np
    from .copy_ops import check_dtype_on_device

    check_dtype_on_device(d, device)
    return module_for(device)


# ---------------------------------------------------------------------- from Python data
def _is_sequence(obj) -> bool:
    """What torch walks into as a dimension: lists, tuples, arrays, ranges (strings too, to fail)."""
    cls = obj.__class__
    if cls is list or cls is tuple:
        return True
    if cls is float or cls is int or cls is bool:
        return False
    return isinstance(obj, (np.ndarray, Sequence))


def infer_dtype(data) -> dtypes.dtype:
    """torch's dtype for nested data: the ``promote_types`` of every element's own dtype.

    A Python float is the default dtype, an int is int64, a bool is bool; NumPy
    scalars and arrays, and tensors, bring their own dtype; an empty list counts
    as the default dtype.
    """
    cls = data.__class__
    if cls is float:
        return dtypes.get_default_dtype()
    if cls is int:
        return dtypes.int64
    if cls is bool:
        return dtypes.bool
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return dtypes.from_numpy_dtype(data.dtype)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{cls.__name__}'")
    if _is_sequence(data):
        if len(data) == 0:
            return dtypes.get_default_dtype()
        result = None
        for item in data:
            item_cls = item.__class__  # plain numbers are by far the most common: decide them inline
            if item_cls is float:
                d = dtypes.get_default_dtype()
            elif item_cls is int:
                d = dtypes.int64
            elif item_cls is bool:
                d = dtypes.bool
            else:
                d = infer_dtype(item)
            if d is not result:
                result = d if result is None else dtypes.promote_types(result, d)
        return result
    if isinstance(data, numbers.Integral):
        return dtypes.int64
    if isinstance(data, numbers.Real):
        return dtypes.get_default_dtype()
    if isinstance(data, numbers.Complex):
        raise TypeError(dtypes.NO_COMPLEX)
    raise RuntimeError(f"Could not infer dtype of {cls.__name__}")


def _nested_shape(data) -> list:
    """The shape of nested sequences, read from their *first* elements (as torch reads it)."""
    shape = []
    while _is_sequence(data):
        shape.append(len(data))
        if len(shape) > _MAX_DIMS:
            raise ValueError(f"too many dimensions '{type(data).__name__}'")
        if not shape[-1]:
            break
        data = data[0]
    return shape


def _flatten(data, shape) -> list:
    """All the scalars of nested data, row by row, checking every sequence against ``shape``.

    It goes level by level (all of dim 1, then all of dim 2...), which is fast, but on
    ragged data it can meet a *different* mistake first than torch does: see
    ``_stored_in_torch_order``, which takes over when anything here fails.
    """
    level = [data]
    for depth, length in enumerate(shape):
        next_level = []
        for seq in level:
            if not _is_sequence(seq):
                raise TypeError("not a sequence")
            if len(seq) != length:
                raise ValueError(f"expected sequence of length {length} at dim {depth} (got {len(seq)})")
            next_level.extend(seq)
        level = next_level
    return level


def _number_leaf(value, d: dtypes.dtype):
    """One element of nested data as a number, refused as torch refuses it.

    Integer and bool tensors take only Python numbers and things with ``__index__``
    (NumPy integers, integer tensors; NumPy bools for bool tensors): ``np.float32(1.5)``
    or a float tensor is an error there. Any other object is asked what torch asks it,
    ``__float__`` (or ``__index__``) for a float tensor and ``__index__`` for an integer
    one, so an array or a list where a number belongs fails with the object's own words
    (``only integer scalar arrays can be converted to a scalar index``).
    """
    if isinstance(value, Tensor):
        if not d.is_floating_point and (value.numel() != 1 or value.dtype.is_floating_point):
            raise TypeError("only integer tensors of a single element can be converted to an index")
        if value.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return value.item()
    if d.is_floating_point:
        if isinstance(value, (numbers.Number, np.generic)):
            return value
        if hasattr(type(value), "__float__"):
            return value.__float__()
        if hasattr(type(value), "__index__"):
            return value.__index__()
        raise TypeError(f"must be real number, not {type_name(value)}")
    if isinstance(value, (int, float)) or (isinstance(value, np.generic) and hasattr(type(value), "__index__")):
        return value
    if hasattr(type(value), "__index__"):
        return value.__index__()
    if d is dtypes.bool and isinstance(value, np.bool_):
        return value
    raise TypeError(f"'{type_name(value)}' object cannot be interpreted as an integer")


def _scalars_to_array(values: list, d: dtypes.dtype) -> np.ndarray:
    """Python numbers -> a 1-D array of dtype ``d``, converting each number as torch does.

    Floats going into an integer type are truncated toward zero; a value outside the
    type's range is torch's overflow error; negative integers wrap into uint8.
    """
    if not all(v.__class__ in (float, int, bool) for v in values):
        values = [_number_leaf(v, d) for v in values]
    try:
        if d.is_floating_point:
            with np.errstate(over="ignore"):  # too large for the dtype: inf, as in torch
                if d.itemsize == 2:  # torch rounds through float32 on the way to a half type
                    return np.array(values, dtype=np.float32).astype(d.numpy_dtype)
                return np.array(values, dtype=d.numpy_dtype)
        if d is dtypes.bool:
            return np.array(values, dtype=np.float64) != 0
        if all(isinstance(v, (int, np.integer)) for v in values):  # bools are ints too
            array = np.array(values, dtype=np.int64)
        else:
            array = np.array(values, dtype=np.float64)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    smallest, largest = _LIMITS[d]
    lowest = -largest if smallest == 0 else smallest  # unsigned types let negative *integers* wrap around
    if array.dtype == np.float64:
        if array.size and not np.isfinite(array).all():
            raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")
        if array.size and (array.min() < smallest or array.max() >= largest + 1):
            raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")
        array = np.trunc(array).astype(np.int64)
    elif d is not dtypes.int64 and array.size and (array.min() < lowest or array.max() > largest):
        raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")
    return array.astype(d.numpy_dtype)


def _as_sequence(obj):
    """One level of nested data as torch's ``PySequence_Fast`` takes it: a list or tuple as
    it is, any other iterable (a tensor, an array, a range...) as the list of its items."""
    if obj.__class__ is list or obj.__class__ is tuple:
        return obj
    try:
        items = iter(obj)
    except TypeError:
        raise TypeError("not a sequence") from None
    return list(items)


def _stored_in_torch_order(obj, shape, d: dtypes.dtype, dim: int = 0):
    """The elements of ``obj`` converted one by one, walking the data as torch does.

    torch's ``recursive_store`` goes depth first: the whole of ``data[0]`` (down to its
    numbers) before ``data[1]``. So the first mistake *in that order* is the one it
    reports: in ``[[[1, 2], [3]], [[4, 5]]]`` that is ``[3]`` ("expected sequence of
    length 2 at dim 2 (got 1)"), not the short ``[[4, 5]]`` one level up, and in
    ``[[300], [1, 2]]`` as uint8 it is the overflow of 300. Converting each number on
    its own is torch's rule too (``-1`` wraps into uint8 even next to a float). Yields
    arrays of numbers: a whole innermost row at once when it converts (the same values,
    many times faster), else one number at a time, to find the number torch stops at.
    """
    if dim == len(shape):  # where the shape (read from the first elements) says a number belongs
        yield _scalars_to_array([obj], d)
        return
    items = _as_sequence(obj)
    if len(items) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(items)})")
    if dim == len(shape) - 1:
        try:
            yield _scalars_to_array(list(items), d)
            return
        except (TypeError, ValueError, RuntimeError):
            pass  # some number in this row is refused: go through them in order, below
    for item in items:
        yield from _stored_in_torch_order(item, shape, d, dim + 1)


def _array_from_nested(data, d) -> np.ndarray:
    """Nested sequences of numbers -> an array, with torch's dtype and torch's errors.

    Well-formed lists of numbers take the fast path (``_flatten``, then one conversion
    of all the numbers). When that fails, the data is walked again the slow, faithful
    way (``_stored_in_torch_order``), so that the error raised is the one torch meets
    first, and data that only torch's element-by-element walk accepts (a tensor as a
    row, an int that wraps around) still gives torch's result.
    """
    shape = _nested_shape(data)
    if d is None:
        d = infer_dtype(data)
    if 0 in shape:  # torch never looks past an empty dimension
        return fresh_array(tuple(shape), d.numpy_dtype)
    try:
        return _scalars_to_array(_flatten(data, shape), d).reshape(shape)
    except (TypeError, ValueError, RuntimeError):
        pass  # raised again below, outside this handler, in torch's order
    return np.concatenate(list(_stored_in_torch_order(data, shape, d))).reshape(shape)


def _check_numpy_array(array: np.ndarray) -> None:
    """torch's errors for arrays it can't view: other dtypes, negative or odd strides."""
    if array.dtype.byteorder not in "=|" and array.dtype.itemsize > 1:
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")
    dtypes.from_numpy_dtype(array.dtype)
    for s in array.strides:
        if s < 0:
            raise ValueError(
                "At least one stride in the given numpy array is negative, and tensors with negative strides "
                "are not currently supported. (You can probably work around this by making a copy of your array "
                " with array.copy().) "
            )
        if s % array.itemsize:
            raise ValueError("given numpy array strides not a multiple of the element byte size. "
                             "Copy the numpy array to reallocate the memory.")


_COPY_CONSTRUCT_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
    "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor)."
)


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a *copy* of ``data``: numbers, nested lists, a NumPy array or a tensor.

    >>> tl.tensor([[1, 2], [3, 4]]).dtype      # all ints -> int64
    tl.int64
    >>> tl.tensor([1, 2.5]).dtype              # any float -> the default dtype
    tl.float32
    """
    d = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type_name(data)}'")
    if isinstance(data, Tensor):
        warnings.warn(_COPY_CONSTRUCT_WARNING, UserWarning, stacklevel=2)
        target = data.device if device is None else as_device(device)
        array = copy_preserving_layout(data._data, None if d is None else d.numpy_dtype)
    elif isinstance(data, np.ndarray):
        target = as_device(device)
        _check_numpy_array(data)
        array = copy_preserving_layout(data, None if d is None else d.numpy_dtype)
    else:
        target = as_device(device)
        array = _array_from_nested(data, d)
    return set_requires_grad(_wrap(on_device(array, target)), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, *sharing* its memory when it already has the requested dtype.

    A tensor comes back as itself; a NumPy array of the right dtype is wrapped as
    ``from_numpy`` does; anything else is copied as ``tensor`` copies it.
    """
    target = None if device is None else as_device(device)
    d = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(device=target, dtype=d)
    if isinstance(data, np.ndarray) and target in (None, CPU):
        shared = from_numpy(data)
        if d is None or d is shared.dtype:
            return shared
        return _wrap(copy_preserving_layout(data, d.numpy_dtype))
    return tensor(data, dtype=d, device=target)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that *shares* memory with ``ndarray``: a write through either shows in both.

    The tensor keeps the array's strides, so a transposed or sliced array becomes a
    non-contiguous tensor. Arrays with negative strides (``a[::-1]``) can't be viewed:
    torch has no negative strides.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type_name(ndarray)})")
    _check_numpy_array(ndarray)
    if not ndarray.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable, and PyTorch does not support non-writable tensors. This means "
            "writing to this tensor will result in undefined behavior. You may want to copy the array to protect "
            "its data or make it writable before converting it to a tensor.", UserWarning, stacklevel=2,
        )
    return _wrap(ndarray)


# ---------------------------------------------------------------------- filled tensors
def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``; the default dtype unless given."""
    shape = size_from_args(size, "zeros", check_negative=False)
    if any(n < 0 for n in shape):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    d = dtype_or_default(dtype)
    xp = _module_on(as_device(device), d)
    return set_requires_grad(_wrap(_filled(shape, d.numpy_dtype, 0, xp)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``; the default dtype unless given."""
    shape = size_from_args(size, "ones")
    d = dtype_or_default(dtype)
    xp = _module_on(as_device(device), d)
    return set_requires_grad(_wrap(_filled(shape, d.numpy_dtype, 1, xp)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor whose values are whatever was in memory: fast, but read nothing before writing."""
    shape = size_from_args(size, "empty")
    d = dtype_or_default(dtype)
    xp = _module_on(as_device(device), d)
    return set_requires_grad(_wrap(fresh_array(shape, d.numpy_dtype, xp)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` (a tuple) filled with ``fill_value``, whose dtype it takes.

    ``full((2,), 7)`` is int64, ``full((2,), 7.0)`` the default float, ``full((2,), True)`` bool.
    """
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type_name(size)}")
    shape = size_from_args((size,), "full")
    value = number_arg(fill_value, "full", "fill_value", 2)
    d = dtypes._scalar_dtype(value) if dtype is None else dtypes.as_dtype(dtype)
    xp = _module_on(as_device(device), d)
    return set_requires_grad(_wrap(_filled(shape, d.numpy_dtype, checked_scalar(value, d), xp)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An ``n x m`` matrix (``m`` defaults to ``n``) with ones on the diagonal, zeros elsewhere."""
    n = int_arg(n, "eye", "n", 1)
    m = n if m is None else int_arg(m, "eye", "m", 2)
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    d = dtype_or_default(dtype)
    xp = _module_on(as_device(device), d)
    array = xp.eye(n, m, dtype=d.numpy_dtype) if n and m else fresh_array((n, m), d.numpy_dtype, xp)
    return set_requires_grad(_wrap(array), requires_grad)


# ---------------------------------------------------------------------- ranges
def _trunc_div(a: int, b: int) -> int:
    """Integer division rounding toward zero, as C++ does (Python's ``//`` rounds down)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _arange_length(start, end, step, d: dtypes.dtype) -> int:
    """torch's number of elements of ``arange``, with its checks and its errors."""
    fstart, fend, fstep = float(start), float(end), float(step)
    if not (fstep > 0 or fstep < 0):  # also catches NaN
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(fstart) and math.isfinite(fend)):
        raise RuntimeError(f"unsupported range: {fstart:g} -> {fend:g}")
    if not (fstep > 0 and fend >= fstart or fstep < 0 and fend <= fstart):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d is dtypes.int64:  # exact integer arithmetic, on the arguments truncated to integers
        istart, iend, istep = int(start), int(end), int(step)
        if istep == 0:
            raise ValueError("step must be nonzero")
        length = _trunc_div(iend - istart + istep - (1 if istep > 0 else -1), istep)
    else:
        length = (fend - fstart) / fstep
        length = math.ceil(length) if math.isfinite(length) else length
    if not 0 <= length <= 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    return int(length)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``start, start + step, ...`` up to but excluding ``end``; ``arange(n)`` is ``0 .. n-1``.

    The result is int64 when all three arguments are integers, else the default float dtype.
    Values are ``start + i * step``, computed in float64 (float32 for half types) and
    then rounded, so ``arange(0, 1, 0.1)`` has exactly 10 elements, as in torch.
    """
    if end is None:
        start, end = 0, number_arg(start, "arange", "end", 1)
    else:
        start, end = number_arg(start, "arange", "start", 1), number_arg(end, "arange", "end", 2)
    step = number_arg(step, "arange", "step", 3)
    if dtype is None:
        integral = isinstance(start, int) and isinstance(end, int) and isinstance(step, int)
        d = dtypes.int64 if integral else dtypes.get_default_dtype()
    else:
        d = dtypes.as_dtype(dtype)
    if d is dtypes.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    target = as_device(device)
    length = _arange_length(start, end, step, d)
    if not d.is_floating_point:  # integer types step in int64, from the truncated arguments
        values = int(start) + int(step) * np.arange(length, dtype=np.int64)
    elif d.itemsize == 2:  # half types accumulate in float32
        values = np.float32(start) + np.float32(step) * np.arange(length, dtype=np.float32)
    else:
        values = float(start) + float(step) * np.arange(length, dtype=np.float64)
    return new_tensor(on_device(values.astype(d.numpy_dtype), target), requires_grad)


def _range_end(value, fname: str, argname: str, position: int):
    """``start``/``end`` of linspace/logspace: a number, or a 0-d tensor."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"{fname} only supports 0-dimensional start and end tensors, "
                           f"but got {argname} with {value.ndim} dimension(s).")
    return number_arg(value, fname, argname, position)


def _evenly_spaced(start, end, steps: int, d: dtypes.dtype) -> np.ndarray:
    """torch's linspace values: the first half counted up from ``start``, the rest down from ``end``.

    Counting from both ends makes both endpoints exact. Floats are computed in their
    own precision, rounding after every operation as torch's kernel does (NumPy's float16
    and ml_dtypes' bfloat16 round the same way); integer types truncate ``start`` and
    ``end`` first and step in float64.
    """
    if d.is_floating_point:
        acc = d.numpy_dtype.type
        first, last = acc(start), acc(end)
    else:
        acc = np.float64
        first, last = acc(int(checked_scalar(start, d))), acc(int(checked_scalar(end, d)))
    step = (last - first) / acc(steps - 1)
    counted = np.arange(steps)
    up = first + step * counted.astype(acc)
    down = last - step * counted[::-1].astype(acc)  # steps - 1 - i steps back from the end
    return np.where(counted < steps // 2, up, down)


def _spaced_args(fname, start, end, steps, dtype):
    start = _range_end(start, fname, "start", 1)
    end = _range_end(end, fname, "end", 2)
    steps = int_arg(steps, fname, "steps", 3)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = dtype_or_default(dtype)
    if d is dtypes.bool:
        raise NotImplementedError(f"\"{fname}_cpu\" not implemented for 'Bool'")
    return start, end, steps, d


def _to_dtype(values: np.ndarray, d: dtypes.dtype) -> np.ndarray:
    """Computed values -> dtype ``d``; integer types truncate toward zero."""
    with np.errstate(invalid="ignore", over="ignore"):
        if not d.is_floating_point:
            values = np.trunc(values)
        return values.astype(d.numpy_dtype)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    start, end, steps, d = _spaced_args("linspace", start, end, steps, dtype)
    target = as_device(device)
    if steps <= 1:
        array = np.full(steps, checked_scalar(start, d), d.numpy_dtype)
    else:
        array = _to_dtype(_evenly_spaced(start, end, steps, d), d)
    return new_tensor(on_device(array, target), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``: evenly spaced on a log scale."""
    start, end, steps, d = _spaced_args("logspace", start, end, steps, dtype)
    base = float(number_arg(base, "logspace", "base", 4))
    target = as_device(device)
    with np.errstate(all="ignore"):
        if steps <= 1:
            values = np.full(steps, base ** float(start) if steps else 0.0)
        else:
            if d.itemsize == 2:  # half types: the ends are rounded to the dtype, the rest runs in float32
                start, end = float(checked_scalar(start, d)), float(checked_scalar(end, d))
                exponents = _evenly_spaced(start, end, steps, dtypes.float32)
            else:
                exponents = _evenly_spaced(start, end, steps, d)
            values = np.power(exponents.dtype.type(base), exponents)
    return new_tensor(on_device(_to_dtype(values, d), target), requires_grad)


# ---------------------------------------------------------------------- *_like
def _like_input(input, fname: str) -> Tensor:  # noqa: A002 - torch's name
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {type_name(input)}")
    return input


def empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    """Uninitialised memory with ``input``'s shape, dtype, device and memory order."""
    input = _like_input(input, "empty_like")  # noqa: A001
    d = input.dtype if dtype is None else dtypes.as_dtype(dtype)
    return set_requires_grad(_wrap(_like_array(input, device, d)), requires_grad)


def _filled_like(input, value, dtype, device, requires_grad) -> Tensor:  # noqa: A002
    d = input.dtype if dtype is None else dtypes.as_dtype(dtype)
    array = _like_array(input, device, d)
    array.fill(value if value.__class__ is int and value in (0, 1) else checked_scalar(value, d))
    return set_requires_grad(_wrap(array), requires_grad)


def _like_array(input, device, d):  # noqa: A002
    """Uninitialised memory of dtype ``d`` shaped and laid out like ``input`` — on ``input``'s device unless
    ``device=`` names another (then it is made there directly, in the same memory order)."""
    data = input._data
    target = input.device if device is None else as_device(device)
    xp = _module_on(target, d)
    if target is input.device:
        return empty_like_array(data, d.numpy_dtype)
    return empty_strided(data.shape, preserve_format_strides(data.shape, element_strides(data)), d.numpy_dtype, xp)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    """A tensor like ``input`` (shape, dtype, memory order) filled with ``fill_value``.

    The dtype is ``input``'s, not the fill value's: ``full_like(int_tensor, 2.7)`` holds 2s.
    """
    input = _like_input(input, "full_like")  # noqa: A001
    value = number_arg(fill_value, "full_like", "fill_value", 2)
    return _filled_like(input, value, dtype, device, requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    """Zeros with ``input``'s shape, dtype, device and memory order."""
    return _filled_like(_like_input(input, "zeros_like"), 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    """Ones with ``input``'s shape, dtype, device and memory order."""
    return _filled_like(_like_input(input, "ones_like"), 1, dtype, device, requires_grad)
