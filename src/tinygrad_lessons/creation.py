"""Creating tensors: from Python data, from NumPy, and filled with a constant.

``tensor`` *copies* its data and infers a dtype the way torch does; ``from_numpy``
*shares* memory with the array it is given; ``zeros``/``ones``/``full``/``empty``
take sizes either as separate arguments or as one tuple.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes
from .device import as_device
from .tensor import Tensor, _wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty"]


# ---------------------------------------------------------------------- dtype inference
def infer_dtype(data) -> dtypes.dtype:
    """torch's rule for nested Python data: any float -> default float, any int -> int64, else bool."""
    seen_float = seen_int = False
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            d = item.dtype
            seen_float |= d.is_floating_point
            seen_int |= d is not dtypes.bool and not d.is_floating_point
        elif isinstance(item, np.ndarray):
            d = dtypes.from_numpy_dtype(item.dtype)
            seen_float |= d.is_floating_point
            seen_int |= d is not dtypes.bool and not d.is_floating_point
        elif isinstance(item, (bool, np.bool_)):
            pass
        elif isinstance(item, numbers.Integral):
            seen_int = True
        elif isinstance(item, numbers.Real):
            seen_float = True
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            raise TypeError(f"Could not infer dtype of {type(item).__name__}")
    if seen_float:
        return dtypes.get_default_dtype()
    if seen_int:
        return dtypes.int64
    return dtypes.bool


def _nested_to_array(data, np_dtype) -> np.ndarray:
    """Nested sequences -> an ndarray, with torch's errors for ragged or non-numeric data."""
    shape = []
    probe = data
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    _check_shape(data, shape, 0)
    values = np.array(_flatten_scalars(data), dtype=np.float64 if np_dtype.kind == "V" else None)
    try:
        out = values.astype(np_dtype) if values.size else np.empty(0, np_dtype)
    except OverflowError:
        out = values.astype(np.int64).astype(np_dtype)
    return out.reshape(shape)


def _check_shape(data, shape, depth):
    if depth == len(shape):
        if isinstance(data, (list, tuple)):
            raise ValueError(f"expected sequence of length {0} at dim {depth} (got {len(data)})")
        return
    if not isinstance(data, (list, tuple)):
        raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got {type(data).__name__})")
    if len(data) != shape[depth]:
        raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got {len(data)})")
    for item in data:
        _check_shape(item, shape, depth + 1)


def _flatten_scalars(data):
    out = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, Tensor):
            out.append(item.item())
        else:
            out.append(item)
    return out


def _requires_grad(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        if not (t.dtype.is_floating_point):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


# ---------------------------------------------------------------------- from data
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a *copy* of ``data`` (Python numbers, nested lists, NumPy arrays)."""
    as_device(device)
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif isinstance(data, np.ndarray):
        dtypes.from_numpy_dtype(data.dtype)
        array = np.array(data)
    elif isinstance(data, np.generic):
        array = np.array(data)
    else:
        inferred = infer_dtype(data)
        target = dtypes.as_dtype(dtype) if dtype is not None else inferred
        array = _nested_to_array(data, target.numpy_dtype)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype).numpy_dtype, copy=False)
    return _requires_grad(_wrap(array), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory when it can (a NumPy array or tensor of the right dtype)."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.as_dtype(dtype).numpy_dtype == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that *shares* memory with ``array``: writes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    if any(s < 0 for s in array.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative strides "
            "are not currently supported. (You can probably work around this by making a copy of your array "
            " with array.copy().) "
        )
    if any(s % array.itemsize for s in array.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    if not array.flags.writeable:
        import warnings

        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable tensors.",
                      UserWarning, stacklevel=2)
    return _wrap(array)


# ---------------------------------------------------------------------- filled tensors
def _size_args(size) -> tuple:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) and not hasattr(s, "__index__"):
            raise TypeError(f"size must be tuple of ints, but got {type(s).__name__}")
        s = s.__index__()
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(s)
    return tuple(out)


def _dtype_or_default(dtype) -> dtypes.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    """A tensor of zeros; ``dtype`` defaults to the default float dtype."""
    as_device(device)
    return _requires_grad(_wrap(np.zeros(_size_args(size), _dtype_or_default(dtype).numpy_dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    """A tensor of ones; ``dtype`` defaults to the default float dtype."""
    as_device(device)
    return _requires_grad(_wrap(np.ones(_size_args(size), _dtype_or_default(dtype).numpy_dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, memory_format=None) -> Tensor:
    """A tensor whose values are whatever was in memory: fast, but read nothing before writing."""
    as_device(device)
    return _requires_grad(_wrap(np.empty(_size_args(size), _dtype_or_default(dtype).numpy_dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype is inferred from the value, as in torch."""
    as_device(device)
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = dtypes._scalar_dtype(fill_value)
    d = dtypes.as_dtype(dtype)
    return _requires_grad(_wrap(np.full(_size_args((size,)), fill_value, d.numpy_dtype)), requires_grad)
