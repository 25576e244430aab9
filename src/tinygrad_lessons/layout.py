"""Strides of new memory: torch's rules for how a result is laid out.

Every operation that makes new memory (``x + y``, ``x.clone()``, ``x[[0, 1]]``,
``torch.cat``...) must choose the result's *strides*. Row-major would always be
correct, but torch is cleverer, and learners see it: for a 2x3 ``x``,
``(x.t() + 1).stride()`` is ``(1, 3)``, not ``(2, 1)``. torch keeps the memory order
of its inputs, for two reasons:

* **speed** — an element-wise kernel walks its inputs and its output together; when they
  all run through memory in the same order, that walk is one straight pass (and a
  permuted input does not force a slow, jumping copy);
* **consistency** — an image batch stored channels last (N, H, W, C in memory) stays
  channels last through a network, so every layer gets the layout it was tuned for.

This module is the one place those rules live, as torch's C++ core writes them:

* the **contiguity flags** torch keeps on every tensor: ``is_contiguous`` (row-major),
  ``is_channels_last_contiguous`` and ``is_non_overlapping_and_dense`` (every element
  at its own address, no gaps: row-major *in some order* of the dimensions);
* **dense strides in an order**: ``iterator_dim_order`` (TensorIterator's sort of the
  dimensions by how fast the inputs move along them), ``strides_in_order``,
  ``dense_strides_like`` (torch's ``infer_dense_strides``), ``channels_last_strides``;
* the **choices** built from them: ``preserve_format_strides`` (``empty_like``,
  ``clone``, ``.to(dtype)``) and ``iterator_strides`` / ``elementwise_strides`` (the
  result of an element-wise operation, torch's TensorIterator);
* **new memory** with given strides (``empty_strided``, ``copy_with_strides``), and the
  **overlap checks** torch makes before writing into memory (``has_internal_overlap``,
  ``get_overlap``, ``assert_no_internal_overlap``...).

Strides here count *elements*, as torch's do (NumPy's count bytes: ``element_strides``
converts). These helpers run on every operation that is not on a fast path, so they are
written plainly and cheaply: no extra copies of shapes, no work a caller's shortcut
already did.
"""

from __future__ import annotations

import numpy as np

from .backend import c_contiguous
from .storage import data_ptr, strided_view

__all__ = [
    "element_strides", "is_contiguous", "is_channels_last_contiguous", "is_channels_last_like",
    "is_non_overlapping_and_dense", "iterator_dim_order", "strides_in_order", "dense_strides_like",
    "channels_last_strides", "preserve_format_strides", "broadcast_strides", "iterator_strides",
    "operand_layout", "elementwise_strides", "empty_strided", "copy_with_strides", "has_internal_overlap",
    "get_overlap", "assert_no_internal_overlap", "assert_no_partial_overlap", "assert_no_overlap",
    "INTERNAL_OVERLAP_MESSAGE", "PARTIAL_OVERLAP_MESSAGE",
]

_ndarray = np.ndarray


def _module_of(array):
    from .backend import array_module  # (late: backend imports device, which is light, but keep layout standalone)

    return array_module(array)


def _is_array(x) -> bool:
    """An array of any device (NumPy's, the simulated GPU's subclass, CuPy's), not a number."""
    return x.__class__ is _ndarray or isinstance(x, _ndarray) or hasattr(x, "__cuda_array_interface__")


def element_strides(array) -> tuple:
    """An array's strides counted in elements, as torch counts them (NumPy counts bytes)."""
    itemsize = array.itemsize
    return tuple(s // itemsize for s in array.strides)


# ====================================================================== torch's contiguity flags
def is_contiguous(shape, strides) -> bool:
    """Row-major: the last dimension moves fastest and each stride is the product of the sizes after it.

    Size-1 dimensions don't count (one step along them never happens), and a tensor with
    no elements is contiguous whatever its strides say (torch's ``is_contiguous()``).
    """
    if 0 in shape:
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def is_channels_last_contiguous(shape, strides) -> bool:
    """A 4-D tensor stored N, H, W, C (channels fastest): ``is_contiguous(memory_format=channels_last)``.

    The row-major test with the dimensions visited in the order C, W, H, N instead of
    W, H, C, N; size-1 dimensions don't count here either.
    """
    if len(shape) != 4:
        return False
    expected = 1
    for d in (1, 3, 2, 0):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def is_channels_last_like(shape, strides) -> bool:
    """Whether a 4-D (5-D) tensor's memory *runs* N, H, W, C (N, D, H, W, C), gaps allowed.

    Weaker than ``is_channels_last_contiguous``: only the order of the strides matters
    (torch's ``is_channels_last_strides_2d``/``_3d``, behind ``suggest_memory_format``).
    ``cat`` uses it to keep a batch of images channels last. Where the strides can't
    tell the two orders apart (``N,1,1,1`` with equal strides), torch calls it row-major.
    """
    if len(shape) == 4:
        order = (1, 3, 2, 0)
    elif len(shape) == 5:
        order = (1, 4, 3, 2, 0)
    else:
        return False
    if strides[1] == 0:
        return False
    smallest = 0
    for d in order:
        if shape[d] == 0 or strides[d] < smallest:
            return False
        if d == 0 and smallest == strides[1]:
            return False  # ambiguous (e.g. N,1,1,1): torch calls that row-major
        smallest = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return True


def is_non_overlapping_and_dense(shape, strides) -> bool:
    """Whether the elements fill one block of memory exactly once, in *some* order of the dimensions.

    That is: sorted by stride, the dimensions are row-major. A transposed or permuted
    tensor is dense; a sliced one (gaps) or an expanded one (stride 0: one element seen
    many times) is not. torch keeps the strides of a dense tensor when it copies it (see
    ``preserve_format_strides``) and takes element-wise fast paths on dense inputs.
    Size-1 dimensions don't count, and a tensor with no elements is dense (torch's flag
    is ``is_contiguous() or is_channels_last_contiguous() or ...``, and an empty tensor is
    contiguous).
    """
    if len(shape) == 1:  # the common case, and torch's own shortcut
        return shape[0] < 2 or strides[0] == 1
    expected = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] > 1), key=strides.__getitem__):
        if strides[d] != expected:
            return 0 in shape  # no elements: contiguous, hence dense
        expected *= shape[d]
    return True


# ====================================================================== dense strides in a chosen order
def iterator_dim_order(shape, operand_strides) -> list:
    """The dimensions from fastest- to slowest-moving in memory, as torch's TensorIterator orders them.

    torch's ``reorder_dimensions`` (also the heart of ``infer_dense_strides``): an
    insertion sort that starts from row-major order (last dimension fastest) and asks
    each operand in turn which of two dimensions moves faster. A stride of 0 (the operand
    is broadcast along that dimension) says nothing, so the next operand is asked; equal
    strides (a size-1 dimension, say) move the larger size later; when no operand can
    tell, the pair keeps its row-major order. A sort that can answer "don't know" is why
    this is an insertion sort and not Python's ``sorted``.

    ``operand_strides``: each operand's strides, already broadcast to ``shape``
    (``broadcast_strides``).
    """
    ndim = len(shape)
    order = list(range(ndim - 1, -1, -1))

    def should_swap(dim0, dim1):  # 1: dim0 moves slower (swap), -1: faster (stop), 0: can't tell
        for strides in operand_strides:
            stride0, stride1 = strides[dim0], strides[dim1]
            if stride0 == 0 or stride1 == 0:
                continue
            if stride0 < stride1:
                return -1
            if stride0 > stride1:
                return 1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0

    for i in range(1, ndim):
        moving = i
        for j in range(i - 1, -1, -1):
            comparison = should_swap(order[j], order[moving])
            if comparison > 0:
                order[j], order[moving] = order[moving], order[j]
                moving = j
            elif comparison < 0:
                break
    return order


def strides_in_order(shape, order, skip_size_one=False) -> tuple:
    """Dense strides that visit the dimensions in ``order`` (fastest first).

    Two of torch's rules differ in one detail, chosen by ``skip_size_one``: a
    TensorIterator result multiplies the step by every size (a size-0 dimension then
    makes the strides after it 0), while ``infer_dense_strides`` steps over sizes 0 and 1.
    """
    strides = [0] * len(shape)
    step = 1
    for d in order:
        strides[d] = step
        if not (skip_size_one and shape[d] <= 1):
            step *= shape[d]
    return tuple(strides)


def dense_strides_like(shape, strides) -> tuple:
    """Dense strides in the memory order of ``strides`` (torch's ``infer_dense_strides``).

    What a copy of a sliced or expanded tensor gets: no gaps, no repeats, but the same
    order of dimensions, so the copy of a transposed slice is still transposed. An
    expanded dimension (stride 0) keeps its row-major place.
    """
    return strides_in_order(shape, iterator_dim_order(shape, (strides,)), skip_size_one=True)


def channels_last_strides(shape) -> tuple:
    """Strides that store a 4-D/5-D shape channels last: C fastest, then W, H, (D), N.

    torch's ``get_channels_last_strides_2d``/``_3d`` (``memory_format=torch.channels_last``).
    """
    if len(shape) == 4:
        n, c, h, w = shape
        return (h * w * c, 1, w * c, c)
    strides = [0] * len(shape)
    stride = 1
    for d in (1,) + tuple(range(len(shape) - 1, 1, -1)) + (0,):
        strides[d] = stride
        stride *= shape[d]
    return tuple(strides)


# ====================================================================== torch's choices for new results
def preserve_format_strides(shape, strides) -> tuple:
    """The strides of a copy made with ``memory_format=torch.preserve_format`` (the default).

    ``empty_like``, ``zeros_like``, ``clone`` and ``.to(dtype)`` give a dense tensor's
    copy exactly its strides (a transposed matrix stays transposed); a tensor with gaps
    or repeats gets dense strides in the same order (``dense_strides_like``).
    """
    if is_non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    return dense_strides_like(shape, strides)


def broadcast_strides(shape, op_shape, op_strides):
    """An operand's strides once broadcast to ``shape``: 0 along the dimensions it is repeated in.

    A missing leading dimension, or a size-1 dimension stretched to a larger size, reads
    the same elements again and again: stride 0, as ``expand`` would give.
    """
    if op_shape == shape:
        return op_strides
    offset = len(shape) - len(op_shape)
    return [0] * offset + [0 if n == 1 and shape[offset + i] != 1 else s
                           for i, (n, s) in enumerate(zip(op_shape, op_strides))]


def iterator_strides(shape, layouts, same_shape=None):
    """The strides torch gives a new tensor computed element by element, or None for row-major.

    ``layouts`` are the operands' ``(shape, strides)`` in torch's order, as tuples (a
    Python number is a 0-d operand, ``((), ())``); ``same_shape`` says whether they all
    have the result's shape, when the caller knows already. torch's TensorIterator decides:

    1. every operand has the result's shape (its "fast setup") and all are contiguous ->
       row-major; all channels last (4-D) -> channels last; all dense with the very same
       strides -> those strides;
    2. otherwise it sorts the dimensions by the operands' strides (``iterator_dim_order``)
       and lays the result out densely in that order, which is row-major again when the
       sort changed nothing.

    None (row-major) lets a caller allocate with plain ``np.empty``.
    """
    ndim = len(shape)
    if same_shape is None:
        same_shape = all(op_shape == shape for op_shape, _ in layouts)
    if same_shape:
        if all(is_contiguous(shape, strides) for _, strides in layouts):
            return None
        if ndim == 4 and all(is_channels_last_contiguous(shape, strides) for _, strides in layouts):
            return channels_last_strides(shape)
        first = layouts[0][1]
        if all(strides == first and is_non_overlapping_and_dense(shape, strides) for _, strides in layouts):
            return first
    if ndim < 2:
        return None
    # a 0-d operand is broadcast along every dimension: it has no say in the order
    order = iterator_dim_order(shape, [broadcast_strides(shape, s, st) for s, st in layouts if s])
    if order == list(range(ndim - 1, -1, -1)):
        return None
    return strides_in_order(shape, order)


def operand_layout(operand, np_dtype):
    """``(shape, strides)`` of an operand as TensorIterator sees it, once cast to the compute dtype.

    torch converts an operand of another dtype with ``.to(dtype)`` first: a copy, laid out
    by ``preserve_format_strides``. A Python number is a 0-d operand.
    """
    if not _is_array(operand):
        return (), ()
    strides = element_strides(operand)
    if operand.dtype != np_dtype:
        strides = preserve_format_strides(operand.shape, strides)
    return operand.shape, strides


def elementwise_strides(shape, operands, np_dtype):
    """Strides (in elements) torch gives an element-wise result computed in ``np_dtype``, or None for row-major.

    ``operands`` are arrays and Python numbers. The common cases, row-major in and
    row-major out, are answered from NumPy's flags without looking at a stride;
    everything else is ``iterator_strides``.
    """
    if len(shape) < 2:
        return None
    same_shape = all_contiguous = no_size_one = True
    for op in operands:
        if _is_array(op):
            same_shape = same_shape and op.shape == shape
            all_contiguous = all_contiguous and c_contiguous(op)
            no_size_one = no_size_one and 1 not in op.shape
        else:
            same_shape = False  # a number is a 0-d operand
    if all_contiguous and (same_shape or no_size_one):
        return None  # contiguous operands whose strides are row-major ones: nothing to sort
    return iterator_strides(shape, [operand_layout(op, np_dtype) for op in operands], same_shape)


# ====================================================================== new memory
def empty_strided(shape, strides, np_dtype, xp=np) -> np.ndarray:
    """New, uninitialised memory seen with the given shape and strides (in elements): ``torch.empty_strided``.

    The memory spans from the first element to the last one: ``1 + sum((size - 1) * stride)``.
    """
    span = 1
    for size, stride in zip(shape, strides):
        if not size:
            span = 0  # no elements, no memory
            break
        span += (size - 1) * stride
    return strided_view(xp.empty(span, np_dtype), shape, strides, 0)


def copy_with_strides(array: np.ndarray, strides) -> np.ndarray:
    """A copy of ``array``'s values in new memory laid out with ``strides`` (in elements)."""
    out = empty_strided(array.shape, strides, array.dtype, _module_of(array))
    if array.size:
        out[...] = array
    return out


# ====================================================================== writing into memory
#: torch's error for a write into a tensor that shows one memory location at several places
INTERNAL_OVERLAP_MESSAGE = ("unsupported operation: more than one element of the written-to tensor refers to a "
                            "single memory location. Please clone() the tensor before performing the operation.")
#: torch's error for a write whose input shares some, not all, of the written-to memory
PARTIAL_OVERLAP_MESSAGE = ("unsupported operation: some elements of the input tensor and the written-to tensor "
                           "refer to a single memory location. Please clone() the tensor before performing the "
                           "operation.")


def has_internal_overlap(shape, strides) -> bool:
    """True when two elements share one memory location: a dimension of size > 1 with stride 0.

    ``expand`` makes such tensors; writing into one would write several values into one
    place, so torch refuses in-place ops on them. A tensor with no elements never overlaps
    (torch answers "no" for any dense tensor first). The strides may count elements or
    bytes: only zero matters.
    """
    if 0 not in strides:
        return False
    for size, stride in zip(shape, strides):
        if stride == 0 and size > 1:
            return 0 not in shape
    return False


def get_overlap(a: np.ndarray, b: np.ndarray):
    """How two arrays' memory overlaps: ``"full"``, ``"partial"`` or None (torch's ``get_overlap_status``).

    "full": the same elements at the same places (writing ``a`` from ``b`` element by
    element is safe); "partial": some shared memory, so a write could read values it has
    already overwritten. torch decides only for dense arrays (``is_non_overlapping_and_dense``);
    for others it cannot tell cheaply and lets the operation through (None here).
    """
    if a is b:
        return "full"
    if (a.base is None and b.base is None) or a.size == 0 or b.size == 0:  # two owners never share memory
        return None
    if type(a) is not type(b) or not _module_of(a).may_share_memory(a, b):  # a quick test of the address ranges
        return None
    a_strides, b_strides = element_strides(a), element_strides(b)
    if not (is_non_overlapping_and_dense(a.shape, a_strides) and is_non_overlapping_and_dense(b.shape, b_strides)):
        return None
    a_begin, b_begin = data_ptr(a), data_ptr(b)
    a_end, b_end = a_begin + a.nbytes, b_begin + b.nbytes
    if a_begin == b_begin and a_end == b_end:
        return "full" if a_strides == b_strides else "partial"
    return "partial" if a_begin < b_end and b_begin < a_end else None


def assert_no_internal_overlap(array: np.ndarray) -> None:
    """torch's check before writing into ``array``: no memory location shown twice."""
    strides = array.strides
    if 0 in strides and has_internal_overlap(array.shape, strides):
        raise RuntimeError(INTERNAL_OVERLAP_MESSAGE)


def assert_no_partial_overlap(target: np.ndarray, source: np.ndarray) -> None:
    """torch's check before writing ``source`` into ``target`` element by element (``a[1:].add_(a[:-1])``)."""
    if (target.base is None and source.base is None) or type(target) is not type(source) \
            or not _module_of(target).may_share_memory(target, source):
        return  # the common cases, answered without a further call: in-place ops are hot
    if get_overlap(target, source) == "partial":
        raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)


def assert_no_overlap(target: np.ndarray, source: np.ndarray) -> None:
    """The stricter check of ops that write in an order of their own (``index_put_``): no shared memory at all."""
    if get_overlap(target, source) is not None:
        raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)

