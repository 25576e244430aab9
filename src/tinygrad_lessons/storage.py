"""Storage: the flat block of memory that tensors (and their views) look into.

A tensor is a *window* onto a storage: a shape, a stride per dimension (how many
elements to skip to move one step along it) and a storage offset. Views such as
``t.T`` or ``t[1:]`` make a new window onto the same storage, which is why writing
through a view changes its base.

Here a storage is a 1-D, contiguous NumPy array, and a window is a NumPy array
built on top of it with explicit strides, so NumPy does the element arithmetic
and Python keeps the bookkeeping torch does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["UntypedStorage", "storage_of", "strided_view", "data_ptr", "contiguous_strides"]


def data_ptr(array) -> int:
    """Address of an array's first element (what ``Tensor.data_ptr()`` reports)."""
    return array.__array_interface__["data"][0]


def contiguous_strides(shape) -> tuple:
    """Row-major strides in elements: the last dimension moves fastest.

    ``contiguous_strides((2, 3, 4)) == (12, 4, 1)``; torch gives size-0 and size-1
    dimensions a stride as if their size were at least 1.
    """
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def storage_of(array: np.ndarray) -> np.ndarray:
    """The 1-D storage behind a freshly made array whose memory it owns or spans.

    Arrays made by NumPy (a copy, a ufunc's result) are dense in *some* order; their
    storage is that block read in memory order. Arrays handed in from outside
    (``from_numpy``) may have gaps; their storage then spans first to last element.
    """
    if array.size == 0:  # an empty storage at the array's own address: storage_offset() is 0
        return np.lib.stride_tricks.as_strided(array, shape=(0,), strides=(array.itemsize,))
    if array.flags.c_contiguous:
        return array.reshape(-1)
    if any(s < 0 for s in array.strides):
        raise ValueError("arrays with negative strides have no storage: copy them first")
    span = sum((n - 1) * s for n, s in zip(array.shape, array.strides)) // array.itemsize + 1
    return np.lib.stride_tricks.as_strided(array, shape=(span,), strides=(array.itemsize,))


def strided_view(storage: np.ndarray, shape, strides, offset: int) -> np.ndarray:
    """A window onto ``storage``: ``shape``, ``strides`` and ``offset`` in elements."""
    itemsize = storage.itemsize
    return np.ndarray(
        shape, storage.dtype, buffer=storage, offset=offset * itemsize,
        strides=tuple(s * itemsize for s in strides),
    )


class UntypedStorage:
    """The raw bytes behind a tensor, as ``tensor.untyped_storage()`` shows them.

    Two tensors share memory exactly when their storages have the same ``data_ptr()``.
    """

    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array

    def data_ptr(self) -> int:
        return data_ptr(self._array)

    def nbytes(self) -> int:
        return self._array.nbytes

    def size(self) -> int:
        return self._array.nbytes

    def __len__(self):
        return self._array.nbytes

    def __repr__(self):
        return f"tl.UntypedStorage(nbytes={self.nbytes()}, data_ptr={self.data_ptr():#x})"
