"""Chapter 1 (tensors): ``repr(tensor)`` prints exactly what torch prints.

Every case builds the same tensor in both libraries from one NumPy array
(``tl.tensor(array)`` / ``torch.from_numpy(array)``, then ``.to(dtype)``), checks
that both hold the same values, and compares the complete texts character for
character; only ``torch.`` in dtype names reads ``tl.``.

Hypothesis draws the dtype, the shape (0-d, empty, rows wide enough to wrap, more
than 1000 elements so the tensor is summarized) and values chosen to push the
formatter into each of its modes: quarters and whole numbers (integer mode), uniform
values (fixed mode), values over many decades, huge and tiny ones (scientific mode),
with nan, +-inf and +-0.0 mixed in, and integers up to the limits of their dtype.
Each property runs under several print-option sets (``OPTION_SETS``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch._tensor_str import get_printoptions as torch_get_printoptions  # torch keeps it out of its namespace

import tinygrad_lessons as tl
from parity import DTYPE_PAIRS, FLOAT_PAIRS, INT_PAIRS, assert_same_error, tensor_pairs, to_numpy

HALF_PAIRS = [(tl.float16, torch.float16), (tl.bfloat16, torch.bfloat16)]

#: ``set_printoptions`` arguments every property runs under (applied after ``profile="default"``).
OPTION_SETS = [
    {},
    {"precision": 0},
    {"precision": 2, "linewidth": 30},
    {"precision": 6, "linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False, "precision": 2},
    {"sci_mode": True, "precision": 0, "linewidth": 30},
    {"threshold": 0, "edgeitems": 1},
    {"threshold": 0, "edgeitems": 0},
    {"threshold": 7, "edgeitems": 2, "linewidth": 30},
    {"linewidth": 8},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "sci_mode": False, "linewidth": 200},
]


def option_id(options: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items()) or "default"


def scaled_examples(fraction: float) -> settings:
    """A share of the active hypothesis profile's examples (parametrized tests run many times)."""
    return settings(
        max_examples=max(5, math.ceil(settings.default.max_examples * fraction)),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(autouse=True)
def restore_print_state():
    """Put both libraries' print options and default dtypes back after every test, even on failure."""
    ours_options, torch_options = tl.get_printoptions(), torch_get_printoptions()
    ours_dtype, torch_dtype = tl.get_default_dtype(), torch.get_default_dtype()
    yield
    tl.set_printoptions(**ours_options)
    torch.set_printoptions(**torch_options)
    tl.set_default_dtype(ours_dtype)
    torch.set_default_dtype(torch_dtype)


def set_options(options: dict):
    """The same print options in both libraries, starting from the default profile."""
    for lib in (tl, torch):
        lib.set_printoptions(profile="default")
        lib.set_printoptions(**options)


# ---------------------------------------------------------------------- building and comparing
def make_pair(array: np.ndarray, pair):
    """The same tensor in both libraries: ``tl.tensor(array).to(dtype)`` and ``torch.from_numpy(array).to(dtype)``."""
    ours_dtype, torch_dtype = pair
    if pair in HALF_PAIRS:
        # round to float32 first: torch rounds float64 -> half via float32, NumPy directly
        with np.errstate(over="ignore"):  # huge values become inf, as they would in a half type
            array = array.astype(np.float32)
    array = np.array(array)  # row-major (np.ascontiguousarray would make a 0-d array 1-d)
    return tl.tensor(array).to(ours_dtype), torch.from_numpy(array.copy()).to(torch_dtype)


def assert_same_values(ours, theirs):
    """Both hold the very same values (nan where nan, and the sign of zero), so the texts must agree."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert repr(ours.dtype).replace("tl.", "") == repr(theirs.dtype).replace("torch.", "")
    a, b = to_numpy(ours), to_numpy(theirs)
    np.testing.assert_array_equal(a, b)
    if a.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(a) & ~np.isnan(a), np.signbit(b) & ~np.isnan(b))


def expected_text(theirs) -> str:
    return repr(theirs).replace("torch.", "tl.")


def assert_same_text(ours, theirs):
    """``repr`` and ``str`` of ours are torch's text, with ``tl.`` for ``torch.``."""
    assert_same_values(ours, theirs)
    expected = expected_text(theirs)
    assert repr(ours) == expected
    assert str(ours) == expected


# ---------------------------------------------------------------------- strategies
small_shapes = st.lists(st.integers(0, 4), max_size=4).map(tuple)  # 0-d, empty and small
wide_shapes = st.builds(  # long rows: wrap at the line width
    lambda lead, n: tuple(lead) + (n,), st.lists(st.integers(1, 3), max_size=2), st.integers(5, 40)
)


@st.composite
def big_shapes(draw):
    """More than 1000 elements (summarized by default), at most ~2000."""
    lead = draw(st.lists(st.integers(1, 6), max_size=3))
    rows = math.prod(lead)
    last = -(-1001 // rows) + draw(st.integers(0, 3))
    return tuple(lead) + (last,)


any_shapes = st.one_of(small_shapes, wide_shapes, big_shapes())

FLOAT_KINDS = ["quarters", "whole", "uniform", "spread", "decades", "huge", "tiny"]
INT_KINDS = ["small", "full range", "extremes"]
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])


def float_values(rng, kind: str, shape, special_rate: float) -> np.ndarray:
    """float64 values of one kind, with a share of nan, +-inf and +-0.0 mixed in."""
    size = math.prod(shape)
    sign = rng.choice([-1.0, 1.0], size)
    if kind == "quarters":
        values = rng.integers(-40, 41, size) / 4.0
    elif kind == "whole":
        values = np.round(rng.uniform(-1, 1, size) * 10.0 ** rng.integers(0, 12))
    elif kind == "uniform":
        values = rng.uniform(-1, 1, size) * 10.0 ** rng.integers(-3, 4)
    elif kind == "spread":  # one scale near a mode threshold, largest/smallest around 1000
        base = 10.0 ** rng.uniform(-5, 9)
        values = sign * base * 10.0 ** rng.uniform(0, rng.uniform(1, 4), size)
    elif kind == "decades":
        values = sign * 10.0 ** rng.uniform(-6, 10, size)
    elif kind == "huge":
        values = sign * 10.0 ** rng.uniform(8, 40, size)
    else:  # tiny
        values = sign * 10.0 ** rng.uniform(-40, -4, size)
    special = rng.random(size) < special_rate
    values[special] = rng.choice(SPECIALS, int(special.sum()))
    return values.reshape(shape)


def int_values(rng, kind: str, shape, dtype) -> np.ndarray:
    """int64 values that fit ``dtype``: small ones, any in range, or its very limits."""
    info = np.iinfo(dtype.name)
    if kind == "small":
        return np.clip(rng.integers(-10, 11, shape), info.min, info.max)
    if kind == "full range":
        return rng.integers(info.min, info.max, shape, dtype=np.int64, endpoint=True)
    return rng.choice(np.array([info.min, info.max, 0, max(info.min, -1), 1], dtype=np.int64), shape)


@st.composite
def printed_pairs(draw, dtype_pairs=DTYPE_PAIRS, shapes=any_shapes):
    """(ours, theirs): one tensor in both libraries, with values drawn to test the formatter."""
    pair = draw(st.sampled_from(dtype_pairs))
    shape = draw(shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if pair[0] is tl.bool:
        values = rng.random(shape) < draw(st.sampled_from([0.0, 0.5, 1.0]))
    elif pair[0].is_floating_point:
        kind = draw(st.sampled_from(FLOAT_KINDS))
        values = float_values(rng, kind, shape, draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0])))
    else:
        values = int_values(rng, draw(st.sampled_from(INT_KINDS)), shape, pair[0])
    return make_pair(np.asarray(values), pair)


# ====================================================================== the property, under every option set
@pytest.mark.parametrize("options", OPTION_SETS, ids=option_id)
@scaled_examples(0.4)
@given(pairs=printed_pairs())
def test_repr_matches_torch(options, pairs):
    set_options(options)
    assert_same_text(*pairs)


@pytest.mark.parametrize("options", [{}, {"linewidth": 30}, {"threshold": 0, "edgeitems": 1}], ids=option_id)
@scaled_examples(0.5)
@given(pairs=tensor_pairs())
def test_repr_of_non_contiguous_tensors(options, pairs):
    """Permuted, sliced and expanded tensors print their values in logical order."""
    set_options(options)
    assert_same_text(*pairs)


@pytest.mark.parametrize("options", [{}, {"linewidth": 30}, {"linewidth": 200, "precision": 6}], ids=option_id)
@scaled_examples(0.5)
@given(pairs=printed_pairs(dtype_pairs=DTYPE_PAIRS, shapes=st.one_of(small_shapes, wide_shapes)))
def test_repr_with_float64_default_dtype(options, pairs):
    """With float64 the default, float64 tensors drop their dtype suffix and float32 ones gain one."""
    set_options(options)
    tl.set_default_dtype(tl.float64)
    torch.set_default_dtype(torch.float64)
    assert_same_text(*pairs)


# ====================================================================== autograd suffixes
@pytest.mark.parametrize("options", [{}, {"linewidth": 30}, {"edgeitems": 0, "threshold": 0}], ids=option_id)
@scaled_examples(0.5)
@given(pairs=printed_pairs(dtype_pairs=FLOAT_PAIRS, shapes=st.one_of(small_shapes, wide_shapes)))
def test_repr_of_tensor_requiring_grad(options, pairs):
    """A leaf that requires grad says ``requires_grad=True``, wrapped to a new line when the line is full."""
    set_options(options)
    ours, theirs = pairs
    assert_same_text(ours.requires_grad_(), theirs.requires_grad_())


@pytest.mark.parametrize("options", [{}, {"linewidth": 30}], ids=option_id)
@scaled_examples(0.5)
@given(pairs=printed_pairs(dtype_pairs=FLOAT_PAIRS, shapes=st.one_of(small_shapes, wide_shapes)))
def test_repr_of_result_with_grad_fn(options, pairs):
    """The result of an op on such a leaf names its graph node: ``grad_fn=<MulBackward0>``."""
    set_options(options)
    ours, theirs = pairs
    with np.errstate(over="ignore"):  # huge halves double to inf, silently in torch
        ours = ours.requires_grad_() * 2
    assert_same_text(ours, theirs.requires_grad_() * 2)


def test_grad_fn_suffix_explicit():
    ours = tl.tensor([1.0, 2.0]).requires_grad_() * 2
    assert ours.grad_fn is not None, "x * 2 records no graph node: printing can't be checked"
    assert repr(ours) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(torch.tensor([1.0, 2.0]).requires_grad_() * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


def test_requires_grad_suffix_after_dtype():
    ours, theirs = make_pair(np.array([0.5, -1.25]), (tl.float16, torch.float16))
    assert_same_text(ours.requires_grad_(), theirs.requires_grad_())
    assert repr(ours) == "tensor([ 0.5000, -1.2500], dtype=tl.float16, requires_grad=True)"


# ====================================================================== explicit edge cases
ZERO_D_CASES = [
    (3.5, FLOAT_PAIRS), (-0.0, FLOAT_PAIRS), (0.0, FLOAT_PAIRS), (np.nan, FLOAT_PAIRS), (-np.inf, FLOAT_PAIRS),
    (1e10, FLOAT_PAIRS), (1.5e-7, FLOAT_PAIRS), (123456789.0, FLOAT_PAIRS), (-7.0, FLOAT_PAIRS),
    (0.12345678, FLOAT_PAIRS), (-128, INT_PAIRS), (127, INT_PAIRS), (0, INT_PAIRS + [(tl.bool, torch.bool)]),
    (1, [(tl.bool, torch.bool)]),
]


@pytest.mark.parametrize("options", [{}, {"precision": 0}, {"sci_mode": True}, {"threshold": 0, "edgeitems": 0}],
                         ids=option_id)
@pytest.mark.parametrize("value, dtype_pairs", ZERO_D_CASES, ids=lambda v: repr(v)[:12])
def test_repr_of_0d_tensors(options, value, dtype_pairs):
    set_options(options)
    for pair in dtype_pairs:
        if not pair[0].is_floating_point and pair[0] is not tl.bool:
            info = np.iinfo(pair[0].name)
            if not info.min <= value <= info.max:
                continue
        array = np.array(value, dtype=bool if pair[0] is tl.bool else None)
        assert_same_text(*make_pair(array, pair))


@pytest.mark.parametrize("values", [
    [True, False], [[True], [False]], [False] * 7, np.zeros((0,), bool), np.zeros((2, 0), bool),
    np.arange(2000).reshape(40, 50) % 3 == 0,
], ids=lambda v: str(np.shape(v)))
@pytest.mark.parametrize("options", [{}, {"linewidth": 30}, {"threshold": 0, "edgeitems": 1}], ids=option_id)
def test_repr_of_bool_tensors(values, options):
    set_options(options)
    assert_same_text(*make_pair(np.array(values, dtype=bool), (tl.bool, torch.bool)))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4), (1, 0)])
@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
def test_repr_of_empty_tensors(shape, pair):
    """``[]`` alone can't show the shape or the dtype: ``size=`` unless 1-D, ``dtype=`` unless the default float."""
    assert_same_text(*make_pair(np.zeros(shape), pair))


MODE_BOUNDARIES = [
    [1.0, 999.0], [1.0, 1001.0], [1.5, 1499.0], [1.5, 1501.0], [1e-4, 0.5], [9.9e-5, 0.5], [1e8, 1.0],
    [1.0001e8, 1e6], [123456789.0], [0.1, 0.25, 100.0], [0.1, 0.25, 101.0], [np.nan, 2.0, -np.inf], [-0.0, 1e-9],
]


@pytest.mark.parametrize("options", [{}, {"precision": 2}], ids=option_id)
@pytest.mark.parametrize("values", MODE_BOUNDARIES, ids=str)
def test_mode_thresholds(values, options):
    """Just either side of the rules: largest over 1e8, smallest under 1e-4, their ratio over 1000."""
    set_options(options)
    for pair in FLOAT_PAIRS:
        assert_same_text(*make_pair(np.array(values), pair))


@pytest.mark.parametrize("options, shape", [
    ({}, (1000,)), ({}, (1001,)), ({}, (10, 10, 10)), ({}, (7, 11, 13)), ({"threshold": 7}, (7,)),
    ({"threshold": 7}, (8,)), ({"threshold": 6, "edgeitems": 1}, (2, 3)), ({"threshold": 6, "edgeitems": 1}, (7, 1)),
], ids=str)
def test_summarize_only_above_threshold(options, shape):
    """A tensor is summarized when it has *more* than ``threshold`` elements, not as many."""
    set_options(options)
    values = np.arange(math.prod(shape)).reshape(shape)
    for pair in [(tl.int64, torch.int64), (tl.float32, torch.float32)]:
        assert_same_text(*make_pair(values, pair))


def test_known_texts():
    """A few texts spelled out, so a reader sees what the properties compare."""
    assert repr(tl.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(tl.tensor([1, 2, 3], dtype=tl.int32)) == "tensor([1, 2, 3], dtype=tl.int32)"
    assert repr(tl.tensor([[1.0, -2.0], [np.nan, np.inf]])) == "tensor([[ 1., -2.],\n        [nan, inf]])"
    assert repr(tl.tensor([1e10, 1.0])) == "tensor([1.0000e+10, 1.0000e+00])"
    assert repr(tl.tensor(np.arange(1001))) == "tensor([   0,    1,    2,  ...,  998,  999, 1000])"


# ====================================================================== __format__
FLOAT_SPECS = ["", ".2f", ".0f", ">12.3e", "g", "+.1%"]
INT_SPECS = ["", "d", "+05d", ".2f", "x", ">6"]


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: p[0].name)
@pytest.mark.parametrize("value", [2.71828, -0.5, 13.0, 0.0])
def test_format_of_0d_tensor(pair, value):
    """``f"{t:.2f}"`` formats a 0-d tensor as its Python number."""
    ours, theirs = make_pair(np.array(value), pair)
    specs = FLOAT_SPECS if pair[0].is_floating_point else INT_SPECS
    for spec in specs:
        assert format(ours, spec) == format(theirs, spec), f"spec {spec!r}"
    if pair[0].is_floating_point:
        ours.requires_grad_()
        theirs.requires_grad_()
        assert f"{ours:.2f}" == f"{theirs:.2f}"
        assert f"{ours}" == f"{theirs}"


def test_format_of_other_tensors():
    """Without a spec a tensor formats as its repr; with one, only 0-d tensors can."""
    ours, theirs = make_pair(np.array([1.5, 2.0]), (tl.float32, torch.float32))
    assert f"{ours}" == expected_text(theirs)
    assert_same_error(lambda: f"{ours:.2f}", lambda: f"{theirs:.2f}", match_message=True)
    ours, theirs = make_pair(np.array([7.0]), (tl.float32, torch.float32))  # one element, but 1-D
    assert_same_error(lambda: f"{ours:.2f}", lambda: f"{theirs:.2f}", match_message=True)


# ====================================================================== set_printoptions / get_printoptions
def test_get_printoptions_follows_set_printoptions():
    calls = [
        {}, {"precision": 2}, {"threshold": 5, "edgeitems": 1}, {"sci_mode": True}, {"linewidth": 40},
        {"profile": "short"}, {"profile": "full", "precision": 7}, {"profile": "no such profile"},
        {"profile": "default", "sci_mode": False}, {},
    ]
    assert tl.get_printoptions() == torch_get_printoptions()
    for call in calls:
        tl.set_printoptions(**call)
        torch.set_printoptions(**call)
        assert tl.get_printoptions() == torch_get_printoptions(), f"after set_printoptions(**{call})"


def test_get_printoptions_round_trip():
    tl.set_printoptions(precision=3, threshold=10, edgeitems=1, linewidth=50, sci_mode=True)
    saved = tl.get_printoptions()
    tl.set_printoptions(profile="full")
    tl.set_printoptions(**saved)
    assert tl.get_printoptions() == saved
    saved["precision"] = 99  # a copy: changing it changes nothing
    assert tl.get_printoptions()["precision"] == 3


def test_print_options_change_the_text():
    ours, theirs = make_pair(np.array([1.123456, 22.5]), (tl.float32, torch.float32))
    for options in OPTION_SETS:
        set_options(options)
        assert repr(ours) == expected_text(theirs), f"options {options}"
