"""Helpers that hold the library up against PyTorch, the oracle.

Every parity test builds the *same* tensor in both libraries (same values, same
strides), runs the same operation, and compares what a learner could observe:
values, dtype, shape, strides, memory sharing and the exception raised.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from hypothesis import strategies as st

import tinygrad_lessons as tl

#: where the library's tensors are made in this run: "cpu", or "cuda" (the simulated GPU in CI, a real one on a
#: GPU machine) — conftest.py makes it the default device, so every factory call in the tests lands there
TEST_DEVICE = os.environ.get("TL_TEST_DEVICE", "cpu")

DTYPE_PAIRS = [
    (tl.bool, torch.bool), (tl.uint8, torch.uint8), (tl.int8, torch.int8), (tl.int16, torch.int16),
    (tl.int32, torch.int32), (tl.int64, torch.int64), (tl.float16, torch.float16),
    (tl.bfloat16, torch.bfloat16), (tl.float32, torch.float32), (tl.float64, torch.float64),
]
ALL_DTYPE_PAIRS = list(DTYPE_PAIRS)
if TEST_DEVICE != "cpu":  # CuPy has no bfloat16, so the GPU (real or simulated) has none here
    DTYPE_PAIRS = [p for p in DTYPE_PAIRS if p[0] is not tl.bfloat16]
TO_TORCH_DTYPE = dict(ALL_DTYPE_PAIRS)
FROM_TORCH_DTYPE = {t: o for o, t in ALL_DTYPE_PAIRS}
FLOAT_PAIRS = [p for p in DTYPE_PAIRS if p[0].is_floating_point]
INT_PAIRS = [p for p in DTYPE_PAIRS if not p[0].is_floating_point and p[0] is not tl.bool]


def to_numpy(t) -> np.ndarray:
    """Values of either library's tensor as a float64/int64/bool NumPy array."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.float()
        return t.numpy()
    data = tl.backend.to_host(t._data)
    return data.astype(np.float32) if t.dtype in (tl.bfloat16, tl.float16) else data


def pair_from_numpy(array: np.ndarray, dtype_pair=None):
    """The same contiguous tensor in both libraries, built from a NumPy array."""
    ours_dtype, torch_dtype = dtype_pair or FROM_TORCH_DTYPE_NP(array.dtype)
    array = np.array(array)  # row-major strides, also for size-1 dims (tl.tensor keeps odd ones, as torch.tensor)
    ours = tl.tensor(array).to(ours_dtype)
    theirs = torch.from_numpy(np.array(array)).to(torch_dtype)
    return ours, theirs


def FROM_TORCH_DTYPE_NP(np_dtype):  # noqa: N802 - reads as a table lookup
    ours = tl.dtypes.FROM_NUMPY[np.dtype(np_dtype)]
    return ours, TO_TORCH_DTYPE[ours]


def assert_matches(ours, theirs, *, rtol=None, atol=None, check_stride=True, check_dtype=True):
    """``ours`` (a tl.Tensor) equals ``theirs`` (a torch.Tensor) in every way a learner can see."""
    assert isinstance(ours, tl.Tensor), f"expected a tl.Tensor, got {type(ours).__name__}"
    assert ours.device.type == TEST_DEVICE, f"result on {ours.device}, expected it on the test device {TEST_DEVICE}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"shape {tuple(ours.shape)} != torch {tuple(theirs.shape)}"
    if check_dtype:
        assert ours.dtype is FROM_TORCH_DTYPE[theirs.dtype], f"dtype {ours.dtype} != torch {theirs.dtype}"
    if check_stride and ours.numel() > 1:
        assert ours.stride() == theirs.stride(), f"stride {ours.stride()} != torch {theirs.stride()}"
    a, b = to_numpy(ours), to_numpy(theirs)
    if theirs.dtype.is_floating_point:
        default_tol = {torch.float16: 1e-3, torch.bfloat16: 1e-2, torch.float32: 1e-5, torch.float64: 1e-12}
        tol = default_tol[theirs.dtype]
        np.testing.assert_allclose(a, b, rtol=rtol if rtol is not None else tol,
                                   atol=atol if atol is not None else tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, b)


def assert_same_error(ours_fn, torch_fn, *, match_message=False):
    """Both calls raise, with the same exception type (and message, if asked)."""
    try:
        torch_fn()
    except Exception as e:  # noqa: BLE001 - any torch error is the expectation
        expected = e
    else:
        raise AssertionError("torch did not raise: the test case is wrong")
    try:
        ours_fn()
    except Exception as e:  # noqa: BLE001
        assert isinstance(e, type(expected)) or type(expected).__name__ == type(e).__name__, (
            f"raised {type(e).__name__}: {e}\n torch raised {type(expected).__name__}: {expected}"
        )
        if match_message:
            assert str(e) == str(expected), f"message {str(e)!r}\n torch says {str(expected)!r}"
        return e
    raise AssertionError(f"did not raise; torch raised {type(expected).__name__}: {expected}")


def check_op(ours_fn, torch_fn, *, match_message=True, **tolerances):
    """The op gives what torch gives (a tensor, a tuple of tensors or a plain value),
    or raises what torch raises (same type and, by default, the same message)."""
    try:
        expected = torch_fn()
    except Exception:  # noqa: BLE001 - whatever torch raises is the expectation
        assert_same_error(ours_fn, torch_fn, match_message=match_message)
        return None
    result = ours_fn()
    if isinstance(expected, torch.Tensor):
        assert_matches(result, expected, **tolerances)
    elif isinstance(expected, tuple):
        assert isinstance(result, tuple) and len(result) == len(expected), f"{result!r} != torch {expected!r}"
        for r, e in zip(result, expected):
            assert_matches(r, e, **tolerances)
    else:
        assert result == expected and type(result) is type(expected), f"{result!r} != torch {expected!r}"
    return result


def shares_memory(a, b) -> bool:
    """Whether two tensors of one library look into the same storage."""
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


# ------------------------------------------------------------------ hypothesis strategies
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


@st.composite
def arrays(draw, shape=None, dtype_pairs=None, low=-10, high=10):
    """(numpy values, dtype pair) with small, exactly representable numbers."""
    shape = draw(shapes) if shape is None else shape
    pair = draw(st.sampled_from(dtype_pairs or DTYPE_PAIRS))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if pair[0] is tl.bool:
        values = rng.integers(0, 2, shape).astype(bool)
    elif pair[0].is_floating_point:
        values = rng.integers(low * 4, high * 4, shape) / 4.0  # quarters: exact in every float type
    else:
        lo = 0 if pair[0] is tl.uint8 else low
        values = rng.integers(lo, high, shape)
    return values, pair


@st.composite
def tensor_pairs(draw, shape=None, dtype_pairs=None, layouts=True, low=-10, high=10):
    """The same tensor in both libraries, often non-contiguous (permuted, sliced or expanded)."""
    values, pair = draw(arrays(shape=shape, dtype_pairs=dtype_pairs, low=low, high=high))
    ours, theirs = pair_from_numpy(values, pair)
    if not layouts or values.ndim == 0:
        return ours, theirs
    layout = draw(st.sampled_from(["contiguous", "permuted", "sliced", "expanded"]))
    if layout == "permuted":
        perm = draw(st.permutations(range(values.ndim)))
        # permute a tensor holding the permuted-back values, so the result holds `values`
        inverse = tuple(np.argsort(perm))
        o2, t2 = pair_from_numpy(np.ascontiguousarray(values.transpose(inverse)), pair)
        return o2.permute(*perm), t2.permute(*perm)
    if layout == "sliced":
        padded = np.concatenate([values, values], axis=-1)
        interleaved = np.empty(values.shape[:-1] + (values.shape[-1] * 2,), values.dtype)
        interleaved[..., ::2] = values
        interleaved[..., 1::2] = padded[..., : values.shape[-1]]
        o2, t2 = pair_from_numpy(interleaved, pair)
        return o2[..., ::2], t2[..., ::2]
    if layout == "expanded":
        dims = [d for d, n in enumerate(values.shape) if n > 1]
        if not dims:
            return ours, theirs
        d = draw(st.sampled_from(dims))
        first = np.take(values, [0], axis=d)
        o2, t2 = pair_from_numpy(np.ascontiguousarray(first), pair)
        values_expanded = np.broadcast_to(first, values.shape)
        del values_expanded
        return o2.expand(*values.shape), t2.expand(*values.shape)
    return ours, theirs
