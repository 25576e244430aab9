"""Shape operations: new windows onto the same memory, and the few that must copy.

A tensor is a window onto a flat storage: a shape, a stride per dimension and a storage
offset (see ``storage.py``). Most shape operations change only that window, so they cost
no copying and their result *shares memory* with their input — write into one and the
other changes too:

* ``permute`` / ``transpose`` / ``.T`` reorder the strides;
* ``unsqueeze`` / ``squeeze`` add or drop a dimension of size 1;
* ``expand`` repeats values with a stride of 0 (one element seen many times);
* ``narrow`` / ``select`` / ``split`` / ``chunk`` / ``unbind`` move the offset and shrink sizes;
* ``view`` regroups the elements, in row-major order, into a new shape. That is possible
  only when the strides allow it (``_view_strides`` below is torch's rule); ``view``
  raises otherwise, while ``reshape`` (and ``flatten``) then quietly make a copy.

``cat``, ``stack``, ``repeat`` and ``flip`` always build new memory.

Strides matter: PyTorch users see them (``stride()``, ``is_contiguous()``, whether ``view``
works), so every result here has exactly the strides torch gives it, even for size-1
dimensions, where NumPy would sometimes choose differently.

Gradients (chapter 4): no value changes, so each backward only moves the gradient back
to where the input's elements were — reshape it back, permute it back, sum it over the
dimensions ``expand`` repeated, split it among the inputs of ``cat``, join the pieces of
``split``, or write it into zeros at the place ``narrow``/``select`` took.
"""

from __future__ import annotations

import warnings

from . import dtypes
from .backend import array_module, c_contiguous
from .function import Function
from .layout import (
    channels_last_strides,
    copy_with_strides,
    element_strides,
    empty_strided,
    is_channels_last_like,
    preserve_format_strides,
)
from .size import Size, infer_size
from .storage import contiguous_strides, storage_of, strided_view
from .tensor import Tensor, _wrap_dim

__all__ = [
    "reshape", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t",
    "flatten", "unflatten", "broadcast_to", "broadcast_shapes", "broadcast_tensors",
    "cat", "concat", "concatenate", "stack", "split", "chunk", "narrow", "select", "unbind",
    "movedim", "moveaxis", "flip",
]


# ====================================================================== helpers: sizes and strides
def _int_sizes(args, fname: str, argname: str) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the sizes ``(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    elif not args:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "{argname}"')
    sizes = []
    for size in args:
        try:
            sizes.append(size.__index__())
        except (AttributeError, TypeError):
            raise TypeError(f"{fname}(): argument '{argname}' must be tuple of ints, "
                            f"but found element of type {type(size).__name__}") from None
    return tuple(sizes)


def _infer_size(shape: tuple, numel: int) -> tuple:
    """Replace a ``-1`` in ``shape`` by the size that makes it hold ``numel`` elements."""
    known = 1
    inferred_dim = None
    for i, size in enumerate(shape):
        if size == -1:
            if inferred_dim is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred_dim = i
        elif size >= 0:
            known *= size
        else:
            raise RuntimeError(f"invalid shape dimension {size} at index {i} of shape {list(shape)}")
    if inferred_dim is None:
        if known == numel:
            return shape
    elif known == 0:
        if numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
    elif numel % known == 0:
        return shape[:inferred_dim] + (numel // known,) + shape[inferred_dim + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _view_strides(old_shape, old_strides, new_shape):
    """Strides that show the same elements in ``new_shape`` without copying, or None (torch's computeStride).

    Walking from the last dimension, group the old dimensions into *chunks* that are
    contiguous with each other (each one's stride is the next one's stride times its size).
    Inside a chunk the elements are evenly spaced, so any regrouping of them is a view; a new
    dimension that would cross from one chunk into the next is not. Size-1 dimensions fit
    anywhere.
    """
    if not old_shape:  # a 0-d tensor: one element, any shape of ones views it
        return (1,) * len(new_shape)
    numel = 1
    for size in old_shape:
        numel *= size
    if numel == 0:  # no elements: any strides will do; torch keeps or makes contiguous ones
        return tuple(old_strides) if tuple(old_shape) == tuple(new_shape) else contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]  # stride of the innermost dimension of the current chunk
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        chunk_ends = tensor_d == 0 or (
            old_shape[tensor_d - 1] != 1 and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride
        )
        if chunk_ends:
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


def _restride(data, shape, strides):
    """``data``'s memory, from its first element, seen with a new shape and strides (in elements).

    The new window must stay inside the memory ``data`` spans (a view or an ``expand`` does).
    """
    if c_contiguous(data):
        # The common case: a contiguous array is a flat block of memory, usable as the storage.
        return strided_view(data, shape, strides, 0)
    # A non-contiguous array is no flat buffer: view the block it spans (first to last element) instead.
    return strided_view(storage_of(data), shape, strides, 0)


# ====================================================================== Functions (computed on arrays)
# Every shape operation is a Function: forward moves the window (or copies), and backward
# moves the gradient back to the input's shape. Where torch names one operation's graph node
# differently from another's that shares the same forward (``transpose`` -> TransposeBackward0,
# ``permute`` -> PermuteBackward0), a subclass gives the node its torch name.
class View(Function):
    """The same elements, in the same row-major order, with another shape: no copy.

    Backward: the gradient, reshaped back to the input's shape.
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, shape, strides):
        ctx.input_shape = data.shape
        if c_contiguous(data):
            out = data.reshape(shape)  # NumPy's own view is the cheapest: keep it when its strides are torch's
            itemsize = data.itemsize
            if out.strides == tuple([s * itemsize for s in strides]):
                return out
        return _restride(data, shape, strides)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None, None


class Unsqueeze(View):
    """``unsqueeze``: a view with one more size-1 dimension (torch's node: UnsqueezeBackward0)."""


class UnsafeView(Function):
    """``reshape`` when no view exists: torch copies (a CloneBackward0 node), then views the copy.

    The copy is the caller's (``contiguous``); this step regroups the contiguous copy.
    """

    @staticmethod
    def forward(ctx, data, shape):
        ctx.input_shape = data.shape
        return data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None


class Squeeze(Function):
    """Drop the given size-1 dimensions; the other strides stay as they were.

    Backward: the gradient reshaped back (the size-1 dimensions come back, at no cost).
    torch names the node after the call: ``squeeze()`` SqueezeBackward0, ``squeeze(dim)``
    SqueezeBackward1, ``squeeze((dims))`` SqueezeBackward2 (the subclasses below).
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, dims):
        ctx.input_shape = data.shape
        return data.squeeze(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape), None


class SqueezeDim(Squeeze):
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"


class Permute(Function):
    """Reorder the dimensions by reordering the strides (NumPy's ``transpose``).

    Backward: the inverse permutation puts the gradient's dimensions back in place.
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, dims):
        ctx.dims = dims
        return data.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(inverse), None


class Transpose(Permute):
    """``transpose`` / ``swapaxes`` / ``mT``: a permutation swapping two dimensions.

    Backward: swap them back (a transpose is its own inverse).
    """

    @staticmethod
    def backward(ctx, grad):
        swapped = [i for i, d in enumerate(ctx.dims) if d != i] or [0, 0]
        return transpose(grad, *swapped), None


class TransposeMatrix(Permute):
    """``t()``: a matrix (or 0-d/1-D tensor) transposed; torch's node is TBackward0."""

    node_name = "TBackward0"

    @staticmethod
    def backward(ctx, grad):
        return t(grad), None


class Alias(Function):
    """The same tensor seen again (torch's ``movedim`` of a 0-d tensor): backward passes the gradient on."""

    returns_view = True

    @staticmethod
    def forward(ctx, data):
        return data.view()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Expand(Function):
    """Show a size-1 (or missing leading) dimension many times, using stride 0.

    Backward: every output element seen through the same input element sends its
    gradient there, so the gradient is summed back to the input's size (``sum_to_size``).
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, shape, strides):
        ctx.input_shape = data.shape
        return _restride(data, shape, strides)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.input_shape), None, None


class Narrow(Function):
    """The elements ``start:start + length`` of one dimension: the offset moves, strides stay.

    Backward: a zero gradient for the input, with the output's gradient written into the slice.
    torch names this node SliceBackward0 (``narrow`` is ``t[..., start:start + length]``).
    """

    returns_view = True
    node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, data, dim, start, length):
        ctx.input_shape, ctx.dim, ctx.start = data.shape, dim, start
        return data[(slice(None),) * dim + (slice(start, start + length),)]

    @staticmethod
    def backward(ctx, grad):
        return SliceBackward.apply(grad, ctx.input_shape, ctx.dim, ctx.start), None, None, None


class Split(Function):
    """Consecutive pieces of one dimension with the given lengths, each a view.

    Backward: one gradient per piece (zeros for the pieces not used), joined with ``cat``.
    ``split(size)`` and ``chunk`` are SplitBackward0 in torch; ``split([sizes])`` is
    SplitWithSizesBackward0 (the subclass below).
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, dim, lengths):
        ctx.dim = dim
        before = (slice(None),) * dim
        pieces = []
        start = 0
        for length in lengths:
            pieces.append(data[before + (slice(start, start + length),)])
            start += length
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim), None, None


class SplitWithSizes(Split):
    pass


class Select(Function):
    """One index of one dimension, which disappears: ``t.select(1, 2)`` is ``t[:, 2]``.

    Backward: a zero gradient for the input, with the output's gradient written at that index.
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, dim, index):
        ctx.input_shape, ctx.dim, ctx.index = data.shape, dim, index
        # The trailing ``...`` keeps a 0-d result an array view, not a NumPy scalar copy.
        return data[(slice(None),) * dim + (index, Ellipsis)]

    @staticmethod
    def backward(ctx, grad):
        return SelectBackward.apply(grad, ctx.input_shape, ctx.dim, ctx.index), None, None


class Unbind(Function):
    """Every index of one dimension, as a tuple of views.

    Backward: the gradients of the slices (zeros for unused ones), stacked back along ``dim``.
    """

    returns_view = True

    @staticmethod
    def forward(ctx, data, dim):
        ctx.dim = dim
        before = (slice(None),) * dim
        return tuple(data[before + (i, Ellipsis)] for i in range(data.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim), None


class SliceBackward(Function):
    """The gradient of ``narrow``: zeros of the input's shape, ``grad`` written into the slice.

    A Function of its own so that it is differentiable too (its backward narrows again):
    torch calls this node SliceBackwardBackward0.
    """

    @staticmethod
    def forward(ctx, grad, shape, dim, start):
        ctx.dim, ctx.start, ctx.length = dim, start, grad.shape[dim]
        out = array_module(grad).zeros(shape, grad.dtype)
        out[(slice(None),) * dim + (slice(start, start + grad.shape[dim]),)] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return narrow(grad, ctx.dim, ctx.start, ctx.length), None, None, None


class SelectBackward(Function):
    """The gradient of ``select``: zeros of the input's shape, ``grad`` written at ``index`` of ``dim``."""

    @staticmethod
    def forward(ctx, grad, shape, dim, index):
        ctx.dim, ctx.index = dim, index
        out = array_module(grad).zeros(shape, grad.dtype)
        out[(slice(None),) * dim + (index, Ellipsis)] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return select(grad, ctx.dim, ctx.index), None, None, None


def _cast_grads(grad_pieces, dtypes_in, needs):
    """Each input's piece of the gradient in that input's dtype (None where none is needed)."""
    return tuple(piece.to(dtype) if need else None for piece, dtype, need in zip(grad_pieces, dtypes_in, needs))


class Cat(Function):
    """Join arrays along ``dim`` into new memory of dtype ``np_dtype``, laid out with ``strides``.

    1-D empty arrays are skipped (torch's legacy rule); ``shape`` is the result's shape.
    Backward: each input gets its own stretch of the gradient along ``dim`` (cast back to
    its dtype if the inputs were promoted to a common one).
    """

    @staticmethod
    def forward(ctx, dim, shape, strides, np_dtype, *arrays):
        ctx.dim = dim
        ctx.input_meta = tuple((a.shape, a.dtype) for a in arrays)
        xp = array_module(arrays[0])
        kept = [a for a in arrays if not (a.ndim == 1 and a.size == 0)]
        if not kept or 0 in shape:
            return empty_strided(shape, strides, np_dtype, xp)
        # each input cast first (NumPy's unsafe casting; a no-op for the usual same-dtype inputs):
        # CuPy's concatenate/stack take no dtype= in every version
        out = xp.concatenate([a.astype(np_dtype, copy=False) for a in kept], axis=dim)
        if out.strides != tuple(s * out.itemsize for s in strides):  # channels last
            out = copy_with_strides(out, strides)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .creation import zeros

        pieces = []
        offset = 0
        for shape, _ in ctx.input_meta:
            if len(shape) == 1 and shape[0] == 0:  # skipped in forward: an empty gradient
                pieces.append(zeros(0, dtype=grad.dtype, device=grad.device))
                continue
            pieces.append(narrow(grad, ctx.dim, offset, shape[ctx.dim]))
            offset += shape[ctx.dim]
        dtypes_in = [dtypes.FROM_NUMPY[np_dtype] for _, np_dtype in ctx.input_meta]
        return (None, None, None, None) + _cast_grads(pieces, dtypes_in, ctx.needs_input_grad[4:])


class Stack(Function):
    """Join equally shaped arrays along a new dimension ``dim`` (new memory, like ``cat``).

    Backward: each input gets its slice of the gradient along ``dim`` (``select``).
    """

    @staticmethod
    def forward(ctx, dim, shape, strides, np_dtype, *arrays):
        ctx.dim = dim
        ctx.input_dtypes = tuple(a.dtype for a in arrays)
        xp = array_module(arrays[0])
        if 0 in shape:
            return empty_strided(shape, strides, np_dtype, xp)
        out = xp.stack([a.astype(np_dtype, copy=False) for a in arrays], axis=dim)
        if out.strides != tuple(s * out.itemsize for s in strides):
            out = copy_with_strides(out, strides)
        return out

    @staticmethod
    def backward(ctx, grad):
        dtypes_in = [dtypes.FROM_NUMPY[np_dtype] for np_dtype in ctx.input_dtypes]
        needs = ctx.needs_input_grad[4:]
        pieces = [select(grad, ctx.dim, i) if need else None for i, need in enumerate(needs)]
        return (None, None, None, None) + _cast_grads(pieces, dtypes_in, needs)


class Repeat(Function):
    """Tile the values ``repeats[d]`` times along each dimension (new, row-major memory).

    Backward: every copy of an element sends its gradient back to it. Seen with shape
    ``(r0, s0, r1, s1, ...)`` (``r`` the repeats, ``s`` the input's sizes, with 1 for new
    leading dimensions), the gradient's copies lie along the ``r`` dimensions: summing
    those (and the leading size-1 ones) gives the input's gradient.
    """

    @staticmethod
    def forward(ctx, data, repeats):
        ctx.input_shape, ctx.repeats = data.shape, repeats
        ones = (1,) * (len(repeats) - data.ndim)
        out = array_module(data).tile(data.reshape(ones + data.shape), repeats)
        strides = contiguous_strides(out.shape)
        # np.tile may keep the input's strides on size-1 dimensions (or give empty arrays zero strides)
        if out.strides != tuple(s * out.itemsize for s in strides):
            out = copy_with_strides(out, strides)
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, repeats = ctx.input_shape, ctx.repeats
        new = len(repeats) - len(shape)
        padded = (1,) * new + tuple(shape)
        interleaved = []
        for r, size in zip(repeats, padded):
            interleaved += [r, size]
        summed = tuple(range(0, 2 * len(repeats), 2)) + tuple(range(1, 2 * new, 2))
        if not summed:  # a 0-d tensor repeated () times: (a sum over no dims would sum over all)
            return grad, None
        return grad.reshape(interleaved).sum(summed), None


class Flip(Function):
    """Reverse the order of elements along ``dims``: a copy (torch has no negative strides).

    Backward: flip the gradient the same way back.
    """

    @staticmethod
    def forward(ctx, data, dims):
        ctx.dims = dims
        strides = preserve_format_strides(data.shape, element_strides(data))
        # a view with negative strides (the ``...`` keeps a 0-d one an array), copied into torch's layout
        reversed_view = data[(*(slice(None, None, -1) if d in dims else slice(None) for d in range(data.ndim)), ...)]
        return copy_with_strides(reversed_view, strides)

    @staticmethod
    def backward(ctx, grad):
        return flip(grad, ctx.dims), None


# ====================================================================== view and reshape
def view(self, *shape) -> Tensor:
    """The same memory seen with another shape; ``-1`` stands for "whatever size fits".

    Raises when the strides make that impossible (e.g. after ``t()``): then use ``reshape``.
    """
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise TypeError("view(dtype) is not supported here; use .to(dtype) to convert the values")
    shape = _infer_size(_int_sizes(shape, "view", "size"), self._data.size)
    strides = _view_strides(self._data.shape, self.stride(), shape)
    if strides is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        )
    return View.apply(self, shape, strides)


def view_as(self, other) -> Tensor:
    """``self.view(other.size())``."""
    return view(self, other.shape)


def reshape(self, *shape) -> Tensor:
    """Like ``view``, but copies instead of raising when no view exists.

    Whether the result shares memory with ``self`` depends on the strides: don't rely on
    either outcome, and don't write through the result to change ``self``.
    """
    shape = _infer_size(_int_sizes(shape, "reshape", "shape"), self._data.size)
    strides = _view_strides(self._data.shape, self.stride(), shape)
    if strides is None:  # as torch: a row-major copy (CloneBackward0), then a view of it (UnsafeViewBackward0)
        return UnsafeView.apply(self.contiguous(), shape)
    return View.apply(self, shape, strides)


def reshape_as(self, other) -> Tensor:
    """``self.reshape(other.size())``."""
    return reshape(self, other.shape)


def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (a view when possible, like ``reshape``)."""
    ndim = self._data.ndim
    start_dim = _wrap_dim(start_dim, ndim)
    end_dim = _wrap_dim(end_dim, ndim)
    if start_dim > end_dim:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if ndim == 0:
        return reshape(self, 1)
    if start_dim == end_dim:
        return self  # nothing to merge: torch returns the tensor itself
    shape = self._data.shape
    merged = 1
    for size in shape[start_dim:end_dim + 1]:
        merged *= size
    return reshape(self, shape[:start_dim] + (merged,) + shape[end_dim + 1:])


def unflatten(self, dim, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one of them may be -1): always a view."""
    dim = _wrap_dim(dim, self._data.ndim)
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, not {type(sizes).__name__}")
    sizes = _int_sizes((sizes,), "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    old_shape = self._data.shape
    try:
        sizes = _infer_size(sizes, old_shape[dim])
    except RuntimeError as e:
        if "is invalid for input of size" not in str(e):
            raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({old_shape[dim]}) in the input tensor") from None
    return view(self, old_shape[:dim] + sizes + old_shape[dim + 1:])


# ====================================================================== size-1 dimensions
def squeeze(self, dim=None) -> Tensor:
    """Remove dimensions of size 1: all of them, or those among ``dim`` (an int or a tuple)."""
    shape = self._data.shape
    ndim = len(shape)
    if dim is None:
        return Squeeze.apply(self, tuple(d for d in range(ndim) if shape[d] == 1))
    if isinstance(dim, (tuple, list)):
        wrapped = [_wrap_dim(d, ndim) for d in dim]
        _check_no_repeats(wrapped)
        return SqueezeDims.apply(self, tuple(d for d in wrapped if ndim and shape[d] == 1))
    dim = _wrap_dim(dim, ndim)
    return SqueezeDim.apply(self, (dim,) if ndim and shape[dim] == 1 else ())


def unsqueeze(self, dim) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (``-1`` appends one at the end)."""
    shape = self._data.shape
    ndim = len(shape)
    dim = _wrap_dim(dim, ndim + 1)
    strides = self.stride()
    # torch's stride for the new dimension: "one step" jumps over all of dimension ``dim``
    new_stride = shape[dim] * strides[dim] if dim < ndim else 1
    return Unsqueeze.apply(self, shape[:dim] + (1,) + shape[dim:], strides[:dim] + (new_stride,) + strides[dim:])


def _check_no_repeats(wrapped_dims):
    """torch's error for a dimension listed twice (``squeeze((0, 0))``, ``sum(dim=(1, -1))`` on 2-D)."""
    seen = set()
    for d in wrapped_dims:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)


# ====================================================================== reordering dimensions
def permute(self, *dims) -> Tensor:
    """Reorder the dimensions: result dimension ``i`` is input dimension ``dims[i]``."""
    dims = _int_sizes(dims, "permute", "dims")
    ndim = self._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
        )
    wrapped = []
    for d in dims:
        d = _wrap_dim(d, ndim)
        if d in wrapped:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        wrapped.append(d)
    return Permute.apply(self, tuple(wrapped))


def transpose(self, dim0, dim1) -> Tensor:
    """Swap two dimensions (a view: only their sizes and strides trade places)."""
    ndim = self._data.ndim
    dim0, dim1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    dims = list(range(ndim))
    if ndim:  # a 0-d tensor accepts dims 0 and -1 and stays as it is
        dims[dim0], dims[dim1] = dim1, dim0
    return Transpose.apply(self, tuple(dims))


def swapaxes(self, axis0, axis1) -> Tensor:
    """NumPy's name for ``transpose``."""
    return transpose(self, axis0, axis1)


def swapdims(self, dim0, dim1) -> Tensor:
    """Another name for ``transpose``."""
    return transpose(self, dim0, dim1)


def t(self) -> Tensor:
    """Transpose a matrix; 0-d and 1-D tensors come back unchanged (as views)."""
    ndim = self._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return TransposeMatrix.apply(self, tuple(range(ndim - 1, -1, -1)))


def T(self) -> Tensor:  # noqa: N802 - torch's name
    """``t.T``: all dimensions reversed (torch deprecates it for tensors that aren't 2-D)."""
    ndim = self._data.ndim
    if ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    elif ndim != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will "
            "throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
            UserWarning, stacklevel=2)
    return Permute.apply(self, tuple(range(ndim - 1, -1, -1)))


def mT(self) -> Tensor:  # noqa: N802 - torch's name
    """``t.mT``: transpose the last two dimensions (a batch of matrices, each transposed)."""
    ndim = self._data.ndim
    if ndim == 0:
        warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
        return self  # torch returns the tensor itself
    if ndim == 1:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


def movedim(self, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``; the others keep their order."""
    src = [source] if not isinstance(source, (tuple, list)) else list(source)
    dst = [destination] if not isinstance(destination, (tuple, list)) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same "
                           f"number of dims as destination ({dst} dims)")
    ndim = self._data.ndim
    wrapped_src = [_wrap_dim(d, ndim) for d in src]
    wrapped_dst = [_wrap_dim(d, ndim) for d in dst]
    if len(set(wrapped_src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(wrapped_dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    if ndim == 0:
        return Alias.apply(self)
    order = [None] * ndim
    for s, d in zip(wrapped_src, wrapped_dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in wrapped_src)
    order = [next(rest) if o is None else o for o in order]
    return Permute.apply(self, tuple(order))


def moveaxis(self, source, destination) -> Tensor:
    """NumPy's name for ``movedim``."""
    return movedim(self, source, destination)


# ====================================================================== broadcasting
def expand(self, *sizes) -> Tensor:
    """See size-1 dimensions (and new leading ones) as larger, with stride 0: no copy.

    ``-1`` keeps a dimension's size. The result's elements overlap in memory, so write to
    it only if you mean to change every element that shares a memory cell.
    """
    sizes = _int_sizes(sizes, "expand", "size")
    shape, strides = self._data.shape, self.stride()
    ndim, tensor_ndim = len(sizes), len(shape)
    if ndim < tensor_ndim:
        raise RuntimeError(
            f"expand({self.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided ({ndim}) "
            f"must be greater or equal to the number of dimensions in the tensor ({tensor_ndim})")
    new_shape = [0] * ndim
    new_strides = [0] * ndim
    for i in range(ndim - 1, -1, -1):
        d = i - (ndim - tensor_ndim)  # the matching input dimension, < 0 for a new leading one
        size = shape[d] if d >= 0 else 1
        stride = strides[d] if d >= 0 else (new_shape[i + 1] * new_strides[i + 1] if i + 1 < ndim else 1)
        target = sizes[i]
        if target == -1:
            if d < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            target = size
        if size != target:
            if size != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target}) must match the existing size ({size}) at "
                    f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
            size, stride = target, 0
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {list(sizes)}")
        new_shape[i], new_strides[i] = size, stride
    if tensor_ndim == 0:  # a single element: torch repeats it with stride 0 in every dimension
        new_strides = [0] * ndim
    return Expand.apply(self, tuple(new_shape), tuple(new_strides))


def expand_as(self, other) -> Tensor:
    """``self.expand(other.size())``."""
    return expand(self, other.shape)


def broadcast_to(self, size) -> Tensor:
    """``torch.broadcast_to(t, size)``: the same as ``t.expand(size)``."""
    return expand(self, size)


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of these shapes broadcast to (an int counts as a 1-D shape)."""
    shapes = [(s,) if isinstance(s, int) else s for s in shapes if s is not None]
    for s in shapes:
        if not isinstance(s, (tuple, list)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {s}")
    if not shapes:
        return Size(())
    common = [1] * max(len(s) for s in shapes)
    for index, s in enumerate(shapes):
        for i in range(-1, -1 - len(s), -1):
            if s[i] == common[i]:
                continue
            if common[i] == 1:
                if s[i] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = s[i]
            elif s[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[i]} at {i}! Mismatching argument "
                                   f"at index {index} had {s}; but expected shape should be broadcastable to {common}")
    return Size(common)


def broadcast_tensors(*tensors) -> tuple:
    """Expand all tensors to their common broadcast shape (views, no copies)."""
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    if not tensors:
        return ()
    shape = tensors[0]._data.shape
    for x in tensors[1:]:
        shape = infer_size(shape, x._data.shape)
    return tuple(expand(x, shape) for x in tensors)


# ====================================================================== joining tensors
def _check_tensor_list(tensors, fname: str):
    if not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")


def _is_legacy_empty(x) -> bool:
    """A 1-D tensor with no elements: ``cat`` skips those (an old torch rule kept for compatibility)."""
    return x._data.ndim == 1 and x._data.size == 0


def cat(tensors, dim=0, *, axis=None) -> Tensor:
    """Join tensors along an existing dimension, in new memory.

    All sizes must match except along ``dim``; the result has the promoted dtype of all
    inputs (``int64`` with ``float16`` gives ``float16``).
    """
    if axis is not None:
        dim = axis
    _check_tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    result_dtype = dtypes.result_type(*tensors)
    kept = [x for x in tensors if not _is_legacy_empty(x)]
    if not kept:
        return Cat.apply(0, (0,), (1,), result_dtype.numpy_dtype, *tensors)
    first = kept[0]._data.shape
    dim = _wrap_dim(dim, len(first))
    total = 0
    for i, x in enumerate(tensors):
        shape = x._data.shape
        if _is_legacy_empty(x):
            continue
        if len(shape) != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        for d, (expected, got) in enumerate(zip(first, shape)):
            if d != dim and expected != got:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size {expected} "
                                   f"but got size {got} for tensor number {i} in the list.")
        total += shape[dim]
    out_shape = first[:dim] + (total,) + first[dim + 1:]
    strides = _cat_strides(out_shape, [(x._data.shape, x.stride()) for x in tensors])
    return Cat.apply(dim, out_shape, strides, result_dtype.numpy_dtype, *tensors)


def _cat_strides(out_shape, layouts) -> tuple:
    """The result's strides: row-major, unless every input is channels last (4-D/5-D image batches)."""
    if len(out_shape) in (4, 5) and all(is_channels_last_like(shape, strides) for shape, strides in layouts):
        return channels_last_strides(out_shape)
    return contiguous_strides(out_shape)


def concat(tensors, dim=0, *, axis=None) -> Tensor:
    """Another name for ``cat``."""
    return cat(tensors, dim, axis=axis)


def concatenate(tensors, axis=0, *, dim=None) -> Tensor:
    """NumPy's name for ``cat`` (``axis=`` instead of ``dim=``)."""
    return cat(tensors, axis if dim is None else dim)


def stack(tensors, dim=0) -> Tensor:
    """Join equally shaped tensors along a *new* dimension ``dim``."""
    _check_tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    dim = _wrap_dim(dim, len(first) + 1)
    for i, x in enumerate(tensors[1:], start=1):
        if x._data.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                               f"{list(x._data.shape)} at entry {i}")
    n = len(tensors)
    if dim < len(first):
        # laid out as torch's shortcut leaves it: ``cat`` along `dim`, then that dimension viewed as two
        if _is_legacy_empty(tensors[0]):
            joined_shape, joined_strides = (0,), (1,)  # cat skips 1-D empty tensors
        else:
            joined_shape = first[:dim] + (n * first[dim],) + first[dim + 1:]
            joined_strides = _cat_strides(joined_shape, [(x._data.shape, x.stride()) for x in tensors])
        shape = first[:dim] + (n,) + first[dim:]
        strides = _view_strides(joined_shape, joined_strides, shape) or contiguous_strides(shape)
    else:  # a new last dimension: ``cat`` of the inputs unsqueezed at the end (stride 1 there)
        shape = first + (n,)
        strides = _cat_strides(shape, [(first + (1,), x.stride() + (1,)) for x in tensors])
    return Stack.apply(dim, shape, strides, dtypes.result_type(*tensors).numpy_dtype, *tensors)


# ====================================================================== taking tensors apart
def narrow(self, dim, start, length) -> Tensor:
    """Elements ``start .. start + length - 1`` along ``dim`` (a view; ``start`` may be negative)."""
    if self._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = start.__index__(), length.__index__()
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    dim = _wrap_dim(dim, self._data.ndim)
    size = self._data.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Narrow.apply(self, dim, start, length)


def select(self, dim, index) -> Tensor:
    """Index ``index`` of dimension ``dim``, which disappears: ``t.select(0, i)`` is ``t[i]``."""
    shape = self._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, len(shape))
    index = index.__index__()
    size = shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {dim}")
    return Select.apply(self, dim, index + size if index < 0 else index)


def unbind(self, dim=0) -> tuple:
    """All slices along ``dim``, as a tuple of views (``dim`` disappears from each)."""
    ndim = self._data.ndim
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return Unbind.apply(self, _wrap_dim(dim, ndim))


def split(self, split_size_or_sections, dim=0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the listed sizes."""
    if self._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if isinstance(split_size_or_sections, (tuple, list)):
        lengths = tuple(s.__index__() for s in split_size_or_sections)
        dim = _wrap_dim(dim, self._data.ndim)
        size = self._data.shape[dim]
        if any(n < 0 for n in lengths):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, "
                               f"but got split_sizes={list(lengths)}")
        if sum(lengths) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                               f"dimension {dim}), but got split_sizes={list(lengths)}")
        return SplitWithSizes.apply(self, dim, lengths)
    split_size = split_size_or_sections.__index__()
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
    dim = _wrap_dim(dim, self._data.ndim)
    size = self._data.shape[dim]
    if split_size == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    pieces = max(-(-size // split_size), 1) if split_size else 1
    lengths = (split_size,) * (pieces - 1) + (size - split_size * (pieces - 1),)
    return Split.apply(self, dim, lengths)


def chunk(self, chunks, dim=0) -> tuple:
    """Split into ``chunks`` pieces of ``ceil(size / chunks)`` (so there may be fewer pieces)."""
    if self._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = chunks.__index__()
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = _wrap_dim(dim, self._data.ndim)
    size = self._data.shape[dim]
    if size == 0:  # torch keeps the number of (empty) chunks asked for
        return SplitWithSizes.apply(self, dim, (0,) * chunks)
    return split(self, -(-size // chunks), dim)


# ====================================================================== copies
def repeat(self, *repeats) -> Tensor:
    """Tile the tensor: ``repeats[d]`` copies along each dimension (new leading dimensions allowed)."""
    repeats = _int_sizes(repeats, "repeat", "repeats")
    shape = self._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    padded = (1,) * (len(repeats) - len(shape)) + shape
    target = [size * r for size, r in zip(padded, repeats)]
    for size in target:
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {target}")
    return Repeat.apply(self, repeats)


def flip(self, *dims) -> Tensor:
    """Reverse the order of elements along ``dims``; a copy, laid out like ``self``."""
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = _int_sizes(dims, "flip", "dims")
    wrapped = [_wrap_dim(d, self._data.ndim) for d in dims]
    _check_no_repeats(wrapped)
    if self._data.ndim == 0:
        wrapped = []
    return Flip.apply(self, tuple(wrapped))


# ---- Tensor methods defined here
Tensor.view = view
Tensor.view_as = view_as
Tensor.reshape = reshape
Tensor.reshape_as = reshape_as
Tensor.flatten = flatten
Tensor.unflatten = unflatten
Tensor.squeeze = squeeze
Tensor.unsqueeze = unsqueeze
Tensor.permute = permute
Tensor.transpose = transpose
Tensor.swapaxes = swapaxes
Tensor.swapdims = swapdims
Tensor.t = t
Tensor.T = property(T)
Tensor.mT = property(mT)
Tensor.movedim = movedim
Tensor.moveaxis = moveaxis
Tensor.expand = expand
Tensor.expand_as = expand_as
Tensor.broadcast_to = broadcast_to
Tensor.narrow = narrow
Tensor.select = select
Tensor.unbind = unbind
Tensor.split = split
Tensor.chunk = chunk
Tensor.repeat = repeat
Tensor.flip = flip
