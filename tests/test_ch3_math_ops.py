"""Chapter 3, element-wise math: every operator and function held up against torch.

What is compared, for each op: values, result dtype (type promotion), shape (broadcasting),
strides (torch keeps the inputs' memory order), and the exception torch raises — type and
message. Inputs come from hypothesis: shapes with size-1 dimensions, broadcasting pairs (and
some that don't broadcast), all ten dtypes, and non-contiguous layouts (permuted, sliced,
expanded).
"""

from __future__ import annotations

import operator
import subprocess
import sys
from functools import partial

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
    TEST_DEVICE,
    assert_matches,
    assert_same_error,
    check_op,
    pair_from_numpy,
    shapes,
    tensor_pairs,
)

# a third of the profile's examples per op: there are many ops, each drawn separately
FEW = settings(max_examples=max(15, settings().max_examples // 3))

# The library silences NumPy's floating-point warnings (torch has none) with a warnings filter
# installed on import. pytest imports test modules inside warnings.catch_warnings(), which drops
# that filter again, so it is restored here; test_no_numpy_warnings checks the real thing.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:tinygrad_lessons.math_ops")


@st.composite
def broadcast_pairs(draw, dtype_pairs=None, same_dtype=None, low=-10, high=10):
    """Two (ours, torch) tensors whose shapes broadcast — or, now and then, don't."""
    shape = draw(shapes)
    k = draw(st.integers(0, len(shape)))
    other = tuple(draw(st.sampled_from([s, 1])) for s in shape[len(shape) - k:])
    if k == len(shape) and draw(st.booleans()):
        other = (draw(st.integers(1, 3)),) + other
    if other and draw(st.integers(0, 9)) == 0:  # a size that doesn't broadcast: torch's error
        i = draw(st.integers(0, len(other) - 1))
        other = other[:i] + (5,) + other[i + 1:]
    if draw(st.booleans()):
        shape, other = other, shape
    first = draw(tensor_pairs(shape=shape, dtype_pairs=dtype_pairs, low=low, high=high))
    if same_dtype if same_dtype is not None else draw(st.booleans()):
        dtype_pairs = [p for p in DTYPE_PAIRS if p[0] is first[0].dtype]
    second = draw(tensor_pairs(shape=other, dtype_pairs=dtype_pairs, low=low, high=high))
    return first, second


# ====================================================================== binary ops
BINARY = {
    "+": (operator.add, operator.add),
    "-": (operator.sub, operator.sub),
    "*": (operator.mul, operator.mul),
    "/": (operator.truediv, operator.truediv),
    "//": (operator.floordiv, operator.floordiv),
    "%": (operator.mod, operator.mod),
    "**": (operator.pow, operator.pow),
    "==": (operator.eq, operator.eq),
    "!=": (operator.ne, operator.ne),
    "<": (operator.lt, operator.lt),
    "<=": (operator.le, operator.le),
    ">": (operator.gt, operator.gt),
    ">=": (operator.ge, operator.ge),
    "&": (operator.and_, operator.and_),
    "|": (operator.or_, operator.or_),
    "^": (operator.xor, operator.xor),
    "add(alpha=2)": (lambda a, b: tl.add(a, b, alpha=2), lambda a, b: torch.add(a, b, alpha=2)),
    "sub(alpha=2)": (lambda a, b: tl.sub(a, b, alpha=2), lambda a, b: torch.sub(a, b, alpha=2)),
    "add(alpha=0.5)": (lambda a, b: a.add(b, alpha=0.5), lambda a, b: a.add(b, alpha=0.5)),
    "div(trunc)": (lambda a, b: tl.div(a, b, rounding_mode="trunc"),
                   lambda a, b: torch.div(a, b, rounding_mode="trunc")),
    "div(floor)": (lambda a, b: a.div(b, rounding_mode="floor"), lambda a, b: a.div(b, rounding_mode="floor")),
    "true_divide": (tl.true_divide, torch.true_divide),
    "floor_divide": (tl.floor_divide, torch.floor_divide),
    "remainder": (tl.remainder, torch.remainder),
    "fmod": (tl.fmod, torch.fmod),
    "pow": (tl.pow, torch.pow),
    "mul": (tl.mul, torch.mul),
    "maximum": (tl.maximum, torch.maximum),
    "minimum": (tl.minimum, torch.minimum),
    "logical_and": (tl.logical_and, torch.logical_and),
    "logical_or": (tl.logical_or, torch.logical_or),
    "logical_xor": (tl.logical_xor, torch.logical_xor),
    "eq": (tl.eq, torch.eq),
    "lt": (lambda a, b: a.lt(b), lambda a, b: a.lt(b)),
    "isclose": (tl.isclose, torch.isclose),
}


@pytest.mark.parametrize("name", list(BINARY))
@FEW
@given(data=st.data())
def test_binary_parity(name, data):
    (a, ta), (b, tb) = data.draw(broadcast_pairs())
    ours, theirs = BINARY[name]
    check_op(lambda: ours(a, b), lambda: theirs(ta, tb))


@pytest.mark.parametrize("name", ["equal", "allclose"])
@FEW
@given(data=st.data())
def test_whole_tensor_comparisons(name, data):
    (a, ta), (b, tb) = data.draw(broadcast_pairs(same_dtype=True))
    check_op(lambda: getattr(tl, name)(a, b), lambda: getattr(torch, name)(ta, tb))
    check_op(lambda: getattr(tl, name)(a, a), lambda: getattr(torch, name)(ta, ta))


# ====================================================================== result dtypes
PROMOTION_OPS = ["+", "-", "*", "/", "//", "%", "**", "==", "<", "&", "maximum", "fmod", "logical_and"]


@pytest.mark.parametrize("left", DTYPE_PAIRS, ids=lambda p: p[0].name)
@pytest.mark.parametrize("right", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_result_dtype_of_every_dtype_pair(left, right):
    values = np.array([[1, 2, 3], [3, 1, 2]])
    a, ta = pair_from_numpy(values, left)
    b, tb = pair_from_numpy(values[::-1].copy(), right)
    zero_d, t_zero_d = pair_from_numpy(np.array(2), right)  # 0-d tensors promote like numbers
    for name in PROMOTION_OPS:
        ours, theirs = BINARY[name]
        check_op(partial(ours, a, b), partial(theirs, ta, tb))
        check_op(partial(ours, a, zero_d), partial(theirs, ta, t_zero_d))
        check_op(partial(ours, zero_d, a), partial(theirs, t_zero_d, ta))


SCALARS = [True, False, 3, -2, 2.5, 300, -300, 1e10, 0, np.float64(0.5), np.int16(-3), np.bool_(True)]
SCALAR_OPS = ["+", "-", "*", "/", "//", "%", "**", "==", "<", ">=", "&", "|", "^", "add(alpha=2)", "remainder",
              "fmod", "pow", "div(trunc)", "true_divide"]


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_tensor_with_python_number(pair):
    """int64 * 2.5 -> float32, int32 + 1 stays int32, uint8 + 300 wraps, bools refuse '-'..."""
    a, ta = pair_from_numpy(np.array([[0, 1, 2], [3, 4, 5]]), pair)
    for scalar in SCALARS:
        for name in SCALAR_OPS:
            ours, theirs = BINARY[name]
            check_op(partial(ours, a, scalar), partial(theirs, ta, scalar))
            if name in ("fmod", "add(alpha=2)"):  # torch takes a number only on the right there
                continue
            check_op(partial(ours, scalar, a), partial(theirs, scalar, ta))


def test_promotion_examples_from_the_chapter():
    assert (tl.tensor([1, 2]) * 2.5).dtype is tl.float32
    assert (tl.tensor([1, 2], dtype=tl.int32) + 1).dtype is tl.int32
    assert (tl.tensor([1, 2], dtype=tl.uint8) + 300).tolist() == [45, 46]
    assert (tl.tensor([1, 2]) / tl.tensor([2, 4])).tolist() == [0.5, 0.5]
    assert (tl.tensor([-7, 7]) // 2).tolist() == [-4, 3]
    assert (tl.tensor([-7, 7]) % 3).tolist() == [2, 1]
    assert tl.fmod(tl.tensor([-7, 7]), 3).tolist() == [-1, 1]
    assert (tl.tensor([2, 1, -1, 0]) ** tl.tensor([-1, -2, -3, -1])).tolist() == [0, 1, -1, 0]
    tl.set_default_dtype(tl.float64)
    try:
        assert (tl.tensor([1, 2]) / 2).dtype is tl.float64
        assert tl.sqrt(tl.tensor([4])).dtype is tl.float64
    finally:
        tl.set_default_dtype(tl.float32)


def test_half_types_round_numbers_to_their_dtype():
    # torch rounds the number to float16 first: 2048 + 1.0001 -> 2048 + 1 -> 2048 (ties to even)
    for ours_dtype, torch_dtype in [p for p in FLOAT_PAIRS if p[0].itemsize == 2]:
        for value in (2048.0, 256.0, 1.0):
            for scalar in (1.0001, 0.1, 1e-4):
                a, ta = tl.tensor([value], dtype=ours_dtype), torch.tensor([value], dtype=torch_dtype)
                for op in (operator.add, operator.mul, operator.truediv, operator.sub):
                    assert_matches(op(a, scalar), op(ta, scalar), rtol=0, atol=0)


# ====================================================================== unary ops
UNARY = {
    "neg": (tl.neg, torch.neg), "-x": (operator.neg, operator.neg), "+x": (operator.pos, operator.pos),
    "abs": (tl.abs, torch.abs), "abs()": (abs, abs), "sqrt": (tl.sqrt, torch.sqrt), "rsqrt": (tl.rsqrt, torch.rsqrt),
    "exp": (tl.exp, torch.exp), "log": (tl.log, torch.log), "log2": (tl.log2, torch.log2),
    "log10": (tl.log10, torch.log10), "log1p": (tl.log1p, torch.log1p), "expm1": (tl.expm1, torch.expm1),
    "sin": (tl.sin, torch.sin), "cos": (tl.cos, torch.cos), "tan": (tl.tan, torch.tan), "tanh": (tl.tanh, torch.tanh),
    "sigmoid": (tl.sigmoid, torch.sigmoid), "relu": (tl.relu, torch.relu), "square": (tl.square, torch.square),
    "reciprocal": (tl.reciprocal, torch.reciprocal), "sign": (tl.sign, torch.sign), "floor": (tl.floor, torch.floor),
    "ceil": (tl.ceil, torch.ceil), "round": (tl.round, torch.round), "trunc": (tl.trunc, torch.trunc),
    "round(decimals=1)": (lambda x: x.round(decimals=1), lambda x: x.round(decimals=1)),
    "round(decimals=-1)": (lambda x: tl.round(x, decimals=-1), lambda x: torch.round(x, decimals=-1)),
    "isnan": (tl.isnan, torch.isnan), "isinf": (tl.isinf, torch.isinf), "isfinite": (tl.isfinite, torch.isfinite),
    "logical_not": (tl.logical_not, torch.logical_not), "~x": (operator.invert, operator.invert),
    "bitwise_not": (tl.bitwise_not, torch.bitwise_not), "negative": (lambda x: x.negative(), lambda x: x.negative()),
    "clamp(-2, 3)": (lambda x: tl.clamp(x, -2, 3), lambda x: torch.clamp(x, -2, 3)),
    "clamp(min=0.5)": (lambda x: x.clamp(min=0.5), lambda x: x.clamp(min=0.5)),
    "clip(max=2)": (lambda x: tl.clip(x, max=2), lambda x: torch.clip(x, max=2)),
    "clamp(5, 1)": (lambda x: x.clamp(5, 1), lambda x: x.clamp(5, 1)),
    "clamp(min=True)": (lambda x: x.clamp(min=True), lambda x: x.clamp(min=True)),
}


@pytest.mark.parametrize("name", list(UNARY))
@FEW
@given(pair=tensor_pairs())
def test_unary_parity(name, pair):
    x, tx = pair
    ours, theirs = UNARY[name]
    check_op(lambda: ours(x), lambda: theirs(tx))


def test_unary_float_functions_on_integers_give_the_default_float():
    for name in ["sqrt", "rsqrt", "exp", "log", "sin", "tanh", "sigmoid", "reciprocal"]:
        for pair in INT_PAIRS + [DTYPE_PAIRS[0]]:
            x, tx = pair_from_numpy(np.array([0, 1, 4]), pair)
            check_op(lambda: UNARY[name][0](x), lambda: UNARY[name][1](tx))  # noqa: B023


def test_special_values():
    values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -100.0, 100.0, 0.5, 1.5, 2.5, -2.5])
    for pair in FLOAT_PAIRS:
        x, tx = pair_from_numpy(values, pair)
        for name in ["sqrt", "log", "exp", "sigmoid", "sign", "round", "reciprocal", "relu", "isnan", "isinf",
                     "isfinite", "tanh", "rsqrt", "floor", "abs", "clamp(-2, 3)"]:
            check_op(lambda: UNARY[name][0](x), lambda: UNARY[name][1](tx))  # noqa: B023
        for name in ["/", "//", "%", "**", "maximum", "minimum", "fmod", "==", "<"]:
            check_op(lambda: BINARY[name][0](x, x.flip(0)), lambda: BINARY[name][1](tx, tx.flip(0)))  # noqa: B023
        check_op(lambda: tl.isclose(x, x, equal_nan=True), lambda: torch.isclose(tx, tx, equal_nan=True))  # noqa: B023


# where floor(a / b) is not a // b (a / b rounds, or is not finite): CuPy's kernels compute it that way
EDGE_DIVIDENDS = [np.inf, -np.inf, -1.0, 1.0, 0.5, -0.5, 1.0, 1e10, 3.0, -3.0, 0.0, -0.0, 7.0, np.nan]
EDGE_DIVISORS = [2.0, 3.0, np.inf, np.inf, -np.inf, -np.inf, 0.1, 3.0, 0.0, 0.0, -2.0, 5.0, -0.0, 1.0]


def test_floor_division_and_remainder_at_the_edges():
    """inf // 2 is nan, -1 // inf is -1, 1 // 0.1 is 9, 1 % inf is 1, float32 1e10 % 3 is 1: torch's answers."""
    for pair in FLOAT_PAIRS:
        x, tx = pair_from_numpy(np.array(EDGE_DIVIDENDS), pair)
        y, ty = pair_from_numpy(np.array(EDGE_DIVISORS), pair)
        for name in ["//", "%", "div(floor)", "remainder", "fmod"]:
            check_op(lambda: BINARY[name][0](x, y), lambda: BINARY[name][1](tx, ty))  # noqa: B023
        for number in [np.inf, -np.inf, 0.1, 3.0, 1e10]:
            for name in ["//", "%"]:
                check_op(lambda: BINARY[name][0](x, number), lambda: BINARY[name][1](tx, number))  # noqa: B023
                check_op(lambda: BINARY[name][0](number, y), lambda: BINARY[name][1](number, ty))  # noqa: B023


def test_integer_fmod_is_exact_beyond_float_precision():
    """int64 values past 2**53 have no exact double: fmod must not go through one (CuPy's integer fmod does)."""
    x, tx = pair_from_numpy(np.array([2**60 + 1, -(2**60 + 1), 2**62 + 3, 7]))
    y, ty = pair_from_numpy(np.array([7, 7, -5, -3]))
    check_op(lambda: tl.fmod(x, y), lambda: torch.fmod(tx, ty))
    check_op(lambda: tl.fmod(x, 7), lambda: torch.fmod(tx, 7))
    check_op(lambda: x % y, lambda: tx % ty)


# ====================================================================== clamp with tensor bounds
@FEW
@given(data=st.data())
def test_clamp_with_tensor_bounds(data):
    (x, tx), (lo, tlo) = data.draw(broadcast_pairs())
    hi, thi = data.draw(tensor_pairs(shape=tuple(lo.shape), dtype_pairs=[(lo.dtype, tlo.dtype)]))
    check_op(lambda: tl.clamp(x, lo, hi), lambda: torch.clamp(tx, tlo, thi))
    check_op(lambda: x.clamp(min=lo), lambda: tx.clamp(min=tlo))
    check_op(lambda: tl.clip(x, max=hi), lambda: torch.clip(tx, max=thi))


# ====================================================================== layouts
@pytest.mark.parametrize("perm", [(1, 0, 2), (2, 1, 0), (0, 2, 1), (2, 0, 1)])
def test_results_keep_the_inputs_memory_order(perm):
    values = np.arange(24.0).reshape(2, 3, 4)
    x, tx = pair_from_numpy(values)
    x, tx = x.permute(*perm), tx.permute(*perm)
    y, ty = pair_from_numpy(np.ascontiguousarray(values.transpose(perm)))
    for ours, theirs in [(lambda: x + 1, lambda: tx + 1), (lambda: x * x, lambda: tx * tx),
                         (lambda: tl.exp(x), lambda: torch.exp(tx)), (lambda: x > 3, lambda: tx > 3),
                         (lambda: x + y, lambda: tx + ty), (lambda: y + x, lambda: ty + tx),
                         (lambda: x + x[0], lambda: tx + tx[0]), (lambda: x.int() // 2, lambda: tx.int() // 2),
                         (lambda: 2 ** x, lambda: 2 ** tx), (lambda: x.clamp(0, 5), lambda: tx.clamp(0, 5))]:
        check_op(ours, theirs)


def test_channels_last_and_size_one_strides():
    nchw = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    x, tx = pair_from_numpy(np.ascontiguousarray(nchw.transpose(0, 2, 3, 1)))
    x, tx = x.permute(0, 3, 1, 2), tx.permute(0, 3, 1, 2)  # channels-last memory, NCHW shape
    check_op(lambda: x + x, lambda: tx + tx)
    check_op(lambda: x.sigmoid(), lambda: tx.sigmoid())
    ones, tones = pair_from_numpy(np.ones((1, 3, 1)))
    ones, tones = ones.permute(2, 1, 0), tones.permute(2, 1, 0)
    check_op(lambda: ones * 2, lambda: tones * 2)
    check_op(lambda: ones + tl.ones(3, 1), lambda: tones + torch.ones(3, 1))


# ====================================================================== in-place ops
INPLACE = {
    "add_": (lambda a, b: a.add_(b), lambda a, b: a.add_(b)),
    "add_(alpha)": (lambda a, b: a.add_(b, alpha=-0.5), lambda a, b: a.add_(b, alpha=-0.5)),
    "sub_": (lambda a, b: a.sub_(b), lambda a, b: a.sub_(b)),
    "mul_": (lambda a, b: a.mul_(b), lambda a, b: a.mul_(b)),
    "div_": (lambda a, b: a.div_(b), lambda a, b: a.div_(b)),
    "div_(floor)": (lambda a, b: a.div_(b, rounding_mode="floor"), lambda a, b: a.div_(b, rounding_mode="floor")),
    "pow_": (lambda a, b: a.pow_(b), lambda a, b: a.pow_(b)),
    "clamp_": (lambda a, b: a.clamp_(min=b), lambda a, b: a.clamp_(min=b)),
    "copy_": (lambda a, b: a.copy_(b), lambda a, b: a.copy_(b)),
    "+=": (operator.iadd, operator.iadd), "-=": (operator.isub, operator.isub), "*=": (operator.imul, operator.imul),
    "/=": (operator.itruediv, operator.itruediv), "//=": (operator.ifloordiv, operator.ifloordiv),
    "%=": (operator.imod, operator.imod), "&=": (operator.iand, operator.iand), "|=": (operator.ior, operator.ior),
}
INPLACE_UNARY = ["neg_", "abs_", "exp_", "sqrt_", "sigmoid_", "relu_", "zero_", "floor_", "square_", "tanh_"]


@pytest.mark.parametrize("name", list(INPLACE))
@FEW
@given(data=st.data(), number=st.sampled_from([None, None, 2, -1, 0.5, True, 300]))
def test_inplace_binary(name, data, number):
    (a, ta), (b, tb) = data.draw(broadcast_pairs())
    if number is not None:
        b = tb = number
    ours, theirs = INPLACE[name]
    result = check_op(lambda: ours(a, b), lambda: theirs(ta, tb))
    assert result is None or result is a  # in place: the same tensor comes back


@pytest.mark.parametrize("name", INPLACE_UNARY)
@FEW
@given(pair=tensor_pairs())
def test_inplace_unary(name, pair):
    x, tx = pair
    result = check_op(lambda: getattr(x, name)(), lambda: getattr(tx, name)())
    assert result is None or result is x


@pytest.mark.parametrize("value", [2, -1, 2.5, True, 300, 1e10, float("nan"), "tensor", "1-d tensor"])
def test_fill(value):
    for pair in DTYPE_PAIRS:
        for shape in [(2, 3), (1,), ()]:
            x, tx = pair_from_numpy(np.zeros(shape), pair)
            v, tv = value, value
            if value == "tensor":
                v, tv = tl.tensor(2.5), torch.tensor(2.5)
            elif value == "1-d tensor":
                v, tv = tl.tensor([2.5]), torch.tensor([2.5])
            check_op(lambda: x.fill_(v), lambda: tx.fill_(tv))  # noqa: B023


def test_inplace_writes_are_seen_through_views():
    base, tbase = pair_from_numpy(np.arange(12.0).reshape(3, 4))
    for ours, theirs in [(lambda b: b[1].add_(10), lambda b: b[1].add_(10)),
                         (lambda b: b.T.mul_(2), lambda b: b.T.mul_(2)),
                         (lambda b: b[:, ::2].sub_(tl.tensor([1.0, 2.0])),
                          lambda b: b[:, ::2].sub_(torch.tensor([1.0, 2.0]))),
                         (lambda b: b[0].copy_(tl.tensor(7.0)), lambda b: b[0].copy_(torch.tensor(7.0))),
                         (lambda b: b[2, 1:3].zero_(), lambda b: b[2, 1:3].zero_()),
                         (lambda b: b[:, 3].fill_(-1), lambda b: b[:, 3].fill_(-1)),
                         (lambda b: b[1:, 1:].clamp_(0, 20), lambda b: b[1:, 1:].clamp_(0, 20)),
                         (lambda b: b.T[1].exp_(), lambda b: b.T[1].exp_())]:
        ours(base)
        theirs(tbase)
        assert_matches(base, tbase)
    view, tview = base[0], tbase[0]
    same = view
    view += 1
    tview += 1
    assert view is same  # `+=` is in place: the name still points at the same view
    view -= tl.ones(4)
    tview -= torch.ones(4)
    view *= 2
    tview *= 2
    view /= 4
    tview /= 4
    assert_matches(base, tbase)


def test_inplace_version_counter_moves():
    x = tl.ones(3)
    before = x._version
    x.add_(1)
    x += 1
    x.mul_(tl.ones(3))
    x.zero_()
    assert x._version == before + 4


# ====================================================================== errors, checked word for word
T = tl.tensor
TT = torch.tensor
ERRORS = [
    (lambda m: m.ones(2, 3) + m.ones(4), "broadcast"),
    (lambda m: m.ones(3, 1, 2) * m.ones(4, 3), "broadcast 3-d"),
    (lambda m: m.tensor([True]) - m.tensor([False]), "bool - bool"),
    (lambda m: m.tensor([True]) - 1, "bool - 1"),
    (lambda m: 1.5 - m.tensor([True]), "1.5 - bool"),
    (lambda m: -m.tensor([True]), "-bool"),
    (lambda m: +m.tensor([True]), "+bool"),
    (lambda m: m.tensor([True]).neg(), "neg(bool)"),
    (lambda m: m.tensor([1, 2]) ** -1, "int ** -1"),
    (lambda m: m.tensor([1, 2], dtype=m.int8) ** 300, "int8 ** 300"),
    (lambda m: m.tensor([True]) ** m.tensor([True]), "bool ** bool"),
    (lambda m: m.tensor([1, 2]) // 0, "int // 0"),
    (lambda m: m.tensor([1, 2]) % m.tensor([1, 0]), "int % 0"),
    (lambda m: m.fmod(m.tensor([1, 2]), 0), "fmod int 0"),
    (lambda m: m.div(m.tensor([1, 2]), 0, rounding_mode="trunc"), "trunc int 0"),
    (lambda m: m.div(m.ones(2), 2, rounding_mode="round"), "rounding mode"),
    (lambda m: m.tensor([True]) // m.tensor([True]), "bool // bool"),
    (lambda m: m.tensor([True]) % m.tensor([True]), "bool % bool"),
    (lambda m: m.add(m.tensor([1]), m.tensor([1]), alpha=0.5), "float alpha"),
    (lambda m: m.add(m.ones(1), m.ones(1), alpha=True), "bool alpha"),
    (lambda m: m.clamp(m.ones(2)), "clamp no bounds"),
    (lambda m: m.clamp(m.ones(2, dtype=m.uint8), min=300), "clamp overflow"),
    (lambda m: m.clamp(m.ones(2, dtype=m.float16), max=1e10), "clamp half overflow"),
    (lambda m: m.clamp(m.ones(2, dtype=m.bool), min=True), "clamp bool"),
    (lambda m: m.ones(2) & m.ones(2), "float &"),
    (lambda m: m.ones(2, dtype=m.bfloat16) | 1, "bfloat16 |"),
    (lambda m: ~m.ones(2), "~float"),
    (lambda m: m.bitwise_not(m.ones(2, dtype=m.float16)), "bitwise_not half"),
    (lambda m: m.isclose(m.ones(2), m.ones(2, dtype=m.float64)), "isclose dtypes"),
    (lambda m: m.allclose(m.ones(2), m.ones(2), rtol=-1), "allclose rtol"),
    (lambda m: m.maximum(m.ones(2), 2.0), "maximum number"),
    (lambda m: m.logical_and(m.ones(2), 1), "logical_and number"),
    (lambda m: m.exp(2.0), "exp of a number"),
    (lambda m: m.abs(m.tensor([True])), "abs bool"),
    (lambda m: m.relu(m.tensor([True])), "relu bool"),
    (lambda m: m.floor(m.tensor([True])), "floor bool"),
    (lambda m: m.round(m.tensor([1, 2]), decimals=1), "round int decimals"),
    (lambda m: m.ones(3, dtype=m.int64).add_(1.5), "int add_ float"),
    (lambda m: m.ones(3, dtype=m.int64).div_(2), "int div_"),
    (lambda m: m.ones(3, dtype=m.int32).exp_(), "int exp_"),
    (lambda m: m.ones(3, dtype=m.int32).sigmoid_(), "int sigmoid_"),
    (lambda m: m.ones(3, dtype=m.bool).add_(1), "bool add_ int"),
    (lambda m: m.ones(3, dtype=m.bool).mul_(m.tensor([1, 0, 1])), "bool mul_ long"),
    (lambda m: m.ones(3, dtype=m.int64).clamp_(0.5), "int clamp_ float"),
    (lambda m: m.ones(3, dtype=m.int64).pow_(-1), "int pow_ -1"),
    (lambda m: m.ones(3).add_(m.ones(2, 3)), "in-place broadcast"),
    (lambda m: m.ones(3, 1).mul_(m.ones(3)), "in-place broadcast 2"),
    (lambda m: m.ones(3).add_(m.ones(4)), "in-place mismatch"),
    (lambda m: m.ones(1, 3).expand(2, 3).add_(1), "expanded add_"),
    (lambda m: m.ones(1, 3).expand(2, 3).exp_(), "expanded exp_"),
    (lambda m: m.ones(1, 3).expand(2, 3).copy_(m.ones(2, 3)), "expanded copy_"),
    (lambda m: m.ones(3).copy_(m.ones(2, 3)), "copy_ broadcast"),
    (lambda m: m.ones(3).copy_(m.ones(4)), "copy_ mismatch"),
    (lambda m: m.ones(3).fill_(m.ones(1)), "fill_ 1-d"),
    (lambda m: m.ones(3, dtype=m.uint8).fill_(300), "fill_ overflow"),
    (lambda m: m.ones(3, dtype=m.bool).sub_(True), "bool sub_"),
]


@pytest.mark.parametrize("make, label", ERRORS, ids=[label for _, label in ERRORS])
def test_errors(make, label):
    if "bfloat16" in label and TEST_DEVICE != "cpu":
        pytest.skip("CuPy has no bfloat16, so no GPU tensor is one (the case needs a bfloat16 tensor)")
    assert_same_error(lambda: make(tl), lambda: make(torch), match_message=True)


def test_partial_overlap_is_refused():
    a, ta = tl.arange(6.0), torch.arange(6.0)
    assert_same_error(lambda: a[1:].add_(a[:-1]), lambda: ta[1:].add_(ta[:-1]), match_message=True)
    assert_same_error(lambda: a[1:4].copy_(a[:3]), lambda: ta[1:4].copy_(ta[:3]), match_message=True)
    m, tm = tl.ones(3, 3), torch.ones(3, 3)
    assert_same_error(lambda: m.add_(m.T), lambda: tm.add_(tm.T), match_message=True)
    check_op(lambda: a.add_(a), lambda: ta.add_(ta))  # the very same memory is fine
    check_op(lambda: a[:3].add_(a[3:]), lambda: ta[:3].add_(ta[3:]))  # disjoint parts too
    check_op(lambda: tl.ones(1, 3).expand(2, 3).zero_(), lambda: torch.ones(1, 3).expand(2, 3).zero_())


def test_unsupported_operands():
    x = tl.ones(2)
    for bad in ["a", None, [1, 2], object()]:
        with pytest.raises(TypeError):
            x + bad
        with pytest.raises(TypeError):
            bad * x
    assert (x == None) is False  # noqa: E711 - torch's answer to `t == None`
    assert (x != "a") is True
    assert x.__hash__() == id(x) // 16 or isinstance(hash(x), int)  # tensors stay hashable


@pytest.mark.parametrize("op", [lambda x, c: x + c, lambda x, c: c - x, lambda x, c: x * c, lambda x, c: x / c,
                                lambda x, c: x ** c, lambda x, c: x == c, lambda x, c: c != x,
                                lambda x, c: tl.add(x, c), lambda x, c: tl.where(x > 0, x, c)],
                         ids=["add", "rsub", "mul", "div", "pow", "eq", "ne", "tl.add", "where"])
@pytest.mark.parametrize("number", [1j, 1 + 2j, np.complex64(1)], ids=["1j", "1+2j", "np.complex64"])
def test_complex_numbers_get_a_clear_error(op, number):
    """torch would make a complex tensor; here a complex number is an error that says why, never
    Python's fallback (``t == 1j`` would otherwise quietly be ``False``)."""
    with pytest.raises(TypeError, match="no complex dtypes: use two real tensors instead"):
        op(tl.ones(2), number)


def test_operators_on_numpy_scalars_defer_to_tensors():
    x, tx = pair_from_numpy(np.array([1.0, 2.0], np.float32))
    check_op(lambda: np.float32(2) * x, lambda: np.float32(2) * tx)
    check_op(lambda: x + np.float64(0.5), lambda: tx + np.float64(0.5))


def test_no_numpy_warnings():
    """1/0, log(0), inf-inf, overflow: torch says nothing, and neither do we (even under -W error)."""
    code = (
        "import tinygrad_lessons as tl\n"
        "x = tl.tensor([0.0, 1.0, -1.0, 3e38, float('inf')])\n"
        "for r in (1 / x, x / 0, tl.log(x), tl.sqrt(x), x * x, x - x, x * 0, tl.exp(x * 100), 0 / x,\n"
        "          x // 0, x % 0, tl.fmod(x, 0), x ** 1e3, tl.sigmoid(-x * 1e3), x.half() * 1e5, x.half() + 1e10,\n"
        "          x.bfloat16() < float('nan'), tl.isclose(x, x), x.int(), x.add_(x), x.div_(0)):\n"
        "    pass\n"
        "import numpy as np, warnings\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    np.log(np.zeros(1))\n"
        "assert w, 'the filter must not silence the learner\\'s own NumPy code'\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)
