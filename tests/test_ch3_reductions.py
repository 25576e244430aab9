"""Chapter 3, reductions: ``sum``, ``max``, ``std``, ``norm`` ... held up against torch (forward only).

What is compared, for each op: values, result dtype (ints and bools sum to int64, halves
accumulate in float32), shape (``keepdim``), strides (results are fresh row-major tensors),
named ``(values, indices)`` results with torch's tie-breaking, and the exception torch raises.
Inputs come from hypothesis: shapes with 0-d and size-1 dims, all ten dtypes, dims given as
None / int / negative int / tuple, and non-contiguous layouts (permuted, sliced, expanded).
Gradients are in test_ch4_gradients_reductions.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lessons as tl
from parity import (
    DTYPE_PAIRS,
    FLOAT_PAIRS,
    INT_PAIRS,
    assert_matches,
    assert_same_error,
    check_op,
    pair_from_numpy,
    tensor_pairs,
)

# a third of the profile's examples per test: there are many ops, each drawn separately
FEW = settings(max_examples=max(15, settings().max_examples // 3))

# NumPy warns about 0/0 and the like where torch is silent (e.g. the mean of an empty slice).
# Both libraries warn (UserWarning) when std/var have too few elements for the correction; that is tested
# explicitly in test_var_spellings, so it is silenced elsewhere.
pytestmark = [
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning"),
]

HALF = (torch.float16, torch.bfloat16)


def check_method(name, ours, theirs, *args, match_message=True, **kwargs):
    """``check_op`` for ``ours.name(*args, **kwargs)`` against the same call in torch."""
    return check_op(lambda: getattr(ours, name)(*args, **kwargs), lambda: getattr(theirs, name)(*args, **kwargs),
                 match_message=match_message)


def half_tol(theirs):
    """A few units in the last place for float16/bfloat16: torch may round in another order."""
    return {"rtol": 1e-2, "atol": 1e-2} if theirs.dtype in HALF else {}


@st.composite
def dims_for(draw, ndim, allow_none=True, allow_tuple=True):
    """A ``dim`` argument valid for ``ndim``: None, an int (maybe negative) or a tuple of distinct ints."""
    span = max(ndim, 1)  # a 0-d tensor takes dim 0 or -1
    options = ["int"] + (["none"] if allow_none else []) + (["tuple"] if allow_tuple else [])
    kind = draw(st.sampled_from(options))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-span, span - 1))
    axes = draw(st.lists(st.integers(0, span - 1), unique=True, min_size=1, max_size=span))
    return tuple(a - span if draw(st.booleans()) else a for a in axes)


def call(fn_name, t, dim, keepdim, **kw):
    """``t.fn()`` without dim args when ``dim`` is None (so the dim-less overload is tested too)."""
    fn = getattr(t, fn_name)
    if dim is None and not keepdim:
        return fn(**kw)
    return fn(dim=dim, keepdim=keepdim, **kw)


# ---------------------------------------------------------------------- sum, mean, prod
@FEW
@given(data=st.data(), keepdim=st.booleans())
def test_sum_matches_torch(data, keepdim):
    ours, theirs = data.draw(tensor_pairs())
    dim = data.draw(dims_for(ours.ndim))
    check_op(lambda: call("sum", ours, dim, keepdim), lambda: call("sum", theirs, dim, keepdim))


@FEW
@given(data=st.data(), keepdim=st.booleans(), out=st.sampled_from(DTYPE_PAIRS))
def test_sum_with_dtype(data, keepdim, out):
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=INT_PAIRS + FLOAT_PAIRS))
    dim = data.draw(dims_for(ours.ndim))
    check_op(lambda: ours.sum(dim, keepdim, dtype=out[0]), lambda: theirs.sum(dim, keepdim, dtype=out[1]))


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: str(p[1]))
def test_sum_dtype_rules(pair):
    """Ints and bools widen to int64; floats keep their dtype."""
    ours, theirs = pair_from_numpy(np.array([[1, 0, 1], [1, 1, 0]]), pair)
    check_op(lambda: ours.sum(), lambda: theirs.sum())
    for dim in (0, 1, -1, (0, 1)):
        check_method("sum", ours, theirs, dim)
    assert tl.sum(ours).dtype is (pair[0] if pair[0].is_floating_point else tl.int64)


@FEW
@given(data=st.data(), keepdim=st.booleans())
def test_mean_matches_torch(data, keepdim):
    ours, theirs = data.draw(tensor_pairs())
    dim = data.draw(dims_for(ours.ndim))
    check_op(lambda: call("mean", ours, dim, keepdim), lambda: call("mean", theirs, dim, keepdim))


@FEW
@given(data=st.data(), keepdim=st.booleans())
def test_prod_matches_torch(data, keepdim):
    ours, theirs = data.draw(tensor_pairs(low=-2, high=3))
    dim = data.draw(dims_for(ours.ndim, allow_tuple=False))
    keepdim = keepdim and dim is not None  # prod(dim=None, keepdim=True): see test_prod_keepdim_without_dim
    check_op(lambda: call("prod", ours, dim, keepdim), lambda: call("prod", theirs, dim, keepdim), **half_tol(theirs))


def test_prod_keepdim_without_dim():
    ours, theirs = pair_from_numpy(np.ones((2, 3)))
    assert_same_error(lambda: ours.prod(dim=None, keepdim=True), lambda: theirs.prod(dim=None, keepdim=True))


def test_mean_of_integers_is_torchs_error():
    ours, theirs = pair_from_numpy(np.arange(6).reshape(2, 3))
    assert_same_error(lambda: ours.mean(), lambda: theirs.mean(), match_message=True)
    assert_same_error(lambda: ours.mean(0), lambda: theirs.mean(0), match_message=True)
    assert_same_error(lambda: ours.mean(dtype=tl.int32), lambda: theirs.mean(dtype=torch.int32), match_message=True)
    check_op(lambda: ours.mean(dtype=tl.float64), lambda: theirs.mean(dtype=torch.float64))


# ---------------------------------------------------------------------- half precision accumulates in float32
@pytest.mark.parametrize("pair", [p for p in FLOAT_PAIRS if p[1] in HALF], ids=lambda p: str(p[1]))
def test_half_types_accumulate_in_float32(pair):
    """4096 ones added one by one in float16 would stop at 2048; torch (and we) add them in float32."""
    ours, theirs = pair_from_numpy(np.ones((4096,)), pair)
    result = check_op(lambda: ours.sum(), lambda: theirs.sum())
    assert result.item() == 4096
    values = np.random.default_rng(0).standard_normal((64, 33))
    ours, theirs = pair_from_numpy(values, pair)
    for name in ("sum", "mean", "std", "var", "norm"):
        check_method(name, ours, theirs, 1)
        check_method(name, ours, theirs)
    check_op(lambda: ours.cumsum(1), lambda: theirs.cumsum(1))
    check_op(lambda: ours.logsumexp(0), lambda: theirs.logsumexp(0))


# ---------------------------------------------------------------------- max, min, argmax, amax
@FEW
@given(data=st.data(), name=st.sampled_from(["max", "min"]))
def test_max_min_without_dim_is_0d(data, name):
    ours, theirs = data.draw(tensor_pairs())
    check_method(name, ours, theirs)


@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["max", "min", "median"]))
def test_max_min_median_along_dim(data, keepdim, name):
    """Few distinct values, so ties are common: max/min give the first occurrence, as torch does.

    torch documents median's index on ties as unspecified, and on expanded input torch 2.13's
    median misbehaves (indices vary from call to call; float64 values can even be garbage), so
    there the values are compared with torch's median of a contiguous copy, and the index must
    point at the value.
    """
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=[p for p in DTYPE_PAIRS if p[0] is not tl.bool], low=0, high=3))
    dim = data.draw(dims_for(ours.ndim, allow_none=False, allow_tuple=False))
    if name != "median" or theirs.is_contiguous():
        result = check_method(name, ours, theirs, dim, keepdim)
    else:
        result, expected = ours.median(dim, keepdim), theirs.contiguous().median(dim, keepdim)
        assert_matches(result.values, expected.values)
        assert result.indices.dtype is tl.int64 and tuple(result.indices.shape) == tuple(expected.indices.shape)
        if ours.ndim:
            host = tl.backend.to_host  # (the arrays may be GPU memory)
            indices = host(result.indices._data) if keepdim else np.expand_dims(host(result.indices._data), dim)
            picked = np.take_along_axis(host(ours._data), indices, dim)
            np.testing.assert_array_equal(picked.reshape(result.values.shape), host(result.values._data))
    assert type(result) is getattr(tl.return_types, name)
    assert result.values is result[0] and result.indices is result[1]


@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["max", "min"]))
def test_max_min_of_bool_along_dim(data, keepdim, name):
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=[(tl.bool, torch.bool)]))
    dim = data.draw(dims_for(ours.ndim, allow_none=False, allow_tuple=False))
    check_method(name, ours, theirs, dim, keepdim)


@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["argmax", "argmin"]))
def test_argmax_argmin(data, keepdim, name):
    ours, theirs = data.draw(tensor_pairs(low=0, high=3))
    dim = data.draw(dims_for(ours.ndim, allow_tuple=False))
    check_op(lambda: call(name, ours, dim, keepdim), lambda: call(name, theirs, dim, keepdim))


@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["amax", "amin"]))
def test_amax_amin_take_tuples(data, keepdim, name):
    ours, theirs = data.draw(tensor_pairs())
    dim = data.draw(dims_for(ours.ndim))
    dim = () if dim is None else dim
    check_method(name, ours, theirs, dim, keepdim)


def test_ties_pick_the_first_index():
    ours, theirs = pair_from_numpy(np.array([[3.0, 1.0, 3.0, 1.0], [2.0, 2.0, 2.0, 2.0]]))
    for name in ("max", "min", "median"):
        result = check_method(name, ours, theirs, 1)
        assert result.indices.tolist() == getattr(theirs, name)(1).indices.tolist()
    assert ours.max(1).indices.tolist() == [0, 0]
    assert ours.min(1).indices.tolist() == [1, 0]
    check_op(lambda: ours.argmax(1), lambda: theirs.argmax(1))
    check_op(lambda: ours.argmin(), lambda: theirs.argmin())


def test_named_tuple_repr_and_unpacking():
    ours, theirs = pair_from_numpy(np.array([[1.0, 5.0], [4.0, 2.0]]))
    for name in ("max", "min", "median"):
        result, expected = getattr(ours, name)(0), getattr(theirs, name)(0)
        shown = repr(result).replace(", device='cuda:0'", "")  # (torch's tensors here are CPU ones)
        assert shown == repr(expected).replace("torch.", "tl."), repr(result)
        values, indices = result
        assert_matches(values, expected.values)
        assert_matches(indices, expected.indices)
        assert isinstance(result, tuple) and len(result) == 2


def test_nan_wins():
    nan = float("nan")
    ours, theirs = pair_from_numpy(np.array([[1.0, nan, 3.0, nan], [2.0, 0.0, -1.0, 4.0]]))
    for name in ("max", "min", "median"):
        check_method(name, ours, theirs)
        check_method(name, ours, theirs, 1)
    for name in ("amax", "amin", "argmax", "argmin", "sum", "mean", "prod", "std", "var", "norm", "logsumexp"):
        check_method(name, ours, theirs, 1)
    for name in ("argmax", "argmin", "sum", "mean", "std", "norm"):
        check_method(name, ours, theirs)
    check_op(lambda: ours.cumsum(1), lambda: theirs.cumsum(1))
    check_op(lambda: ours.cumprod(1), lambda: theirs.cumprod(1))
    check_op(lambda: ours.count_nonzero(1), lambda: theirs.count_nonzero(1))
    check_op(lambda: ours.all(1), lambda: theirs.all(1))


# ---------------------------------------------------------------------- var, std
@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["std", "var"]),
       correction=st.sampled_from([None, 0, 1, 2]))
def test_std_var(data, keepdim, name, correction):
    ours, theirs = data.draw(tensor_pairs())
    dim = data.draw(dims_for(ours.ndim))
    kw = {} if correction is None else {"correction": correction}
    check_op(lambda: call(name, ours, dim, keepdim, **kw), lambda: call(name, theirs, dim, keepdim, **kw))


@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["std_mean", "var_mean"]),
       unbiased=st.sampled_from([None, True, False]))
def test_std_mean_var_mean(data, keepdim, name, unbiased):
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=FLOAT_PAIRS))
    dim = data.draw(dims_for(ours.ndim))
    kw = {} if unbiased is None else {"unbiased": unbiased}
    check_op(lambda: getattr(tl, name)(ours, dim, keepdim=keepdim, **kw),
          lambda: getattr(torch, name)(theirs, dim, keepdim=keepdim, **kw))


def test_var_spellings():
    values = np.random.default_rng(1).standard_normal((3, 5))
    ours, theirs = pair_from_numpy(values)
    check_op(lambda: ours.var(), lambda: theirs.var())
    check_op(lambda: ours.var(False), lambda: theirs.var(False))
    check_op(lambda: ours.var(1, False), lambda: theirs.var(1, False))
    check_op(lambda: ours.std(1, unbiased=True, keepdim=True), lambda: theirs.std(1, unbiased=True, keepdim=True))
    check_op(lambda: ours.std(0, correction=0), lambda: theirs.std(0, correction=0))
    check_op(lambda: ours.var(correction=3), lambda: theirs.var(correction=3))
    # one element with Bessel's correction: 0/0 = nan, and both libraries warn about it
    one, one_t = pair_from_numpy(np.array([2.5]))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        expected = one_t.std()
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        result = one.std()
    assert_matches(result, expected)
    assert np.isnan(result.item())


@pytest.mark.parametrize("name", ["std", "var", "std_mean", "var_mean"])
def test_std_var_of_integers_is_torchs_error(name):
    ours, theirs = pair_from_numpy(np.arange(6).reshape(2, 3))
    assert_same_error(lambda: getattr(tl, name)(ours), lambda: getattr(torch, name)(theirs), match_message=True)


# ---------------------------------------------------------------------- norm
@FEW
@given(data=st.data(), keepdim=st.booleans(),
       p=st.sampled_from([None, "fro", 1, 2, 3, 0.5, 0, float("inf"), float("-inf"), -1]))
def test_norm(data, keepdim, p):
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=FLOAT_PAIRS))
    dim = data.draw(dims_for(ours.ndim))
    if p in ("fro", None) and isinstance(dim, tuple) and len(dim) > 2:  # None: see test_norm_none_over_3_dims
        dim = dim[:2]
    tol = half_tol(theirs)
    check_op(lambda: ours.norm(p, dim, keepdim), lambda: theirs.norm(p, dim, keepdim), **tol)


def test_norm_none_over_3_dims():
    ours, theirs = pair_from_numpy(np.ones((1, 2, 2)))
    check_op(lambda: ours.norm(None, (0, 1, 2)), lambda: theirs.norm(None, (0, 1, 2)))


def test_norm_special_cases():
    values = np.random.default_rng(2).standard_normal((3, 4))
    ours, theirs = pair_from_numpy(values)
    check_op(lambda: ours.norm("nuc"), lambda: theirs.norm("nuc"))
    check_op(lambda: ours.norm(), lambda: theirs.norm())
    check_op(lambda: ours.norm(dtype=tl.float64), lambda: theirs.norm(dtype=torch.float64))
    ints, ints_t = pair_from_numpy(np.arange(6).reshape(2, 3))
    assert_same_error(lambda: ints.norm(), lambda: ints_t.norm(), match_message=True)
    empty, empty_t = pair_from_numpy(np.zeros((0, 3)))
    check_op(lambda: empty.norm(), lambda: empty_t.norm())
    assert_same_error(lambda: empty.norm(float("inf")), lambda: empty_t.norm(float("inf")), match_message=True)


# ---------------------------------------------------------------------- all, any, count_nonzero, logsumexp
@FEW
@given(data=st.data(), keepdim=st.booleans(), name=st.sampled_from(["all", "any"]))
def test_all_any(data, keepdim, name):
    ours, theirs = data.draw(tensor_pairs(low=-1, high=2))
    dim = data.draw(dims_for(ours.ndim))
    check_op(lambda: call(name, ours, dim, keepdim), lambda: call(name, theirs, dim, keepdim))


@FEW
@given(data=st.data())
def test_count_nonzero(data):
    ours, theirs = data.draw(tensor_pairs(low=-1, high=2))
    dim = data.draw(dims_for(ours.ndim))
    check_op(lambda: ours.count_nonzero(dim), lambda: theirs.count_nonzero(dim))


@FEW
@given(data=st.data(), keepdim=st.booleans())
def test_logsumexp(data, keepdim):
    ours, theirs = data.draw(tensor_pairs())
    dim = data.draw(dims_for(ours.ndim, allow_none=False))
    tol = half_tol(theirs)
    check_op(lambda: ours.logsumexp(dim, keepdim), lambda: theirs.logsumexp(dim, keepdim), **tol)


def test_logsumexp_is_stable():
    ours, theirs = pair_from_numpy(np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [np.inf, 0.0]]))
    check_op(lambda: ours.logsumexp(1), lambda: theirs.logsumexp(1))


# ---------------------------------------------------------------------- cumsum, cumprod
@FEW
@given(data=st.data(), name=st.sampled_from(["cumsum", "cumprod"]))
def test_cumsum_cumprod(data, name):
    ours, theirs = data.draw(tensor_pairs(low=-2, high=3))
    dim = data.draw(dims_for(ours.ndim, allow_none=False, allow_tuple=False))
    check_method(name, ours, theirs, dim)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_dtype_argument(name):
    ours, theirs = pair_from_numpy(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int8))
    check_method(name, ours, theirs, 1)
    check_op(lambda: getattr(ours, name)(0, dtype=tl.float32), lambda: getattr(theirs, name)(0, dtype=torch.float32))


# ---------------------------------------------------------------------- empty tensors
@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3)])
def test_empty_tensors(shape):
    ours, theirs = pair_from_numpy(np.zeros(shape, np.float32))
    check_op(lambda: ours.sum(), lambda: theirs.sum())
    check_op(lambda: ours.prod(), lambda: theirs.prod())
    check_op(lambda: ours.mean(), lambda: theirs.mean())
    check_op(lambda: ours.sum(-1), lambda: theirs.sum(-1))
    check_op(lambda: ours.mean(-1), lambda: theirs.mean(-1))
    check_op(lambda: ours.prod(-1), lambda: theirs.prod(-1))
    check_op(lambda: ours.all(), lambda: theirs.all())
    check_op(lambda: ours.any(), lambda: theirs.any())
    check_op(lambda: ours.count_nonzero(), lambda: theirs.count_nonzero())
    check_op(lambda: ours.cumsum(-1), lambda: theirs.cumsum(-1))
    check_op(lambda: ours.logsumexp(-1), lambda: theirs.logsumexp(-1))
    for name in ("max", "min", "argmax", "amax", "median"):
        check_method(name, ours, theirs)
    for name in ("max", "min", "amax", "amin", "argmax", "argmin", "median"):
        check_method(name, ours, theirs, len(shape) - 1)
        # torch's amax echoes the dim as given (-1) in its message; we name it non-negative
        check_method(name, ours, theirs, -1, match_message=name not in ("amax", "amin"))
    assert ours.sum().item() == 0 and ours.prod().item() == 1 and np.isnan(ours.mean().item())


def test_max_of_empty_is_an_error():
    ours, theirs = pair_from_numpy(np.zeros((0,)))
    assert_same_error(lambda: ours.max(), lambda: theirs.max(), match_message=True)
    assert_same_error(lambda: ours.max(0), lambda: theirs.max(0), match_message=True)


# ---------------------------------------------------------------------- 0-d and size-1 dims
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "std", "var",
                                  "norm", "all", "any", "logsumexp", "cumsum", "cumprod", "count_nonzero"])
@pytest.mark.parametrize("dim", [0, -1])
def test_zero_dim_input(name, dim):
    ours, theirs = pair_from_numpy(np.array(2.5))
    check_method(name, ours, theirs, dim)
    for name2 in ("max", "min", "median"):
        check_method(name2, ours, theirs, dim)
        check_method(name2, ours, theirs, dim, True)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "std", "var", "norm", "logsumexp", "count_nonzero"])
def test_duplicate_dims(name):
    ours, theirs = pair_from_numpy(np.ones((2, 3)))
    e = assert_same_error(lambda: getattr(ours, name)((0, -2)), lambda: getattr(theirs, name)((0, -2)),
                          match_message=name != "norm")
    if name in ("sum", "mean", "amax"):
        assert "dim 0 appears multiple times in the list of dims" in str(e)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "amax", "argmax", "std", "norm", "all",
                                  "any", "logsumexp", "cumsum", "cumprod", "count_nonzero", "median"])
@pytest.mark.parametrize("dim", [2, -3, 5])
def test_out_of_range_dims(name, dim):
    ours, theirs = pair_from_numpy(np.ones((2, 3)))
    e = assert_same_error(lambda: getattr(ours, name)(dim=dim), lambda: getattr(theirs, name)(dim=dim),
                          match_message=True)
    assert isinstance(e, IndexError)


def test_unsupported_dtypes():
    b, bt = pair_from_numpy(np.array([True, False]))
    for name in ("argmax", "argmin", "median", "cumsum", "cumprod"):
        check_method(name, b, bt, 0)
    check_op(lambda: b.median(), lambda: bt.median())


# ---------------------------------------------------------------------- sum_to_size
@pytest.mark.parametrize(("shape", "size"), [
    ((2, 3), (2, 3)), ((2, 3), (1, 3)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((4, 2, 3), (2, 1)),
    ((4, 2, 3), (1, 1, 1)), ((4, 2, 3), ()), ((2, 3), (4, 3)), ((2, 3), (2, 3, 1)), ((2, 3), (3, 3)),
])
@pytest.mark.parametrize("pair", [(tl.float32, torch.float32), (tl.int8, torch.int8), (tl.bool, torch.bool)])
def test_sum_to_size(shape, size, pair):
    values = np.arange(int(np.prod(shape))).reshape(shape) % 3
    ours, theirs = pair_from_numpy(values, pair)
    check_op(lambda: ours.sum_to_size(size), lambda: theirs.sum_to_size(size))
    if size:
        check_op(lambda: ours.sum_to_size(*size), lambda: theirs.sum_to_size(*size))
    if size == shape:
        assert ours.sum_to_size(size) is ours


@FEW
@given(data=st.data())
def test_sum_to_size_on_layouts(data):
    ours, theirs = data.draw(tensor_pairs(dtype_pairs=FLOAT_PAIRS))
    size = tuple(n if data.draw(st.booleans()) else 1 for n in ours.shape)
    size = size[data.draw(st.integers(0, len(size))):]
    check_op(lambda: ours.sum_to_size(size), lambda: theirs.sum_to_size(size))


# ---------------------------------------------------------------------- module-level functions
def test_functions_exist_at_module_level():
    ours, theirs = pair_from_numpy(np.arange(12.0).reshape(3, 4))
    for name in ("sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "std", "var", "all", "any",
                 "count_nonzero"):
        check_op(lambda name=name: getattr(tl, name)(ours), lambda name=name: getattr(torch, name)(theirs))
    for name in ("cumsum", "cumprod", "logsumexp"):
        check_op(lambda name=name: getattr(tl, name)(ours, 1), lambda name=name: getattr(torch, name)(theirs, 1))
    check_op(lambda: tl.max(ours, 1), lambda: torch.max(theirs, 1))
    check_op(lambda: tl.norm(ours), lambda: torch.norm(theirs))
