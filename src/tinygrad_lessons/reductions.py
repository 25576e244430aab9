"""Reductions: operations that fold many elements into fewer (``sum``, ``max``, ``std``, ``norm`` ...).

Every reduction answers three questions, and torch answers them the same way for all of them:

* **which dimensions?** ``dim`` is ``None`` (all of them), one int, or a tuple of ints;
  negative dims count from the end, and a dim named twice is an error. ``keepdim=True``
  leaves each reduced dimension in place with size 1, so the result still broadcasts
  against the input (``x - x.mean(1, keepdim=True)``).
* **which dtype?** Summing integers or bools gives int64 (a sum of many int8 values would
  overflow int8); ``mean``, ``std`` and ``norm`` need floating point input. float16 and
  bfloat16 are *accumulated* in float32 and rounded back once at the end: adding 4096
  ones one by one in float16 would get stuck at 2048.
* **what about empty input?** A sum of nothing is 0 and a product of nothing is 1, but
  ``max`` of nothing has no answer, so it is an error.

Results are fresh row-major tensors, whatever the input's layout. The differentiable
reductions are ``Function`` subclasses; the ones that return indices or booleans
(``argmax``, ``all``, ``count_nonzero`` ...) are plain functions. ``max``/``min``/``median``
along a dim return a named pair ``(values, indices)``.

Backward (chapter 4) mostly *undoes the reduction's shape*: the gradient of a reduced
result gets its reduced dims back as size 1 (``_restore_dims``) and then broadcasts over
the input — evenly for ``sum``, divided by the count for ``mean``, onto the chosen
elements for ``max``. ``Tensor.sum_to_size`` is the reverse trip, used by the backward of
every broadcasting op: it sums a gradient back down to an input's smaller shape.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import dtypes
from .backend import array_module
from .creation import arange
from .function import Function
from .grad_mode import is_grad_enabled
from .indexing import where
from .shape_ops import _check_no_repeats, cat
from .storage import contiguous_strides, strided_view
from .tensor import Tensor, _wrap, _wrap_dim

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "std", "var", "std_mean", "var_mean", "norm", "all", "any", "logsumexp",
    "cumsum", "cumprod", "count_nonzero", "median", "return_types",
]

_INT64 = np.dtype(np.int64)
_FLOAT32 = np.dtype(np.float32)
_HALF_TYPES = (dtypes.float16.numpy_dtype, dtypes.bfloat16.numpy_dtype)
#: the dtype a reduction adds up in, when it differs from the result's
_ACCUMULATE = {d: _FLOAT32 for d in _HALF_TYPES}


# ---------------------------------------------------------------------- named results
class _ValuesIndices(tuple):
    """A ``(values, indices)`` pair: unpack it, index it, or read ``.values`` / ``.indices``."""

    __slots__ = ()

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    def __getnewargs__(self):
        return tuple(self)

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"tl.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class return_types:  # torch's name
    """The named pairs ``max``/``min``/``median`` return along a dim (torch's ``torch.return_types``)."""

    class max(_ValuesIndices):  # noqa: A001
        __slots__ = ()

    class min(_ValuesIndices):  # noqa: A001
        __slots__ = ()

    class median(_ValuesIndices):
        __slots__ = ()


# ---------------------------------------------------------------------- helpers
def _reduction_axes(dim, ndim: int):
    """``dim`` as a tuple of non-negative axes, or ``None`` meaning "every dimension".

    ``None`` and an empty tuple both mean all dimensions (as in ``torch.sum``). A 0-d
    tensor accepts dim 0 or -1, and NumPy then wants ``None``.
    """
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if not dim:
            return None
        axes = tuple(_wrap_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            _check_no_repeats(axes)
    else:
        axes = (_wrap_dim(dim, ndim),)
    return axes if ndim else None


def _single_dim(name: str, dim, ndim: int) -> int:
    """A dimension for the reductions that take exactly one (``argmax``, ``cumsum`` ...)."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(dim, ndim)


def _reduced_count(shape, axes) -> int:
    """How many input elements fold into each output element."""
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


def _is_row_major(array) -> bool:
    """Whether ``array`` has exactly the strides torch gives a fresh tensor of its shape."""
    step = array.itemsize
    for size, stride in zip(reversed(array.shape), reversed(array.strides)):
        if stride != step:
            return False
        if size > 1:
            step *= size
    return True


def _finish(out, dtype):
    """The array library's answer as a fresh array of ``dtype`` with torch's row-major strides.

    A full reduction in NumPy gives a *scalar* (CuPy gives a 0-d array), so it becomes a
    0-d array; results of reductions over permuted input can come back in the input's
    memory order.
    """
    if isinstance(out, np.generic):
        return np.array(out, dtype)
    if out.dtype != dtype:
        out = out.astype(dtype)
    if out.ndim and not _is_row_major(out):
        flat = array_module(out).ascontiguousarray(out).reshape(-1)
        out = strided_view(flat, out.shape, contiguous_strides(out.shape), 0)
    return out


def _compute_dtype(np_dtype):
    """The dtype to do arithmetic in: float32 for the half types, else the dtype itself."""
    return _ACCUMULATE.get(np_dtype, np_dtype)


def _upcast(x):
    """``x`` in the dtype to compute in (half types become float32, exactly)."""
    acc = _ACCUMULATE.get(x.dtype)
    return x if acc is None else x.astype(acc)


def _check_not_empty(name: str, x, axes, error=RuntimeError, hint=True):
    """``max`` and friends have no value for an empty reduction: torch's errors."""
    if x.size:
        return
    if axes is None:
        message = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        if hint:
            message += " Specify the reduction dim with the 'dim' argument."
        raise error(message)
    for axis in axes:
        if x.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


# ---------------------------------------------------------------------- helpers for backward
def _kept_shape(shape, axes):
    """``shape`` with every reduced axis kept as size 1 (all of them when ``axes`` is None)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _restore_dims(t, shape, axes, keepdim):
    """A reduced result (or its gradient) with the reduced dims back as size 1: it broadcasts over the input.

    Nothing to do with ``keepdim=True``, nor for a reduction over everything (a 0-d tensor broadcasts).
    """
    if keepdim or axes is None:
        return t
    return t.reshape(_kept_shape(shape, axes))


def _as_input_dtype(grad, np_dtype):
    """The gradient in the input's dtype (``sum(dtype=...)`` and friends compute in another one)."""
    if grad._data.dtype != np_dtype:
        return grad.to(dtypes.FROM_NUMPY[np_dtype])
    return grad


def _evenly_distribute(grad, x, value):
    """``grad`` shared equally by the elements of ``x`` equal to ``value`` (or by its NaNs, if it is NaN).

    The backward of ``max()``, ``min()`` and ``median()`` without a dim, as torch does it.
    (Written without asking "is ``value`` NaN?", which on a GPU would wait for the device.)
    """
    mask = (x == value) | (x.isnan() & value.isnan())
    return where(mask, grad / mask.sum(), 0)


def _select_backward(grad, indices, shape, dim, keepdim):
    """Gradient of picking one element per row (``max(x, dim)``...): ``grad`` goes to the picked index only."""
    if not shape:
        return grad
    if not keepdim:
        grad, indices = grad.unsqueeze(dim), indices.unsqueeze(dim)
    return grad.new_zeros(shape).scatter(dim, indices, grad)


def _reversed_cumsum(t, dim):
    """``out[i] = t[i] + t[i+1] + ... + t[n-1]`` along ``dim``."""
    return t.flip(dim).cumsum(dim).flip(dim)


# ---------------------------------------------------------------------- sum, mean, prod
def _sum_dtype(input_dtype, dtype):
    """``dtype`` if given; otherwise integers and bools widen to int64, floats stay as they are."""
    if dtype is not None:
        return dtypes.as_dtype(dtype).numpy_dtype
    return input_dtype.numpy_dtype if input_dtype.is_floating_point else _INT64


class Sum(Function):
    """``sum()`` of everything (``SumBackward0``); ``SumDim`` is ``sum(dim)``."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, out_dtype):
        """Convert to the result's dtype first (as torch does), then add up (halves in float32)."""
        ctx.shape, ctx.axes, ctx.keepdim, ctx.in_dtype = x.shape, axes, keepdim, x.dtype
        if x.dtype != out_dtype:
            x = x.astype(out_dtype)
        return _finish(x.sum(axes, _compute_dtype(out_dtype), None, keepdim), out_dtype)

    @staticmethod
    def backward(ctx, grad):
        """Every input element added into the result once: each gets the result's gradient, as is."""
        grad = _restore_dims(grad, ctx.shape, ctx.axes, ctx.keepdim).expand(ctx.shape)
        return _as_input_dtype(grad, ctx.in_dtype), None, None, None


class SumDim(Sum):
    node_name = "SumBackward1"


def _mean(x, axes, keepdim, out_dtype):
    if x.dtype != out_dtype:
        x = x.astype(out_dtype)
    count = _reduced_count(x.shape, axes)
    total = x.sum(axes, _compute_dtype(out_dtype), None, keepdim)
    if count == 0:  # the mean of nothing is nan (and NumPy would warn about 0/0)
        return _finish(array_module(x).full(total.shape, np.nan, out_dtype), out_dtype)
    return _finish(total / count, out_dtype)


def _mean_backward(grad, shape, axes, keepdim):
    """Each element is 1/count of the mean: the gradient, divided by count, spread over the input."""
    count = _reduced_count(shape, axes)
    grad = _restore_dims(grad, shape, axes, keepdim)
    return (grad / count if count else grad).expand(shape)  # (no elements: the gradient is empty anyway)


class Mean(Function):
    """``mean()`` of everything (``MeanBackward0``); ``MeanDim`` is ``mean(dim)``."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, out_dtype):
        ctx.shape, ctx.axes, ctx.keepdim, ctx.in_dtype = x.shape, axes, keepdim, x.dtype
        return _mean(x, axes, keepdim, out_dtype)

    @staticmethod
    def backward(ctx, grad):
        """Like ``sum``'s, divided by how many elements were averaged."""
        return _as_input_dtype(_mean_backward(grad, ctx.shape, ctx.axes, ctx.keepdim), ctx.in_dtype), None, None, None


class MeanDim(Mean):
    node_name = "MeanBackward1"


class Prod(Function):
    """``prod()`` of everything (``ProdBackward0``); ``ProdDim`` is ``prod(dim)``."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, out_dtype):
        ctx.axes, ctx.keepdim, ctx.in_dtype = axes, keepdim, x.dtype
        inp = x
        if x.dtype != out_dtype:
            x = x.astype(out_dtype)
        out = _finish(x.prod(axes, _compute_dtype(out_dtype), None, keepdim), out_dtype)
        ctx.save_for_backward(inp, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """d(x0 * x1 * ... ) / dx_k is the product of all the *other* elements.

        That is ``result / x_k`` when no element is zero. With zeros, ``result / x`` would be
        0 / 0, so the product of the others is built from running products of the elements
        before and after each one (torch's way; exact, and differentiable again).
        """
        x, result = ctx.saved_tensors
        if not x.shape:
            return _as_input_dtype(grad, ctx.in_dtype), None, None, None
        has_zeros = bool((x == 0).any())
        if ctx.axes is None:  # everything: work on the flattened input
            if grad.shape:
                grad, result = grad.reshape(()), result.reshape(())
            if has_zeros:
                flat = _prod_others(x.reshape(-1), 0)
                return _as_input_dtype(grad * flat.reshape(x.shape), ctx.in_dtype), None, None, None
        else:
            grad = _restore_dims(grad, x.shape, ctx.axes, ctx.keepdim)
            result = _restore_dims(result, x.shape, ctx.axes, ctx.keepdim)
            if has_zeros:
                return _as_input_dtype(grad * _prod_others(x, ctx.axes[0]), ctx.in_dtype), None, None, None
        return _as_input_dtype(grad * (result / x), ctx.in_dtype), None, None, None


class ProdDim(Prod):
    node_name = "ProdBackward1"


def _prod_others(x, dim):
    """For each element, the product of all the other elements along ``dim`` (no division, so zeros are fine).

    ``before[k] = x[0] * ... * x[k-1]`` and ``after[k] = x[k+1] * ... * x[n-1]`` are
    running products (``cumprod``) of the input shifted by one place; their product
    leaves out exactly ``x[k]``.
    """
    n = x.shape[dim]
    if n == 0:
        return x
    ones = x.new_ones(_kept_shape(x.shape, (dim,)))
    before = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    after = cat([ones, x.narrow(dim, 1, n - 1).flip(dim)], dim).cumprod(dim).flip(dim)
    return before * after


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001, A002 - torch's names
    """Sum over ``dim`` (all dims by default); integers and bools sum to int64."""
    if dim is None:
        return Sum.apply(input, None, keepdim, _sum_dtype(input.dtype, dtype))
    return SumDim.apply(input, _reduction_axes(dim, input._data.ndim), keepdim, _sum_dtype(input.dtype, dtype))


def mean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - torch's name
    """Average over ``dim``; needs a floating point input (or a floating ``dtype``)."""
    if dtype is not None:
        out_dtype = dtypes.as_dtype(dtype)
        if not out_dtype.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {dtypes.SCALAR_NAMES[out_dtype]}")
    else:
        out_dtype = input.dtype
        if not out_dtype.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {dtypes.SCALAR_NAMES[out_dtype]}")
    if dim is None:
        return Mean.apply(input, None, keepdim, out_dtype.numpy_dtype)
    return MeanDim.apply(input, _reduction_axes(dim, input._data.ndim), keepdim, out_dtype.numpy_dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - torch's name
    """Product over one ``dim`` (or all elements); integers and bools multiply in int64."""
    out_dtype = _sum_dtype(input.dtype, dtype)
    if dim is None:
        if keepdim:  # torch's prod has no "all dims, keep them" form
            raise TypeError("prod(): argument 'dim' must be int, not NoneType")
        return Prod.apply(input, None, keepdim, out_dtype)
    axis = _single_dim("prod", dim, input._data.ndim)
    return ProdDim.apply(input, (axis,) if input._data.ndim else None, keepdim, out_dtype)


# ---------------------------------------------------------------------- max, min, argmax, median
def _extreme(largest, x, axes, keepdim):
    """The largest (or smallest) values over ``axes``; NaN wins, as in torch."""
    up = _upcast(x)
    return _finish((up.max if largest else up.min)(axes, None, keepdim), x.dtype)


def _arg_extreme(name, x, axis, keepdim):
    """Index of the first largest (``"argmax"``) or smallest (``"argmin"``) element along ``axis``
    (the first NaN, if any)."""
    xp = array_module(x)
    if x.ndim == 0:
        return xp.zeros((), _INT64)
    return _finish(getattr(xp, name)(_upcast(x), axis=axis, keepdims=keepdim), _INT64)


class Amax(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = _extreme(True, x, axes, keepdim)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """The gradient goes to the elements equal to the result, shared evenly among ties (as torch does)."""
        x, result = ctx.saved_tensors
        grad = _restore_dims(grad, x.shape, ctx.axes, ctx.keepdim)
        mask = _restore_dims(result, x.shape, ctx.axes, ctx.keepdim) == x
        return (grad / mask.sum(ctx.axes, keepdim=True)) * mask, None, None


class Amin(Amax):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = _extreme(False, x, axes, keepdim)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x, out)
        return out


class Max(Amax):
    """``max()`` of everything: the same computation as ``amax``; ties (or NaNs) share the gradient."""

    node_name = "MaxBackward1"

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return _evenly_distribute(grad, x, result), None, None


class Min(Amin):
    """``min()`` of everything: the same computation as ``amin``; ties (or NaNs) share the gradient."""

    node_name = "MinBackward1"

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return _evenly_distribute(grad, x, result), None, None


class MaxDim(Function):
    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        axes = (dim,) if x.ndim else None
        indices = _arg_extreme("argmax", x, dim, keepdim)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.save_for_backward(indices)
        return _extreme(True, x, axes, keepdim), indices

    @staticmethod
    def backward(ctx, grad, grad_indices):
        """Only the element that was picked (its index is in ``indices``) gets the gradient."""
        (indices,) = ctx.saved_tensors
        return _select_backward(grad, indices, ctx.shape, ctx.dim, ctx.keepdim), None, None


class MinDim(MaxDim):
    node_name = "MinBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        axes = (dim,) if x.ndim else None
        indices = _arg_extreme("argmin", x, dim, keepdim)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.save_for_backward(indices)
        return _extreme(False, x, axes, keepdim), indices


def max(input, dim=None, keepdim=False):  # noqa: A001, A002 - torch's names
    """The largest element (0-d), or ``(values, indices)`` along ``dim``; ``max(a, b)`` is ``maximum``."""
    if dim is None:
        _check_not_empty("max", input._data, None)
        return Max.apply(input, None, False)
    if isinstance(dim, Tensor):
        from . import math_ops

        return math_ops.maximum(input, dim)
    axis = _single_dim("max", dim, input._data.ndim)
    _check_not_empty("max", input._data, (axis,))
    return return_types.max(*MaxDim.apply(input, axis, keepdim))


def min(input, dim=None, keepdim=False):  # noqa: A001, A002 - torch's names
    """The smallest element (0-d), or ``(values, indices)`` along ``dim``; ``min(a, b)`` is ``minimum``."""
    if dim is None:
        _check_not_empty("min", input._data, None)
        return Min.apply(input, None, False)
    if isinstance(dim, Tensor):
        from . import math_ops

        return math_ops.minimum(input, dim)
    axis = _single_dim("min", dim, input._data.ndim)
    _check_not_empty("min", input._data, (axis,))
    return return_types.min(*MinDim.apply(input, axis, keepdim))


def amax(input, dim=(), keepdim=False):  # noqa: A002 - torch's name
    """The largest values over ``dim`` (an int or a tuple; all dims by default)."""
    axes = _reduction_axes(dim, input._data.ndim)
    _check_not_empty("amax", input._data, axes)
    return Amax.apply(input, axes, keepdim)


def amin(input, dim=(), keepdim=False):  # noqa: A002 - torch's name
    """The smallest values over ``dim`` (an int or a tuple; all dims by default)."""
    axes = _reduction_axes(dim, input._data.ndim)
    _check_not_empty("amin", input._data, axes)
    return Amin.apply(input, axes, keepdim)


def _argmax_or_argmin(name, input, dim, keepdim):  # noqa: A002 - torch's name
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:  # the index into the flattened tensor
        _check_not_empty(name, x, None, IndexError, hint=False)
        xp = array_module(x)
        index = xp.asarray(getattr(xp, name)(_upcast(x).reshape(-1)))  # (NumPy gives a scalar)
        shape = (1,) * x.ndim if keepdim else ()
        return _wrap(_finish(index.astype(_INT64).reshape(shape), _INT64))
    axis = _single_dim(name, dim, x.ndim)
    _check_not_empty(name, x, (axis,))
    return _wrap(_arg_extreme(name, x, axis, keepdim))


def argmax(input, dim=None, keepdim=False):  # noqa: A002 - torch's name
    """Index of the (first) largest element: into the flattened tensor, or along ``dim``."""
    return _argmax_or_argmin("argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):  # noqa: A002 - torch's name
    """Index of the (first) smallest element: into the flattened tensor, or along ``dim``."""
    return _argmax_or_argmin("argmin", input, dim, keepdim)


def _lower_median_index(x, axis):
    """Per row along ``axis``: where the lower median sits (the first NaN, if the row has one).

    A *stable* sort keeps equal values in their original order, which is how torch
    picks among ties.
    """
    xp = array_module(x)
    x = _upcast(x)
    order = xp.argsort(x, axis=axis, kind="stable")
    k = (x.shape[axis] - 1) // 2
    index = order[(slice(None),) * axis + (slice(k, k + 1),)]
    if x.dtype.kind == "f":  # (always computed: asking "any NaN?" first would wait for a GPU)
        is_nan = xp.isnan(x)
        has_nan = is_nan.any(axis=axis, keepdims=True)
        index = xp.where(has_nan, xp.argmax(is_nan, axis=axis, keepdims=True), index)
    return index


class Median(Function):
    @staticmethod
    def forward(ctx, x):
        flat = x.reshape(-1)
        if flat.size == 0:
            out = array_module(x).full((), np.nan, x.dtype)
        else:
            out = _finish(flat[_lower_median_index(flat, 0)].reshape(()), x.dtype)  # (a 0-d array, not a scalar)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """As for ``max()``: the elements equal to the median share the gradient evenly."""
        x, result = ctx.saved_tensors
        return _evenly_distribute(grad, x, result)


class MedianDim(Function):
    node_name = "MedianBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        xp = array_module(x)
        if x.ndim == 0:
            index = xp.zeros((), _INT64)
            ctx.save_for_backward(index)
            return x.copy(), index
        index = _lower_median_index(x, dim)
        values = xp.take_along_axis(x, index, axis=dim)
        if not keepdim:
            index, values = index.squeeze(dim), values.squeeze(dim)
        index = _finish(index, _INT64)
        ctx.save_for_backward(index)
        return _finish(values, x.dtype), index

    @staticmethod
    def backward(ctx, grad, grad_indices):
        """Only the element that was picked as the median gets the gradient."""
        (indices,) = ctx.saved_tensors
        return _select_backward(grad, indices, ctx.shape, ctx.dim, ctx.keepdim), None, None


def median(input, dim=None, keepdim=False):  # noqa: A002 - torch's name
    """The lower of the two middle values (0-d), or ``(values, indices)`` along ``dim``; NaN wins."""
    x = input._data
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{'median_cpu' if dim is None else 'median_out'}\" not implemented for 'Bool'")
    if dim is None:
        if x.size == 0 and not input.dtype.is_floating_point:
            raise RuntimeError("median() of an empty integer tensor has no value")
        return Median.apply(input)
    axis = _single_dim("median", dim, x.ndim)
    _check_not_empty("median", x, (axis,))
    return return_types.median(*MedianDim.apply(input, axis, keepdim))


# ---------------------------------------------------------------------- var, std
def _parse_correction(name, dim, unbiased, correction):
    """torch's three spellings: ``var(x, True)``, ``var(x, dim, unbiased)``, ``var(x, dim, correction=c)``."""
    if dim.__class__ is bool:  # var(x, True): the legacy `unbiased` in dim's place
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass either 'unbiased' or 'correction', not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _check_floating(name, input):  # noqa: A002 - torch's name
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def _variance(x, axes, correction, keepdim):
    """Mean squared distance from the mean, divided by ``count - correction``; in float32 for halves."""
    x = _upcast(x)
    count = _reduced_count(x.shape, axes)
    centered = x - x.sum(axes, None, None, True) / count
    squares = (centered * centered).sum(axes, None, None, keepdim)
    return squares / builtins.max(count - correction, 0)


def _safe_variance(name, x, axes, correction, keepdim):
    """``_variance``, with torch's warning when there are too few elements for ``correction``."""
    if x.size and _reduced_count(x.shape, axes) - correction > 0:
        return _variance(x, axes, correction, keepdim)
    warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                  "factor (input numel divided by output numel).", UserWarning, stacklevel=5)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _variance(x, axes, correction, keepdim)


def _var_backward(grad, x, axes, correction, keepdim):
    """d var / dx = 2 (x - mean) / (N - correction), times the incoming gradient (torch's formula)."""
    if axes is None:
        dof = x.numel() - correction
        if dof <= 0:  # the forward gave inf or nan: so does the gradient (nan where x == mean)
            return grad * where(x == x.mean(), math.nan, math.inf).to(x.dtype)
        return (2.0 / dof) * grad * (x - x.mean())
    grad = _restore_dims(grad, x.shape, axes, keepdim)
    dof = _reduced_count(x.shape, axes) - correction
    scale = 2.0 / dof if dof else math.inf
    return scale * grad * (x - x.mean(axes, keepdim=True))


def _std_backward(grad, x, result, axes, correction, keepdim):
    """std = sqrt(var): the chain rule divides by 2 std; torch gives 0 (not nan) where std is 0."""
    grad_var = (grad / (result * 2)).masked_fill(result == 0, 0)
    return _var_backward(grad_var, x, axes, correction, keepdim)


class Var(Function):
    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        ctx.save_for_backward(x)
        return _finish(_safe_variance("var", x, axes, correction, keepdim), x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _var_backward(grad, x, ctx.axes, ctx.correction, ctx.keepdim), None, None, None


class Std(Function):
    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        out = _finish(array_module(x).sqrt(_safe_variance("std", x, axes, correction, keepdim)), x.dtype)
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return _std_backward(grad, x, result, ctx.axes, ctx.correction, ctx.keepdim), None, None, None


class VarMean(Function):
    """``var_mean``: both results from one node, as in torch."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        ctx.save_for_backward(x)
        variance = _finish(_safe_variance("var_mean", x, axes, correction, keepdim), x.dtype)
        return variance, _mean(x, axes, keepdim, x.dtype)

    @staticmethod
    def backward(ctx, grad_var, grad_mean):
        (x,) = ctx.saved_tensors
        grad = _var_backward(grad_var, x, ctx.axes, ctx.correction, ctx.keepdim)
        return grad + _mean_backward(grad_mean, x.shape, ctx.axes, ctx.keepdim), None, None, None


class StdMean(Function):
    """``std_mean``: both results from one node, as in torch."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        std = _finish(array_module(x).sqrt(_safe_variance("std_mean", x, axes, correction, keepdim)), x.dtype)
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        ctx.save_for_backward(x, std)
        return std, _mean(x, axes, keepdim, x.dtype)

    @staticmethod
    def backward(ctx, grad_std, grad_mean):
        x, result = ctx.saved_tensors
        grad = _std_backward(grad_std, x, result, ctx.axes, ctx.correction, ctx.keepdim)
        return grad + _mean_backward(grad_mean, x.shape, ctx.axes, ctx.keepdim), None, None, None


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002 - torch's name
    """Variance over ``dim``: divides by ``N - correction`` (``N - 1`` by default, Bessel's correction)."""
    _check_floating("std and var", input)
    dim, correction = _parse_correction("var", dim, unbiased, correction)
    return Var.apply(input, _reduction_axes(dim, input._data.ndim), correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002 - torch's name
    """Standard deviation over ``dim``: the square root of ``var``."""
    _check_floating("std and var", input)
    dim, correction = _parse_correction("std", dim, unbiased, correction)
    return Std.apply(input, _reduction_axes(dim, input._data.ndim), correction, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002 - torch's name
    """``(var, mean)`` over the same dims, as a plain tuple."""
    _check_floating("var_mean", input)
    dim, correction = _parse_correction("var_mean", dim, unbiased, correction)
    return VarMean.apply(input, _reduction_axes(dim, input._data.ndim), correction, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002 - torch's name
    """``(std, mean)`` over the same dims, as a plain tuple."""
    _check_floating("std_mean", input)
    dim, correction = _parse_correction("std_mean", dim, unbiased, correction)
    return StdMean.apply(input, _reduction_axes(dim, input._data.ndim), correction, keepdim)


# ---------------------------------------------------------------------- norm, logsumexp
def _vector_norm(x, p, axes, keepdim):
    """``sum(|x| ** p) ** (1 / p)``, with the limits p = 0, inf, -inf spelled out."""
    xp = array_module(x)
    if p == 2:
        return xp.sqrt((x * x).sum(axes, None, None, keepdim))
    if p == 1:
        return xp.abs(x).sum(axes, None, None, keepdim)
    if p == math.inf:
        return xp.abs(x).max(axes, None, keepdim)
    if p == -math.inf:
        return xp.abs(x).min(axes, None, keepdim)
    if p == 0:  # how many elements are not zero
        return (x != 0).sum(axes, x.dtype, None, keepdim)
    with np.errstate(divide="ignore"):  # 0 ** (negative p) is inf, and the answer is then 0
        return (xp.abs(x) ** p).sum(axes, None, None, keepdim) ** (1.0 / p)


def _nuclear_norm(x, axes, keepdim):
    """Sum of the singular values of the matrices spanned by the two ``axes``."""
    xp = array_module(x)
    moved = xp.moveaxis(x, axes, (-2, -1))
    out = xp.linalg.svd(moved, compute_uv=False).sum(-1)
    if keepdim:
        out = xp.expand_dims(out, tuple(sorted(axes)))
    return out


class Norm(Function):
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, axes, keepdim, out_dtype):
        inp = x
        x = x.astype(_compute_dtype(out_dtype), copy=False)
        out = _finish(_vector_norm(x, p, axes, keepdim), out_dtype)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        ctx.save_for_backward(inp, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """torch's formulas, one per kind of norm; where the norm is 0 the gradient is 0 (not nan)."""
        x, norm = ctx.saved_tensors
        in_dtype = x._data.dtype
        p, axes = ctx.p, ctx.axes
        if p == 0:  # counting non-zeros: a step function, no gradient
            return None, None, None, None, None
        x = x.to(norm.dtype)
        grad = _restore_dims(grad, x.shape, axes, ctx.keepdim)
        norm = _restore_dims(norm, x.shape, axes, ctx.keepdim)
        if p == 1:  # sum |x|
            out = x.sign() * grad
        elif p == 2:  # sqrt(sum x^2)
            out = grad * (x / norm).masked_fill(norm == 0, 0)
        elif math.isinf(p):  # max |x| (or min): like amax, ties share the gradient
            magnitude = x.abs()
            mask = (magnitude == norm) | magnitude.isnan()
            out = x.sign() * ((grad / mask.sum(axes, keepdim=True)) * mask)
        elif p < 1:
            scaled = (x.sign() * x.abs() ** (p - 1)).masked_fill(x == 0, 0)
            out = scaled * grad * norm ** (1 - p)
        else:
            scaled = x.sign() * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
            out = scaled * (grad / norm ** (p - 1)).masked_fill(norm == 0, 0)
        return _as_input_dtype(out, in_dtype), None, None, None, None


class NuclearNorm(Function):
    """The sum of the singular values. torch computes it as ``svdvals(x).sum(-1)``: its node is a sum."""

    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, p, axes, keepdim, out_dtype):
        ctx.axes, ctx.keepdim, ctx.in_dtype = axes, keepdim, x.dtype
        ctx.save_for_backward(x)
        return _finish(_nuclear_norm(x.astype(_compute_dtype(out_dtype), copy=False), axes, keepdim), out_dtype)

    @staticmethod
    def backward(ctx, grad):
        """d ||A||_* / dA = U V^T (from A = U S V^T), for each matrix.

        U V^T is computed on the arrays, as a constant: right for the gradient, but a
        second derivative (``create_graph=True``) would miss its dependence on A.
        """
        (x,) = ctx.saved_tensors
        axes = ctx.axes
        xp = array_module(x._data)
        moved = xp.moveaxis(x._data.astype(_compute_dtype(grad._data.dtype), copy=False), axes, (-2, -1))
        u, _, vh = xp.linalg.svd(moved, full_matrices=False)
        direction = _wrap(xp.moveaxis(u @ vh, (-2, -1), axes).astype(grad._data.dtype, copy=False))
        grad = _restore_dims(grad, x.shape, axes, ctx.keepdim)
        return _as_input_dtype(grad * direction, ctx.in_dtype), None, None, None, None


def _norm_dims(p, dim, ndim):
    """Axes for ``norm``: ``'fro'`` and ``'nuc'`` are matrix norms, so they take at most two dims."""
    axes = _reduction_axes(dim, ndim)
    if p == "fro" and (axes is None or len(axes) <= 2):
        return axes
    if p == "fro" or p == "nuc":
        if p == "nuc" and ndim < 2:
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
        axes = tuple(range(ndim)) if axes is None else axes
        if len(axes) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, axes))}")
    return axes


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002 - torch's name
    """The size of a tensor: ``sum(|x| ** p) ** (1 / p)`` over ``dim`` (2-norm by default)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.SCALAR_NAMES[input.dtype]}")
    out_dtype = input.dtype
    if dtype is not None:
        out_dtype = dtypes.as_dtype(dtype)
        if not out_dtype.is_floating_point:
            raise RuntimeError("linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {dtypes.SCALAR_NAMES[out_dtype]}")
    if p is None:
        p = 2  # torch: the vector 2-norm over whichever dims are given
    if isinstance(p, str) and p not in ("fro", "nuc"):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    axes = _norm_dims(p, dim, input._data.ndim)
    if p == "fro":
        p = 2
    if p != "nuc" and (p < 0 or p == math.inf):
        _check_norm_not_empty(input._data, p, axes)
    if p == "nuc":
        return NuclearNorm.apply(input, p, axes, keepdim, out_dtype.numpy_dtype)
    return Norm.apply(input, p, axes, keepdim, out_dtype.numpy_dtype)


def _check_norm_not_empty(x, p, axes):
    """Norms built on max/min (inf, -inf, negative p) have no value for an empty reduction."""
    if x.size:
        return
    order = f"{p:g}"
    if axes is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on an empty tensor because the "
                           "operation does not have an identity")
    for axis in axes:
        if x.shape[axis] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on the dimension {axis}"
                               "because this dimension is empty and the operation does not have an identity")


class Logsumexp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, out_dtype):
        """``log(sum(exp(x)))`` without overflow: shift by the max, add it back after the log."""
        inp = x
        xp = array_module(x)
        x = x.astype(_compute_dtype(out_dtype), copy=False)
        if x.size:
            peak = x.max(axes, None, True)
        else:  # the max of nothing: -inf (only the shape matters, there are no elements)
            peak = xp.full(_kept_shape(x.shape, axes), -np.inf, x.dtype)
        shift = xp.where(xp.isfinite(peak), peak, 0)  # an infinite max would make inf - inf = nan
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for all -inf
            out = xp.log(xp.exp(x - shift).sum(axes, None, None, True)) + shift
        if not keepdim:
            out = out.reshape(_reduced_shape(x.shape, axes))
        out = _finish(out, out_dtype)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(inp, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """d/dx_k log(sum exp x) = exp(x_k) / sum(exp x) = exp(x_k - result): the softmax."""
        x, result = ctx.saved_tensors
        grad = _restore_dims(grad, x.shape, ctx.axes, ctx.keepdim)
        result = _restore_dims(result, x.shape, ctx.axes, ctx.keepdim)
        return grad * (x - result).exp(), None, None, None


def _reduced_shape(shape, axes):
    return () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)


def logsumexp(input, dim, keepdim=False):  # noqa: A002 - torch's name
    """``log(sum(exp(input)))`` over ``dim``, computed stably; integers give the default float dtype."""
    if input.dtype.is_floating_point:
        out_dtype = input.dtype.numpy_dtype
    else:
        out_dtype = dtypes.get_default_dtype().numpy_dtype
    return Logsumexp.apply(input, _reduction_axes(dim, input._data.ndim), keepdim, out_dtype)


# ---------------------------------------------------------------------- cumulative
def _cumulative_args(name, input, dim, dtype):  # noqa: A002 - torch's name
    """The axis and result dtype of ``cumsum``/``cumprod`` (integers and bools widen to int64)."""
    axis = _single_dim(name, dim, input._data.ndim)
    out_dtype = _sum_dtype(input.dtype, dtype)
    if out_dtype == np.bool_:
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    return axis, out_dtype


def _accumulate(name, x, axis, out_dtype):
    """Running sums (``"cumsum"``) or products (``"cumprod"``) along ``axis``, in float32 for the half types."""
    if x.dtype != out_dtype:
        x = x.astype(out_dtype)
    if x.ndim == 0:
        return x.copy()
    return _finish(getattr(x, name)(axis, _compute_dtype(out_dtype)), out_dtype)


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis, out_dtype):
        ctx.axis, ctx.in_dtype = axis, x.dtype
        return _accumulate("cumsum", x, axis, out_dtype)

    @staticmethod
    def backward(ctx, grad):
        """x_k is in every running sum from position k on: its gradient adds up grad[k:]."""
        if grad.ndim and grad.shape[ctx.axis] > 1:
            grad = _reversed_cumsum(grad, ctx.axis)
        return _as_input_dtype(grad, ctx.in_dtype), None, None


class Cumprod(Function):
    @staticmethod
    def forward(ctx, x, axis, out_dtype):
        out = _accumulate("cumprod", x, axis, out_dtype)
        ctx.axis, ctx.in_dtype = axis, x.dtype
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """d out_i / d x_k = out_i / x_k for i >= k, so the gradient is ``reversed_cumsum(out * grad) / x``.

        That divides by zero when ``x`` has zeros: then torch's zero-safe formulas are used
        (an O(n) one for a plain backward, an O(n^2) differentiable one under ``create_graph``).
        """
        x, out = ctx.saved_tensors
        dim = ctx.axis
        if not x.ndim or x.shape[dim] <= 1:
            return _as_input_dtype(grad, ctx.in_dtype), None, None
        is_zero = x == 0
        if not is_zero.any():
            grad = _reversed_cumsum(out * grad, dim) / x
        elif is_grad_enabled():
            grad = _cumprod_backward_differentiable(grad, x, dim)
        else:
            grad = _cumprod_backward_zeros(grad, x, out, is_zero, dim)
        return _as_input_dtype(grad, ctx.in_dtype), None, None


def _cumprod_backward_zeros(grad, x, out, is_zero, dim):
    """Cumprod's gradient when ``x`` has zeros, in O(n) (torch's formula; not differentiable again).

    Along each row, let z be the position of the first zero. Before z, ``out / x`` is fine.
    At z, the gradient is ``sum_{i >= z} grad[i] * prod_{j <= i, j != z} x[j]``. After z,
    every product that holds x[k] also holds x[z] = 0: the gradient is 0.
    """
    zeros_so_far = is_zero.cumsum(dim)
    before = zeros_so_far == 0
    first_zero = is_zero & (zeros_so_far == 1)
    grad_before = _reversed_cumsum(out * grad, dim) / x.masked_fill(~before, 1)
    without_first_zero = x.masked_fill(first_zero, 1).cumprod(dim)
    grad_first_zero = (grad * without_first_zero).masked_fill(before, 0).sum(dim, keepdim=True)
    return where(before, grad_before, where(first_zero, grad_first_zero, 0))


def _cumprod_backward_differentiable(grad, x, dim):
    """Cumprod's gradient built from cumprods of ``x`` with one element at a time set to 1: O(n^2),
    but made of differentiable operations only (used under ``create_graph`` when ``x`` has zeros)."""
    n = x.shape[dim]
    rows = x.movedim(dim, -1)
    k = arange(n, device=x.device)
    without_k = where(k.unsqueeze(1) == k, 1, rows.unsqueeze(-2).expand(rows.shape[:-1] + (n, n)))
    products = without_k.cumprod(-1)  # [..., k, i] = prod_{j <= i, j != k} x[j]
    terms = (grad.movedim(dim, -1).unsqueeze(-2) * products).masked_fill(k.unsqueeze(1) > k, 0)  # only i >= k
    return terms.sum(-1).movedim(-1, dim)


def cumsum(input, dim, *, dtype=None):  # noqa: A002 - torch's name
    """Running sum along ``dim``: element i is the sum of elements 0..i; integers give int64."""
    axis, out_dtype = _cumulative_args("cumsum", input, dim, dtype)
    return Cumsum.apply(input, axis, out_dtype)


def cumprod(input, dim, *, dtype=None):  # noqa: A002 - torch's name
    """Running product along ``dim``; integers give int64."""
    axis, out_dtype = _cumulative_args("cumprod", input, dim, dtype)
    return Cumprod.apply(input, axis, out_dtype)


# ---------------------------------------------------------------------- logical and counting
def _nonzero_mask(x):
    """Which elements count as True: anything but 0 (NaN included)."""
    return x if x.dtype == np.bool_ else x != 0


def _all_or_any(name, input, dim, keepdim):  # noqa: A002 - torch's name
    x = input._data
    out_dtype = np.uint8 if x.dtype == np.uint8 else np.bool_  # torch keeps uint8 for uint8 input
    if isinstance(dim, (tuple, list)) and not dim:  # dim=() reduces nothing here, unlike in sum
        _reduction_axes(dim, x.ndim)
        return _wrap(_finish(_nonzero_mask(x).astype(out_dtype), out_dtype))
    axes = _reduction_axes(dim, x.ndim)
    mask = _nonzero_mask(x)
    return _wrap(_finish(getattr(mask, name)(axis=axes, keepdims=keepdim), out_dtype))


def all(input, dim=None, keepdim=False):  # noqa: A001, A002 - torch's names
    """Whether every element (over ``dim``) is non-zero; True for an empty tensor."""
    return _all_or_any("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001, A002 - torch's names
    """Whether some element (over ``dim``) is non-zero; False for an empty tensor."""
    return _all_or_any("any", input, dim, keepdim)


def count_nonzero(input, dim=None):  # noqa: A002 - torch's name
    """How many elements (over ``dim``) are not zero, as int64."""
    x = input._data
    axes = _reduction_axes(dim, x.ndim)
    return _wrap(_finish(_nonzero_mask(x).sum(axes, _INT64), _INT64))


# ---------------------------------------------------------------------- undoing broadcasting
def sum_to_size(self, *size) -> Tensor:
    """Sum ``self`` down to ``size``, a shape that broadcasts to ``self.shape``: the reverse of ``expand``.

    Leading dimensions that ``size`` lacks and dimensions where it has 1 are summed away.
    Every broadcasting op's backward uses it to give each input a gradient of its own
    shape; when nothing needs summing it returns ``self`` itself, at no cost.
    """
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    size = tuple(size)
    shape = self._data.shape
    if size == shape:
        return self
    lead = len(shape) - len(size)
    if lead < 0 or builtins.any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if not size:
        return sum(self)
    inner = tuple(lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1)
    out_dtype = _sum_dtype(self.dtype, None)
    if not inner and not (self.requires_grad and is_grad_enabled()):
        # only leading dims to sum (a bias's gradient): one op. torch's graph, sum then view, is
        # built below when it is recorded; here (as in a plain backward) nobody can see it.
        return SumDim.apply(self, tuple(range(lead)), False, out_dtype)
    out = SumDim.apply(self, tuple(range(lead)) + inner, True, out_dtype) if lead or inner else self
    return out.view(size) if lead else out


# ---- Tensor methods defined here
Tensor.sum = sum
Tensor.mean = mean
Tensor.prod = prod
Tensor.max = max
Tensor.min = min
Tensor.amax = amax
Tensor.amin = amin
Tensor.argmax = argmax
Tensor.argmin = argmin
Tensor.median = median
Tensor.var = var
Tensor.std = std
Tensor.norm = norm
Tensor.logsumexp = logsumexp
Tensor.cumsum = cumsum
Tensor.cumprod = cumprod
Tensor.all = all
Tensor.any = any
Tensor.count_nonzero = count_nonzero
Tensor.sum_to_size = sum_to_size
