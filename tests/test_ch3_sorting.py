"""Chapter 3, sorting: ``sort``, ``argsort``, ``topk``, ``msort`` held up against torch, gradients included.

What is compared: values, indices (int64), dtypes, shapes and strides (``sort`` lays its
results out like the input, ``topk`` row-major), torch's rules for NaN (larger than
``+inf``), ``-0.0`` versus ``0.0`` (equal: a tie), ties in ascending and descending order,
every dtype, 0-d and empty tensors, torch's errors, the named-pair repr, and the
gradients (``SortBackward0`` / ``TopkBackward0``).

Where torch leaves the answer open, the library's documented choice is tested instead:
among ties in rows longer than 16 elements torch 2.13's CPU ``stable=False`` sort (and
``topk``, at any length) picks an order of its own; here the order is always the stable one.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lessons as tl
from grad_parity import check_gradients
from parity import (
    DTYPE_PAIRS,
    FLOAT_PAIRS,
    assert_matches,
    assert_same_error,
    check_op,
    pair_from_numpy,
    tensor_pairs,
    to_numpy,
)

SOME = settings(max_examples=25)
NO_BOOL = [p for p in DTYPE_PAIRS if p[0] is not tl.bool]
F32_F64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
NAN, INF = float("nan"), float("inf")


@st.composite
def dim_for(draw, ndim):
    span = max(ndim, 1)  # a 0-d tensor takes dim 0 or -1
    return draw(st.integers(-span, span - 1))


@st.composite
def special_floats(draw):
    """A float tensor pair full of NaN, +-inf, +-0.0 and repeated small values."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple))
    pool = np.array([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.5])
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return pair_from_numpy(pool[rng.integers(0, len(pool), shape)], draw(st.sampled_from(FLOAT_PAIRS)))


@st.composite
def distinct_pairs(draw, dtype_pairs=F32_F64):
    """A tensor pair without ties (each row a shuffled range): every index is determined by the values."""
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.permutation(int(np.prod(shape))).reshape(shape) - 5.0
    return pair_from_numpy(values, draw(st.sampled_from(dtype_pairs)))


def same_signs(ours, theirs):
    """``-0.0`` and ``0.0`` compare equal, so values are also compared by their sign bits (NaNs' aside:
    a conversion to bfloat16 may set a NaN's sign bit, and no comparison can see it)."""
    a, b = to_numpy(ours), to_numpy(theirs)
    np.testing.assert_array_equal(np.signbit(a) & ~np.isnan(a), np.signbit(b) & ~np.isnan(b))


def check_method(name, ours, theirs, *args, **kwargs):
    """``check_op`` for ``ours.name(*args, **kwargs)`` against the same call in torch."""
    return check_op(lambda: getattr(ours, name)(*args, **kwargs), lambda: getattr(theirs, name)(*args, **kwargs))


# ====================================================================== sort, argsort, msort
@SOME
@given(data=st.data(), descending=st.booleans(), stable=st.booleans())
def test_sort_matches_torch(data, descending, stable):
    """All dtypes and layouts, few distinct values (many ties): rows of <= 16 elements sort stably in torch too."""
    ours, theirs = data.draw(tensor_pairs(low=0, high=3))
    dim = data.draw(dim_for(ours.ndim))
    result = check_op(lambda: ours.sort(dim=dim, descending=descending, stable=stable),
                      lambda: theirs.sort(dim=dim, descending=descending, stable=stable))
    assert type(result) is tl.return_types.sort
    assert result.values is result[0] and result.indices is result[1]


@SOME
@given(data=st.data(), descending=st.booleans(), stable=st.booleans())
def test_argsort_matches_torch(data, descending, stable):
    ours, theirs = data.draw(tensor_pairs(low=0, high=3))
    dim = data.draw(dim_for(ours.ndim))
    check_op(lambda: tl.argsort(ours, dim=dim, descending=descending, stable=stable),
             lambda: torch.argsort(theirs, dim=dim, descending=descending, stable=stable))


@SOME
@given(data=st.data())
def test_msort_matches_torch(data):
    ours, theirs = data.draw(tensor_pairs(low=0, high=3))
    check_op(lambda: tl.msort(ours), lambda: torch.msort(theirs))
    check_op(lambda: ours.msort(), lambda: theirs.msort())


@SOME
@given(data=st.data(), descending=st.booleans())
def test_nan_inf_and_signed_zeros(data, descending):
    """NaN is larger than +inf; -0.0 and 0.0 tie, so they keep their order (signs checked bit by bit)."""
    ours, theirs = data.draw(special_floats())
    dim = data.draw(dim_for(ours.ndim))
    result = check_op(lambda: ours.sort(dim, descending), lambda: theirs.sort(dim, descending))
    same_signs(result.values, theirs.sort(dim, descending).values)
    check_op(lambda: ours.argsort(dim, descending), lambda: theirs.argsort(dim, descending))


def test_nan_and_zero_order_by_hand():
    values = [3.0, NAN, 1.0, INF, -0.0, 0.0, 1.0, -INF, NAN, 0.0, -0.0]
    ours, theirs = tl.tensor(values), torch.tensor(values)
    assert ours.sort().indices.tolist() == [7, 4, 5, 9, 10, 2, 6, 0, 3, 1, 8]
    assert ours.sort(descending=True).indices.tolist() == [1, 8, 3, 0, 2, 6, 4, 5, 9, 10, 7]
    for descending in (False, True):
        result = check_method("sort", ours, theirs, descending=descending)
        same_signs(result.values, theirs.sort(descending=descending).values)


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: str(p[1]))
@pytest.mark.parametrize("descending", [False, True])
def test_long_rows_with_ties(pair, descending):
    """torch's stable sort exactly; its default sort gives the same values, its tie order is its own (ours: stable)."""
    rng = np.random.default_rng(0)
    high = 2 if pair[0] is tl.bool else 4
    ours, theirs = pair_from_numpy(rng.integers(0, high, (3, 40)), pair)
    for dim in (0, 1):
        check_method("sort", ours, theirs, dim=dim, descending=descending, stable=True)
        result, expected = ours.sort(dim, descending), theirs.sort(dim=dim, descending=descending, stable=True)
        assert_matches(result.values, expected.values)
        assert_matches(result.indices, expected.indices)


@pytest.mark.parametrize("pair", [(tl.uint8, torch.uint8), (tl.int8, torch.int8), (tl.int64, torch.int64)],
                         ids=lambda p: str(p[1]))
def test_integer_extremes_sort_descending(pair):
    """Descending is not ``argsort(-x)``: that would overflow uint8 and the smallest int."""
    info = np.iinfo(pair[1].__str__().replace("torch.", ""))
    ours, theirs = pair_from_numpy(np.array([0, info.min, info.max, 1, info.min, info.max]), pair)
    check_op(lambda: ours.sort(descending=True), lambda: theirs.sort(descending=True))
    check_topk(ours, theirs, 3, 0, True, True)


def test_sorted_results_keep_the_input_layout():
    x = np.arange(24.0).reshape(2, 3, 4) % 5
    ours, theirs = pair_from_numpy(x)
    for o, t in [(ours.permute(2, 0, 1), theirs.permute(2, 0, 1)), (ours[..., ::2], theirs[..., ::2]),
                 (ours[0].T, theirs[0].T), (ours[:, :1].expand(2, 3, 4), theirs[:, :1].expand(2, 3, 4))]:
        for dim in range(o.ndim):
            check_method("sort", o, t, dim)
            check_method("argsort", o, t, dim)
            check_method("topk", o, t, 1, dim)
        check_method("msort", o, t)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (3, 0), (2, 0, 1)])
def test_zero_d_and_empty(shape):
    ours, theirs = pair_from_numpy(np.full(shape, 2.5))
    for dim in range(-max(len(shape), 1), max(len(shape), 1)):
        for descending in (False, True):
            check_method("sort", ours, theirs, dim, descending)
            check_method("argsort", ours, theirs, dim, descending)
        check_method("topk", ours, theirs, 0, dim)
        check_method("topk", ours, theirs, 1, dim)
    check_op(lambda: ours.msort(), lambda: theirs.msort())


# ====================================================================== topk
def check_topk(ours, theirs, k, dim, largest, sorted_):
    """Values as torch's (in sorted order); indices: the first k of a stable sort, which pick those values."""
    result = ours.topk(k, dim, largest, sorted_)
    expected = theirs.topk(k, dim, largest, sorted=True)
    assert type(result) is tl.return_types.topk
    assert_matches(result.values, expected.values)
    assert result.indices.stride() == expected.indices.stride() or result.indices.numel() <= 1
    stable = theirs.sort(dim=dim, descending=largest, stable=True)
    first_k = (slice(None),) * (dim % max(theirs.ndim, 1)) + (slice(0, k),) if theirs.ndim else ()
    assert_matches(result.indices, stable.indices[first_k], check_stride=False)  # (strides: checked above)
    if theirs.ndim:  # torch's own indices (any order among ties) pick the same values
        picked = theirs.gather(dim, expected.indices)
        np.testing.assert_array_equal(to_numpy(picked), to_numpy(expected.values))
    if not sorted_:  # torch promises no order: the same values, in some order
        unsorted = theirs.topk(k, dim, largest, sorted=False).values
        assert_matches(result.values, unsorted.sort(dim=dim, descending=largest, stable=True).values)
    return result


@SOME
@given(data=st.data(), largest=st.booleans(), sorted_=st.booleans())
def test_topk_matches_torch(data, largest, sorted_):
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=NO_BOOL, low=0, high=3))
    dim = data.draw(dim_for(ours.ndim))
    size = ours.shape[dim] if ours.ndim else 1
    k = data.draw(st.integers(0, size))
    check_topk(ours, theirs, k, dim, largest, sorted_)


@SOME
@given(data=st.data(), largest=st.booleans())
def test_topk_without_ties_matches_torch_exactly(data, largest):
    ours, theirs = data.draw(distinct_pairs(NO_BOOL))
    dim = data.draw(dim_for(ours.ndim))
    k = data.draw(st.integers(0, ours.shape[dim] if ours.ndim else 1))
    check_op(lambda: ours.topk(k, dim, largest), lambda: theirs.topk(k, dim, largest))
    check_op(lambda: tl.topk(ours, k, dim=dim, largest=largest, sorted=True),
             lambda: torch.topk(theirs, k, dim=dim, largest=largest, sorted=True))


@SOME
@given(data=st.data(), largest=st.booleans())
def test_topk_nan_counts_as_largest(data, largest):
    ours, theirs = data.draw(special_floats())
    dim = data.draw(dim_for(ours.ndim))
    k = data.draw(st.integers(0, ours.shape[dim]))
    result = check_topk(ours, theirs, k, dim, largest, True)
    same_signs(result.values, theirs.sort(dim=dim, descending=largest, stable=True).values.narrow(dim, 0, k))


def test_topk_long_rows():
    rng = np.random.default_rng(1)
    ours, theirs = pair_from_numpy(rng.integers(0, 5, (4, 100)).astype(np.float32))
    for largest in (True, False):
        for k in (0, 1, 7, 50, 100):
            check_topk(ours, theirs, k, 1, largest, True)
            check_topk(ours, theirs, k, 1, largest, False)


# ====================================================================== errors
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_dim_out_of_range(shape):
    ours, theirs = pair_from_numpy(np.ones(shape))
    span = max(len(shape), 1)
    for dim in (span, -span - 1):
        check_method("sort", ours, theirs, dim)
        check_method("argsort", ours, theirs, dim)
        check_method("topk", ours, theirs, 1, dim)
    message = f"Dimension out of range (expected to be in range of [{-span}, {span - 1}], but got {span})"
    with pytest.raises(IndexError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        ours.sort(span)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 0)])
def test_topk_k_out_of_range(shape):
    ours, theirs = pair_from_numpy(np.ones(shape))
    size = shape[-1] if shape else 1
    for k in (size + 1, -1, -5):
        check_method("topk", ours, theirs, k)
    check_op(lambda: ours.topk(5, dim=3), lambda: theirs.topk(5, dim=3))  # the dim is checked first


def test_topk_errors_for_bool_and_non_int_k():
    ours, theirs = pair_from_numpy(np.array([True, False, True]))
    check_op(lambda: ours.topk(1), lambda: theirs.topk(1))
    check_op(lambda: ours.topk(4), lambda: theirs.topk(4))  # k is checked before the dtype
    ours, theirs = pair_from_numpy(np.array([1.0, 2.0]))
    check_op(lambda: tl.topk(ours, 1.5), lambda: torch.topk(theirs, 1.5))
    assert_same_error(lambda: ours.topk(1.5), lambda: theirs.topk(1.5))  # (torch counts from 1 for the method)
    assert_same_error(lambda: ours.sort(dim=1.0), lambda: theirs.sort(dim=1.0))
    check_op(lambda: tl.msort(ours, 0), lambda: torch.msort(theirs, 0))


# ====================================================================== printing
@pytest.mark.parametrize("name", ["sort", "topk"])
def test_named_pair_repr_and_unpacking(name):
    ours, theirs = pair_from_numpy(np.array([[1.0, 5.0], [4.0, 2.0]]))
    args = (0,) if name == "sort" else (1, 0)
    result, expected = getattr(ours, name)(*args), getattr(theirs, name)(*args)
    shown = repr(result).replace(", device='cuda:0'", "")  # (torch's tensors here are CPU ones)
    assert shown == repr(expected).replace("torch.", "tl."), repr(result)
    values, indices = result
    assert_matches(values, expected.values)
    assert_matches(indices, expected.indices)


# ====================================================================== gradients (chapter 4)
WITH_HALF = F32_F64 + [p for p in FLOAT_PAIRS if p[0] is tl.float16]


@SOME
@given(data=st.data(), descending=st.booleans())
def test_sort_gradient(data, descending):
    """Sorting moves values; their gradients move back. Short rows with ties: torch's order is stable too."""
    pair = data.draw(tensor_pairs(dtype_pairs=WITH_HALF, low=0, high=3))
    dim = data.draw(dim_for(pair[0].ndim))
    check_gradients(lambda lib, x: lib.sort(x, dim=dim, descending=descending), pair)
    check_gradients(lambda lib, x: lib.msort(x), pair)


@SOME
@given(data=st.data(), largest=st.booleans())
def test_topk_gradient(data, largest):
    """The k chosen elements get their gradient back, the others zero (no ties: the choice is torch's)."""
    pair = data.draw(distinct_pairs(WITH_HALF))
    dim = data.draw(dim_for(pair[0].ndim))
    k = data.draw(st.integers(0, pair[0].shape[dim] if pair[0].ndim else 1))
    check_gradients(lambda lib, x: lib.topk(x, k, dim, largest), pair)


def test_node_names_and_indices_without_gradient():
    for lib in (tl, torch):
        x = lib.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
        for result in (x.sort(1), x.topk(2)):
            assert not result.indices.requires_grad and result.indices.grad_fn is None
            assert result.indices.dtype is (tl.int64 if lib is tl else torch.int64)
        assert x.sort().values.grad_fn.name() == "SortBackward0"
        assert x.msort().grad_fn.name() == "SortBackward0"
        assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
        assert not x.argsort().requires_grad


@pytest.mark.parametrize("fn", [lambda x: x.sort(1, True).values * x, lambda x: x.topk(2, 0).values.exp(),
                                lambda x: x.msort().sin()], ids=["sort", "topk", "msort"])
def test_gradcheck(fn):
    x = tl.tensor(np.random.default_rng(0).permutation(12).reshape(3, 4) / 3.0, dtype=tl.float64,
                  requires_grad=True)
    assert tl.autograd.gradcheck(fn, (x,))


def test_second_order_through_sort():
    """The backward is a scatter, itself differentiable: ``create_graph=True`` works."""
    grads = []
    for lib in (tl, torch):
        x = lib.tensor([2.0, -1.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = (x.sort(descending=True).values ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        grads.append((g, x.grad))
    assert_matches(grads[0][0], grads[1][0], check_stride=False)
    assert_matches(grads[0][1], grads[1][1], check_stride=False)
