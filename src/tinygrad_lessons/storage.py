"""Storage: the flat block of memory that tensors (and their views) look into.

A tensor is a *window* onto a storage: a shape, a stride per dimension (how many
elements to skip to move one step along it) and a storage offset. Views such as
``t.T`` or ``t[1:]`` make a new window onto the same storage, which is why writing
through a view changes its base.

Here a storage is a 1-D, contiguous array (NumPy on the CPU, CuPy on a GPU), and a
window is an array of the same kind built on top of it with explicit strides, so the
array library does the element arithmetic and Python keeps the bookkeeping torch does.
"""

from __future__ import annotations

import numpy as np

from .backend import c_contiguous

__all__ = ["UntypedStorage", "storage_of", "strided_view", "data_ptr", "contiguous_strides"]


def data_ptr(array) -> int:
    """Address of an array's first element (what ``Tensor.data_ptr()`` reports): host or GPU memory."""
    if isinstance(array, np.ndarray):
        return array.__array_interface__["data"][0]
    return array.data.ptr  # a CuPy array: a device pointer


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
        return _span(array, 0)
    if c_contiguous(array):
        return array.reshape(-1)
    if any(s < 0 for s in array.strides):
        raise ValueError("arrays with negative strides have no storage: copy them first")
    span = sum((n - 1) * s for n, s in zip(array.shape, array.strides)) // array.itemsize + 1
    return _span(array, span)


def _span(array, length: int):
    """``length`` consecutive elements starting at ``array``'s first one (which may have gaps)."""
    if isinstance(array, np.ndarray):
        return np.lib.stride_tricks.as_strided(array, shape=(length,), strides=(array.itemsize,), subok=True)
    return array.__class__((length,), array.dtype, memptr=array.data, strides=(array.itemsize,))


def strided_view(storage, shape, strides, offset: int):
    """A window onto ``storage``: ``shape``, ``strides`` and ``offset`` in elements.

    ``storage`` may be any array whose memory the window stays inside (a tensor's
    1-D storage, or an array starting where the storage would).
    """
    itemsize = storage.itemsize
    byte_strides = tuple(s * itemsize for s in strides)
    if isinstance(storage, np.ndarray):  # NumPy, or the simulated GPU's NumPy subclass
        return storage.__class__(shape, storage.dtype, buffer=storage, offset=offset * itemsize,
                                 strides=byte_strides)
    # CuPy: the same constructor, with a device pointer instead of a buffer
    return storage.__class__(shape, storage.dtype, memptr=storage.data + offset * itemsize, strides=byte_strides)


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
