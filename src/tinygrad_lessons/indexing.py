"""Indexing: reading and writing parts of a tensor.

``t[index]`` comes in two flavours, as in NumPy and PyTorch:

* **Basic indexing** (ints, slices, ``None``, ``...``) picks a regular grid of
  elements, so the result is a *view*: a new shape, strides and storage offset
  onto the same memory. ``t[0]`` drops a dimension, ``t[1:5:2]`` doubles a
  stride, ``t[:, None]`` inserts a size-1 dimension. Nothing is copied, and
  writing into the view writes into ``t``.
* **Advanced indexing** (integer tensors or lists, boolean masks) picks any set
  of elements, which no single stride can describe, so the result is a *copy*.
  Index tensors are broadcast together and their shape replaces the dimensions
  they index: where they were if they sit next to each other, at the front if
  something separates them (``t[[0, 1], :, [0, 1]]``). A mask ``m`` stands for
  the integer tensors ``m.nonzero(as_tuple=True)`` would give.

``t[index] = value`` follows the same two paths: a view is written like
``view.copy_(value)`` (``value`` is broadcast and cast to ``t``'s dtype);
advanced indices like ``t.index_put_(indices, value)``.

The functions below share the idea of choosing elements by position or by a
mask: ``where``, ``gather``/``scatter`` (read/write along one dimension at the
positions an index tensor gives), ``masked_fill``, ``masked_select``,
``nonzero``, ``index_select`` and ``take``.

Gradients (chapter 4): reading elements sends the gradient back to where they were
read from. A view's backward writes it into zeros at the viewed place; an advanced
index *adds* it there (``IndexPutAccumulate``, ``np.add.at``), so an element read
twice gets both gradients — the same for ``gather``, ``index_select``, ``take`` and
``masked_select``. ``where``/``masked_fill`` send each element's gradient to the source
it came from; ``scatter``'s overwritten values get none. Writes (``t[i] = v``,
``masked_fill_``, ``scatter_``, ``scatter_add_``) on a tensor autograd watches are
recorded as nodes too, under torch's rules for in-place ops (``_records_inplace``).

**Devices.** Everything here runs on the array module of the indexed tensor (NumPy or
CuPy). As in torch, ``gpu_tensor[cpu_index]`` is allowed (the index is copied to the GPU,
masks too), ``cpu_tensor[gpu_index]`` is not, and the other functions want all their
tensors on one device. CuPy's ``ufunc.at`` only adds floating point numbers, so integer
``scatter_add`` and every ``scatter(reduce='multiply')`` sort the writes by position and
combine them with plain indexing (``_combine_at``), on either device.

We read the index ourselves instead of handing it to NumPy because torch differs
from NumPy in details a learner can see: the stride of a dimension added by
``None``, negative steps (refused: torch strides are never negative), its error
messages, and the memory layout of a copy (torch lays a new result out in the
memory order of its inputs, see ``layout.iterator_strides``).
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from . import dtypes
from .backend import array_module, c_contiguous, device_of, to_device
from .creation import tensor as _tensor_from_data
from .function import Function, device_mismatch_error
from .grad_mode import STATE
from .layout import (
    assert_no_internal_overlap,
    assert_no_overlap,
    assert_no_partial_overlap,
    copy_with_strides,
    element_strides,
    empty_strided,
    has_internal_overlap,
    iterator_strides,
    operand_layout,
    preserve_format_strides,
)
from .shape_ops import _view_strides
from .size import infer_size
from .storage import contiguous_strides, data_ptr
from .tensor import _TYPE_NAMES, Tensor, _wrap, _wrap_dim

__all__ = ["where", "gather", "scatter", "scatter_add", "masked_fill", "masked_select", "nonzero",
           "index_select", "take"]

_ALL = slice(None)

_EXPAND_TYPE_NAMES = {dtypes.bool: "CPUBoolType", dtypes.bfloat16: "CPUBFloat16Type"}  # no legacy tensor type
_INDEX_DTYPES = (dtypes.int64, dtypes.int32)

_ZERO_DIM_INDEX = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                   "to convert a 0-dim tensor to a number")
_BAD_INDEX_TYPE = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                   "indices (got {})")
_BAD_INDEX_TENSOR = "tensors used as indices must be long, int, byte or bool tensors"


def _type_name(value) -> str:
    """``'str'``, ``'numpy.ndarray'``: a Python type's name as torch's messages print it."""
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _is_number(value) -> bool:
    return isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_))


def _require_tensor(fname, argname, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' must be Tensor, not {_type_name(value)}")


# ---------------------------------------------------------------------- Python numbers into a dtype
_INT_RANGE = {d: (int(np.iinfo(d.numpy_dtype).min), int(np.iinfo(d.numpy_dtype).max))
              for d in (dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)}
_FLOAT_MAX = {d: dtypes.finfo(d).max for d in dtypes.FLOAT_DTYPES}


def _scalar_as(value, dtype, check_half=True):
    """``value`` (a Python number) as a NumPy scalar of ``dtype``, refusing values that overflow it.

    torch refuses to store 300 in a uint8 tensor or 1e300 in a float32 one ("value
    cannot be converted to type uint8_t without overflow"), but lets -1 wrap around
    to 255 in uint8 as C does. Half types are checked only where torch checks them
    (``check_half``); elsewhere 1e300 becomes inf.
    """
    if isinstance(value, Tensor):
        value = value.item()
    dtypes.check_python_int(value)  # before anything else, bool targets included
    if dtype is dtypes.bool:
        return np.bool_(bool(value))  # any non-zero number is True
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        value = int(value)  # (2**63 and up, torch's uint64 numbers, fit float types only)
        if not dtype.is_floating_point:
            low, high = _INT_RANGE[dtype]
            if not (-high if low == 0 else low) <= value <= high:
                raise _overflow(dtype)
        elif abs(value) > _FLOAT_MAX[dtype]:  # only half types are this small: 2**16 already overflows them
            if check_half:
                raise _overflow(dtype)
            with np.errstate(over="ignore"):
                return np.array(float(value)).astype(dtype.numpy_dtype)[()]
    else:
        value = float(value)
        if not dtype.is_floating_point:
            low, high = _INT_RANGE[dtype]
            if not low <= value <= high:  # also catches nan and inf
                raise _overflow(dtype)
        elif math.isfinite(value) and abs(value) > _FLOAT_MAX[dtype]:
            if dtype is dtypes.float32 or (check_half and dtype.itemsize == 2):
                raise _overflow(dtype)
            with np.errstate(over="ignore"):
                return np.array(value).astype(dtype.numpy_dtype)[()]
    return np.array(value).astype(dtype.numpy_dtype)[()]


def _overflow(dtype) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {dtypes.CPP_SCALAR_NAMES[dtype]} without overflow")


# ---------------------------------------------------------------------- memory layout of new tensors
def _in_layout(values: np.ndarray, strides) -> np.ndarray:
    """``values`` (a fresh array) laid out with ``strides``: copied only if its own strides differ.

    ``strides`` None means row-major (``layout.iterator_strides``' answer).
    """
    if strides is None:
        strides = contiguous_strides(values.shape)
    if element_strides(values) == tuple(strides):
        return values
    return copy_with_strides(values, strides)


def _contiguous(values: np.ndarray) -> np.ndarray:
    """``values`` (a fresh array) with torch's row-major strides, even where NumPy's differ (empty arrays)."""
    return _in_layout(values, contiguous_strides(values.shape))


def _broadcast_shapes(*shapes) -> tuple:
    """The shape operands broadcast to, joined left to right as torch's TensorIterator joins them."""
    result = tuple(shapes[0])
    for shape in shapes[1:]:
        result = infer_size(result, tuple(shape))
    return result


def _bad_value(array, low, high):
    """The first element of ``array`` outside ``[low, high)``, or None."""
    if array.size == 0:
        return None
    xp = array_module(array)
    if xp is np:
        if array.min() >= low and array.max() < high:
            return None
    else:  # on a GPU, both ends in one read: each read waits for all the work queued before it
        smallest, largest = xp.stack((array.min(), array.max())).tolist()
        if smallest >= low and largest < high:
            return None
    flat = array.reshape(-1)
    return int(flat[array_module(flat).flatnonzero((flat < low) | (flat >= high))[0]])


# ---------------------------------------------------------------------- reading an index
def _index_items(index) -> tuple:
    """The index as a tuple of items: ``t[a, b]`` gives ``(a, b)``, ``t[a]`` gives ``(a,)``.

    A list holding lists, slices, tensors, ``None`` or ``...`` is still read as a
    tuple (an old NumPy rule that torch keeps, with a deprecation warning).
    """
    if index.__class__ is tuple:
        return index
    if index.__class__ is list and len(index) < 32 and any(
        isinstance(item, (list, tuple, np.ndarray, Tensor, slice)) or item is None or item is Ellipsis
        for item in index
    ):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use x[tuple(seq)] "
                      "instead of x[seq].", UserWarning, stacklevel=3)
        return tuple(index)
    return (index,)


def _sequence_index(seq) -> np.ndarray:
    """A list (or NumPy array) used as an index: a boolean mask if it holds only bools, else int64.

    Made in CPU memory, as torch makes it; ``_parse_index`` copies it to the indexed tensor's device.
    """
    if isinstance(seq, np.ndarray):
        array = seq
    elif len(seq) == 0:
        return np.zeros(0, np.int64)
    else:
        array = _tensor_from_data(seq, device="cpu")._data
    if array.dtype == np.bool_:
        return array
    if array.dtype == np.uint8:
        return _uint8_mask(array)
    try:
        return array.astype(np.int64)
    except (TypeError, ValueError):
        raise IndexError(_BAD_INDEX_TENSOR) from None


def _uint8_mask(array) -> np.ndarray:
    warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
                  UserWarning, stacklevel=5)
    return array.astype(np.bool_)


def _convert_item(item):
    """One index item as the parser reads it: int, slice, None, Ellipsis, bool, or a NumPy array."""
    cls = item.__class__
    if cls is int or cls is slice or cls is bool or item is None or item is Ellipsis:
        return item
    if cls is Tensor:
        data, d = item._data, item.dtype
        if d is dtypes.bool or d is dtypes.uint8:
            if data.ndim == 0:
                return bool(data)
            return data if d is dtypes.bool else _uint8_mask(data)
        if not d.is_floating_point and data.ndim == 0:
            return int(data)
        if d is dtypes.int64 or d is dtypes.int32:
            return data
        raise IndexError(_BAD_INDEX_TENSOR)
    if isinstance(item, (list, tuple, np.ndarray)):
        return _sequence_index(item)
    if isinstance(item, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
        return int(item)
    raise IndexError(_BAD_INDEX_TYPE.format(_type_name(item)))


def _check_slice(item: slice) -> None:
    step = item.step
    if step is not None:
        step = operator.index(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")


def _parse_index(x, items):
    """Split a torch index into a NumPy basic index (for the view of array ``x``) and the advanced indices.

    Returns ``(view_index, advanced)``. ``view_index`` is a tuple of ints, slices and
    ``None`` that NumPy's basic indexing understands (``...`` already expanded);
    ``advanced`` lists ``(dim, array)`` pairs: an int64/int32 array or a boolean mask
    indexing dimension ``dim`` *of the view*, on ``x``'s device. A Python bool adds a size-1
    dimension, indexed by ``[0]`` (True) or ``[]`` (False), as torch does.
    """
    shape = x.shape
    items = [_convert_item(item) for item in items]
    ndim = len(shape)
    specified = 0  # dimensions of the tensor the items consume
    for item in items:
        cls = item.__class__
        if cls is int or cls is slice:
            specified += 1
        elif item is not None and item is not Ellipsis and cls is not bool:  # an index array
            specified += item.ndim if item.dtype == np.bool_ else 1
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    view_index = []
    advanced = []
    dim = 0  # dimension of the view the next item applies to
    src = 0  # dimension of the tensor the next item applies to
    view_ndim = ndim  # dimensions of the view so far
    for position, item in enumerate(items):
        cls = item.__class__
        if item is None:
            if dim > view_ndim:  # only after several Ellipses
                raise IndexError(f"Dimension out of range (expected to be in range of [{-view_ndim - 1}, "
                                 f"{view_ndim}], but got {dim})")
            view_index.append(None)
            dim += 1
            view_ndim += 1
        elif item is Ellipsis:  # the dimensions no other item names (torch allows several Ellipses)
            skip = ndim - specified
            view_index.extend([_ALL] * max(0, min(skip, ndim - src)))
            dim += skip
            src += skip
        elif cls is bool:
            view_index.append(None)
            advanced.append((dim, array_module(x).zeros(int(item), np.int64)))
            dim += 1
            view_ndim += 1
        elif src >= ndim:
            raise IndexError(f"too many indices for tensor of dimension {ndim}")
        elif cls is int:
            size = shape[src]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {position} with size {size}")
            view_index.append(item)
            src += 1
            view_ndim -= 1
        elif cls is slice:
            _check_slice(item)
            view_index.append(item)
            dim += 1
            src += 1
        else:  # an index array: one dimension, or a mask's ndim dimensions
            width = item.ndim if item.dtype == np.bool_ else 1
            view_index.extend([_ALL] * width)
            advanced.append((dim, _index_on_device_of(x, item)))
            dim += width
            src += width
    return tuple(view_index), advanced


def _index_on_device_of(x, array):
    """An index array on the device of ``x``: torch copies CPU indices (and masks) to a GPU tensor's device,
    but refuses GPU indices for a CPU tensor."""
    xp = array_module(x)
    if array_module(array) is xp:
        return array
    if xp is np:
        raise RuntimeError("indices should be either on cpu or on the same device as the indexed tensor (cpu)")
    return to_device(array, device_of(x))


def _changes_view(view_index) -> bool:
    return any(item.__class__ is not slice or item != _ALL for item in view_index)


def _integer_indices(shape, advanced) -> tuple:
    """One entry per dimension of the view: None, or the integer array indexing it (masks -> nonzero)."""
    per_dim = [None] * len(shape)
    for dim, array in advanced:
        if array.dtype == np.bool_:
            for j, n in enumerate(array.shape):
                if dim + j >= len(shape) or n != shape[dim + j]:
                    raise IndexError(f"The shape of the mask {list(array.shape)} at index {j} does not match the "
                                     f"shape of the indexed tensor {list(shape)} at index {dim + j}")
            for j, positions in enumerate(array_module(array).nonzero(array)):
                per_dim[dim + j] = positions
        else:
            per_dim[dim] = array
    return tuple(per_dim)


def _broadcast_indices(arrays) -> tuple:
    if len(arrays) == 1:
        return arrays[0].shape
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(str(list(a.shape)) for a in arrays)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}"
                         ) from None


def _check_index_bounds(x_shape, indices, index_shape, result_size) -> None:
    """torch's errors for out-of-range integer indices (checked only when something is read or written)."""
    sizes = [x_shape[d] for d, a in enumerate(indices) if a is not None]
    if 0 in sizes and 0 not in index_shape:
        raise IndexError("index is out of bounds for dimension with size 0")
    if result_size == 0:
        return
    for j, (size, array) in enumerate(zip(sizes, (a for a in indices if a is not None))):
        bad = _bad_value(array, -size, size)
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for dimension {j} with size {size}")


def _advanced_shape(x_shape, indices, index_shape) -> tuple:
    """The shape of ``x[indices]``: ``index_shape`` where the indexed dims were (at the front if not adjacent)."""
    positions = [d for d, a in enumerate(indices) if a is not None]
    first, last = positions[0], positions[-1]
    if last - first + 1 == len(positions):
        return tuple(x_shape[:first]) + tuple(index_shape) + tuple(x_shape[last + 1:])
    return tuple(index_shape) + tuple(n for n, a in zip(x_shape, indices) if a is None)


def _advanced_layout(x, indices, index_shape):
    """Shape and torch's strides of ``x[indices]`` (``indices``: None or an int array per dimension).

    This retraces torch's ``index``: index arrays are broadcast (``expand``), the
    indexed dimensions are moved to the front unless they are adjacent, the indexed
    dimensions of ``x`` are replaced by ``index_shape``, and a TensorIterator over
    ``x`` and the index arrays decides the memory order of the result.
    """
    shape = _advanced_shape(x.shape, indices, index_shape)
    positions = [d for d, a in enumerate(indices) if a is not None]
    adjacent = positions[-1] - positions[0] + 1 == len(positions)
    if adjacent and 1 not in shape and c_contiguous(x) and all(
        indices[d].shape == index_shape and (indices[d].ndim == 1 or c_contiguous(indices[d])) for d in positions
    ):
        return shape, contiguous_strides(shape)  # the common case: row-major in, row-major out
    x_shape, x_strides = x.shape, element_strides(x)
    index_ops = []
    for d in positions:
        array = indices[d]
        strides = element_strides(array)
        if array.shape != index_shape:
            strides = _expand_strides(array.shape, strides, index_shape)
        if array.dtype == np.int32:  # torch converts int32 indices with .to(torch.long)
            strides = preserve_format_strides(index_shape, strides)
        index_ops.append(strides)
    if not adjacent:  # the indexed dims move to the front
        order = positions + [d for d in range(len(x_shape)) if indices[d] is None]
        x_shape = tuple(x_shape[d] for d in order)
        x_strides = tuple(x_strides[d] for d in order)
        positions = list(range(len(positions)))
    before, after = positions[0], len(x_shape) - positions[-1] - 1
    x_op = x_strides[:before] + (0,) * len(index_shape) + x_strides[positions[-1] + 1:]
    op_shape = (1,) * before + tuple(index_shape) + (1,) * after
    operands = [(shape, x_op)] + [(op_shape, _view_strides(index_shape, st, op_shape)) for st in index_ops]
    return shape, iterator_strides(shape, operands) or contiguous_strides(shape)


def _expand_strides(shape, strides, target) -> list:
    """The strides of ``t.expand(target)``: 0 along repeated dimensions (torch's rule for new ones)."""
    ndim = len(target)
    offset = ndim - len(shape)
    out = [0] * ndim
    for i in range(ndim - 1, -1, -1):
        d = i - offset
        if d >= 0:
            size, stride = shape[d], strides[d]
        else:
            size, stride = 1, (target[i + 1] * out[i + 1] if i + 1 < ndim else 1)
        out[i] = 0 if size != target[i] else stride
    return out


def _numpy_index(indices) -> tuple:
    return tuple(_ALL if a is None else a for a in indices)


# ---------------------------------------------------------------------- t[index]
class BasicIndex(Function):
    """``t[ints, slices, None]``: a view onto the same memory, with torch's strides and offset.

    Backward: zeros of the input's shape with the gradient written where the view looks
    (``BasicIndexBackward``). torch builds this view one op at a time (``select`` for an
    int, ``slice`` for a slice, ``unsqueeze`` for ``None``) and its node is named after the
    last of them: ``x[0]`` SelectBackward0, ``x[0, 1:]`` SliceBackward0, ``x[None]``
    UnsqueezeBackward0, ``x[...]`` AliasBackward0 (see ``name``). ``single`` is True for
    ``t[slice]`` alone, where torch keeps even a full slice (``x[:]`` is SliceBackward0).
    """

    returns_view = True

    @staticmethod
    def forward(ctx, x, index, single):
        ctx.input_shape, ctx.index, ctx.single = x.shape, index, single
        return _basic_view(x, index)

    @staticmethod
    def backward(ctx, grad):
        return BasicIndexBackward.apply(grad, ctx.input_shape, ctx.index), None, None

    def name(self) -> str:
        return _view_node_name(self.input_shape, self.index, self.single)


def _view_node_name(shape, index, single=False) -> str:
    """torch's node for ``x[index]``: the last view op it applies (full slices in a tuple apply none)."""
    name = "AliasBackward0"
    src = 0
    for item in index:
        if item is None:
            name = "UnsqueezeBackward0"
            continue
        if item.__class__ is not slice:
            name = "SelectBackward0"
        elif single or not (item.start in (None, 0) and item.step in (None, 1)
                            and (item.stop is None or operator.index(item.stop) >= shape[src])):
            name = "SliceBackward0"
        src += 1
    return name


class BasicIndexBackward(Function):
    """The gradient of ``x[index]``: zeros of ``x``'s shape, ``grad`` written at ``index``.

    A Function of its own so that it is differentiable too: its backward indexes again
    (torch's SelectBackwardBackward0, SliceBackwardBackward0...).
    """

    @staticmethod
    def forward(ctx, grad, shape, index):
        ctx.index, ctx.shape = index, shape
        out = array_module(grad).zeros(shape, grad.dtype)
        out[index] = grad  # NumPy picks the same elements (the strides of None dims don't matter here)
        return out

    @staticmethod
    def backward(ctx, grad):
        return BasicIndex.apply(grad, ctx.index, False), None, None

    def name(self) -> str:
        top = _view_node_name(self.shape, self.index)
        return "SqueezeBackward1" if top == "UnsqueezeBackward0" else top.replace("Backward0", "BackwardBackward0")


def _basic_view(x, index):
    """``x[index]`` (ints, slices, None) as a view of array ``x`` with torch's strides and offset."""
    if None not in index:
        view = x[index + (Ellipsis,)]  # the Ellipsis keeps x[0, 0] a 0-d view rather than a NumPy scalar
        if view.size:  # NumPy agrees with torch, except for empty slices (it resets their start and step)
            return view
    shape, strides, offset = _view_geometry(x, index)
    if not isinstance(x, np.ndarray):  # CuPy: the same memory, from a device pointer moved by the offset
        return x.__class__(tuple(shape), x.dtype, memptr=x.data + offset, strides=tuple(strides))
    if x.flags.c_contiguous and 0 not in shape:  # x's memory is a block NumPy takes as a buffer: the fast way
        return x.__class__(shape, x.dtype, buffer=x, offset=offset, strides=strides)
    return _window(x, shape, strides, offset)


def _view_geometry(x, index):
    """Shape, strides and offset (in bytes, from ``x``'s first element) of ``x[index]``, as torch computes them.

    torch applies the items left to right: an int moves the start and drops the
    dimension, a slice moves the start and multiplies the stride by its step, and
    ``None`` inserts a size-1 dimension whose stride is ``size * stride`` of the
    dimension it is placed before (1 element at the end), where NumPy would use 0.
    """
    shape, strides = [], []
    offset = 0
    src = 0  # the next dimension of x
    for item in index:
        if item is None:
            shape.append(1)
            strides.append(x.shape[src] * x.strides[src] if src < x.ndim else x.itemsize)
            continue
        size, stride = x.shape[src], x.strides[src]
        if item.__class__ is slice:
            start, stop, step = item.indices(size)
            offset += start * stride
            shape.append(max(0, -(-(stop - start) // step)))
            strides.append(stride * step)
        else:
            offset += (item + size if item < 0 else item) * stride
        src += 1
    return shape + list(x.shape[src:]), strides + list(x.strides[src:]), offset


class _Memory:
    """Holds an ``__array_interface__``: how NumPy can be shown any window onto existing memory."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def _window(x, shape, strides, offset):
    """A NumPy view of ``x``'s memory with this shape, strides and offset (all in bytes), of ``x``'s array type."""
    interface = dict(x.__array_interface__)
    interface["data"] = (interface["data"][0] + offset, interface["data"][1])
    interface["shape"] = tuple(shape)
    interface["strides"] = tuple(strides)
    interface.pop("descr", None)
    view = np.asarray(_Memory(interface, x)).view(x.dtype)
    return view if x.__class__ is np.ndarray else view.view(x.__class__)  # (the simulated GPU's arrays)


class AdvancedIndex(Function):
    """``t[index_arrays]``: a copy, laid out in memory the way torch lays it out."""

    node_name = "IndexBackward0"  # torch's name for this node

    @staticmethod
    def forward(ctx, x, indices):
        ctx.input_shape, ctx.indices = x.shape, indices
        arrays = [a for a in indices if a is not None]
        index_shape = _broadcast_indices(arrays)
        shape, strides = _advanced_layout(x, indices, index_shape)
        size = math.prod(shape)
        _check_index_bounds(x.shape, indices, index_shape, size)
        if size == 0:
            return empty_strided(shape, strides, x.dtype, array_module(x))
        return _in_layout(x[_numpy_index(indices)], strides)

    @staticmethod
    def backward(ctx, grad):
        # an element picked twice (x[[0, 0]]) gets both gradients: added, never overwritten
        return IndexPutAccumulate.apply(grad, ctx.input_shape, ctx.indices), None


class IndexPutAccumulate(Function):
    """Zeros of ``shape`` with ``values`` *added* at the advanced ``indices`` (``xp.add.at``).

    The gradient of reading at positions: ``zeros.index_put_(indices, grad, accumulate=True)``
    in torch. A plain assignment ``out[indices] = values`` would keep only one of the values
    sent to a repeated position; ``add.at`` adds them all (NumPy's, or CuPy's atomic adds:
    gradients are floating point, which CuPy's ``add.at`` takes). Its own backward reads at the
    same positions again, so higher-order gradients work. The subclasses below only carry
    the names torch gives this node after the ops whose backward it is.
    """

    node_name = "IndexPutImplBackward0"

    @staticmethod
    def forward(ctx, values, shape, indices):
        ctx.indices = indices
        xp = array_module(values)
        out = xp.zeros(shape, values.dtype)
        xp.add.at(out, _numpy_index(indices), values)
        return out

    @staticmethod
    def backward(ctx, grad):
        return AdvancedIndex.apply(grad, ctx.indices), None, None


class MaskedScatter(IndexPutAccumulate):
    """The gradient of ``masked_select`` (torch's MaskedScatterBackward0)."""

    node_name = "MaskedScatterBackward0"


class IndexAdd(IndexPutAccumulate):
    """The gradient of ``index_select`` (torch's IndexAddBackward0)."""

    node_name = "IndexAddBackward0"


class Put(IndexPutAccumulate):
    """The gradient of ``take`` (torch's PutBackward0)."""

    node_name = "PutBackward0"


def getitem(self, index):
    """``self[index]``: a view for ints, slices, ``None`` and ``...``; a copy once a tensor, list or bool is used."""
    cls = index.__class__
    if cls is not int and isinstance(index, np.integer):
        index, cls = int(index), int
    if cls is int:
        shape = self._data.shape
        if not shape:
            raise IndexError(_ZERO_DIM_INDEX)
        if not -shape[0] <= index < shape[0]:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {shape[0]}")
        return BasicIndex.apply(self, (index,), False)
    if cls is slice:
        if not self._data.ndim:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        _check_slice(index)
        return BasicIndex.apply(self, (index,), True)
    view_index, advanced = _parse_index(self._data, _index_items(index))
    if not advanced:
        return BasicIndex.apply(self, view_index, False)
    view = BasicIndex.apply(self, view_index, False) if _changes_view(view_index) else self
    return AdvancedIndex.apply(view, _integer_indices(view._data.shape, advanced))


# ---------------------------------------------------------------------- t[index] = value
def _setitem_value(self, value):
    """The right-hand side of ``t[i] = value``: a tensor, or a number converted to ``t``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float, np.integer)):
        if isinstance(value, (int, np.integer)) and not -(2**63) <= int(value) < 2**63:
            raise ValueError("Overflow when unpacking long long")
        return _scalar_as(value, self.dtype, check_half=False)
    raise TypeError(f"can't assign a {_type_name(value)} to a {_TYPE_NAMES[self.dtype]}")


def _strip_leading_ones(shape) -> tuple:
    """torch drops a value's leading size-1 dimensions before broadcasting it into ``t[i]``."""
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return tuple(shape[i:])


def _check_expandable(shape, target, value_dtype) -> None:
    """torch's ``expand`` errors, for a value that cannot broadcast to the shape it is written into."""
    offset = len(target) - len(shape)
    if offset < 0:
        name = _EXPAND_TYPE_NAMES.get(value_dtype) or _TYPE_NAMES[value_dtype]
        raise RuntimeError(f"expand({name}{{{list(shape)}}}, size={list(target)}): the number "
                           f"of sizes provided ({len(target)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(shape)})")
    for i in range(len(target) - 1, offset - 1, -1):
        n = shape[i - offset]
        if n != target[i] and n != 1:
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the existing size ({n}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(target)}.  Tensor sizes: "
                               f"{list(shape)}")


def _copy_into(target: np.ndarray, value) -> None:
    """``target.copy_(value)``: broadcast ``value``, cast it to ``target``'s dtype and write it in place."""
    assert_no_internal_overlap(target)
    if not isinstance(value, Tensor):  # a number, already in target's dtype (a Parameter is a tensor too)
        target[...] = value
        return
    source = value._data
    if source.ndim and source.shape != target.shape:
        source = source.reshape(_strip_leading_ones(source.shape))
        _check_expandable(source.shape, target.shape, value.dtype)
        source = array_module(source).broadcast_to(source, target.shape)
    if source.ndim:
        assert_no_partial_overlap(target, source)
    if source.dtype == target.dtype:
        target[...] = source
    else:
        with np.errstate(invalid="ignore", over="ignore"):  # torch casts out-of-range values silently
            target[...] = source


def _index_put(target: np.ndarray, advanced, value) -> None:
    """``target.index_put_(indices, value)``: write ``value`` at the advanced indices of ``target``."""
    if has_internal_overlap(target.shape, target.strides):
        warnings.warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before "
                      "performing this operation. This also applies to advanced indexing e.g. tensor[indices] = "
                      "tensor", UserWarning, stacklevel=4)
    target_dtype = dtypes.FROM_NUMPY[target.dtype]
    if value.__class__ is Tensor:
        single_mask = len(advanced) == 1 and advanced[0][1].dtype == np.bool_
        if single_mask and value._data.size == 1:  # torch turns this into masked_fill_(mask, value.item())
            _integer_indices(target.shape, advanced)  # checks the mask's shape
            value = _scalar_as(value.item(), target_dtype)
        else:
            source = value._data
            assert_no_overlap(target, source)
            value = source.reshape(_strip_leading_ones(source.shape))
    indices = _integer_indices(target.shape, advanced)
    arrays = [a for a in indices if a is not None]
    index_shape = _broadcast_indices(arrays)
    shape = _advanced_shape(target.shape, indices, index_shape)
    if 0 not in index_shape and 0 in (target.shape[d] for d, a in enumerate(indices) if a is not None):
        raise IndexError("index is out of bounds for dimension with size 0")  # torch checks this before the value
    if not isinstance(value, np.generic):  # an array (else a number, already in target's dtype)
        value_shape = value.shape
        if len(value_shape) > len(shape) or any(v != 1 and v != s for v, s in zip(value_shape[::-1], shape[::-1])):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value_shape)} cannot be broadcast to "
                               f"indexing result of shape {list(shape)}")
        value_dtype = dtypes.FROM_NUMPY[value.dtype]
        if value_dtype is not target_dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{dtypes.SCALAR_NAMES[target_dtype]} for the destination and "
                               f"{dtypes.SCALAR_NAMES[value_dtype]} for the source.")
    size = math.prod(shape)
    _check_index_bounds(target.shape, indices, index_shape, size)
    if size:
        target[_numpy_index(indices)] = value


def setitem(self, index, value) -> None:
    """``self[index] = value``: writes into ``self``'s memory, so every view of it sees the change.

    Under grad mode, when ``self`` or ``value`` requires grad, autograd must see the write
    (``_records_inplace`` says when, and refuses what torch or this library refuses): the
    ``IndexPut`` node then becomes ``self.grad_fn``.
    """
    value = _setitem_value(self, value)
    if index is False:  # torch's shortcut: selects nothing, writes nothing
        return
    if index is True:
        index = None
    cls = index.__class__
    if cls is int:
        shape = self._data.shape
        if not shape:
            raise IndexError(_ZERO_DIM_INDEX)
        if not -shape[0] <= index < shape[0]:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {shape[0]}")
        view_index, advanced = (index,), []
    else:
        view_index, advanced = _parse_index(self._data, _index_items(index))
    if value.__class__ is Tensor and value.device is not self.device:
        value = _value_to_device(self, value, index, advanced)
    if STATE.enabled and (self.requires_grad or (value.__class__ is Tensor and value.requires_grad)):
        if self.requires_grad and self.grad_fn is None and _view_node_name(self._data.shape, view_index) != \
                "AliasBackward0":  # torch writes through a view of self here (self[0] is self.select(0, 0))
            raise RuntimeError(_VIEW_OF_LEAF)
        if _records_inplace(self, value):
            from .math_ops import _inplace

            _inplace(self, IndexPut.apply(self, value, view_index, advanced))
            return
    _write_at(self._data, view_index, advanced, value)
    self._bump_version()


def _value_to_device(self, value, index, advanced):
    """``value`` (a tensor on another device than ``self``) copied to ``self``'s device, as torch copies it:
    always into a view (``copy_`` crosses devices), and for an advanced index only a single number: a 0-d
    tensor, or one CPU element written through a single mask on ``self``'s device (torch's masked_fill_
    path); otherwise torch's device error."""
    if advanced and value._data.ndim and not (value._data.size == 1 and value.device.type == "cpu"
                                              and _single_mask_on_device_of(self, index, advanced)):
        raise device_mismatch_error(self.device, value.device)
    return value.to(self.device)


def _single_mask_on_device_of(self, index, advanced) -> bool:
    items = index if index.__class__ is tuple else (index,)
    masks = [item for item in items
             if isinstance(item, Tensor) and item._data.ndim and item.dtype in (dtypes.bool, dtypes.uint8)]
    return (len(advanced) == 1 and advanced[0][1].dtype == np.bool_ and len(masks) == 1
            and masks[0].device is self.device)


def _write_at(x: np.ndarray, view_index, advanced, value) -> None:
    """Write ``value`` (a tensor, or a number in ``x``'s dtype) into ``x[view_index][advanced]``."""
    target = _basic_view(x, view_index)
    if advanced:
        _index_put(target, advanced, value)
    else:
        _copy_into(target, value)


# ---------------------------------------------------------------------- in-place writes and autograd
_VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation."
_WRITE_INTO_VIEW = (
    "tinygrad_lessons does not support writing a tensor that requires grad in place into a view of another "
    "tensor (torch records a CopySlices node on the base tensor there, which this library does not do). Write "
    "into the base tensor itself (base[i] = value), or build the result out of place, e.g. with "
    "torch.where(mask, value, base), base.masked_fill(mask, value), base.scatter(...) or torch.cat / torch.stack."
)


def _records_inplace(self, *others) -> bool:
    """Autograd's rules for an in-place write into ``self``; True when the write must be recorded.

    Under grad mode: a leaf that requires grad (or a view of one) may not be written
    (torch's errors), nor a view of another tensor that requires grad (torch's CopySlices,
    not done here: a clear error). A non-leaf that requires grad is recorded, and so is a
    float tensor written from a tensor that requires grad. ``no_grad()`` writes plainly.
    """
    if not STATE.enabled:
        return False
    if self.requires_grad:
        from .math_ops import _check_leaf

        _check_leaf(self)  # raises for a leaf, a view of a leaf, and a view of a non-leaf
        return True
    if not (self.dtype.is_floating_point and any(isinstance(o, Tensor) and o.requires_grad for o in others)):
        return False
    if _looks_like_view(self):  # its base would have to join the graph too (CopySlices)
        raise RuntimeError(_WRITE_INTO_VIEW)
    return True


def _looks_like_view(t) -> bool:
    """True when ``t`` sees only part of a storage that other tensors see (``base[0]``, ``base[1:]``).

    A view that covers its whole storage (``base.T``, ``base[:]``) can't be told from its base here.
    """
    storage = t._storage
    return storage is not None and (storage.size != t._data.size or data_ptr(storage) != data_ptr(t._data))


def _reduce_to(grad, shape, np_dtype):
    """``grad`` as the gradient of an input of this shape and (NumPy) dtype: summed over broadcast dims, cast."""
    if grad._data.shape != tuple(shape):
        grad = grad.sum_to_size(tuple(shape))
    dtype = dtypes.FROM_NUMPY[np.dtype(np_dtype)]
    return grad if grad.dtype is dtype else grad.to(dtype)


class IndexPut(Function):
    """``x[index] = value`` on a tensor autograd watches: the write, as a graph node.

    Unlike the other Functions, forward writes *into* ``x`` (the same checks and the same
    write as without autograd, so also the same errors) and returns it; ``setitem`` then
    makes this node ``x.grad_fn``. Backward: the old values were overwritten where the
    value went, so their gradient is ``grad`` with those positions zeroed (``ZeroAt``); the
    value gets ``grad`` read at those positions, summed back over broadcasting to its shape
    (an element written twice sends the gradient of its one position to both).
    torch's names: CopySlices when a view of ``x`` was written (``x[0] = v``),
    IndexPutBackward0 for advanced indices alone (``x[mask] = v``), else the fill or copy
    of all of ``x`` (``x[...] = v``).
    """

    @staticmethod
    def forward(ctx, x, value, view_index, advanced):
        is_tensor = not isinstance(value, np.generic)  # an array, or a number
        target = _basic_view(x, view_index)
        ctx.view_index, ctx.advanced, ctx.target_shape = view_index, advanced, target.shape
        if is_tensor:
            ctx.value_shape, ctx.value_dtype = value.shape, value.dtype
        if _view_node_name(x.shape, view_index) != "AliasBackward0":
            ctx.node_name = "torch::autograd::CopySlices"
        elif advanced:
            ctx.node_name = "IndexPutBackward0"
        else:
            fill = target.ndim and not (is_tensor and value.ndim)  # torch fills with a 0-d value, else copies
            ctx.node_name = "FillBackward3" if fill else "torch::autograd::CopyBackwards"
        _write_at(x, view_index, advanced, _wrap(value) if is_tensor else value)
        return x

    @staticmethod
    def backward(ctx, grad):
        indices = _integer_indices(ctx.target_shape, ctx.advanced) if ctx.advanced else None
        grad_x = ZeroAt.apply(grad, ctx.view_index, indices) if ctx.needs_input_grad[0] else None
        grad_value = None
        if ctx.needs_input_grad[1]:
            g = BasicIndex.apply(grad, ctx.view_index, False) if _changes_view(ctx.view_index) else grad
            if indices is not None:
                g = AdvancedIndex.apply(g, indices)
            shape = ctx.value_shape
            if g._data.shape != shape:  # the value was broadcast, after dropping its leading 1s
                stripped = _strip_leading_ones(shape)
                g = g.sum_to_size(stripped)
                if stripped != shape:
                    g = g.reshape(shape)
            grad_value = _reduce_to(g, shape, ctx.value_dtype)
        return grad_x, grad_value, None, None


class ZeroAt(Function):
    """A copy of ``grad`` with zeros at ``grad[view_index][indices]``: the gradient of overwritten values.

    Zeroing positions is its own adjoint, so backward applies it again.
    """

    @staticmethod
    def forward(ctx, grad, view_index, indices):
        ctx.view_index, ctx.indices = view_index, indices
        out = grad.copy(order="C")
        target = _basic_view(out, view_index)
        if indices is None:
            target[...] = 0
        else:
            target[_numpy_index(indices)] = 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return ZeroAt.apply(grad, ctx.view_index, ctx.indices), None, None


# ---------------------------------------------------------------------- where
class Where(Function):
    """``where(condition, input, other)``: ``input`` where ``condition`` is True, else ``other``.

    Backward: each branch gets the gradient where it was chosen and 0 elsewhere, summed back
    over broadcasting to its own shape and cast to its own dtype (a number gets none).
    """

    @staticmethod
    def forward(ctx, condition, input, other, dtype):  # noqa: A002 - torch's name
        ctx.save_for_backward(condition)
        ctx.input_meta = (input.shape, input.dtype)  # (arrays, or NumPy scalars: numbers have no gradient)
        ctx.other_meta = (other.shape, other.dtype)
        np_dtype = dtype.numpy_dtype
        shape = _broadcast_shapes(condition.shape, input.shape, other.shape)
        operands = [operand_layout(condition, np.dtype(np.bool_)), operand_layout(input, np_dtype),
                    operand_layout(other, np_dtype)]
        condition = condition.astype(np.bool_, copy=False)
        values = array_module(condition).where(condition, input.astype(np_dtype, copy=False),
                                                other.astype(np_dtype, copy=False))
        return _in_layout(values, iterator_strides(shape, operands))

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        if condition.dtype is not dtypes.bool:  # a (deprecated) uint8 condition
            condition = condition.to(dtypes.bool)
        grad_input = grad_other = None
        if ctx.needs_input_grad[1]:
            grad_input = _reduce_to(where(condition, grad, 0), *ctx.input_meta)
        if ctx.needs_input_grad[2]:
            grad_other = _reduce_to(where(condition, 0, grad), *ctx.other_meta)
        return None, grad_input, grad_other, None


def where(condition, input=None, other=None):  # noqa: A002 - torch's name
    """Elementwise choice: ``input`` where ``condition`` holds, ``other`` elsewhere (``where(c)`` = ``nonzero``).

    ``input`` and ``other`` may be tensors or Python numbers; the result has their
    promoted dtype (``where(m, int_tensor, 0.5)`` is float32) and the broadcast shape.
    """
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {_type_name(condition)}")
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition and both `input` and `other`, or the condition alone")
    dtype = dtypes.result_type(input, other)
    if not isinstance(input, Tensor):
        input = _scalar_as(input, dtype, check_half=False)  # noqa: A001
    if not isinstance(other, Tensor):
        other = _scalar_as(other, dtype, check_half=False)
    if condition.dtype is dtypes.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed in "
                      "a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
    elif condition.dtype is not dtypes.bool:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{dtypes.SCALAR_NAMES[condition.dtype]}")
    return Where.apply(condition, input, other, dtype)


def _tensor_where(self, condition, other):
    """``x.where(condition, y)`` is ``where(condition, x, y)``."""
    return where(condition, self, other)


# ---------------------------------------------------------------------- nonzero
def nonzero(input, *, as_tuple=False):  # noqa: A002 - torch's name
    """Positions of the non-zero elements: an int64 tensor of shape ``(n, ndim)``, or one tensor per dim.

    Not differentiable (the result is positions, not values). torch stores the
    ``(n, ndim)`` result column by column (strides ``(1, n)``), and so do we.
    """
    data = input._data
    xp = array_module(data)
    if data.ndim == 0:
        positions = (xp.zeros(int(data.astype(np.bool_)), np.int64),)
    else:
        positions = xp.nonzero(data)
    if as_tuple:
        return tuple(_wrap(_contiguous(p.astype(np.int64, copy=False))) for p in positions)
    n = len(positions[0])
    result = empty_strided((n, data.ndim), (1, n), np.int64, xp)  # column by column, as torch stores it
    for d, p in enumerate(positions[: data.ndim]):
        result[:, d] = p
    return _wrap(result)


# ---------------------------------------------------------------------- gather and scatter
def _check_index_dtype(name, index) -> None:
    if index.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _at_least_1d(array):
    """torch treats a 0-d tensor as a 1-element 1-d one in gather and scatter."""
    return array.reshape(1) if array.ndim == 0 else array


def _gather_shape_check(x, dim, index) -> None:
    if max(x.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x1, index1 = _at_least_1d(x), _at_least_1d(index)
    for d in range(x1.ndim):
        if d != dim and index1.shape[d] > x1.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                               f"larger than self {list(x.shape)} apart from dimension {dim}")


def _check_gather_bounds(index, size, dim) -> None:
    bad = _bad_value(index, 0, size)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _positions(index, dim) -> tuple:
    """The full coordinates ``index`` addresses: ``index`` along ``dim``, its own position elsewhere.

    (NumPy's ``np.indices(shape, sparse=True)``, which CuPy lacks: one ``arange`` per dimension,
    shaped to broadcast along it.)
    """
    xp = array_module(index)
    ndim = index.ndim
    coords = [xp.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1)) for d, n in enumerate(index.shape)]
    coords[dim] = index
    return tuple(coords)


class Gather(Function):
    """``gather(x, dim, index)``: ``out[i][j] = x[index[i][j]][j]`` (for ``dim=0``).

    Backward: ``zeros_like(x).scatter_add(dim, index, grad)``.
    """

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.save_for_backward(index)
        ctx.input_shape, ctx.dim = x.shape, dim
        xp = array_module(x)
        if index.size == 0:
            return _contiguous(xp.empty(index.shape, x.dtype))
        _gather_shape_check(x, dim, index)
        x1, index1 = _at_least_1d(x), _at_least_1d(index)
        _check_gather_bounds(index1, x1.shape[dim], dim)
        return xp.ascontiguousarray(x1[_positions(index1, dim)]).reshape(index.shape)

    @staticmethod
    def backward(ctx, grad):
        # each element read sends its gradient back where it was read from; read twice, it gets both
        (index,) = ctx.saved_tensors
        return grad.new_zeros(ctx.input_shape).scatter_add(ctx.dim, index, grad), None, None


def gather(input, dim, index, *, sparse_grad=False):  # noqa: A002 - torch's name
    """Read ``input`` along ``dim`` at the positions ``index`` gives; the result has ``index``'s shape.

    ``index`` has as many dimensions as ``input`` and may be smaller than it in
    every dimension but ``dim``.
    """
    _require_tensor("gather", "index", index)
    dim = _wrap_dim(dim, input._data.ndim)
    _check_index_dtype("gather", index)
    return Gather.apply(input, dim, index)


def _scatter_checks(self, dim, index, src, reduce) -> None:
    """torch's checks for scatter: index dtype, src dtype, the shapes, and the ``reduce`` name."""
    _require_tensor("scatter", "index", index)
    _check_index_dtype("scatter", index)
    if src is not None and src.dtype is not self.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index._data.size:
        x, idx = self._data, index._data
        if max(x.ndim, 1) != max(idx.ndim, 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        x1, index1 = _at_least_1d(x), _at_least_1d(idx)
        too_big = any(index1.shape[d] > x1.shape[d] for d in range(x1.ndim) if d != dim)
        if src is not None:
            if not too_big:
                too_big = any(index1.shape[d] > _nonempty_size(src._data, d) for d in range(x1.ndim))
            if max(src._data.ndim, 1) != max(idx.ndim, 1):
                raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
            if too_big:
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} "
                                   f"apart from dimension {dim} and to be no larger size than src "
                                   f"{list(src._data.shape)}")
        elif too_big:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {dim}")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")


def _nonempty_size(array, d) -> int:
    """``array.shape[d]``, 1 for a 0-d array, and torch's IndexError past the last dimension."""
    return 1 if array.ndim == 0 else array.shape[_wrap_dim(d, array.ndim)]


def _scatter_into(out: np.ndarray, dim, index, src, reduce) -> None:
    """Write ``src`` (an array or a number) into ``out`` at the positions ``index`` gives along ``dim``."""
    if index.size == 0:
        return
    target, index1 = _at_least_1d(out), _at_least_1d(index)
    _check_gather_bounds(index1, target.shape[dim], dim)
    positions = _positions(index1, dim)
    if not isinstance(src, np.generic):  # an array (else a number)
        src = _at_least_1d(src)[tuple(slice(0, n) for n in index1.shape)]
    if reduce is None:
        target[positions] = src
    elif reduce == "add" and target.dtype.kind == "f":
        array_module(target).add.at(target, positions, src)  # (on a GPU: CuPy's atomic adds)
    else:
        _combine_at(target, positions, src, reduce)


def _combine_at(target, positions, values, reduce) -> None:
    """``np.add.at`` / ``np.multiply.at`` (``target[positions] += values``, a position named twice getting every
    value) for what CuPy's ``ufunc.at`` lacks: integer and bool adds, and every multiply.

    ``positions`` are full coordinates (one array per dimension, broadcasting together),
    ``values`` an array of their shape or a number. The writes are sorted by position, stably
    (repeats keep their order, so the result is NumPy's). Adds: each run of one position is
    summed — a running sum in int64 read at both ends of the run, exact for integers, which
    wrap around as torch's do — and written once. Multiplies: the k-th write to each position
    happens in round k, so no round names a position twice.
    """
    xp = array_module(target)
    shape = _broadcast_shapes(*(p.shape for p in positions))
    flat = [xp.broadcast_to(p, shape).reshape(-1) for p in positions]
    if isinstance(values, np.generic):
        values = xp.full(shape, values, target.dtype)
    values = xp.broadcast_to(values, shape).reshape(-1)
    key = flat[0] * 0  # the row-major position in target, to sort by
    for coord, stride in zip(flat, contiguous_strides(target.shape)):
        key = key + coord * stride
    order = xp.argsort(key, kind="stable")
    key, values = key[order], values[order]
    n = key.size
    is_first = xp.empty(n, np.bool_)
    is_first[0] = True
    is_first[1:] = key[1:] != key[:-1]
    starts = xp.flatnonzero(is_first)
    if reduce == "add":
        running = values.cumsum(0, np.int64)
        ends = xp.empty_like(starts)
        ends[:-1] = starts[1:] - 1
        ends[-1] = n - 1
        totals = running[ends] - running[starts] + values[starts].astype(np.int64)
        where = tuple(coord[order[starts]] for coord in flat)
        if target.dtype == np.bool_:
            target[where] = target[where] | (totals != 0)
        else:
            target[where] = (target[where] + totals).astype(target.dtype)
        return
    rank = xp.arange(n) - starts[is_first.cumsum(0, np.int64) - 1]  # the k-th write to its position
    with np.errstate(over="ignore", invalid="ignore"):  # torch multiplies past the dtype's range silently
        for k in range(int(rank.max()) + 1):
            picked = xp.flatnonzero(rank == k)
            where = tuple(coord[order[picked]] for coord in flat)
            target[where] = target[where] * values[picked]


def _scatter_source(self, src, value, reduce):
    """``src`` (a tensor) or ``value`` (a number, converted to ``self``'s dtype), as torch accepts either."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None:
        if value is None:
            raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
        if not _is_number(value):
            raise TypeError(f"scatter(): argument 'value' must be Number, not {_type_name(value)}")
        return None, _scalar_as(value, self.dtype)
    if reduce is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                      "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                      UserWarning, stacklevel=3)
    return src, None


class Scatter(Function):
    """``scatter(x, dim, index, src)``: a copy of ``x`` with ``out[index[i][j]][j] = src[i][j]`` (``dim=0``).

    Backward: ``x``'s old values survive except where ``src`` was written, so its gradient
    is ``grad.scatter(dim, index, 0)``; ``src[i][j]`` landed at one place, so its gradient is
    read from there: ``grad.gather(dim, index)``. (When ``index`` repeats a position, only
    one write survives, but each ``src`` element still gets the gradient of that position, as
    in torch.) ``src`` may be a number (the subclass ``ScatterValue``, no gradient for it).
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.save_for_backward(index)
        ctx.dim = dim
        if not isinstance(src, np.generic):  # an array (else a number)
            ctx.src_shape = src.shape
        out = _contiguous(x.copy(order="C"))
        _scatter_into(out, dim, index, src, reduce)
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_x = grad.scatter(ctx.dim, index, 0) if ctx.needs_input_grad[0] else None
        return grad_x, None, None, _scatter_src_grad(ctx, grad, index), None


def _scatter_src_grad(ctx, grad, index):
    """``src``'s gradient: ``grad`` read where ``src`` went; torch refuses an ``src`` larger than ``index``."""
    if not ctx.needs_input_grad[3]:
        return None
    if tuple(index.shape) != ctx.src_shape:
        raise RuntimeError(f"Function {ctx.name()} returned an invalid gradient at index 1 - got "
                           f"{list(index.shape)} but expected shape compatible with {list(ctx.src_shape)}")
    return grad.gather(ctx.dim, index)


class ScatterValue(Scatter):
    """``scatter(x, dim, index, value=number)``: torch's ScatterBackward1."""

    node_name = "ScatterBackward1"


class ScatterAdd(Scatter):
    """``scatter_add``: ``src`` is added, so ``x``'s gradient passes unchanged; ``src``'s is gathered."""

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return grad, None, None, _scatter_src_grad(ctx, grad, index), None


class ScatterReduce(Scatter):
    """``scatter(..., reduce='add'|'multiply')``: torch has no derivative for it, and says so in backward."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002 - torch's name
    """Write ``src`` (a tensor, or a number ``value``) into a copy of ``input`` at ``index`` along ``dim``.

    ``reduce='add'`` or ``'multiply'`` combines with what is there instead of
    overwriting. When ``index`` repeats a position, which write wins is unspecified.
    """
    dim = _wrap_dim(dim, input._data.ndim)
    src_tensor, fill = _scatter_source(input, src, value, reduce)
    _scatter_checks(input, dim, index, src_tensor, reduce)
    return _scatter_function(src_tensor, reduce).apply(input, dim, index,
                                                       src_tensor if src_tensor is not None else fill, reduce)


def _scatter_function(src_tensor, reduce):
    """The Function (so the graph node torch would name) for a scatter of a tensor or a number."""
    if reduce is not None:
        return ScatterReduce
    return Scatter if src_tensor is not None else ScatterValue


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    """In-place ``scatter``: writes into ``self`` and returns it.

    Recorded when autograd watches (``_records_inplace``).
    """
    record = _records_inplace(self, src)
    dim = _wrap_dim(dim, self._data.ndim)
    src_tensor, fill = _scatter_source(self, src, value, reduce)
    _scatter_checks(self, dim, index, src_tensor, reduce)
    assert_no_internal_overlap(self._data)
    if record:
        from .math_ops import _inplace

        return _inplace(self, _scatter_function(src_tensor, reduce).apply(
            self, dim, index, src_tensor if src_tensor is not None else fill, reduce))
    index_data, src_data = _on_device_of(self, index, src_tensor if src_tensor is not None else fill)
    _scatter_into(self._data, dim, index_data, src_data, reduce)
    self._bump_version()
    return self


def scatter_add(input, dim, index, src):  # noqa: A002 - torch's name
    """``scatter`` that adds ``src`` into a copy of ``input``; repeated positions accumulate."""
    _require_tensor("scatter_add", "src", src)
    dim = _wrap_dim(dim, input._data.ndim)
    _scatter_checks(input, dim, index, src, None)
    return ScatterAdd.apply(input, dim, index, src, "add")


def scatter_add_(self, dim, index, src):
    """In-place ``scatter_add``.

    Recorded when autograd watches (``_records_inplace``).
    """
    record = _records_inplace(self, src)
    _require_tensor("scatter_add_", "src", src)
    dim = _wrap_dim(dim, self._data.ndim)
    _scatter_checks(self, dim, index, src, None)
    assert_no_internal_overlap(self._data)
    if record:
        from .math_ops import _inplace

        return _inplace(self, ScatterAdd.apply(self, dim, index, src, "add"))
    _scatter_into(self._data, dim, *_on_device_of(self, index, src), "add")
    self._bump_version()
    return self


def _on_device_of(self, *others) -> list:
    """The arrays behind ``others`` (tensors, or numbers left as they are) for a write into ``self`` that
    bypasses ``Function.apply``: on ``self``'s device, or torch's device error (a 0-d CPU tensor may join
    a GPU tensor: its value is copied over, as ``Function.apply`` does it)."""
    arrays = []
    for other in others:
        if isinstance(other, Tensor):
            if other.device is not self.device:
                if other.device.type != "cpu" or other._data.ndim:
                    raise device_mismatch_error(self.device, other.device)
                arrays.append(to_device(other._data, self.device))
                continue
            other = other._data
        arrays.append(other)
    return arrays


# ---------------------------------------------------------------------- masks
def _check_bool_mask(fname, mask, message) -> None:
    _require_tensor(fname, "mask", mask)
    if mask.dtype is not dtypes.bool:
        raise RuntimeError(message.format(dtypes.CPP_TYPEID_NAMES[mask.dtype]))


def _fill_value(self, value):
    """``masked_fill``'s value: a number or a 0-d tensor, converted to ``self``'s dtype."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        value = value.item()
    elif not _is_number(value):
        raise TypeError(f"masked_fill(): argument 'value' must be Number or Tensor, not {_type_name(value)}")
    return _scalar_as(value, self.dtype)


_MASKED_FILL_DTYPE = "masked_fill_ only supports boolean masks, but got mask with dtype {}"


class MaskedFill(Function):
    """``masked_fill(x, mask, fill)``: a copy of ``x`` with ``fill`` (a number) where ``mask`` is True.

    Backward: ``x``'s values survive where ``mask`` is False, so its gradient is
    ``grad.masked_fill(mask, 0)`` (summed back if ``x`` was broadcast to ``mask``'s shape).
    """

    @staticmethod
    def forward(ctx, x, mask, fill):
        ctx.save_for_backward(mask)
        ctx.input_shape = x.shape
        _broadcast_shapes(mask.shape, x.shape)
        return _contiguous(array_module(x).where(mask, fill, x).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return _masked_fill_input_grad(ctx, grad, mask), None, None


def _masked_fill_input_grad(ctx, grad, mask):
    if not ctx.needs_input_grad[0]:
        return None
    return grad.masked_fill(mask, 0).sum_to_size(ctx.input_shape)


class MaskedFillTensor(MaskedFill):
    """``masked_fill`` with a 0-d tensor ``value`` (torch's MaskedFillBackward1): ``value``
    went to every masked position, so its gradient is the sum of ``grad`` there."""

    node_name = "MaskedFillBackward1"

    @staticmethod
    def forward(ctx, x, mask, fill, value):
        ctx.value_dtype = value.dtype
        return MaskedFill.forward(ctx, x, mask, fill)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        grad_value = None
        if ctx.needs_input_grad[3]:
            grad_value = _reduce_to(where(mask, grad, 0).sum(), (), ctx.value_dtype)
        return _masked_fill_input_grad(ctx, grad, mask), None, None, grad_value


def _masked_fill_function(self, mask, value, fill):
    if isinstance(value, Tensor):
        return MaskedFillTensor.apply(self, mask, fill, value)
    return MaskedFill.apply(self, mask, fill)


def masked_fill(input, mask, value):  # noqa: A002 - torch's name
    """``value`` where the boolean ``mask`` is True, ``input`` elsewhere (``mask`` broadcasts)."""
    dtypes.check_python_int(value)  # torch reads the number before it looks at the mask
    _check_bool_mask("masked_fill", mask, _MASKED_FILL_DTYPE)
    return _masked_fill_function(input, mask, value, _fill_value(input, value))


def masked_fill_(self, mask, value):
    """In-place ``masked_fill``: ``mask`` must broadcast to ``self``'s shape.

    Recorded when autograd watches (``_records_inplace``).
    """
    dtypes.check_python_int(value)  # torch reads the number before it looks at the mask
    record = _records_inplace(self, value)
    _check_bool_mask("masked_fill_", mask, _MASKED_FILL_DTYPE)
    fill = _fill_value(self, value)
    shape = _broadcast_shapes(self._data.shape, mask._data.shape)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")
    if record:
        from .math_ops import _inplace

        return _inplace(self, _masked_fill_function(self, mask, value, fill))
    (mask_data,) = _on_device_of(self, mask)
    array_module(self._data).copyto(self._data, fill, where=mask_data)
    self._bump_version()
    return self


class MaskedSelect(Function):
    """``masked_select(x, mask)``: the elements of ``x`` where ``mask`` is True, as a 1-d copy.

    Backward: each gradient element goes back to the position its value came from.
    """

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        ctx.input_shape = x.shape
        shape = _broadcast_shapes(mask.shape, x.shape)
        xp = array_module(x)
        values = xp.broadcast_to(x, shape)[xp.broadcast_to(mask, shape)]
        return _contiguous(values.reshape(-1))

    @staticmethod
    def backward(ctx, grad):
        # the gradient goes back to the masked positions (of the broadcast shape, then summed back)
        (mask,) = ctx.saved_tensors
        shape = _broadcast_shapes(mask._data.shape, ctx.input_shape)
        xp = array_module(mask._data)
        positions = xp.flatnonzero(xp.broadcast_to(mask._data, shape))
        flat = MaskedScatter.apply(grad, (math.prod(shape),), (positions,))
        return flat.reshape(shape).sum_to_size(ctx.input_shape), None


def masked_select(input, mask):  # noqa: A002 - torch's name
    """The elements of ``input`` where the boolean ``mask`` is True, in row-major order (1-d, a copy)."""
    _check_bool_mask("masked_select", mask, "masked_select: expected BoolTensor for mask")
    return MaskedSelect.apply(input, mask)


# ---------------------------------------------------------------------- index_select and take
class IndexSelect(Function):
    """``index_select(x, dim, index)``: the slices of ``x`` along ``dim`` at the positions in ``index``.

    Backward: the gradient slices added back at those positions (a repeated index adds up).
    """

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.save_for_backward(index)
        ctx.input_shape, ctx.dim = x.shape, dim
        if x.ndim == 0:
            if index.size != 1:
                raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.size} value(s)")
            size, index = 1, index.reshape(1)
        else:
            size, index = x.shape[dim], index.reshape(-1)
            if size == 0 and index.size:
                raise RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = _bad_value(index, 0, size)
        if bad is not None:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
        if x.ndim == 0:
            return x.copy()
        return _contiguous(array_module(x).take(x, index, axis=dim))

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.input_shape
        if not shape:
            return grad, None, None
        (index,) = ctx.saved_tensors
        dim = ctx.dim
        indices = (None,) * dim + (index._data.reshape(-1),) + (None,) * (len(shape) - dim - 1)
        return IndexAdd.apply(grad, shape, indices), None, None


def index_select(input, dim, index):  # noqa: A002 - torch's name
    """The slices of ``input`` along ``dim`` at the positions of the 1-d ``index`` (a copy)."""
    _require_tensor("index_select", "index", index)
    dim = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in _INDEX_DTYPES:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    return IndexSelect.apply(input, dim, index)


class Take(Function):
    """``take(x, index)``: ``x`` read as 1-d (row-major), at the positions in ``index``.

    Backward: the gradient added back at those positions of the flattened input, reshaped.
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.save_for_backward(index)
        ctx.input_shape = x.shape
        flat = x.reshape(-1)
        if flat.size == 0 and index.size:
            raise IndexError("take(): tried to take from an empty tensor")
        bad = _bad_value(index, -flat.size, flat.size)
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {flat.size} elements.")
        xp = array_module(flat)
        return _contiguous(xp.asarray(xp.take(flat, index)))  # (NumPy gives a scalar for a 0-d index)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        flat = Put.apply(grad, (math.prod(ctx.input_shape),), (index._data,))
        return flat.reshape(ctx.input_shape), None


def take(input, index):  # noqa: A002 - torch's name
    """``input`` treated as 1-d (row-major), read at ``index``; the result has ``index``'s shape."""
    _require_tensor("take", "index", index)
    if index.dtype is not dtypes.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {dtypes.SCALAR_NAMES[index.dtype]}")
    return Take.apply(input, index)


# ---- Tensor methods defined here
Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
Tensor.where = _tensor_where
Tensor.nonzero = nonzero
Tensor.gather = gather
Tensor.scatter = scatter
Tensor.scatter_ = scatter_
Tensor.scatter_add = scatter_add
Tensor.scatter_add_ = scatter_add_
Tensor.masked_fill = masked_fill
Tensor.masked_fill_ = masked_fill_
Tensor.masked_select = masked_select
Tensor.index_select = index_select
Tensor.take = take
