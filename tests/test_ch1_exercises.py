"""Chapter 1's graded exercises catch real mistakes, not only empty stubs.

Per exercise: the reference solution passes the visible and hidden checks; the untouched
stub fails with the "not implemented" line; a solution that calls the library's own
implementation fails; and plausible wrong solutions each fail with a hint that points at
the mistake.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lessons as tl
from exercise_checks import assert_fails, assert_passes, course_env, stub  # noqa: F401 - course_env: an autouse fixture
from tinygrad_lessons.grading.exercises import get_exercise

ROOT = Path(__file__).resolve().parents[1]


def _copy(fn):
    """A copy of the reference solution: the reference object itself is forbidden to learners."""
    return types.FunctionType(fn.__code__, fn.__globals__, "solution", fn.__defaults__, fn.__closure__)


# ====================================================================== ch1.infer_dtype
def _shape(data):
    shape = []
    while isinstance(data, (list, tuple)):
        shape.append(len(data))
        if not data:
            break
        data = data[0]
    return shape


def _leaves(data, shape, dim=0, check_lengths=True):
    if dim == len(shape):
        yield data
        return
    if check_lengths and len(data) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(data)})")
    for x in data:
        yield from _leaves(x, shape, dim + 1, check_lengths)


def _from_types(types, default):
    if not types or float in types:
        return default
    return tl.int64 if int in types else tl.bool


def infer_dtype_int_before_bool(data):
    kinds = set()
    for x in _leaves(data, _shape(data)):
        if isinstance(x, float):
            kinds.add(float)
        elif isinstance(x, int):  # True is an int too: bools are never seen
            kinds.add(int)
        else:
            kinds.add(bool)
    return _from_types(kinds, tl.get_default_dtype())


def infer_dtype_hardcoded_float32(data):
    return _from_types({type(x) for x in _leaves(data, _shape(data))}, tl.float32)


def infer_dtype_first_element_only(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    if isinstance(data, (list, tuple)):
        return tl.get_default_dtype()
    return _from_types({type(data)}, tl.get_default_dtype())


def infer_dtype_no_ragged_check(data):
    return _from_types({type(x) for x in _leaves(data, _shape(data), check_lengths=False)}, tl.get_default_dtype())


def infer_dtype_other_words(data):
    try:
        return infer_dtype_reference(data)
    except ValueError:
        raise ValueError("rows have different lengths") from None


def infer_dtype_empty_crashes(data):
    leaves = list(_leaves(data, _shape(data)))
    ranks = {bool: 0, int: 1, float: 2}
    widest = max(leaves, key=lambda x: ranks[type(x)])  # max() of nothing raises ValueError
    return _from_types({type(widest)}, tl.get_default_dtype())


def infer_dtype_returns_name(data):
    return infer_dtype_reference(data).name


def infer_dtype_lists_only(data):
    shape = []
    probe = data
    while isinstance(probe, list):  # a tuple is taken for a number
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    return _from_types({type(x) for x in _leaves(data, shape)}, tl.get_default_dtype())


def infer_dtype_calls_tensor(data):
    return tl.tensor(data).dtype


def infer_dtype_calls_library(data):
    from tinygrad_lessons.creation import infer_dtype as library_version

    return library_version(data)


infer_dtype_reference = _copy(get_exercise("ch1.infer_dtype").reference)


def test_ch1_infer_dtype_reference_passes():
    assert_passes("ch1.infer_dtype", infer_dtype_reference)


def test_ch1_infer_dtype_stub_fails():
    text = assert_fails("ch1.infer_dtype", stub, "not implemented yet: replace `raise NotImplementedError()`")
    assert "✓" not in text


@pytest.mark.parametrize(("fn", "hint"), [
    (infer_dtype_calls_tensor, "asks you to write infer_dtype yourself; don't call tl.tensor"),
    (infer_dtype_calls_library, "don't call tl.creation.infer_dtype"),
])
def test_ch1_infer_dtype_library_call_fails(fn, hint):
    assert_fails("ch1.infer_dtype", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (infer_dtype_int_before_bool, ["expected tl.bool, got tl.int64", "bool is a subclass of int"]),
    (infer_dtype_hardcoded_float32, ["expected tl.float64, got tl.float32", "return tl.get_default_dtype()"]),
    (infer_dtype_first_element_only, ["expected tl.float32, got tl.int64", "look at every number"]),
    (infer_dtype_no_ragged_check, ["expected ValueError: expected sequence of length 2 at dim 1 (got 1), got tl.",
                                   "must have the same length as the first one"]),
    (infer_dtype_other_words, ["the message should be 'expected sequence of length 2 at dim 1 (got 1)'",
                               "use torch's words exactly"]),
    (infer_dtype_empty_crashes, ["expected tl.float32, got ValueError", "nothing to look at"]),
    (infer_dtype_returns_name, ["expected tl.int64, got the string 'int64'", "return a dtype object"]),
    (infer_dtype_lists_only, ["tuples are sequences too"]),
])
def test_ch1_infer_dtype_wrong_solution_fails(fn, hints):
    assert_fails("ch1.infer_dtype", fn, *hints)


# ====================================================================== ch1.float_limits
def float_limits_eps_halved(e, m):
    bias = 2 ** (e - 1) - 1
    return (2 - 2.0 ** -m) * 2.0 ** bias, 2.0 ** -(m + 1), 2.0 ** (1 - bias)


def float_limits_exponent_too_high(e, m):
    bias = 2 ** (e - 1) - 1
    return (2 - 2.0 ** -m) * 2.0 ** (bias + 1), 2.0 ** -m, 2.0 ** (1 - bias)


def float_limits_mantissa_forgotten(e, m):
    bias = 2 ** (e - 1) - 1
    return 2.0 ** bias, 2.0 ** -m, 2.0 ** (1 - bias)


def float_limits_tiny_off_by_one(e, m):
    bias = 2 ** (e - 1) - 1
    return (2 - 2.0 ** -m) * 2.0 ** bias, 2.0 ** -m, 2.0 ** -bias


def float_limits_integer_max(e, m):
    bias = 2 ** (e - 1) - 1
    return 2 ** (bias + 1) - 2 ** (bias - m), 2.0 ** -m, 2.0 ** (1 - bias)


def float_limits_calls_finfo(e, m):
    d = {(5, 10): tl.float16, (8, 7): tl.bfloat16, (8, 23): tl.float32, (11, 52): tl.float64}[e, m]
    info = tl.finfo(d)
    return info.max, info.eps, info.tiny


def test_ch1_float_limits_reference_passes():
    assert_passes("ch1.float_limits", _copy(get_exercise("ch1.float_limits").reference))


def test_ch1_float_limits_stub_fails():
    assert_fails("ch1.float_limits", stub, "not implemented yet")


def test_ch1_float_limits_library_call_fails():
    assert_fails("ch1.float_limits", float_limits_calls_finfo, "don't call tl.finfo")


@pytest.mark.parametrize(("fn", "hints"), [
    (float_limits_eps_halved, ["item 1: expected 0.0009765625, got 0.00048828125", "the gap between 1.0"]),
    (float_limits_exponent_too_high, ["item 0: expected 65504.0, got 131008.0", "reserved for inf and NaN"]),
    (float_limits_mantissa_forgotten, ["item 0: expected 65504.0, got 32768.0", "every mantissa bit set"]),
    (float_limits_tiny_off_by_one, ["item 2: expected 6.103515625e-05, got 3.0517578125e-05",
                                    "smallest *normal* float"]),
    (float_limits_integer_max, ["item 0: expected a float (65504.0), got an int (65504)", "return Python floats"]),
])
def test_ch1_float_limits_wrong_solution_fails(fn, hints):
    assert_fails("ch1.float_limits", fn, *hints)


# ====================================================================== ch1.full_like
def full_like_numpy_dtype(t, value, dtype=None):
    return tl.from_numpy(np.full(tuple(t.shape), value))


def full_like_ignores_dtype_argument(t, value, dtype=None):
    return tl.tensor(np.full(tuple(t.shape), value), dtype=t.dtype)


def full_like_fills_the_input(t, value, dtype=None):
    array = t.detach().numpy()
    array[...] = value
    return t.detach() if dtype is None else t.detach().to(dtype)


def full_like_keeps_layout(t, value, dtype=None):
    d = t.dtype if dtype is None else dtype
    out = tl.tensor(np.full(tuple(t.shape), value), dtype=d)
    return out.T.contiguous().T if t.ndim == 2 and not t.is_contiguous() else out  # mimics np.full_like's order


def full_like_copies_requires_grad(t, value, dtype=None):
    d = t.dtype if dtype is None else dtype
    return tl.tensor(np.full(tuple(t.shape), value), dtype=d, requires_grad=t.requires_grad)


def full_like_rounds(t, value, dtype=None):
    d = t.dtype if dtype is None else dtype
    if not d.is_floating_point and d is not tl.bool:
        value = round(value)
    return tl.tensor(np.full(tuple(t.shape), value), dtype=d)


def full_like_calls_library(t, value, dtype=None):
    return tl.full_like(t, value, dtype=dtype)


def full_like_calls_new_full(t, value, dtype=None):
    return t.new_full(tuple(t.shape), value, dtype=dtype or t.dtype)


def full_like_calls_fill(t, value, dtype=None):
    out = tl.tensor(np.empty(tuple(t.shape)), dtype=dtype or t.dtype)
    try:
        return out.fill_(value)
    except Exception:  # swallowing the guard's error does not help
        out.numpy()[...] = value
        return out


def test_ch1_full_like_reference_passes():
    assert_passes("ch1.full_like", _copy(get_exercise("ch1.full_like").reference))


def test_ch1_full_like_stub_fails():
    assert_fails("ch1.full_like", stub, "not implemented yet")


@pytest.mark.parametrize(("fn", "hint"), [
    (full_like_calls_library, "don't call tl.full_like"),
    (full_like_calls_new_full, "don't call Tensor.new_full"),
    (full_like_calls_fill, "don't call Tensor.fill_"),
])
def test_ch1_full_like_library_call_fails(fn, hint):
    assert_fails("ch1.full_like", fn, hint)


@pytest.mark.parametrize(("fn", "hints"), [
    (full_like_numpy_dtype, ["dtype: expected tl.float32, got tl.float64", "NumPy chose float64"]),
    (full_like_ignores_dtype_argument, ["dtype: expected tl.int32, got tl.float32", "dtype= was given"]),
    (full_like_fills_the_input, ["memory: expected new memory", "your function changed argument 0",
                                 "filling the input's own memory"]),
    (full_like_keeps_layout, ["strides: expected (2, 1), got (1, 3)", "new row-major memory"]),
    (full_like_copies_requires_grad, ["requires_grad: expected False, got True", "starts with requires_grad=False"]),
    (full_like_rounds, ["values: expected 2 at [0], got 3", "truncates toward zero"]),
])
def test_ch1_full_like_wrong_solution_fails(fn, hints):
    assert_fails("ch1.full_like", fn, *hints)


# ====================================================================== ch1.shuffled_batches
def _order(n, seed):
    return tl.randperm(n, generator=tl.Generator().manual_seed(seed))


def batches_off_by_one(n, batch_size, generator_seed, drop_last=False):
    order = _order(n, generator_seed)
    for start in range(0, n - batch_size, batch_size):
        yield order[start:start + batch_size]


def batches_ignore_drop_last(n, batch_size, generator_seed, drop_last=False):
    order = _order(n, generator_seed)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def batches_global_seed(n, batch_size, generator_seed, drop_last=False):
    tl.manual_seed(generator_seed)
    order = tl.randperm(n)
    for start in range(0, n, batch_size):
        if drop_last and start + batch_size > n:
            return
        yield order[start:start + batch_size]


def batches_not_shuffled(n, batch_size, generator_seed, drop_last=False):
    order = tl.arange(n)
    stop = n - n % batch_size if drop_last else n
    return [order[s:s + batch_size] for s in range(0, stop, batch_size)]


def batches_numpy_shuffle(n, batch_size, generator_seed, drop_last=False):
    order = tl.from_numpy(np.random.RandomState(generator_seed).permutation(n))
    stop = n - n % batch_size if drop_last else n
    return [order[s:s + batch_size] for s in range(0, stop, batch_size)]


def batches_as_lists(n, batch_size, generator_seed, drop_last=False):
    order = _order(n, generator_seed).tolist()
    stop = n - n % batch_size if drop_last else n
    return [order[s:s + batch_size] for s in range(0, stop, batch_size)]


def batches_drop_full_last(n, batch_size, generator_seed, drop_last=False):
    order = _order(n, generator_seed)
    stop = n - batch_size if drop_last else n  # drops the last batch even when it is full
    return [order[s:s + batch_size] for s in range(0, stop, batch_size)]


def batches_call_split(n, batch_size, generator_seed, drop_last=False):
    batches = _order(n, generator_seed).split(batch_size)
    return [b for b in batches if not drop_last or len(b) == batch_size]


def test_ch1_shuffled_batches_reference_passes():
    assert_passes("ch1.shuffled_batches", _copy(get_exercise("ch1.shuffled_batches").reference))


def test_ch1_shuffled_batches_stub_fails():
    assert_fails("ch1.shuffled_batches", stub, "not implemented yet")


def test_ch1_shuffled_batches_library_call_fails():
    assert_fails("ch1.shuffled_batches", batches_call_split, "don't call tl.split / Tensor.split")


@pytest.mark.parametrize(("fn", "hints"), [
    (batches_off_by_one, ["expected 3 items, got 2", "a batch is missing"]),
    (batches_ignore_drop_last, ["expected 2 items, got 3", "drop_last=True: drop the last batch"]),
    (batches_global_seed, ["used the global random generator"]),
    (batches_not_shuffled, ["the indices come out in order"]),
    (batches_numpy_shuffle, ["the same indices in another order"]),
    (batches_as_lists, ["item 0: expected a tensor of shape (4,), tl.int64, got a list of 4 items",
                        "each batch is a tensor"]),
    (batches_drop_full_last, ["drops only a *shorter* last batch"]),
])
def test_ch1_shuffled_batches_wrong_solution_fails(fn, hints):
    assert_fails("ch1.shuffled_batches", fn, *hints)


def full_like_forgets_device(t, value, dtype=None):
    return tl.tensor(np.full(tuple(t.shape), value), dtype=t.dtype if dtype is None else dtype)


def test_ch1_full_like_must_keep_the_device():
    simulating, device = tl.backend.simulating(), tl.get_default_device()
    assert_fails("ch1.full_like", full_like_forgets_device, "device: expected cpu, got cuda:0",
                 "pass device=t.device")
    assert tl.backend.simulating() == simulating and tl.get_default_device() == device  # put back
