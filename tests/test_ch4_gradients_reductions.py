"""Chapter 4 — gradients of the reductions (sum, mean, prod, max, var, norm, cumsum ...) and ``sum_to_size``.

Each gradient is checked three ways: against torch on random shapes, dims, dtypes and
memory layouts (``check_gradients``); against finite differences in float64
(``gradcheck``); and by the graph node's name. The computations differentiate the
reduction alone, so these tests don't depend on other modules' backward; the
second-order checks at the end (``create_graph=True``) do, since a backward is itself
made of other operations.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lessons as tl
from grad_parity import check_gradients
from parity import assert_matches, assert_same_error, pair_from_numpy, tensor_pairs

F32_F64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
WITH_F16 = F32_F64 + [(tl.float16, torch.float16)]

small_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def reduce_dims(draw, ndim, allow_none=True):
    """``None``, one dim, or a tuple of distinct dims (negative ones too)."""
    options = ["int", "tuple"] if ndim else ["int"]
    if allow_none:
        options.append("none")
    kind = draw(st.sampled_from(options))
    if kind == "none":
        return None
    span = max(ndim, 1)
    if kind == "int":
        return draw(st.integers(-span, span - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)


@st.composite
def case(draw, dtype_pairs=F32_F64, shape=None, low=-10, high=10, allow_none=True, single_dim=False):
    """(tensor pair, dim, keepdim) for a reduction."""
    shape = draw(small_shapes) if shape is None else shape
    pair = draw(tensor_pairs(shape=shape, dtype_pairs=dtype_pairs, low=low, high=high))
    if single_dim:
        span = max(len(shape), 1)
        dim = draw(st.integers(-span, span - 1))
    else:
        dim = draw(reduce_dims(len(shape), allow_none))
    return pair, dim, draw(st.booleans())


def leaf(values, dtype=tl.float64):
    return tl.tensor(values, dtype=dtype, requires_grad=True)


def grads_of(fn, values, dtype=torch.float64, gradient=None):
    """x.grad after ``fn(lib, x).backward(gradient)`` in both libraries (tl first)."""
    out = []
    for lib in (tl, torch):
        x = lib.tensor(values, dtype=tl.float64 if lib is tl else dtype, requires_grad=True)
        y = fn(lib, x)
        y.backward(lib.ones_like(y) if gradient is None else lib.tensor(gradient, dtype=y.dtype))
        out.append(x.grad)
    return out


def assert_grads_match(fn, values, gradient=None):
    ours, theirs = grads_of(fn, values, gradient=gradient)
    assert_matches(ours, theirs, check_stride=False)


# ====================================================================== parity with torch
@given(case(WITH_F16))
def test_sum_gradient(c):
    pair, dim, keepdim = c
    check_gradients(lambda lib, x: x.sum(dim, keepdim), pair)


@given(case(F32_F64), st.sampled_from([None, "float64", "float32"]))
def test_sum_gradient_with_a_dtype_comes_back_in_the_input_dtype(c, dtype):
    pair, dim, keepdim = c
    check_gradients(lambda lib, x: x.sum(dim, keepdim, dtype=dtype and getattr(lib, dtype)), pair)


@given(case(WITH_F16))
def test_mean_gradient(c):
    pair, dim, keepdim = c
    check_gradients(lambda lib, x: x.mean(dim, keepdim), pair)


@given(case(F32_F64, low=-2, high=2, single_dim=True))
def test_prod_gradient_along_a_dim_with_and_without_zeros(c):
    pair, dim, keepdim = c
    check_gradients(lambda lib, x: x.prod(dim, keepdim), pair)


@given(st.lists(st.integers(1, 3), max_size=3).map(tuple).flatmap(
    lambda shape: tensor_pairs(shape=shape, dtype_pairs=F32_F64, low=-2, high=2)))
def test_prod_gradient_of_everything(pair):
    check_gradients(lambda lib, x: x.prod(), pair)


@given(case(WITH_F16, low=-3, high=3), st.sampled_from(["amax", "amin"]))
def test_amax_amin_share_the_gradient_among_ties(c, name):
    pair, dim, keepdim = c
    dim = () if dim is None else dim
    check_gradients(lambda lib, x: getattr(x, name)(dim, keepdim), pair)


@given(case(WITH_F16, low=-3, high=3, single_dim=True), st.sampled_from(["max", "min", "median"]))
def test_max_min_median_along_a_dim_send_the_gradient_to_the_chosen_index(c, name):
    pair, dim, keepdim = c
    check_gradients(lambda lib, x: getattr(x, name)(dim, keepdim), pair)


@given(case(WITH_F16, low=-3, high=3), st.sampled_from(["max", "min", "median"]))
def test_max_min_median_of_everything_share_the_gradient_among_ties(c, name):
    pair, _, _ = c
    check_gradients(lambda lib, x: getattr(x, name)(), pair)


@given(case(F32_F64, low=-3, high=3), st.sampled_from(["var", "std"]), st.sampled_from([0, 1, 2]))
def test_var_std_gradient(c, name, correction):
    pair, dim, keepdim = c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # too few elements for the correction: both warn
        check_gradients(lambda lib, x: getattr(x, name)(dim, keepdim=keepdim, correction=correction), pair)


@given(case(F32_F64, low=-3, high=3), st.sampled_from(["var_mean", "std_mean"]), st.sampled_from([0, 1]))
def test_var_mean_std_mean_gradient_of_both_outputs(c, name, correction):
    pair, dim, keepdim = c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_gradients(lambda lib, x: getattr(lib, name)(x, dim, keepdim=keepdim, correction=correction), pair)


@given(case(F32_F64, low=-3, high=3), st.sampled_from([2, 1, math.inf, -math.inf, "fro", 3, 1.5, 0.5, 0, -1]))
def test_norm_gradient(c, p):
    pair, dim, keepdim = c
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        dim = dim[:2]
    if (p == math.inf or p == -math.inf or (not isinstance(p, str) and p < 0)) and pair[0].numel() == 0:
        return
    check_gradients(lambda lib, x: x.norm(p, dim, keepdim), pair)


@given(case(WITH_F16, low=-3, high=3, allow_none=False))
def test_logsumexp_gradient(c):
    pair, dim, keepdim = c
    check_gradients(lambda lib, x: x.logsumexp(dim, keepdim), pair)


@given(case(WITH_F16, single_dim=True))
def test_cumsum_gradient(c):
    pair, dim, _ = c
    check_gradients(lambda lib, x: x.cumsum(dim), pair)


@given(case(F32_F64, single_dim=True), st.sampled_from([None, "float64"]))
def test_cumsum_gradient_with_a_dtype(c, dtype):
    pair, dim, _ = c
    check_gradients(lambda lib, x: x.cumsum(dim, dtype=dtype and getattr(lib, dtype)), pair)


@given(case(F32_F64, low=-2, high=2, single_dim=True))
def test_cumprod_gradient_with_and_without_zeros(c):
    pair, dim, _ = c
    check_gradients(lambda lib, x: x.cumprod(dim), pair)


# ====================================================================== torch's behaviour at special points
def test_prod_with_zeros_gives_the_product_of_the_others():
    prod = lambda lib, x: x.prod()  # noqa: E731
    assert_grads_match(prod, [0.0, 2.0, 3.0])  # one zero: only it gets a gradient, 6
    assert_grads_match(prod, [0.0, 2.0, 0.0])  # two zeros: every product of the others holds a zero
    assert_grads_match(prod, [[0.0, 2.0], [3.0, 4.0]])
    ours, _ = grads_of(prod, [0.0, 2.0, 3.0])
    assert ours.tolist() == [6.0, 0.0, 0.0]
    rows = lambda lib, x: x.prod(1)  # noqa: E731
    assert_grads_match(rows, [[0.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 5.0]], gradient=[1.0, 2.0, 3.0])
    assert_grads_match(lambda lib, x: x.prod(0, keepdim=True), [[0.0, 2.0], [3.0, 0.0]])


def test_cumprod_with_zeros_matches_torch():
    fn = lambda lib, x: x.cumprod(0)  # noqa: E731
    ours, _ = grads_of(fn, [2.0, 0.0, 3.0, 0.0, 5.0])
    assert ours.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]
    assert_grads_match(fn, [0.0, 2.0, 3.0], gradient=[1.0, -2.0, 3.0])
    assert_grads_match(lambda lib, x: x.cumprod(1), [[1.0, 0.0, 2.0, 4.0], [0.0, 0.0, 1.0, 2.0], [1.0, 2.0, 3.0, 4.0]],
                       gradient=[[1.0, 2.0, 3.0, 4.0]] * 3)


def test_ties_share_the_gradient_for_amax_and_max_but_not_for_max_along_a_dim():
    values = [1.0, 3.0, 3.0, 2.0]
    assert grads_of(lambda lib, x: x.amax(), values)[0].tolist() == [0.0, 0.5, 0.5, 0.0]
    assert grads_of(lambda lib, x: x.max(), values)[0].tolist() == [0.0, 0.5, 0.5, 0.0]
    assert grads_of(lambda lib, x: x.min(), [2.0, 1.0, 1.0])[0].tolist() == [0.0, 0.5, 0.5]
    assert grads_of(lambda lib, x: x.max(0).values, values)[0].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert_grads_match(lambda lib, x: x.median(), [1.0, 3.0, 3.0, 2.0, 3.0])  # a third to each 3
    assert_grads_match(lambda lib, x: x.median(0).values, [1.0, 3.0, 3.0, 2.0, 3.0])


def test_nan_in_max_and_amax_as_torch():
    nan = math.nan
    for fn in (lambda lib, x: x.amax(), lambda lib, x: x.max(), lambda lib, x: x.median(),
               lambda lib, x: x.max(0)[0], lambda lib, x: x.amax(0, keepdim=True)):
        assert_grads_match(fn, [1.0, nan, 3.0, nan])


def test_norm_and_std_have_zero_gradient_at_zero():
    for p in (2, 1, math.inf, -math.inf, 3, 1.5, 0.5, "fro"):
        ours, theirs = grads_of(lambda lib, x: x.norm(p), [0.0, 0.0, 0.0])  # noqa: B023
        assert ours.tolist() == [0.0, 0.0, 0.0]
        assert_matches(ours, theirs, check_stride=False)
    assert_grads_match(lambda lib, x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]])
    assert grads_of(lambda lib, x: x.std(), [1.0, 1.0])[0].tolist() == [0.0, 0.0]
    ours, theirs = grads_of(lambda lib, x: x.norm(0), [0.0, 1.0])
    assert ours is None and theirs is None  # p = 0 counts non-zeros: no gradient at all


def test_too_few_elements_for_the_correction_give_torchs_inf_and_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for fn in (lambda lib, x: x.var(), lambda lib, x: x.std(), lambda lib, x: x.var(correction=2),
                   lambda lib, x: x.var(0, correction=2)):
            assert_grads_match(fn, [1.0, 2.0])
            assert_grads_match(fn, [1.0])


def test_logsumexp_with_infinities_as_torch():
    assert_grads_match(lambda lib, x: x.logsumexp(0), [-math.inf, -math.inf])
    assert_grads_match(lambda lib, x: x.logsumexp(0), [math.inf, 1.0])
    assert_grads_match(lambda lib, x: x.logsumexp(0), [-math.inf, 1.0])


def test_nuclear_norm_gradient():
    rng = np.random.default_rng(0)
    for shape, dim, keepdim in [((3, 4), None, False), ((2, 3, 4), (2, 0), True), ((4, 2, 3), (1, 2), False)]:
        pair = pair_from_numpy(rng.standard_normal(shape))
        check_gradients(lambda lib, x: x.norm("nuc", dim, keepdim), pair)  # noqa: B023


def test_empty_inputs_get_empty_gradients():
    for fn in (lambda lib, x: x.sum(), lambda lib, x: x.mean(), lambda lib, x: x.prod(), lambda lib, x: x.sum(0),
               lambda lib, x: x.mean(1), lambda lib, x: x.cumsum(0), lambda lib, x: x.cumprod(1),
               lambda lib, x: x.norm(), lambda lib, x: x.logsumexp(1)):
        pair = pair_from_numpy(np.zeros((0, 3)))
        check_gradients(fn, pair)


def test_integer_input_gets_no_gradient_and_no_graph():
    x = tl.tensor([1, 2, 3])
    for y in (x.sum(), x.prod(), x.amax(), x.cumsum(0), x.max()):
        assert not y.requires_grad and y.grad_fn is None


def test_gradient_dtype_follows_the_input_when_the_result_dtype_differs():
    x = tl.ones(2, 3, requires_grad=True)
    x.sum(dtype=tl.float64).backward()
    assert x.grad.dtype is tl.float32
    x.grad = None
    x.cumsum(1, dtype=tl.float64).backward(tl.ones(2, 3, dtype=tl.float64))
    assert x.grad.dtype is tl.float32 and x.grad.tolist() == [[3.0, 2.0, 1.0]] * 2
    x.grad = None
    x.prod(1, dtype=tl.float64).backward(tl.ones(2, dtype=tl.float64))
    assert x.grad.dtype is tl.float32
    x.grad = None
    x.norm(dtype=tl.float64).backward()
    assert x.grad.dtype is tl.float32


# ====================================================================== finite differences
def _distinct(shape, seed=0, low=0.5, high=2.0):
    """float64 leaf with distinct values away from 0 (no ties, no kinks)."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    values = np.linspace(low, high, n) * rng.choice([-1, 1], n)
    return tl.tensor(rng.permutation(values).reshape(shape), requires_grad=True)


GRADCHECK_CASES = {
    "sum": lambda x: x.sum(),
    "sum dims": lambda x: x.sum((0, 2)),
    "sum keepdim": lambda x: x.sum(1, keepdim=True),
    "mean": lambda x: x.mean(),
    "mean dims": lambda x: x.mean((-1, 0), keepdim=True),
    "prod": lambda x: x.prod(),
    "prod dim": lambda x: x.prod(1),
    "amax": lambda x: x.amax((0, 1)),
    "amin": lambda x: x.amin(-1, keepdim=True),
    "max": lambda x: x.max(),
    "min": lambda x: x.min(),
    "max dim": lambda x: x.max(1),
    "min dim": lambda x: x.min(2, keepdim=True),
    "median": lambda x: x.median(),
    "median dim": lambda x: x.median(1),
    "var": lambda x: x.var(),
    "var dims": lambda x: x.var((0, 2), correction=0),
    "std": lambda x: x.std(1, keepdim=True),
    "var_mean": lambda x: tl.var_mean(x, 1),
    "std_mean": lambda x: tl.std_mean(x),
    "norm": lambda x: x.norm(),
    "norm 1": lambda x: x.norm(1, dim=1),
    "norm inf": lambda x: x.norm(math.inf, dim=(0, 2)),
    "norm -inf": lambda x: x.norm(-math.inf),
    "norm 3": lambda x: x.norm(3, dim=0, keepdim=True),
    "norm 0.5": lambda x: x.norm(0.5, dim=-1),
    "norm fro": lambda x: x.norm("fro", dim=(0, 1)),
    "norm nuc": lambda x: x.norm("nuc", dim=(1, 2)),
    "logsumexp": lambda x: x.logsumexp((0, 1)),
    "cumsum": lambda x: x.cumsum(1),
    "cumprod": lambda x: x.cumprod(2),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_gradcheck(name):
    x = _distinct((2, 3, 4))
    assert tl.autograd.gradcheck(GRADCHECK_CASES[name], (x,))


def test_gradcheck_with_zeros_for_prod_and_cumprod():
    x = tl.tensor([[0.0, 1.5, -2.0, 0.5], [0.7, 0.0, 0.0, 1.2], [1.1, -0.8, 0.9, 1.3]], dtype=tl.float64,
                  requires_grad=True)
    for fn in (lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0), lambda x: x.cumprod(1),
               lambda x: x.cumprod(0)):
        assert tl.autograd.gradcheck(fn, (x,))


# ====================================================================== graph nodes
NODE_CASES = [
    lambda lib, x: x.sum(), lambda lib, x: x.sum(1), lambda lib, x: x.sum((0, 1)), lambda lib, x: x.sum(()),
    lambda lib, x: x.sum(dtype=lib.float64), lambda lib, x: x.mean(), lambda lib, x: x.mean(0),
    lambda lib, x: x.prod(), lambda lib, x: x.prod(1), lambda lib, x: x.amax(), lambda lib, x: x.amin(1),
    lambda lib, x: x.max(), lambda lib, x: x.min(), lambda lib, x: x.max(1)[0], lambda lib, x: x.min(0).values,
    lambda lib, x: x.median(), lambda lib, x: x.median(1)[0], lambda lib, x: x.var(), lambda lib, x: x.std(1),
    lambda lib, x: lib.var_mean(x, 1)[0], lambda lib, x: lib.std_mean(x)[1], lambda lib, x: x.norm(),
    lambda lib, x: x.norm(1, dim=1), lambda lib, x: x.norm(math.inf), lambda lib, x: x.norm("fro", dim=(0, 1)),
    lambda lib, x: x.norm("nuc"), lambda lib, x: x.logsumexp(1), lambda lib, x: x.cumsum(1),
    lambda lib, x: x.cumprod(0), lambda lib, x: x.sum_to_size(1, 4), lambda lib, x: x.sum_to_size(4),
    lambda lib, x: x.sum_to_size(()),
]


@pytest.mark.parametrize("index", range(len(NODE_CASES)))
def test_node_names_match_torch(index):
    fn = NODE_CASES[index]
    ours = fn(tl, tl.ones(3, 4, requires_grad=True))
    theirs = fn(torch, torch.ones(3, 4, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_max_along_a_dim_is_one_node_for_values_and_indices():
    x = leaf([[1.0, 2.0], [4.0, 3.0]])
    values, indices = x.max(1)
    assert values.grad_fn.name() == "MaxBackward0" and values.requires_grad
    assert not indices.requires_grad and indices.grad_fn is None
    v, m = tl.var_mean(x, 1)
    assert v.grad_fn is m.grad_fn and (v.output_nr, m.output_nr) == (0, 1)


# ====================================================================== sum_to_size
@st.composite
def sum_to_size_case(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple))
    drop = draw(st.integers(0, len(shape)))
    size = tuple(1 if draw(st.booleans()) else n for n in shape[drop:])
    pair = draw(tensor_pairs(shape=shape, dtype_pairs=WITH_F16))
    return pair, size


@given(sum_to_size_case())
def test_sum_to_size_matches_torch(c):
    (ours, theirs), size = c
    if size:
        assert_matches(ours.sum_to_size(*size), theirs.sum_to_size(*size), check_stride=False)
    assert_matches(ours.sum_to_size(size), theirs.sum_to_size(size), check_stride=False)
    if ours.dtype.is_floating_point:  # recorded: torch's graph (sum, then view), the same values
        out = ours.detach().requires_grad_().sum_to_size(size)
        assert_matches(out, theirs.detach().requires_grad_().sum_to_size(size), check_stride=False)


@given(sum_to_size_case())
def test_sum_to_size_gradient_without_leading_dims(c):
    (ours, theirs), size = c
    size = (1,) * (ours.ndim - len(size)) + size  # same number of dims: no view involved
    check_gradients(lambda lib, x: x.sum_to_size(size), (ours, theirs))


def test_sum_to_size_returns_self_when_nothing_to_sum():
    x = tl.ones(3, 4, requires_grad=True)
    assert x.sum_to_size(3, 4) is x and x.sum_to_size((3, 4)) is x and x.sum_to_size(tl.Size([3, 4])) is x
    y = tl.ones((), dtype=tl.float64)
    assert y.sum_to_size(()) is y


def test_sum_to_size_dtype_and_errors_as_torch():
    for dtype in (tl.int32, tl.bool, tl.float16):
        ours, theirs = pair_from_numpy(np.ones((3, 4)), (dtype, {tl.int32: torch.int32, tl.bool: torch.bool,
                                                                  tl.float16: torch.float16}[dtype]))
        assert_matches(ours.sum_to_size(4), theirs.sum_to_size(4))
        assert_matches(ours.sum_to_size(3, 4), theirs.sum_to_size(3, 4))
    ours, theirs = pair_from_numpy(np.ones((3, 4)))
    for size in [(4, 3), (2, 4), (5, 3, 4), (1, 1, 4), (3,)]:
        assert_same_error(lambda: ours.sum_to_size(*size), lambda: theirs.sum_to_size(*size),  # noqa: B023
                          match_message=True)
    assert_same_error(lambda: tl.ones(()).sum_to_size(1), lambda: torch.ones(()).sum_to_size(1), match_message=True)
    assert_same_error(lambda: ours.sum_to_size(), lambda: theirs.sum_to_size())


# ====================================================================== needs other modules' backward
@given(sum_to_size_case())
def test_sum_to_size_gradient_with_leading_dims(c):
    (ours, theirs), size = c
    check_gradients(lambda lib, x: x.sum_to_size(size), (ours, theirs))
def _second_order(fn, values, seed=1):
    """d/dx of <grad_x fn(x), v>, via create_graph=True, in both libraries."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(np.shape(values))
    w = rng.standard_normal(64)
    out = []
    for lib in (tl, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        y = fn(x)
        seed_grad = lib.tensor(w[: y.numel()].reshape(tuple(y.shape)), dtype=lib.float64)
        (g,) = lib.autograd.grad(y, x, seed_grad, create_graph=True)
        (gg,) = lib.autograd.grad((g * lib.tensor(v, dtype=lib.float64)).sum(), x, allow_unused=True,
                                  materialize_grads=True)
        out.append(gg)
    return out


SECOND_ORDER_CASES = {
    "sum": lambda x: (x.sum(1) ** 2),
    "mean": lambda x: x.mean(0) ** 3,
    "prod": lambda x: x.prod(1),
    "prod with zeros": lambda x: x.prod(1),
    "prod all with zeros": lambda x: x.prod(),
    "cumprod": lambda x: x.cumprod(1),
    "cumprod with zeros": lambda x: x.cumprod(1),
    "cumsum": lambda x: x.cumsum(0) ** 2,
    "var": lambda x: x.var(1),
    "std": lambda x: x.std(0),
    "norm": lambda x: x.norm(dim=1),
    "norm 3": lambda x: x.norm(3),
    "logsumexp": lambda x: x.logsumexp(1),
    "amax": lambda x: x.amax(1) ** 2,
    "max dim": lambda x: x.max(1)[0] ** 2,
    "median": lambda x: x.median() ** 2,
    "sum_to_size": lambda x: x.sum_to_size(3) ** 2,
}


@pytest.mark.parametrize("name", list(SECOND_ORDER_CASES))
def test_second_order_gradients_match_torch(name):
    values = [[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]]
    if "zeros" in name:
        values = [[0.0, -1.25, 2.0], [1.5, 0.0, 0.0]]
    ours, theirs = _second_order(SECOND_ORDER_CASES[name], values)
    assert_matches(ours, theirs, check_stride=False, rtol=1e-9, atol=1e-9)
