"""Chapter 4 — gradients of the element-wise ops (``+ - * /``, ``**``, exp, relu, clamp ...) and in-place ops.

Each gradient is checked against torch on random shapes that broadcast, dtypes (also mixed:
the gradient comes back in each input's dtype) and memory layouts (``check_gradients``);
against finite differences in float64 (``gradcheck``); by the graph node's name; at torch's
special points (relu'(0) = 0, ties of maximum, sqrt at 0 ...); and to second order
(``create_graph=True``). In-place ops on tensors in the graph are recorded as torch records
them, and changing a tensor backward still needs makes backward raise, as in torch.
"""

import math

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

# log(0), 0 / 0 ...: both libraries give inf or nan (NumPy would warn, but not in the library's own calls)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@st.composite
def broadcast_pair_shapes(draw, max_dims=3):
    """Two shapes that broadcast together: each drops some leading dims of a common shape and
    has size 1 in some others ((3, 1) with (1, 4), (2, 3) with (3,) ...)."""
    full = draw(st.lists(st.integers(1, 4), min_size=0, max_size=max_dims))

    def derive():
        drop = draw(st.integers(0, len(full)))
        return tuple(1 if draw(st.booleans()) else n for n in full[drop:])

    return derive(), derive()


@st.composite
def operand_pairs(draw, dtype_pairs=F32_F64, low=-10, high=10, other_low=None, other_high=None, same_dtype=True):
    """Two (ours, torch) tensor pairs with broadcasting shapes, often non-contiguous."""
    shape_a, shape_b = draw(broadcast_pair_shapes())
    dtype_a = draw(st.sampled_from(dtype_pairs))
    dtype_b = dtype_a if same_dtype else draw(st.sampled_from(dtype_pairs))
    a = draw(tensor_pairs(shape=shape_a, dtype_pairs=[dtype_a], low=low, high=high))
    b = draw(tensor_pairs(shape=shape_b, dtype_pairs=[dtype_b], low=other_low if other_low is not None else low,
                          high=other_high if other_high is not None else high))
    return a, b


def leaf(values, dtype=tl.float64):
    return tl.tensor(values, dtype=dtype, requires_grad=True)


def grads_of(fn, *values, dtype=torch.float64):
    """The inputs' .grad after ``fn(lib, *leaves).sum().backward()`` in both libraries (tl first)."""
    out = []
    for lib in (tl, torch):
        xs = [lib.tensor(v, dtype=tl.float64 if lib is tl else dtype, requires_grad=True) for v in values]
        fn(lib, *xs).sum().backward()
        out.append([x.grad for x in xs])
    return out


def assert_grads_match(fn, *values):
    ours, theirs = grads_of(fn, *values)
    for o, t in zip(ours, theirs):
        assert_matches(o, t, check_stride=False)


# ====================================================================== binary ops, parity with torch
BINARY = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "add alpha": lambda lib, a, b: lib.add(a, b, alpha=2.5),
    "sub alpha": lambda lib, a, b: lib.sub(a, b, alpha=-3),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(pairs=operand_pairs(WITH_F16, low=-3, high=3))
def test_binary_gradients_broadcast_like_torch(name, pairs):
    check_gradients(BINARY[name], *pairs)


@given(pairs=operand_pairs(WITH_F16, other_low=1, other_high=5), negate=st.booleans())
def test_div_gradient(pairs, negate):
    check_gradients(lambda lib, a, b: a / (-b if negate else b), *pairs)


@given(pairs=operand_pairs(F32_F64, low=1, high=3, other_low=-2, other_high=2))
def test_pow_tensor_to_tensor_gradient(pairs):
    check_gradients(lambda lib, a, b: a ** b, *pairs)


@given(pairs=operand_pairs(F32_F64, other_low=1, other_high=4), name=st.sampled_from(["remainder", "fmod"]),
       negate=st.booleans())
def test_remainder_and_fmod_gradients(pairs, name, negate):
    check_gradients(lambda lib, a, b: getattr(lib, name)(a, -b if negate else b), *pairs)


@given(pairs=operand_pairs(WITH_F16, low=-3, high=3, same_dtype=False),
       name=st.sampled_from(["add", "sub", "mul", "maximum", "minimum"]))
def test_mixed_dtypes_give_each_input_a_gradient_of_its_own_dtype(pairs, name):
    check_gradients(BINARY[name], *pairs)


@given(a=tensor_pairs(dtype_pairs=F32_F64), dtype_b=st.sampled_from(WITH_F16),
       op=st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum"]))
def test_a_0d_tensor_of_another_dtype_does_not_promote_and_gets_its_own_dtype_back(a, dtype_b, op):
    """float32 tensor * float64 0-d tensor is float32 (a 0-d tensor doesn't promote); the 0-d
    tensor's gradient is summed over everything and cast back to float64."""
    if op in ("div", "pow") and dtype_b[0].itemsize > a[0].dtype.itemsize:
        # b's gradient is computed in a's lower precision: both libraries round, each its own way
        dtype_b = {tl.float32: F32_F64[0], tl.float64: F32_F64[1]}[a[0].dtype]
    b = pair_from_numpy(np.array(1.5), dtype_b)
    fns = {"add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: y - x, "mul": lambda lib, x, y: x * y,
           "div": lambda lib, x, y: x / y, "pow": lambda lib, x, y: x.abs() ** y,
           "maximum": lambda lib, x, y: lib.maximum(x, y)}
    check_gradients(fns[op], a, b)


@given(pairs=operand_pairs([(tl.float32, torch.float32), (tl.int64, torch.int64)], low=1, high=4,
                           same_dtype=False))
def test_integer_operands_get_no_gradient(pairs):
    check_gradients(lambda lib, x, n: x * n + x / n - n, *pairs)


# ====================================================================== Python numbers on either side
NUMBERS = st.sampled_from([2, -3, 1, 0.5, -1.25, 3.0, 1e-3])
WITH_NUMBER = {
    "x + c": lambda lib, x, c: x + c, "c + x": lambda lib, x, c: c + x,
    "x - c": lambda lib, x, c: x - c, "c - x": lambda lib, x, c: c - x,
    "x * c": lambda lib, x, c: x * c, "c * x": lambda lib, x, c: c * x,
    "x / c": lambda lib, x, c: x / c, "c / x": lambda lib, x, c: c / (x.abs() + 1),
    "x ** c": lambda lib, x, c: (x.abs() + 0.5) ** c, "c ** x": lambda lib, x, c: abs(c) ** x,
    "add alpha": lambda lib, x, c: x.add(c, alpha=2), "sub alpha": lambda lib, x, c: x.sub(c, alpha=0.5),
    "x % c": lambda lib, x, c: x % c, "fmod": lambda lib, x, c: lib.fmod(x, c),
    "clamp(c, c + 2)": lambda lib, x, c: x.clamp(c, c + 2), "clamp(min=c)": lambda lib, x, c: x.clamp(min=c),
    "clamp(max=c)": lambda lib, x, c: x.clamp(max=c), "clamp(c + 1, c)": lambda lib, x, c: x.clamp(c + 1, c),
}


@pytest.mark.parametrize("name", list(WITH_NUMBER))
@given(pair=tensor_pairs(dtype_pairs=WITH_F16, low=-3, high=3), c=NUMBERS)
def test_gradients_with_a_python_number(name, pair, c):
    check_gradients(lambda lib, x: WITH_NUMBER[name](lib, x, c), pair)


# ====================================================================== unary ops
UNARY = {  # name: (low, high) of the inputs, in quarters
    "neg": (-5, 5), "abs": (-3, 3), "sqrt": (1, 5), "rsqrt": (1, 5), "exp": (-3, 3), "log": (1, 5),
    "log2": (1, 5), "log10": (1, 5), "log1p": (0, 4), "expm1": (-3, 3), "sin": (-4, 4), "cos": (-4, 4),
    "tan": (-1, 1), "tanh": (-3, 3), "sigmoid": (-5, 5), "relu": (-3, 3), "reciprocal": (1, 5),
    "square": (-3, 3), "sign": (-3, 3), "floor": (-3, 3), "ceil": (-3, 3), "round": (-3, 3), "trunc": (-3, 3),
}
HALF_OK = {"neg", "abs", "sqrt", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "square", "sign", "floor"}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary_gradients(name, data):
    low, high = UNARY[name]
    pair = data.draw(tensor_pairs(dtype_pairs=WITH_F16 if name in HALF_OK else F32_F64, low=low, high=high))
    check_gradients(lambda lib, x: getattr(x, name)(), pair)


@given(pair=tensor_pairs(dtype_pairs=F32_F64, low=-3, high=3), decimals=st.sampled_from([1, -1, 2]))
def test_round_with_decimals_has_a_zero_gradient(pair, decimals):
    check_gradients(lambda lib, x: x.round(decimals=decimals) + x, pair)


@given(pairs=operand_pairs(F32_F64, low=-3, high=3), width=st.sampled_from([0.0, 1.0, 2.5, -1.0]))
def test_clamp_with_tensor_bounds(pairs, width):
    (x, lo) = pairs
    check_gradients(lambda lib, t, lower: t.clamp(lower, lower + width), x, lo)
    check_gradients(lambda lib, t, lower: t.clamp(min=lower), x, lo)
    check_gradients(lambda lib, t, upper: t.clamp(max=upper), x, lo)


# ====================================================================== torch's values at the special points
def test_relu_abs_and_sign_at_zero():
    assert_grads_match(lambda lib, x: x.relu(), [-1.0, 0.0, 2.0])
    assert_grads_match(lambda lib, x: x.abs(), [-1.0, 0.0, 2.0])
    ours, _ = grads_of(lambda lib, x: x.relu() + x.abs(), [-1.0, 0.0, 2.0])
    assert ours[0].tolist() == [-1.0, 0.0, 2.0]  # relu'(0) = 0, abs'(0) = 0
    assert_grads_match(lambda lib, x: x.relu(), [float("nan"), -0.0, 1.0])


def test_clamp_passes_the_gradient_on_the_bounds():
    assert_grads_match(lambda lib, x: x.clamp(0.0, 1.0), [-0.5, 0.0, 0.5, 1.0, 1.5])
    assert_grads_match(lambda lib, x: x.clamp(min=0.0), [-0.5, 0.0, 0.5])
    assert_grads_match(lambda lib, x: x.clamp(max=0.0), [-0.5, 0.0, 0.5])
    assert_grads_match(lambda lib, x: x.clamp(1.0, 0.0), [-0.5, 0.0, 0.5, 1.0, 1.5])  # min > max: all max
    assert_grads_match(lambda lib, x, lo, hi: x.clamp(lo, hi), [-0.5, 0.0, 0.5, 1.0, 2.0],
                       [0.0, 0.0, 1.0, 1.0, 3.0], [1.0, 0.0, 0.0, 1.0, 2.5])
    assert_grads_match(lambda lib, x, lo: x.clamp(min=lo), [-0.5, 0.0, 0.5], [0.0, 0.0, 0.0])
    assert_grads_match(lambda lib, x, hi: x.clamp(max=hi), [-0.5, 0.0, 0.5], [0.0, 0.0, 0.0])
    ours, _ = grads_of(lambda lib, x: x.clamp(0.0, 1.0), [-0.5, 0.0, 0.5, 1.0, 1.5])
    assert ours[0].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_maximum_and_minimum_split_ties_and_pass_nan():
    values = ([1.0, 2.0, 3.0, float("nan"), 1.0], [1.0, 5.0, -3.0, 0.0, float("nan")])
    assert_grads_match(lambda lib, a, b: lib.maximum(a, b), *values)
    assert_grads_match(lambda lib, a, b: lib.minimum(a, b), *values)
    ours, _ = grads_of(lambda lib, a, b: lib.maximum(a, b), *values)
    assert ours[0].tolist()[:3] == [0.5, 0.0, 1.0] and ours[1].tolist()[:3] == [0.5, 1.0, 0.0]


def test_sqrt_log_and_reciprocal_at_zero_are_infinite():
    for fn in (lambda lib, x: x.sqrt(), lambda lib, x: x.log(), lambda lib, x: x.rsqrt(),
               lambda lib, x: x.reciprocal(), lambda lib, x: 1 / x):
        assert_grads_match(fn, [0.0, 1.0, 4.0])
    ours, _ = grads_of(lambda lib, x: x.sqrt(), [0.0, 4.0])
    assert ours[0].tolist() == [math.inf, 0.25]


def test_pow_at_zero_and_with_exponent_zero():
    assert_grads_match(lambda lib, x: x ** 0, [0.0, 1.0, -2.0])  # zero gradient, even at 0
    assert_grads_match(lambda lib, x: x.pow(0.0), [0.0, 1.0, -2.0])
    assert_grads_match(lambda lib, x: x ** 2, [0.0, 1.0, -2.0])
    assert_grads_match(lambda lib, x: x ** 0.5, [0.0, 1.0, 4.0])
    assert_grads_match(lambda lib, x: x ** -1, [0.0, 1.0, -2.0])
    assert_grads_match(lambda lib, x, y: x ** y, [0.0, 0.0, 0.0, 2.0, -2.0], [0.0, 2.0, -1.0, 0.0, 2.0])
    assert_grads_match(lambda lib, y: 0.0 ** y, [0.0, 2.0, -1.0])  # number ** tensor, base 0
    assert_grads_match(lambda lib, y: 2.0 ** y, [0.0, 2.0, -1.0])
    assert_grads_match(lambda lib, y: (-2.0) ** y, [0.0, 2.0, -1.0])  # log(-2) is nan, as in torch


def test_step_functions_have_zero_gradients():
    for name in ("sign", "floor", "ceil", "round", "trunc"):
        ours, _ = grads_of(lambda lib, x: getattr(x, name)(), [-1.5, 0.0, 2.5])  # noqa: B023
        assert ours[0].tolist() == [0.0, 0.0, 0.0]
    assert_grads_match(lambda lib, a, b: a.div(b, rounding_mode="trunc"), [3.0, -3.5], [2.0, 2.0])
    assert_grads_match(lambda lib, a, b: a.div(b, rounding_mode="floor"), [3.0, -3.5], [2.0, 2.0])


def test_floor_divide_and_number_remainder_tensor_have_no_derivative():
    for fn in (lambda lib, x: x // 2, lambda lib, x: lib.floor_divide(x, x + 3), lambda lib, x: 2 % x):
        x, xt = leaf([1.5, 2.5]), torch.tensor([1.5, 2.5], dtype=torch.float64, requires_grad=True)
        y, yt = fn(tl, x), fn(torch, xt)
        assert y.requires_grad and y.grad_fn.name() == yt.grad_fn.name() == "torch::autograd::NotImplemented"
        assert_same_error(lambda: y.sum().backward(), lambda: yt.sum().backward(), match_message=True)  # noqa: B023


# ====================================================================== finite differences
def _distinct(shape, seed=0, low=0.5, high=2.0, positive=False):
    """float64 leaf with distinct values away from 0 (no ties, no kinks)."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    values = np.linspace(low, high, n) * (1 if positive else rng.choice([-1, 1], n))
    return tl.tensor(rng.permutation(values).reshape(shape), requires_grad=True)


GRADCHECK_UNARY = {
    "neg": lambda x: -x, "abs": lambda x: x.abs(), "sqrt": lambda x: x.abs().sqrt(),
    "rsqrt": lambda x: x.abs().rsqrt(), "exp": lambda x: x.exp(), "log": lambda x: x.abs().log(),
    "log2": lambda x: x.abs().log2(), "log10": lambda x: x.abs().log10(), "log1p": lambda x: x.abs().log1p(),
    "expm1": lambda x: x.expm1(), "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "tan": lambda x: (x / 3).tan(),
    "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(), "relu": lambda x: x.relu(),
    "reciprocal": lambda x: x.reciprocal(), "square": lambda x: x.square(), "x ** 3": lambda x: x ** 3,
    "x ** 2.5": lambda x: x.abs() ** 2.5, "2 ** x": lambda x: 2 ** x, "x + 2": lambda x: x + 2,
    "2 - x": lambda x: 2 - x, "x * 3": lambda x: x * 3, "x / 3": lambda x: x / 3, "3 / x": lambda x: 3 / x,
    "clamp": lambda x: x.clamp(-1.0, 1.0), "clamp min": lambda x: x.clamp(min=0.3), "x % 0.9": lambda x: x % 0.9,
    "fmod": lambda x: tl.fmod(x, 0.9), "add alpha": lambda x: x.add(1.0, alpha=3), "sign": lambda x: x.sign() * x,
}
GRADCHECK_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a.abs() ** b, "maximum": lambda a, b: tl.maximum(a, b),
    "minimum": lambda a, b: tl.minimum(a, b), "add alpha": lambda a, b: tl.add(a, b, alpha=-2),
    "sub alpha": lambda a, b: tl.sub(a, b, alpha=0.5), "remainder": lambda a, b: tl.remainder(a, b),
    "fmod": lambda a, b: tl.fmod(a, b), "clamp": lambda a, b: a.clamp(b - 0.05, b + 0.05),
}


@pytest.mark.parametrize("name", list(GRADCHECK_UNARY))
def test_gradcheck_unary(name):
    assert tl.autograd.gradcheck(GRADCHECK_UNARY[name], (_distinct((2, 3)),))


@pytest.mark.parametrize("name", list(GRADCHECK_BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 1, 3), (4, 1)), ((3,), ())])
def test_gradcheck_binary_with_broadcasting(name, shapes):
    a, b = _distinct(shapes[0], seed=1), _distinct(shapes[1], seed=2, low=0.6, high=1.9)
    assert tl.autograd.gradcheck(GRADCHECK_BINARY[name], (a, b))


# ====================================================================== graph nodes
NODE_CASES = [
    "x + y", "x + 1", "1 + x", "lib.add(1, x)", "x + s", "x.add(y, alpha=2)", "x.add(2, alpha=3)", "x - y",
    "x - 1", "1 - x", "s - x", "x * y", "x * 2",
    "2 * x", "x * s", "x / y", "x / 2", "2 / x", "s / x", "-x", "x ** y", "x ** 2", "2 ** x", "x ** s", "x.abs()",
    "x.sqrt()", "x.rsqrt()", "x.exp()", "x.log()", "x.log2()", "x.log10()", "x.log1p()", "x.expm1()", "x.sin()",
    "x.cos()", "x.tan()", "x.tanh()", "x.sigmoid()", "x.relu()", "x.clamp(0, 1)", "x.clamp(min=0)",
    "x.clamp(max=0)", "x.clamp(y, y + 1)", "x.clamp(min=y)", "lib.maximum(x, y)", "lib.minimum(x, y)",
    "x.reciprocal()", "x.square()", "x.sign()", "x.floor()", "x.ceil()", "x.round()", "x.round(decimals=1)",
    "x.trunc()", "x % y", "x % 2", "lib.fmod(x, y)", "lib.fmod(x, 2)", "x.div(y, rounding_mode='trunc')",
    "x.div(2, rounding_mode='floor')", "x // y", "x.neg()", "x.sub(y, alpha=2)", "x.double()",
    "x.t()", "(x * 1).add_(y)", "(x * 1).mul_(2)", "(x * 1).exp_()", "(x * 1).clamp_(0, 1)", "(x * 1).zero_()",
    "(x * 1).fill_(2)", "(x * 1).fill_(s)", "(x * 1).copy_(y)", "lib.zeros(2, 3).add_(y)",
    "lib.zeros(2, 3, dtype=lib.float64).copy_(y)", "(x * 1).pow_(2)", "(x * 1).relu_()",
]


@pytest.mark.parametrize("expr", NODE_CASES)
def test_node_names_match_torch(expr):
    names = []
    for lib in (tl, torch):
        x = lib.full((2, 3), 0.75, requires_grad=True)
        y = lib.full((2, 3), 0.5, requires_grad=True)
        s = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        names.append(eval(expr, {"x": x, "y": y, "s": s, "lib": lib}).grad_fn.name())  # noqa: S307
    assert names[0] == names[1]


# ====================================================================== the fast paths record too
@pytest.mark.parametrize("expr", ["x * 2", "2 * x", "x + y", "y - x", "x / y", "x * y", "x.exp()", "x.relu()",
                                  "x.tanh()", "x.sigmoid()", "-x", "x.abs()", "x.sqrt()", "x.log()"])
def test_contiguous_operands_are_recorded_when_one_requires_grad(expr):
    x = tl.full((2, 3), 0.75, requires_grad=True)
    y = tl.full((2, 3), 0.5)  # no grad: recorded all the same, because x requires grad
    out = eval(expr, {"x": x, "y": y})  # noqa: S307
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    with tl.no_grad():
        plain = eval(expr, {"x": x, "y": y})  # noqa: S307
    assert not plain.requires_grad and plain.grad_fn is None
    assert tl.equal(plain, out.detach())
    z = eval(expr, {"x": x.detach(), "y": y})  # noqa: S307
    assert not z.requires_grad and z.grad_fn is None


def test_recorded_fast_paths_give_torchs_gradients():
    a = pair_from_numpy(np.array([[0.5, -1.5, 2.0], [1.0, 3.0, -0.25]], dtype=np.float32))
    b = pair_from_numpy(np.array([[1.5, 2.0, -0.5], [0.75, -2.0, 4.0]], dtype=np.float32))
    check_gradients(lambda lib, x, y: (x + y) * (x - y) / y + x * 2 - 3 / x + 1 - y + 2 * y / 4, a, b)
    check_gradients(lambda lib, x, y: x * x + y / y, a, b)  # one tensor on both sides of an op


# ====================================================================== in-place ops on tensors in the graph
INPLACE_CASES = {
    "add_": lambda lib, a, b: (a * 1).add_(b),
    "add_ alpha": lambda lib, a, b: (a * 1).add_(b, alpha=2),
    "add_ broadcast": lambda lib, a, b: (a * 1).add_(b[0]),
    "add_ number": lambda lib, a, b: (a * 1).add_(2),
    "sub_": lambda lib, a, b: (a * 1).sub_(b),
    "mul_": lambda lib, a, b: (a * 1).mul_(b),
    "mul_ self": lambda lib, a, b: (a * 2).mul_(a),
    "div_": lambda lib, a, b: (a * 1).div_(b),
    "pow_": lambda lib, a, b: (a * 1).pow_(2),
    "exp_": lambda lib, a, b: (a * 1).exp_(),
    "sigmoid_ then use": lambda lib, a, b: (a * 1).sigmoid_() * b,
    "tanh_": lambda lib, a, b: (a * 1).tanh_(),
    "relu_": lambda lib, a, b: (a * 1).relu_(),
    "clamp_": lambda lib, a, b: (a * 1).clamp_(-1, 1),
    "abs_ sqrt_": lambda lib, a, b: (a * 1).abs_().sqrt_(),
    "neg_": lambda lib, a, b: (a * 1).neg_(),
    "zero_": lambda lib, a, b: (a * 1).zero_() + b,
    "fill_": lambda lib, a, b: (a * 1).fill_(2.0) * b,
    "fill_ tensor": lambda lib, a, b: (a * 1).fill_(b.sum()),
    "copy_": lambda lib, a, b: (a * 1).copy_(b),
    "copy_ broadcast": lambda lib, a, b: (a * 1).copy_(b[1]),
    "into a plain tensor": lambda lib, a, b: lib.zeros(2, 3, dtype=lib.float64).add_(b),
    "copy_ into a plain tensor": lambda lib, a, b: lib.zeros(2, 3, dtype=lib.float64).copy_(b * 2),
    "mul_ a plain tensor": lambda lib, a, b: lib.ones(2, 3, dtype=lib.float64).mul_(b),
    "operators": lambda lib, a, b: _augmented(a * 1, a, b),
    "chain": lambda lib, a, b: (a * 2).mul_(3).mul_(b).add_(a),
    "float32 += float64": lambda lib, a, b: (a.float() * 1).add_(b),
    "input used after": lambda lib, a, b: _used_after(a, b),
}


def _augmented(y, a, b):
    y += b
    y *= 2
    y -= a
    y /= b
    return y


def _used_after(a, b):
    y = a * 2
    z = y.exp()  # saves its output, not y: changing y afterwards is fine
    y.add_(1)
    return z + y


@pytest.mark.parametrize("name", list(INPLACE_CASES))
def test_in_place_on_tensors_in_the_graph_is_recorded_as_torch(name):
    a = pair_from_numpy(np.array([[0.5, -1.5, 2.0], [1.25, -0.75, 0.25]]))
    b = pair_from_numpy(np.array([[1.5, 2.0, -0.5], [0.75, 1.25, -2.0]]))
    check_gradients(INPLACE_CASES[name], a, b)


def test_in_place_keeps_the_version_counter_and_the_graph_node():
    x = leaf([1.0, 2.0])
    y = x * 1
    version = y._version
    assert y.add_(1) is y
    assert y._version == version + 1 and y.grad_fn.name() == "AddBackward0" and not y.is_leaf
    z = tl.zeros(2, dtype=tl.float64)
    z.mul_(x)
    assert z.requires_grad and z.grad_fn.name() == "MulBackward0" and z._version == 1


def test_in_place_errors_on_leaves_and_views():
    def run(lib, fn):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        fn(lib, x)

    for fn in (lambda lib, x: x.add_(1), lambda lib, x: x.mul_(x), lambda lib, x: x.exp_(),
               lambda lib, x: x.zero_(), lambda lib, x: x.copy_(x * 2), lambda lib, x: x.fill_(1),
               lambda lib, x: x.clamp_(0, 1), lambda lib, x: x[1:].add_(1), lambda lib, x: x[0].mul_(2),
               lambda lib, x: x.view(3, 1).relu_(), lambda lib, x: x.t().sub_(1)):
        assert_same_error(lambda: run(tl, fn), lambda: run(torch, fn), match_message=True)  # noqa: B023
    x = leaf([1.0, 2.0, 3.0])
    with tl.no_grad():  # the optimizer's update: allowed, also through a view
        x.mul_(2)
        x[1:].add_(1)
    assert x.detach().tolist() == [2.0, 5.0, 7.0] and x._version == 2


def test_in_place_on_a_view_of_a_non_leaf_is_refused_with_a_clear_error():
    y = leaf([1.0, 2.0, 3.0]) * 2
    with pytest.raises(RuntimeError, match="does not support in-place operations on views of tensors that require"):
        y[1:].add_(1)
    with pytest.raises(RuntimeError, match="does not support"):
        tl.zeros(4, dtype=tl.float64)[1:].add_(y)  # a part of a plain tensor written from the graph


def test_under_no_grad_in_place_just_writes_and_bumps_the_version():
    x = leaf([1.0, 2.0])
    w = x * 1
    with tl.no_grad():
        w.add_(x)  # w stays what it was in the graph; the write is not recorded
        w.mul_(2.0)
    assert w.grad_fn.name() == "MulBackward0" and w._version == 2 and w.detach().tolist() == [4.0, 8.0]


# ====================================================================== version counter: stale saved tensors
def _stale_case(lib, case):
    x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
    w = lib.tensor([1.5, 2.0, -0.5], requires_grad=True)
    if case == "output of exp, changed under no_grad":
        y = x.exp()
        z = y.sum()
        with lib.no_grad():
            y.add_(1)
    elif case == "saved input changed by a recorded in-place op":
        y = x * w
        z = (y * y).sum()
        y.add_(1)
    elif case == "sigmoid output changed in place":
        y = x.sigmoid()
        z = y.sum()
        y.mul_(2)
    elif case == "tanh_ output changed again":
        y = x * 1
        y.tanh_()
        z = y.sum()
        y.add_(1)
    elif case == "saved input of sin changed under no_grad":
        y = x * 1
        z = y.sin().sum()
        with lib.no_grad():
            y.mul_(2)
    elif case == "saved plain tensor changed":
        c = lib.tensor([1.0, 2.0, 3.0])
        z = (x * c).sum()
        c.add_(1)
    elif case == "result of tensor ** tensor changed":  # saved even when the exponent needs no gradient
        y = x ** lib.tensor([1.0, 2.0, 3.0])
        z = y.sum()
        with lib.no_grad():
            y.mul_(2)
    elif case == "operand of matmul changed":
        m = lib.ones(3, 3, requires_grad=True) * 1
        z = (m @ x).sum()
        m.mul_(2)
    z.backward()


STALE_CASES = ["output of exp, changed under no_grad", "saved input changed by a recorded in-place op",
               "sigmoid output changed in place", "tanh_ output changed again",
               "saved input of sin changed under no_grad", "result of tensor ** tensor changed",
               "saved plain tensor changed", "operand of matmul changed"]


@pytest.mark.parametrize("case", STALE_CASES)
def test_backward_through_a_tensor_changed_in_place_raises_like_torch(case):
    message = "one of the variables needed for gradient computation has been modified by an inplace operation"
    error = assert_same_error(lambda: _stale_case(tl, case), lambda: _stale_case(torch, case))
    assert message in str(error)


@pytest.mark.parametrize("case", STALE_CASES[:6])
def test_the_stale_tensor_error_message_is_torchs(case):
    assert_same_error(lambda: _stale_case(tl, case), lambda: _stale_case(torch, case), match_message=True)


def test_changing_a_tensor_no_gradient_needs_is_no_error():
    """torch saves an operand only when a wanted gradient needs it: ``y * 2`` doesn't save ``y``."""
    grads = []
    for lib in (tl, torch):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        c = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        y = x * 1
        z = (y * 2).sum() + (y / c).sum() + (c * y).sum() + (lib.ones(3, 3, dtype=lib.float64) @ y).sum()
        z = z + (y % c).sum() + lib.fmod(y, c).sum()
        with lib.no_grad():
            y.mul_(2)  # no node saved y: none needs it for a gradient
        z.backward()
        grads.append(x.grad)
    assert_matches(*grads)


# ====================================================================== second order (create_graph=True)
def _second_order(fn, *values, seed=1):
    """d/dx_i of <grad fn(x), v> for every input, via create_graph=True, in both libraries."""
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(np.shape(v)) for v in values]
    w = rng.standard_normal(64)
    out = []
    for lib in (tl, torch):
        xs = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
        y = fn(lib, *xs)
        seed_grad = lib.tensor(w[: y.numel()].reshape(tuple(y.shape)), dtype=lib.float64)
        grads = lib.autograd.grad(y, xs, seed_grad, create_graph=True)
        total = sum((g * lib.tensor(v, dtype=lib.float64)).sum() for g, v in zip(grads, vs))
        out.append(lib.autograd.grad(total, xs, allow_unused=True, materialize_grads=True))
    return out


SECOND_ORDER = {
    "exp": lambda lib, x, y: x.exp() * y,
    "mul": lambda lib, x, y: x * y * x,
    "mul by number": lambda lib, x, y: (x * 3) * x * (y * 0.5 - 1),
    "div": lambda lib, x, y: x / (y.abs() + 1),
    "div by x": lambda lib, x, y: y / (x * x + 1),
    "pow number": lambda lib, x, y: x ** 3 + y.abs() ** 2.5,
    "pow tensor": lambda lib, x, y: x.abs() ** y,
    "number pow": lambda lib, x, y: 2 ** (x * y),
    "tanh": lambda lib, x, y: (x * y).tanh(),
    "sigmoid": lambda lib, x, y: (x + y).sigmoid(),
    "sqrt log": lambda lib, x, y: (x * x + 1).sqrt() + (y * y + 1).log(),
    "sin cos": lambda lib, x, y: x.sin() * y.cos(),
    "add sub broadcast": lambda lib, x, y: (x - y[0]) * (x + y),
    "reciprocal rsqrt": lambda lib, x, y: (x * x + 1).reciprocal() + (y * y + 1).rsqrt(),
    "relu": lambda lib, x, y: x.relu() * x + y,
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_order_gradients_match_torch(name):
    values = ([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]], [[1.5, 0.25, -0.75], [-1.0, 0.5, 2.25]])
    ours, theirs = _second_order(SECOND_ORDER[name], *values)
    for o, t in zip(ours, theirs):
        assert_matches(o, t, check_stride=False, rtol=1e-9, atol=1e-9)


def test_gradient_graphs_are_differentiable_to_third_order():
    for lib in (tl, torch):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((x ** 4).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x, create_graph=True)
        (ggg,) = lib.autograd.grad(gg.sum(), x)
        assert ggg.tolist() == [12.0, 36.0]
