"""Chapter 3 — matrix helpers (``tril``, ``triu``, ``diag``, ``trace``) and math extras (``clamp_min``,
``clamp_max``, ``nan_to_num``, ``lerp``, ``frac``), held up against torch.

Values, dtypes, shapes and strides (``check_op``) on random shapes, dtypes and layouts;
torch's errors word for word; graph node names; gradients (``check_gradients``, and
``gradcheck`` in float64); and the in-place forms. ``lerp`` is checked bit for bit: torch
fuses its multiply-add, and so does the library.
"""

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
    TEST_DEVICE,
    assert_matches,
    assert_same_error,
    check_op,
    pair_from_numpy,
    tensor_pairs,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

F32_F64 = [(tl.float32, torch.float32), (tl.float64, torch.float64)]
matrix_shapes = st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple)
diagonals = st.integers(-5, 5)


def both(fn, ours, theirs):
    """``fn(lib, tensor)`` for each library, as a pair of zero-argument calls for ``check_op``."""
    return (lambda: fn(tl, ours)), (lambda: fn(torch, theirs))


# ====================================================================== clamp_min / clamp_max
@given(pair=tensor_pairs(), bound=st.sampled_from([0, -3, 2.5, True, 300, -1.5]),
       op=st.sampled_from(["clamp_min", "clamp_max"]))
def test_clamp_min_max_number_bound(pair, bound, op):
    ours, theirs = pair
    check_op(lambda: getattr(tl, op)(ours, bound), lambda: getattr(torch, op)(theirs, bound))
    check_op(lambda: getattr(ours, op)(bound), lambda: getattr(theirs, op)(bound))


@given(pair=tensor_pairs(shape=(2, 3)), other=tensor_pairs(shape=(3,)), op=st.sampled_from(["clamp_min", "clamp_max"]))
def test_clamp_min_max_tensor_bound(pair, other, op):
    (ours, theirs), (bound_o, bound_t) = pair, other
    check_op(lambda: getattr(tl, op)(ours, bound_o), lambda: getattr(torch, op)(theirs, bound_t))


@given(pair=tensor_pairs(shape=(2, 3), layouts=False), bound=st.sampled_from([0, 1.5, -2]),
       op=st.sampled_from(["clamp_min_", "clamp_max_"]))
def test_clamp_min_max_in_place(pair, bound, op):
    ours, theirs = pair
    check_op(lambda: getattr(ours.clone(), op)(bound), lambda: getattr(theirs.clone(), op)(bound))


@pytest.mark.parametrize("call", [
    lambda lib: lib.clamp_min(lib.tensor([1, 2]), None),
    lambda lib: lib.clamp_max(lib.tensor([1, 2]), "a"),
    lambda lib: lib.clamp_min([1], 2),
    lambda lib: lib.clamp_min(lib.tensor([True]), True),
    lambda lib: lib.clamp_min(lib.tensor([1, 2], dtype=lib.uint8), 300),
    lambda lib: lib.tensor([1, 2]).clamp_min_(0.5),
    lambda lib: lib.tensor([1.0, 2.0]).clamp_max_(lib.tensor([[0.5]])),
    lambda lib: lib.clamp_max(lib.tensor([1.0]), 2**70),
])
def test_clamp_min_max_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


def test_clamp_min_max_nodes_and_gradients():
    for lib_min, bound in ((0.5, "ClampMinBackward0"), (tl.tensor([0.5, 1.5, 2.5]), "ClampMinBackward1")):
        x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
        assert tl.clamp_min(x, lib_min).grad_fn.name() == bound
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert tl.clamp_max(x, 2).grad_fn.name() == "ClampMaxBackward0"
    assert tl.clamp_max(x, tl.tensor(2.0)).grad_fn.name() == "ClampMaxBackward1"
    values = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    bound = np.array([0.5, -1.0, 2.0])
    for op in ("clamp_min", "clamp_max"):
        check_gradients(lambda lib, a, b, op=op: getattr(lib, op)(a, b),
                        pair_from_numpy(values), pair_from_numpy(bound))
        check_gradients(lambda lib, a, op=op: getattr(lib, op)(a, 0.5), pair_from_numpy(values))


def test_clamp_min_in_place_records_the_node():
    for lib in (tl, torch):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 1
        y.clamp_min_(0)
        assert y.grad_fn.name() == "ClampMinBackward0"
        y.sum().backward()
        assert x.grad.tolist() == [1.0, 0.0, 1.0]


# ====================================================================== tril / triu
@given(pair=matrix_shapes.flatmap(lambda s: tensor_pairs(shape=s)), diagonal=diagonals,
       op=st.sampled_from(["tril", "triu"]))
def test_tril_triu_match_torch(pair, diagonal, op):
    ours, theirs = pair
    check_op(lambda: getattr(tl, op)(ours, diagonal), lambda: getattr(torch, op)(theirs, diagonal))
    check_op(lambda: getattr(ours, op)(diagonal=diagonal), lambda: getattr(theirs, op)(diagonal=diagonal))


@given(pair=tensor_pairs(shape=(3, 4), dtype_pairs=F32_F64), diagonal=diagonals, op=st.sampled_from(["tril", "triu"]))
def test_tril_triu_in_place(pair, diagonal, op):
    ours, theirs = pair
    ours, theirs = ours.clone().t(), theirs.clone().t()  # a transposed tensor keeps its strides
    result_o, result_t = getattr(ours, op + "_")(diagonal), getattr(theirs, op + "_")(diagonal)
    assert result_o is ours and result_t is theirs
    assert_matches(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tril(lib.tensor([1.0, 2.0])),
    lambda lib: lib.triu(lib.tensor(1.0)),
    lambda lib: lib.tril(lib.ones(2, 2), 1.5),
    lambda lib: lib.triu(lib.ones(2, 2), True),
    lambda lib: lib.tril([[1]]),
    lambda lib: lib.ones(2, 2).tril(0.5),
    lambda lib: lib.ones(3).tril_(1),
    lambda lib: lib.ones(2, 2).triu_(1.0),
    lambda lib: lib.ones(2, 2, requires_grad=True).tril_(),
])
def test_tril_triu_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


def test_tril_triu_diagonal_from_a_0d_tensor_and_far_away():
    for lib in (tl, torch):
        x = lib.arange(12.0).reshape(3, 4)
        assert lib.tril(x, lib.tensor(1)).tolist() == torch.tril(torch.arange(12.0).reshape(3, 4), 1).tolist()
        assert lib.triu(x, 2**62).sum().item() == 0
        assert lib.tril(x, -(2**62)).sum().item() == 0


@given(shape=st.sampled_from([(3, 4), (2, 3, 3), (4, 2)]), diagonal=diagonals, op=st.sampled_from(["tril", "triu"]))
@settings(max_examples=15)
def test_tril_triu_gradients(shape, diagonal, op):
    values = np.random.default_rng(0).standard_normal(shape)
    check_gradients(lambda lib, a: getattr(lib, op)(a, diagonal), pair_from_numpy(values))
    x = tl.tensor(values, requires_grad=True)
    assert getattr(tl, op)(x, diagonal).grad_fn.name() == op.capitalize() + "Backward0"


def test_tril_in_place_gradient():
    values = np.arange(12.0).reshape(3, 4)
    check_gradients(lambda lib, a: (a * 1).tril_(1), pair_from_numpy(values))


# ====================================================================== diag
@given(pair=st.lists(st.integers(0, 4), min_size=1, max_size=2).map(tuple).flatmap(lambda s: tensor_pairs(shape=s)),
       diagonal=diagonals)
def test_diag_matches_torch(pair, diagonal):
    ours, theirs = pair
    check_op(lambda: tl.diag(ours, diagonal), lambda: torch.diag(theirs, diagonal))
    check_op(lambda: ours.diag(diagonal), lambda: theirs.diag(diagonal))


@pytest.mark.parametrize("call", [
    lambda lib: lib.diag(lib.tensor(1.0)),
    lambda lib: lib.diag(lib.ones(2, 2, 2)),
    lambda lib: lib.diag(lib.ones(2, 2), 1.0),
    lambda lib: lib.diag([1]),
    lambda lib: lib.ones(3).diag(0.5),
])
def test_diag_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


@pytest.mark.parametrize("shape", [(3,), (3, 4), (4, 2)])
@pytest.mark.parametrize("diagonal", [-2, 0, 1, 3])
def test_diag_gradients(shape, diagonal):
    values = np.random.default_rng(1).standard_normal(shape)
    check_gradients(lambda lib, a: lib.diag(a, diagonal), pair_from_numpy(values))
    node = tl.diag(tl.tensor(values, requires_grad=True), diagonal).grad_fn.name()
    assert node == ("DiagEmbedBackward0" if len(shape) == 1 else "DiagonalBackward0_copy")


def test_diag_gradcheck_and_second_order():
    x = tl.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradcheck(lambda a: tl.diag(a, 1), (x,))
    assert tl.autograd.gradcheck(lambda a: tl.diag(tl.diag(a) * 2, -1), (x,))
    for lib in (tl, torch):  # the gradient's own graph: d/dx of sum(d(diag(x)^2)/dx) = 2 on the diagonal
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((lib.diag(a) ** 2).sum(), a, create_graph=True)
        g.sum().backward()
        assert a.grad.tolist() == [[2.0, 0.0], [0.0, 2.0]]


# ====================================================================== trace
@given(pair=st.tuples(st.integers(0, 4), st.integers(0, 4)).flatmap(lambda s: tensor_pairs(shape=s)))
def test_trace_matches_torch(pair):
    ours, theirs = pair
    check_op(lambda: tl.trace(ours), lambda: torch.trace(theirs))
    check_op(lambda: ours.trace(), lambda: theirs.trace())


@pytest.mark.parametrize("call", [
    lambda lib: lib.trace(lib.ones(3)),
    lambda lib: lib.trace(lib.ones(2, 2, 2)),
    lambda lib: lib.trace(lib.tensor(1.0)),
    lambda lib: lib.trace(lib.ones(2, 2, dtype=lib.bool)),
    lambda lib: lib.trace([[1]]),
])
def test_trace_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


def test_trace_integers_wrap_in_int64():
    big = [[2**62, 0], [0, 2**62]]
    check_op(lambda: tl.trace(tl.tensor(big)), lambda: torch.trace(torch.tensor(big)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 1)])
def test_trace_gradients(shape):
    values = np.random.default_rng(2).standard_normal(shape)
    check_gradients(lambda lib, a: lib.trace(a), pair_from_numpy(values))
    x = tl.tensor(values, requires_grad=True)
    assert tl.trace(x).grad_fn.name() == "TraceBackward0"
    assert tl.autograd.gradcheck(lambda a: tl.trace(a * a), (x.double().detach().requires_grad_(),))


# ====================================================================== nan_to_num
@st.composite
def with_non_finite(draw, dtype_pairs=None):
    """A tensor pair whose float values include NaN, +inf and -inf (integers stay as they are)."""
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple))
    pair = draw(st.sampled_from(dtype_pairs or DTYPE_PAIRS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(-10, 10, shape).astype(np.float64)
    if pair[0].is_floating_point:
        specials = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
        values = np.where(rng.random(shape) < 0.5, specials[rng.integers(0, 5, shape)], values)
    elif pair[0] is tl.uint8 or pair[0] is tl.bool:
        values = np.abs(values) % 2 if pair[0] is tl.bool else np.abs(values)
    return pair_from_numpy(values, pair)


@given(pair=with_non_finite(), nan=st.sampled_from([0.0, 1.5, None, 1e6, True]),
       posinf=st.sampled_from([None, 7.0, 1e300]), neginf=st.sampled_from([None, -7, float("inf")]))
def test_nan_to_num_matches_torch(pair, nan, posinf, neginf):
    ours, theirs = pair
    nan_o = 0.0 if nan is None else nan
    check_op(lambda: tl.nan_to_num(ours, nan_o, posinf, neginf),
             lambda: torch.nan_to_num(theirs, nan_o, posinf, neginf))
    check_op(lambda: ours.nan_to_num(posinf=posinf), lambda: theirs.nan_to_num(posinf=posinf))


def test_nan_to_num_keeps_the_layout_and_in_place():
    check_op(lambda: tl.nan_to_num(tl.ones(3, 4).t()), lambda: torch.nan_to_num(torch.ones(3, 4).t()))
    for lib in (tl, torch):
        x = lib.tensor([float("nan"), float("inf"), 1.0])
        assert x.nan_to_num_(nan=2.0) is x
        assert x.tolist() == [2.0, float(np.finfo(np.float32).max), 1.0]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nan_to_num(lib.ones(2), nan="a"),
    lambda lib: lib.nan_to_num([1.0]),
    lambda lib: lib.nan_to_num(lib.ones(2), neginf=[1]),
])
def test_nan_to_num_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


def test_nan_to_num_gradient():
    values = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 2.5])
    check_gradients(lambda lib, a: lib.nan_to_num(a, posinf=5.0), pair_from_numpy(values))
    x = tl.tensor(values, requires_grad=True)
    out = tl.nan_to_num(x)
    assert out.grad_fn.name() == "NanToNumBackward0"
    out.backward(tl.tensor([np.inf, np.inf, 1.0, 1.0, 1.0, 1.0], dtype=tl.float64))  # torch multiplies: inf * 0
    assert np.array_equal(tl.backend.to_host(x.grad._data), [np.inf, np.nan, 0, 0, 1, 1], equal_nan=True)


# ====================================================================== lerp
@st.composite
def lerp_operands(draw):
    """Random (not round) values, so that rounding differences would show: start, end and a weight."""
    shape_full = draw(st.lists(st.integers(1, 5), min_size=0, max_size=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def some_shape():
        drop = draw(st.integers(0, len(shape_full)))
        return tuple(1 if draw(st.booleans()) else n for n in shape_full[drop:])

    pair = draw(st.sampled_from(FLOAT_PAIRS))
    start = pair_from_numpy(rng.standard_normal(some_shape()) * 10, pair)
    end = pair_from_numpy(rng.standard_normal(some_shape()) * 10, pair)
    kind = draw(st.sampled_from(["number", "tensor", "0-d"]))
    if kind == "number":
        weight = draw(st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.7, 1.0, -0.5, 1.5, 2]))
        return start, end, (weight, weight)
    if kind == "0-d":
        w = pair_from_numpy(np.array(rng.random() * 2 - 0.5), draw(st.sampled_from(F32_F64)))
        return start, end, w
    return start, end, pair_from_numpy(rng.random(some_shape()) * 2 - 0.5, pair)


@given(operands=lerp_operands())
def test_lerp_matches_torch_bit_for_bit(operands):
    (s_o, s_t), (e_o, e_t), (w_o, w_t) = operands
    exact = {} if s_t.dtype in (torch.float16, torch.bfloat16) and TEST_DEVICE != "cpu" else {"rtol": 0, "atol": 0}
    check_op(lambda: tl.lerp(s_o, e_o, w_o), lambda: torch.lerp(s_t, e_t, w_t), **exact)


def test_lerp_layout_follows_the_operands():
    check_op(lambda: tl.lerp(tl.ones(3, 4).t(), tl.ones(4, 3), 0.5), lambda: torch.lerp(torch.ones(3, 4).t(),
                                                                                        torch.ones(4, 3), 0.5))


@pytest.mark.parametrize("call", [
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3, dtype=lib.float64), 0.5),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), lib.tensor([1])),
    lambda lib: lib.lerp(lib.ones(3, dtype=lib.int32), lib.ones(3, dtype=lib.int32), 0.5),
    lambda lib: lib.lerp(lib.ones(3, dtype=lib.int32), lib.ones(3, dtype=lib.int32), lib.tensor(1)),
    lambda lib: lib.lerp(lib.ones(3, dtype=lib.bool), lib.ones(3, dtype=lib.bool), 0.5),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(2), 0.5),
    lambda lib: lib.lerp(lib.ones(3), 2.0, 0.5),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), "a"),
    lambda lib: lib.lerp([1.0], lib.ones(3), 0.5),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), 2**70),
    lambda lib: lib.ones(1).lerp_(lib.ones(3), 0.5),
    lambda lib: lib.ones(3).lerp_(lib.ones(3, dtype=lib.float64), 0.5),
])
def test_lerp_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


def test_lerp_weight_kinds():
    x, e = [1.0, 2.0, 3.0], [10.0, 20.0, 30.0]
    weights = [(w, w) for w in (1, True, float("nan"))]
    weights += [(tl.tensor(1), torch.tensor(1)), (tl.tensor(0.3, dtype=tl.float16), torch.tensor(0.3).half())]
    for w_o, w_t in weights:
        check_op(lambda w=w_o: tl.lerp(tl.tensor(x), tl.tensor(e), w),
                 lambda w=w_t: torch.lerp(torch.tensor(x), torch.tensor(e), w))
    check_op(lambda: tl.tensor(x).lerp_(tl.tensor(e), 0.3), lambda: torch.tensor(x).lerp_(torch.tensor(e), 0.3),
             rtol=0, atol=0)


@pytest.mark.parametrize("weight", ["number", "tensor", "0-d"])
def test_lerp_gradients(weight):
    rng = np.random.default_rng(3)
    start, end = pair_from_numpy(rng.standard_normal((2, 3))), pair_from_numpy(rng.standard_normal((3,)))
    if weight == "number":
        check_gradients(lambda lib, a, b: lib.lerp(a, b, 0.7), start, end)
        name = tl.lerp(tl.ones(2, requires_grad=True), tl.ones(2), 0.7).grad_fn.name()
        assert name == "LerpBackward0"
        return
    w = pair_from_numpy(rng.random((2, 1)) if weight == "tensor" else np.array(0.4))
    check_gradients(lambda lib, a, b, c: lib.lerp(a, b, c), start, end, w)
    assert tl.lerp(tl.ones(2, requires_grad=True), tl.ones(2), tl.ones(2)).grad_fn.name() == "LerpBackward1"


def test_lerp_gradcheck():
    a, b, w = (tl.tensor(np.random.default_rng(4).standard_normal(3), requires_grad=True) for _ in range(3))
    assert tl.autograd.gradcheck(tl.lerp, (a, b, w))


# ====================================================================== frac
@given(pair=tensor_pairs())
def test_frac_matches_torch(pair):
    ours, theirs = pair
    check_op(lambda: tl.frac(ours / 3 if ours.dtype.is_floating_point else ours),
             lambda: torch.frac(theirs / 3 if theirs.dtype.is_floating_point else theirs))


def test_frac_special_values_layout_and_in_place():
    values = [1.5, -1.5, -0.0, float("inf"), float("nan"), 2.0]
    for pair in FLOAT_PAIRS:
        ours, theirs = pair_from_numpy(np.array(values), pair)
        check_op(lambda o=ours: tl.frac(o), lambda t=theirs: torch.frac(t))
        check_op(lambda o=ours: o.clone().frac_(), lambda t=theirs: t.clone().frac_())
    check_op(lambda: tl.frac(tl.ones(3, 4).t() * 1.25), lambda: torch.frac(torch.ones(3, 4).t() * 1.25))


@pytest.mark.parametrize("call", [
    lambda lib: lib.frac(lib.tensor([1, 2])),
    lambda lib: lib.frac(lib.tensor([True])),
    lambda lib: lib.tensor([1, 2]).frac_(),
    lambda lib: lib.frac([1.0]),
])
def test_frac_errors(call):
    assert_same_error(lambda: call(tl), lambda: call(torch), match_message=True)


def test_frac_gradient():
    values = np.array([1.5, -2.25, 0.5, 3.0])
    check_gradients(lambda lib, a: lib.frac(a), pair_from_numpy(values))
    assert tl.frac(tl.tensor(values, requires_grad=True)).grad_fn.name() == "FracBackward0"
