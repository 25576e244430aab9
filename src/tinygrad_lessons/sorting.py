"""Sorting: ``sort``, ``argsort``, ``topk`` and ``msort``.

Sorting along a dimension puts each row (the elements you meet walking along ``dim``)
in order; ``argsort`` says *where each sorted element came from*, and ``sort`` returns
both, as the named pair ``(values, indices)``. ``topk`` is the first ``k`` of such a sort.

torch answers three questions that a plain "put them in order" leaves open:

* **where do NaNs go?** A NaN is not smaller, equal or larger than anything, so a sort
  needs a rule: torch treats NaN as *larger than* ``+inf``. Ascending, NaNs come last;
  descending, they come first (so ``topk`` picks NaNs as the largest values). NumPy's
  and CuPy's sorts put NaNs last too, which gives the ascending rule for free.
* **what about ties?** Equal values (``-0.0`` and ``0.0`` are equal, too) can come out
  in any order and still be "sorted". A *stable* sort keeps equal elements in the order
  they had, which makes ``indices`` predictable. Here every sort is stable: with
  ``stable=True`` that is what torch promises; with the default ``stable=False`` torch
  2.13 on the CPU gives the same answer for rows of up to 16 elements (it sorts those by
  insertion, which is stable) and an order of its own choosing among ties in longer rows.
* **descending with ties.** Flipping an ascending sort gives descending values, but it
  also reverses every group of ties. torch keeps ties in their original order in a
  descending sort too; the trick used here is to flip the *input*, sort it ascending
  (stably), and flip the result back: ties are reversed twice, i.e. not at all, and the
  NaNs that an ascending sort puts last end up first.

The results are new memory laid out like the input (a transposed matrix sorts into a
transposed result), as torch's ``sort`` does; ``topk``'s results are row-major.

Backward (chapter 4): sorting only *moves* elements, so the gradient of the sorted
values moves back to where each value came from: ``grad_input.scatter(dim, indices,
grad)``. ``topk`` drops elements, and those get a zero gradient. The indices are
integers and carry no gradient.
"""

from __future__ import annotations

import operator

from .backend import array_module
from .function import Function
from .layout import copy_with_strides, element_strides, preserve_format_strides
from .reductions import _INT64, _finish, _select_backward, _upcast, _ValuesIndices, return_types
from .storage import contiguous_strides
from .tensor import Tensor, _wrap, _wrap_dim

__all__ = ["sort", "argsort", "topk", "msort"]


# ---------------------------------------------------------------------- named results
class _named:  # (a namespace: the class names are torch's, and they would clash with the functions below)
    class sort(_ValuesIndices):
        __slots__ = ()

    class topk(_ValuesIndices):
        __slots__ = ()


return_types.sort = _named.sort  # tl.return_types.sort, next to max/min/median
return_types.topk = _named.topk


# ---------------------------------------------------------------------- the one sort
def _stable_order(x, axis: int, descending: bool):
    """The indices that sort ``x`` along ``axis``: NaN largest, ties in their original order.

    Ascending is the array library's stable ``argsort`` (NaNs last). Descending sorts the
    *flipped* row and flips the answer back (see the module's docstring), then turns
    positions in the flipped row into positions in the original one (``n - 1 - i``).
    No negation (``argsort(-x)``) here: it would overflow ``uint8`` and the smallest int,
    means nothing for bools, and would put NaNs last instead of first.
    """
    xp = array_module(x)
    key = _upcast(x)  # float16/bfloat16 as float32: exact, and every library can sort it
    if not descending:
        return xp.argsort(key, axis=axis, kind="stable")
    order = xp.argsort(xp.flip(key, axis), axis=axis, kind="stable")
    return (x.shape[axis] - 1) - xp.flip(order, axis)


def _sorted(x, axis: int, descending: bool):
    """``(values, indices)`` of a sort along ``axis``, both row-major (a 0-d array is its own sort)."""
    xp = array_module(x)
    if x.ndim == 0:
        return x.copy(), xp.zeros((), _INT64)
    indices = _stable_order(x, axis, descending)
    return xp.take_along_axis(x, indices, axis=axis), indices


def _laid_out_like(out, x):
    """``out`` in new memory with the strides torch's ``sort`` gives: the input's, made dense.

    A permuted input keeps its strides; one with gaps (sliced) or repeats (expanded) gets
    dense strides in the same order (``preserve_format_strides``, as ``empty_like`` does).
    """
    strides = preserve_format_strides(x.shape, element_strides(x))
    if out.ndim == 0 or strides == contiguous_strides(x.shape):
        return _finish(out, out.dtype)
    return copy_with_strides(out, strides)


class Sort(Function):
    """``sort(dim)``: the values in order and where each came from (``SortBackward0``)."""

    @staticmethod
    def forward(ctx, x, dim, descending):
        values, indices = _sorted(x, dim, descending)
        values, indices = _laid_out_like(values, x), _laid_out_like(indices, x)
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, grad_indices):
        """Each sorted value's gradient goes back to the position it was taken from."""
        (indices,) = ctx.saved_tensors
        return _select_backward(grad, indices, ctx.shape, ctx.dim, True), None, None


class Topk(Function):
    """``topk(k, dim)``: the first ``k`` of a sort (largest first, or smallest first)."""

    @staticmethod
    def forward(ctx, x, k, dim, largest):
        values, indices = _sorted(x, dim, largest)
        if x.ndim:  # (a 0-d tensor is its own top 1 - and, in torch, its own top 0)
            first_k = (slice(None),) * dim + (slice(0, k),)
            values, indices = values[first_k], indices[first_k]
        values, indices = _finish(values, x.dtype), _finish(indices, _INT64)
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, grad_indices):
        """The ``k`` chosen elements get their gradient back; the others were not used, so get zero."""
        (indices,) = ctx.saved_tensors
        return _select_backward(grad, indices, ctx.shape, ctx.dim, True), None, None, None


# ---------------------------------------------------------------------- the functions torch has
def sort(input, dim=-1, descending=False, *, stable=False):  # noqa: A002 - torch's name
    """``(values, indices)``: ``input`` sorted along ``dim``; NaN counts as the largest value.

    The sort is always stable (ties keep their order), so ``stable`` changes nothing here;
    see the module's docstring for how that compares with torch.
    """
    axis = _wrap_dim(dim, input._data.ndim)
    return return_types.sort(*Sort.apply(input, axis, bool(descending)))


def argsort(input, dim=-1, descending=False, *, stable=False):  # noqa: A002 - torch's name
    """The ``indices`` of ``sort(input, dim, descending)``, without computing the values (int64)."""
    x = input._data
    axis = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return _wrap(array_module(x).zeros((), _INT64))
    return _wrap(_laid_out_like(_stable_order(x, axis, bool(descending)), x))


def msort(input):  # noqa: A002 - torch's name
    """``input`` sorted along its first dimension (the values of ``sort(input, dim=0)``)."""
    return sort(input, 0).values


def _check_k(k, size: int) -> int:
    """``k`` as an int, between 0 and the size of the dimension (torch's errors otherwise)."""
    if isinstance(k, bool) or not hasattr(k, "__index__"):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    k = operator.index(k)
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    return k


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's names
    """``(values, indices)`` of the ``k`` largest (or, ``largest=False``, smallest) elements along ``dim``.

    NaN counts as the largest value. Among equal values the first ones win. The results
    always come in sorted order: torch promises no order for ``sorted=False`` (on the CPU
    it gives whatever its selection algorithm leaves), and sorted is one such order.
    """
    x = input._data
    axis = _wrap_dim(dim, x.ndim)
    k = _check_k(k, x.shape[axis] if x.ndim else 1)
    if x.dtype == bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    return return_types.topk(*Topk.apply(input, k, axis, bool(largest)))


# ---- Tensor methods defined here
Tensor.sort = sort
Tensor.argsort = argsort
Tensor.msort = msort
Tensor.topk = topk
