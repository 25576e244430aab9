"""Chapter 3 — indexing and math: ``gather``, a stable ``softmax`` and ``log_softmax``, ``var`` with
``dim``/``keepdim``, and ``sum_to_size`` (a broadcast gradient summed back to its input's shape).

Each exercise is written here once: its reference solution (what the learner's function must
reproduce), its visible and hidden cases, what the learner may not call, and hints for the
mistakes people really make. Many hints recompute a known wrong answer from the case's inputs
(softmax without the max, NumPy's ``ddof=0``, shapes lined up from the left...) and fire only
when the learner's output is exactly that wrong answer.

Only ``sum_to_size`` has a plug-in target: every broadcasting op's backward calls
``grad.sum_to_size(shape)``, so a passing learner version can compute chapter 4's gradients
(``adapt`` keeps the library's own where it must record a graph, or the tensor is on a GPU). The
others have no clean one: the library's ``gather``, ``softmax``, ``log_softmax`` and ``var`` are
differentiable and take arguments (``dtype=``, ``sparse_grad=``, ``unbiased=``) the exercises leave out.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import tinygrad_lessons as tl

from ..cases import Case, T
from ..plain import decode_number
from . import Exercise, Hint, register

# ---------------------------------------------------------------------- helpers for hints (on plain data)


def _array(plain):
    """A plain tensor's values as a float64 NumPy array (NaN and infinities decoded), else None."""
    if plain.get("kind") not in ("tensor", "array"):
        return None

    def decode(v):
        return [decode(x) for x in v] if isinstance(v, list) else decode_number(v)

    return np.array(decode(plain["values"]), dtype=np.float64).reshape(plain["shape"])


def _input(case, i=0):
    """Argument ``i`` of a case, built fresh, as a NumPy array (a ``T`` becomes its tensor's values)."""
    value = case.args[i].build()
    return value.numpy().copy() if isinstance(value, tl.Tensor) else np.asarray(value)


def _same(got, array) -> bool:
    """Whether a plain tensor holds exactly ``array`` (NaN where it has NaN): a known wrong answer."""
    values = _array(got)
    return (values is not None and array is not None and values.shape == np.shape(array)
            and bool(np.allclose(values, array, rtol=1e-4, atol=1e-6, equal_nan=True)))


def _quiet(fn):
    """Run a wrong-answer computation without NumPy's warnings: a hint must not write to stderr."""

    def wrapped(*args, **kwargs):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                return fn(*args, **kwargs)
            except Exception:  # a variant that cannot be computed for this case is no match
                return None

    return wrapped


def _shape(plain):
    return tuple(plain["shape"]) if plain.get("kind") == "tensor" else None


def _error(plain, text="") -> bool:
    return plain["kind"] == "error" and text in plain["message"]


def _finite_where_expected(e, g) -> bool:
    """The learner's tensor has NaN or an infinity where the expected value is finite."""
    want, have = _array(e), _array(g)
    return want is not None and have is not None and want.shape == have.shape and \
        bool(np.any(np.isfinite(want) & ~np.isfinite(have)))


def _wrap_dim(dim, ndim):
    """``dim`` counted from 0, as torch checks it (``-1`` is the last dim)."""
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


_DEVICE_HINT = Hint(lambda case, e, g: e["kind"] == "tensor" and g.get("device") not in (None, e["device"]),
                    "keep the input's device: build the result with device=x.device (or with tensor operations "
                    "on x, which stay on its device)")


# ====================================================================== 1. gather
def _reference_gather(input, dim, index):  # noqa: A002 - torch's name
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (``input[i][index[i][j]]`` for ``dim=1``), any ndim."""
    dim = _wrap_dim(dim, input.ndim)
    if index.dtype not in (tl.int64, tl.int32):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(input.ndim):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                               f"larger than self {list(input.shape)} apart from dimension {dim}")
    x, idx = input.numpy(), index.numpy().astype(np.int64)
    size = x.shape[dim]
    bad = idx[(idx < 0) | (idx >= size)]  # torch never counts from the end
    if bad.size:
        raise RuntimeError(f"index {bad[0]} is out of bounds for dimension {dim} with size {size}")
    # index may be smaller than input in every dim but `dim`: read only that corner of input
    corner = x[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(idx.shape))]
    return tl.tensor(np.take_along_axis(corner, idx, axis=dim), device=input.device)


@_quiet
def _gather_along(case, other_dim):
    """What gather would give along ``other_dim`` instead (None when that is not possible)."""
    x, idx = _input(case, 0), _input(case, 2)
    corner = x[tuple(slice(None) if d == other_dim else slice(0, n) for d, n in enumerate(idx.shape))]
    return np.take_along_axis(corner, idx, axis=other_dim)


def _gathered_along_another_dim(case, e, g) -> bool:
    x = _input(case, 0)
    dim = case.args[1] % x.ndim
    return e["kind"] == "tensor" and any(_same(g, _gather_along(case, d)) for d in range(x.ndim) if d != dim)


def _negative_index(case) -> bool:
    return bool(np.any(_input(case, 2) < 0))


def _index_smaller(case) -> bool:
    x, idx = _input(case, 0), _input(case, 2)
    dim = case.args[1] % x.ndim
    return idx.ndim == x.ndim and any(idx.shape[d] < x.shape[d] for d in range(x.ndim) if d != dim)


_GATHER_WORDS = {
    "IndexError": "IndexError(f'Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})')",
    "Expected dtype": "RuntimeError('gather(): Expected dtype int32/int64 for index')",
    "number of dimensions": "RuntimeError('Index tensor must have the same number of dimensions as input tensor')",
    "Size does not match": "RuntimeError(f'Size does not match at dimension {d} expected index {list(index.shape)} "
                           "to be no larger than self {list(input.shape)} apart from dimension {dim}')",
    "out of bounds": "RuntimeError(f'index {i} is out of bounds for dimension {dim} with size {size}')",
}


def _gather_error_hint(key):
    def when(case, e, g):
        if e["kind"] != "error" or not (key in e["message"] or key == e["type"]):
            return False
        if g["kind"] != "error":  # (a negative index has a hint of its own)
            return key != "out of bounds" or not _negative_index(case)
        return g["type"] != e["type"] or g["message"] != e["message"]

    return when


GATHER = Exercise(
    name="ch3.gather",
    function="gather",
    reference=_reference_gather,
    visible=[
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[1], [3], [0]], "int64")),
             label="dim=1: one column per row (each row's score for its label)"),
        Case((T(list(range(12)), shape=(3, 4)), 0, T([[2, 0, 1, 2]], "int64")),
             label="dim=0: one row per column"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[3, 3, 0, 0, 1, 2]], "int64")),
             label="index smaller than input in dim 0 and longer along dim 1 (repeats are fine)"),
        Case((T(list(range(12)), shape=(3, 4)), -1, T([[0, 1], [1, 2], [2, 3]], "int64")),
             label="dim=-1 is the last dim"),
        Case((T(list(range(24)), shape=(2, 3, 4)), 1, T([[[2, 0, 1, 1]], [[0, 0, 2, 1]]], "int64")),
             label="a 3-d input, dim=1"),
        Case((T(list(range(12)), shape=(3, 4), permute=(1, 0)), 1, T([[2], [0], [1], [1]], "int64")),
             label="a transposed (non-contiguous) input"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[0, 4]], "int64")),
             label="index 4 in a dim of size 4 -> RuntimeError"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([0, 1], "int64")),
             label="a 1-d index for a 2-d input -> RuntimeError"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[0], [1], [2], [3]], "int64")),
             label="index has more rows than input (dim 0 is not the gather dim) -> RuntimeError"),
        Case((T([[1.5, 2.5], [3.5, 4.5]]), 1, T([[1, 0], [0, 0]], "int64")), default_device="cuda",
             label="a CPU input while the default device is cuda: the result stays on the CPU"),
    ],
    hidden=[
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[0, -1]], "int64")),
             label="a negative index -> RuntimeError (no counting from the end)"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[0.0, 1.0]], "float32")),
             label="a float index -> RuntimeError"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([[2], [1]], "int32")), label="an int32 index is fine"),
        Case((T(list(range(12)), shape=(3, 4)), 2, T([[0]], "int64")), label="dim=2 of a 2-d input -> IndexError"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T([], "int64", shape=(0, 2))), label="an empty (0, 2) index"),
        Case((T([10, 20, 30, 40], "int64"), 0, T([3, 3, 0], "int64")), label="1-d: like x[index]"),
        Case((T([[True, False], [False, True]], "bool"), 0, T([[1, 1]], "int64")), label="a bool input"),
        Case((T(list(range(24)), "float64", shape=(2, 3, 4)), 2, T([[[3], [2]], [[1], [0]]], "int64")),
             label="float64, 3-d, dim=2, index smaller in dims 0 and 1"),
        Case((T(list(range(24)), shape=(2, 3, 4)), 0, T([[[1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 1]]], "int64")),
             label="a 3-d input, dim=0"),
        Case((T(list(range(24)), shape=(2, 3, 4)), -3, T([[[1], [0]], [[0], [1]], [[1], [1]]], "int64")),
             label="dim=-3, index longer along dim 0"),
        Case((T(list(range(12)), shape=(3, 4)), 1, T(list(range(8)), "int64", shape=(2, 4),
                                                      slice=[[None, None, None], [None, None, 2]])),
             label="a strided (sliced) index"),
        Case((T(list(range(12)), shape=(3, 4)), 0, T([[0, 3]], "int64")), label="dim=0: index 3 of 3 rows"),
        Case((T(list(range(6)), shape=(2, 3)), 0, T([[0, 1, 0, 1]], "int64")),
             label="index wider than input in dim 1 -> RuntimeError"),
    ],
    forbid=["tinygrad_lessons.indexing.gather", "tinygrad_lessons.indexing.Gather"],
    compare={"messages": True},
    hints=[
        Hint(_gathered_along_another_dim,
             "you gathered along another dim: index replaces the coordinate of dim only — for dim=1, "
             "out[i][j] = input[i][index[i][j]]; for dim=0, out[i][j] = input[index[i][j]][j]"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and (g["kind"] == "error" or _shape(g) != _shape(e))
             and _index_smaller(case),
             "index may be smaller than input in the dims other than dim: read only input's corner of index's "
             "size there (input[:index.shape[0], :] for dim=1 of a 2-d input) — np.take_along_axis would "
             "broadcast index against all of input instead"),
        Hint(lambda case, e, g: _error(e, "out of bounds") and g["kind"] != "error" and _negative_index(case),
             "gather does not count from the end: a negative index is out of bounds (NumPy's take_along_axis "
             "wraps it around silently) — check 0 <= index < size yourself"),
        Hint(_gather_error_hint("out of bounds"),
             "check every index value: 0 <= index < input.shape[dim], else raise " + _GATHER_WORDS["out of bounds"]
             + " with the first bad value in reading order"),
        Hint(_gather_error_hint("number of dimensions"),
             "index must have as many dims as input: raise " + _GATHER_WORDS["number of dimensions"]),
        Hint(_gather_error_hint("Size does not match"),
             "in every dim but dim, index may not be larger than input: raise " + _GATHER_WORDS["Size does not match"]),
        Hint(_gather_error_hint("Expected dtype"),
             "an index must be an integer tensor (int64 or int32): raise " + _GATHER_WORDS["Expected dtype"]),
        Hint(_gather_error_hint("IndexError"),
             "a dim outside [-ndim, ndim - 1] is an error in torch's words: raise " + _GATHER_WORDS["IndexError"]),
        Hint(lambda case, e, g: e["kind"] == "tensor" and g.get("dtype") not in (None, e["dtype"]),
             "the result has input's dtype: gather only reads values, it never converts them"),
        _DEVICE_HINT,
    ],
    torch_oracle=lambda torch, x, dim, index: torch.gather(x, dim, index),
)


# ====================================================================== 2. softmax and 3. log_softmax
def _reference_softmax(x, dim):
    """``exp(x) / sum(exp(x))`` along ``dim``, after subtracting the max along ``dim`` (so exp can't overflow)."""
    shifted = x - x.max(dim, keepdim=True).values  # every exponent <= 0; the largest term is exp(0) = 1
    e = shifted.exp()
    return e / e.sum(dim, keepdim=True)


def _reference_log_softmax(x, dim):
    """``log(softmax(x))`` computed as ``(x - m) - log(sum(exp(x - m)))``, ``m`` the max along ``dim``."""
    shifted = x - x.max(dim, keepdim=True).values
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def _softmax_input(case):
    x = _input(case, 0)
    dim = case.args[1] % max(x.ndim, 1)
    return x, dim


@_quiet
def _softmax_variant(case, kind, log=False):
    """A known wrong softmax (or log_softmax) of the case's input, computed in its dtype."""
    x, dim = _softmax_input(case)
    if kind == "naive":  # no max subtracted
        e = np.exp(x)
        p = e / e.sum(dim, keepdims=True)
        return x - np.log(e.sum(dim, keepdims=True)) if log else p
    if kind == "global":  # the max of the whole tensor
        s = x - x.max()
        return s - np.log(np.exp(s).sum(dim, keepdims=True)) if log else np.exp(s) / np.exp(s).sum(dim, keepdims=True)
    s = x - x.max(dim, keepdims=True)
    e = np.exp(s)
    if kind == "no_keepdim":  # the sums lose their dim and broadcast against the wrong axis
        return s - np.log(e.sum(dim)) if log else e / e.sum(dim)
    if kind == "log_of_softmax":
        return np.log(e / e.sum(dim, keepdims=True))
    if kind == "max_not_added_back":
        return x - np.log(e.sum(dim, keepdims=True))
    raise ValueError(kind)


@_quiet
def _softmax_other_dims(case, log=False):
    x, dim = _softmax_input(case)
    out = []
    for d in range(x.ndim):
        if d != dim:
            s = x - x.max(d, keepdims=True)
            out.append(s - np.log(np.exp(s).sum(d, keepdims=True)) if log else
                       np.exp(s) / np.exp(s).sum(d, keepdims=True))
    return out


def _is_variant(kind, log=False):
    def when(case, e, g):
        variant = _softmax_variant(case, kind, log)
        return not _same(e, variant) and _same(g, variant)

    return when


def _other_dim(log=False):
    def when(case, e, g):
        return any(_same(g, v) and not _same(e, v) for v in _softmax_other_dims(case, log) or ())

    return when


def _overflowed(case, e, g) -> bool:
    """A non-finite result where a finite one was expected, on inputs big enough to overflow exp."""
    x, _ = _softmax_input(case)
    return _finite_where_expected(e, g) and bool(np.any(np.abs(x[np.isfinite(x)]) > 80))


def _broadcast_failed(case, e, g) -> bool:
    return e["kind"] == "tensor" and _error(g, "must match the size")


_KEEPDIM_TEXT = ("sum (and max) with keepdim=True: the result must keep its dim, with size 1, to broadcast back "
                 "against x along the right axis (without it, it lines up with the last dims instead)")
_FLOAT64_TEXT = ("the result keeps x's dtype: NumPy computed in float64 — cast back with .to(x.dtype), or compute "
                 "with tensor operations")


def _softmax_hints(log):
    name = "log_softmax" if log else "softmax"
    common = [
        Hint(lambda case, e, g: _is_variant("no_keepdim", log)(case, e, g) or _broadcast_failed(case, e, g),
             _KEEPDIM_TEXT),
        Hint(_other_dim(log),
             f"{name} works along dim: each slice along dim is one distribution (you normalised along another dim)"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and g.get("dtype") == "float64" != e["dtype"], _FLOAT64_TEXT),
        _DEVICE_HINT,
    ]
    overflow = Hint(lambda case, e, g: _is_variant("naive", log)(case, e, g)
                    or _overflowed(case, e, g) and not _is_variant("global", log)(case, e, g),
                    "exp overflowed: exp(89.0) is already inf in float32 (and every exp of very negative numbers "
                    "underflows to 0), so inf / inf or 0 / 0 gave nan. Subtract the max along dim first: "
                    f"{name}(x) = {name}(x - c) for any constant c, and with c = the max every exponent is <= 0")
    global_max = Hint(_is_variant("global", log),
                      "subtract the max of each slice along dim (x.max(dim, keepdim=True).values), not the max of the "
                      "whole tensor: a slice far below the global max underflows to exp(...) = 0 everywhere")
    if not log:
        return [overflow, global_max, *common]
    return [
        Hint(_is_variant("log_of_softmax", log),
             "log(softmax(x)) takes the log of a probability that underflowed to 0, which is -inf. Stay in log "
             "space: log_softmax(x) = (x - m) - log(sum(exp(x - m))), m the max along dim"),
        Hint(_is_variant("max_not_added_back", log),
             "log(sum(exp(x))) = m + log(sum(exp(x - m))): you subtracted m inside the exp, so subtract it from x "
             "too — (x - m) - log(sum(exp(x - m)))"),
        overflow, global_max, *common,
    ]


_SOFTMAX_FORBID = [
    "tinygrad_lessons.math_ops.softmax", "tinygrad_lessons.math_ops.log_softmax",
    "tinygrad_lessons.tensor.Tensor.softmax", "tinygrad_lessons.tensor.Tensor.log_softmax",
    "tinygrad_lessons.nn.functional.softmax", "tinygrad_lessons.nn.functional.log_softmax",
    "tinygrad_lessons.nn.functional.Softmax", "tinygrad_lessons.nn.functional.LogSoftmax",
    "tinygrad_lessons.nn.functional._softmax_array", "tinygrad_lessons.reductions.logsumexp",
    "tinygrad_lessons.reductions.Logsumexp",
]

_SQUARE = [[1.0, 2.0], [3.0, 5.0]]


def _softmax_cases(log):
    """The cases both exercises share, and those each adds."""
    visible = [
        Case((T([1.0, 2.0, 3.0]), 0), label="a 1-d vector, dim=0"),
        Case((T([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), 1), label="each row is a distribution: dim=1"),
        Case((T([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), 0), label="each column is a distribution: dim=0"),
        Case((T(list(range(24)), shape=(2, 3, 4)), -1), label="a 3-d tensor, dim=-1"),
        Case((T([1000.0, 1001.0, 1002.0]), 0), label="large logits: exp(1000) overflows float32"),
        Case((T([-1000.0, -1001.0]), 0), label="very negative logits: every exp underflows to 0"),
        Case((T([0.0, float("-inf"), 1.0]), 0), label="a -inf logit has probability 0"),
    ]
    hidden = [
        Case((T([[1000.0, 1001.0], [-1000.0, -1001.0]]), 1), label="two rows far apart, dim=1"),
        Case((T([800.0, 801.0], "float64"), 0), label="float64 overflows too, past exp(709)"),
        Case((T(_SQUARE), 1), label="a square matrix, dim=1"),
        Case((T(_SQUARE), 0), label="a square matrix, dim=0"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]], permute=(1, 0)), 1), label="a transposed input, dim=1"),
        Case((T([], shape=(0, 3)), 1), label="no rows at all: an empty (0, 3) tensor"),
        Case((T([2.0, 2.0, 2.0, 2.0]), 0), label="equal logits"),
        Case((T([x / 4 for x in range(24)], shape=(2, 3, 4)), 1), label="a 3-d tensor, dim=1"),
        Case((T([[0.5, -0.5, 2.0]], "float64"), -1), label="float64 keeps its dtype"),
    ]
    if log:
        visible.insert(6, Case((T([0.0, -200.0]), 0), label="a tiny probability: log p = -200, not log(0)"))
        hidden.append(Case((T([[0.0, -120.0], [5.0, 6.0]]), 1), label="exp(-120) underflows float32: -120 stays"))
        hidden.append(Case((T([0.0, -800.0], "float64"), 0), label="float64: log p = -800"))
    else:
        hidden.append(Case((T([[100.0, 0.0], [0.0, 0.5]]), 1), label="exp(-100) is tiny but not 0"))
    return visible, hidden


_SOFTMAX_VISIBLE, _SOFTMAX_HIDDEN = _softmax_cases(log=False)
_LOG_SOFTMAX_VISIBLE, _LOG_SOFTMAX_HIDDEN = _softmax_cases(log=True)

SOFTMAX = Exercise(
    name="ch3.softmax",
    function="softmax",
    reference=_reference_softmax,
    visible=_SOFTMAX_VISIBLE,
    hidden=_SOFTMAX_HIDDEN,
    forbid=_SOFTMAX_FORBID,
    compare={"rtol": 1e-5, "atol": 1e-7},
    hints=_softmax_hints(log=False),
    torch_oracle=lambda torch, x, dim: torch.softmax(x, dim),
)

LOG_SOFTMAX = Exercise(
    name="ch3.log_softmax",
    function="log_softmax",
    reference=_reference_log_softmax,
    visible=_LOG_SOFTMAX_VISIBLE,
    hidden=_LOG_SOFTMAX_HIDDEN,
    forbid=_SOFTMAX_FORBID,
    compare={"rtol": 1e-5, "atol": 1e-6},
    hints=_softmax_hints(log=True),
    torch_oracle=lambda torch, x, dim: torch.log_softmax(x, dim),
)


# ====================================================================== 4. var
def _reduced_dims(dim, ndim) -> tuple:
    """``dim`` (None, an int, or a tuple/list of ints) as sorted dims counted from 0, with torch's errors."""
    if dim is None:
        return tuple(range(ndim))
    dims = []
    for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
        d = _wrap_dim(d, ndim)
        if d in dims:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        dims.append(d)
    return tuple(sorted(dims))


def _reference_var(x, dim=None, keepdim=False, *, correction=1):
    """The variance over ``dim``: ``sum((x - mean)**2) / (N - correction)``, N the number of elements reduced."""
    if not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = _reduced_dims(dim, x.ndim)
    a = x.numpy().astype(np.float64)
    n = math.prod(a.shape[d] for d in dims)
    mean = a.mean(axis=dims, keepdims=True)  # keepdims: so that it broadcasts back against a
    squares = ((a - mean) ** 2).sum(axis=dims, keepdims=keepdim)
    out = np.divide(squares, max(0, n - correction))  # 0 degrees of freedom: 0 / 0 = nan, as in torch
    return tl.tensor(out, dtype=x.dtype, device=x.device)


def _var_args(case):
    x = _input(case, 0)
    dim = case.args[1] if len(case.args) > 1 else case.kwargs.get("dim")
    keepdim = case.args[2] if len(case.args) > 2 else case.kwargs.get("keepdim", False)
    return x, dim, keepdim, case.kwargs.get("correction", 1)


@_quiet
def _var_with(case, correction=None, keepdim=None):
    """The variance of the case's input, with another correction or keepdim (a known wrong answer)."""
    x, dim, kd, c = _var_args(case)
    dims = _reduced_dims(dim, x.ndim)
    return np.var(x.astype(np.float64), axis=dims, ddof=c if correction is None else correction,
                  keepdims=kd if keepdim is None else keepdim)


def _var_ddof0(case, e, g) -> bool:
    _, _, _, c = _var_args(case)
    return c != 0 and e["kind"] == "tensor" and _same(g, _var_with(case, correction=0)) and \
        not _same(e, _var_with(case, correction=0))


def _var_keepdim(case, e, g) -> bool:
    _, _, keepdim, _ = _var_args(case)
    return e["kind"] == "tensor" and _shape(g) is not None and _shape(g) != _shape(e) and \
        _shape(g) == np.shape(_var_with(case, keepdim=not keepdim))


def _is_tuple_dim(case) -> bool:
    _, dim, _, _ = _var_args(case)
    return isinstance(dim, (tuple, list))


VAR = Exercise(
    name="ch3.var",
    function="var",
    reference=_reference_var,
    visible=[
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]),), label="dim=None: the variance of all 6 numbers, a 0-d tensor"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]), 1), label="dim=1: one variance per row"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]), 0, True), label="dim=0, keepdim=True: shape (1, 3)"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]), -1, True), label="dim=-1 is the last dim; keepdim=True"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (0, 2)), label="a tuple of dims: (0, 2) of a 3-d tensor"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]), 1), {"correction": 0},
             label="correction=0 divides by N (NumPy's ddof=0)"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]), None, True), label="dim=None, keepdim=True: shape (1, 1)"),
        Case((T([[1.0, 2.0], [3.0, 4.0]]), 2), label="dim=2 of a 2-d tensor -> IndexError"),
        Case((T([[1.0, 2.0], [3.0, 4.0]]), (0, -2)), label="(0, -2) names dim 0 twice -> RuntimeError"),
        Case((T([1, 2, 3], "int64"), 0), label="an int tensor -> RuntimeError"),
    ],
    hidden=[
        Case((T([[1.0], [2.0], [4.0]]), 1), label="one element per row: N - 1 = 0, so nan"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 9.0]], "float64"), 1), label="float64 keeps its dtype"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (-1, -3), True), label="negative dims (-1, -3), keepdim=True"),
        Case((T(list(range(24)), shape=(2, 3, 4)), [1]), label="dims as a list: [1]"),
        Case((T([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]], permute=(1, 0)), 0), label="a transposed input, dim=0"),
        Case((T(list(range(10)), shape=(2, 5)), 1, True), {"correction": 2}, label="correction=2, keepdim=True"),
        Case((T([], shape=(0, 3)), 0), label="no rows: the variance of nothing is nan"),
        Case((T(list(range(24)), shape=(2, 3, 4)), -4), label="dim=-4 of a 3-d tensor -> IndexError"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (1, 1)), label="(1, 1) names dim 1 twice -> RuntimeError"),
        Case((T(list(range(48)), shape=(2, 3, 4, 2)), (1, 3)), label="a 4-d tensor, dims (1, 3)"),
        Case((T([True, False], "bool"), 0), label="a bool tensor -> RuntimeError"),
        Case((T([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),), {"correction": 0},
             label="dim=None, correction=0: the population variance, 4"),
        Case((T(list(range(12)), shape=(3, 4)), (0, 1), True), label="both dims as a tuple, keepdim=True"),
    ],
    forbid=[
        "tinygrad_lessons.reductions.var", "tinygrad_lessons.reductions.std", "tinygrad_lessons.reductions.var_mean",
        "tinygrad_lessons.reductions.std_mean", "tinygrad_lessons.reductions.Var", "tinygrad_lessons.reductions.Std",
        "tinygrad_lessons.reductions.VarMean", "tinygrad_lessons.reductions.StdMean",
        "tinygrad_lessons.reductions._variance", "tinygrad_lessons.reductions._safe_variance",
    ],
    compare={"rtol": 1e-5, "atol": 1e-6, "messages": True},
    hints=[
        Hint(_var_ddof0,
             "you divided by N (NumPy's np.var default, ddof=0): torch divides by N - correction, and correction=1 "
             "by default (the unbiased estimate) — pass ddof=correction, or divide by N - correction yourself"),
        Hint(lambda case, e, g: _var_keepdim(case, e, g) and _var_args(case)[2],
             "keepdim=True keeps every reduced dim, with size 1 (e.g. (2, 3) over dim=0 gives (1, 3))"),
        Hint(lambda case, e, g: _var_keepdim(case, e, g) and not _var_args(case)[2],
             "keepdim=False removes every reduced dim from the shape"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and _error(g, "must match the size"),
             "the mean must keep its reduced dims (keepdim=True) to broadcast back against x: x - x.mean(dim, "
             "keepdim=True)"),
        Hint(lambda case, e, g: _error(e, "appears multiple times") and not _error(g, "appears multiple times"),
             "count negative dims from the end first (d % ndim), then look for repeats: (0, -2) of a 2-d tensor "
             "names dim 0 twice — raise RuntimeError(f'dim {d} appears multiple times in the list of dims')"),
        Hint(lambda case, e, g: e["type"] == "IndexError" and (g["kind"] != "error" or g["message"] != e["message"]),
             "a dim outside [-ndim, ndim - 1] is an error in torch's words: raise IndexError(f'Dimension out of "
             "range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})')"),
        Hint(lambda case, e, g: _error(e, "floating point") and not _error(g, "floating point"),
             "the variance of integers or bools is not defined in torch: raise RuntimeError('std and var only "
             "support floating point and complex dtypes') before anything else"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and g["kind"] == "error" and _is_tuple_dim(case)
             and not _error(g, "must match the size"),
             "dim may be a tuple (or list) of dims: reduce over all of them at once"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and bool(np.any(np.isnan(_array(e)))) and
             not bool(np.any(np.isnan(_array(g)))),
             "with N - correction <= 0 there are no degrees of freedom left: torch divides by 0 and returns nan"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and g.get("dtype") == "float64" != e["dtype"], _FLOAT64_TEXT),
        _DEVICE_HINT,
    ],
    torch_oracle=lambda torch, x, dim=None, keepdim=False, *, correction=1: torch.var(
        x, dim, keepdim=keepdim, correction=correction),
)


# ====================================================================== 5. sum_to_size
def _not_expandable(shape, grad_shape) -> RuntimeError:
    return RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(grad_shape)}}}.")


def _reference_sum_to_size(grad, shape):
    """Sum ``grad`` down to ``shape`` (which broadcasts to ``grad.shape``): the reverse of broadcasting."""
    shape = tuple(shape)
    lead = grad.ndim - len(shape)  # dims the input never had: shapes line up from the right
    if lead < 0 or any(s not in (1, n) for s, n in zip(shape, grad.shape[lead:])):
        raise _not_expandable(shape, grad.shape)
    out = grad.sum(dim=tuple(range(lead))) if lead else grad
    stretched = tuple(d for d, (s, n) in enumerate(zip(shape, out.shape)) if s == 1 and n != 1)
    return out.sum(dim=stretched, keepdim=True) if stretched else out  # size-1 dims stay, with size 1


def _adapt_sum_to_size(mine, original):
    """The library calls ``grad.sum_to_size(shape)`` in every broadcasting backward: use the learner's there,
    except where a graph must be recorded (double backward) or the tensor is on a GPU (NumPy can't read it)."""

    def sum_to_size(self, *size):
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
        if not size or (self.requires_grad and tl.is_grad_enabled()) or self.device.type != "cpu":
            return original(self, *size)
        return mine(self, shape)

    sum_to_size.__doc__ = mine.__doc__
    return sum_to_size


def _grad_shape(case):
    return tuple(_input(case, 0).shape)


def _target(case):
    return tuple(case.args[1])


@_quiet
def _summed_from_the_left(case):
    """The wrong answer of lining shapes up from the left: summing the trailing dims."""
    grad, shape = _input(case, 0), _target(case)
    trailing = tuple(range(len(shape), grad.ndim))
    out = grad.sum(axis=trailing) if trailing else grad
    stretched = tuple(d for d, (s, n) in enumerate(zip(shape, out.shape)) if s == 1 and n != 1)
    return out.sum(axis=stretched, keepdims=True) if stretched else out


def _lost_size_one_dims(case, e, g) -> bool:
    """The result lacks the size-1 dims the input has (summed without keepdim)."""
    shape, got = _target(case), _shape(g)
    return e["kind"] == "tensor" and got is not None and got != shape and got == tuple(n for n in shape if n != 1)


def _kept_leading_dims(case, e, g) -> bool:
    shape, got = _target(case), _shape(g)
    grad_shape = _grad_shape(case)
    return e["kind"] == "tensor" and got is not None and len(got) == len(grad_shape) > len(shape) \
        and got[len(got) - len(shape):] == shape


def _only_leading_summed(case, e, g) -> bool:
    shape, got = _target(case), _shape(g)
    grad_shape = _grad_shape(case)
    lead = len(grad_shape) - len(shape)
    return e["kind"] == "tensor" and got is not None and got != shape and got == grad_shape[lead:]


SUM_TO_SIZE = Exercise(
    name="ch3.sum_to_size",
    function="sum_to_size",
    reference=_reference_sum_to_size,
    visible=[
        Case((T(list(range(12)), shape=(4, 3)), (3,)), label="a bias's gradient: (4, 3) -> (3,)"),
        Case((T(list(range(12)), shape=(4, 3)), (1, 3)), label="(4, 3) -> (1, 3): the size-1 dim stays"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (3, 1)),
             label="(2, 3, 4) -> (3, 1): a leading dim and a size-1 dim"),
        Case((T(list(range(6)), shape=(2, 3)), (2, 3)), label="nothing to sum: (2, 3) -> (2, 3)"),
        Case((T(list(range(6)), shape=(2, 3)), ()), label="a 0-d input's gradient: (2, 3) -> ()"),
        Case((T(list(range(12)), shape=(3, 4)), (3,)),
             label="(3, 4) -> (3,): shapes line up from the right -> RuntimeError"),
        Case((T(list(range(6)), shape=(2, 3)), (2, 3, 1)),
             label="(2, 3) -> (2, 3, 1): more dims than grad -> RuntimeError"),
    ],
    hidden=[
        Case((T(list(range(24)), shape=(2, 3, 4)), (1, 3, 1)), label="(2, 3, 4) -> (1, 3, 1)"),
        Case((T(list(range(30)), shape=(5, 2, 3)), (2, 1)), label="(5, 2, 3) -> (2, 1)"),
        Case((T([1.0, 2.0, 3.0, 4.0], shape=(4, 1)), (1,)), label="(4, 1) -> (1,)"),
        Case((T([1.0, 2.0, 3.0], shape=(1, 3)), (4, 3)), label="(1, 3) -> (4, 3) -> RuntimeError"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (4,)), label="(2, 3, 4) -> (4,)"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (2, 1, 4)), label="(2, 3, 4) -> (2, 1, 4)"),
        Case((T(list(range(6)), shape=(3, 2), permute=(1, 0)), (1, 3)), label="a transposed gradient -> (1, 3)"),
        Case((T([], shape=(0, 3)), (3,)), label="an empty batch: (0, 3) -> (3,) is all zeros"),
        Case((T([1.0, 2.0, 3.0, 4.0], shape=(2, 2)), (1, 1)), label="(2, 2) -> (1, 1)"),
        Case((T([0.5, 1.5, 2.5]), (3,)), label="1-d, nothing to sum"),
        Case((T(list(range(6)), shape=(2, 3)), (2, 1)), label="(2, 3) -> (2, 1)"),
        Case((T(list(range(6)), "float64", shape=(2, 3)), (3,)), label="float64 keeps its dtype"),
        Case((T(list(range(6)), shape=(2, 3)), (3,)), default_device="cuda",
             label="a CPU gradient while the default device is cuda: the result stays on the CPU"),
        Case((T(list(range(24)), shape=(2, 3, 4)), (2, 3)), label="(2, 3, 4) -> (2, 3) -> RuntimeError"),
    ],
    forbid=[
        "tinygrad_lessons.reductions.sum_to_size", "tinygrad_lessons.nn.functional._sum_to_shape",
        "tinygrad_lessons.nn.functional._sum_tensor_to_shape", "tinygrad_lessons.math_ops._reduce_grad",
        "tinygrad_lessons.indexing._reduce_to",
    ],
    compare={"rtol": 1e-6, "atol": 1e-6, "memory": False, "messages": True},
    hints=[
        Hint(lambda case, e, g: e["kind"] == "tensor" and _same(g, _summed_from_the_left(case))
             and not _same(e, _summed_from_the_left(case)),
             "broadcasting lines shapes up from the right: shape's last dim matches grad's last dim, and the dims "
             "grad has in front (its leading dims) are the ones to sum away"),
        Hint(_lost_size_one_dims,
             "where shape has a 1 but grad doesn't, that dim was stretched: sum it with keepdim=True, so it stays "
             "with size 1"),
        Hint(_kept_leading_dims,
             "the dims grad has in front of shape's are not in the input at all: sum them away (no keepdim)"),
        Hint(_only_leading_summed,
             "a dim where shape has 1 and grad has more was broadcast too: sum it (keepdim=True)"),
        Hint(lambda case, e, g: _error(e, "not expandable") and not _error(g, "not expandable"),
             "when shape can't broadcast to grad's shape (a dim that is neither 1 nor grad's size, or more dims "
             "than grad), raise RuntimeError(f'size {{{list(shape)}}} is not expandable to size "
             "{{{list(grad.shape)}}}.') — with the braces"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and g["kind"] in ("float", "int"),
             "return a tensor, even for shape (): a 0-d tensor, not a Python number"),
        Hint(lambda case, e, g: e["kind"] == "tensor" and g.get("dtype") == "float64" != e["dtype"], _FLOAT64_TEXT),
        _DEVICE_HINT,
    ],
    plug_in="tinygrad_lessons.reductions.sum_to_size",
    adapt=_adapt_sum_to_size,
    torch_oracle=lambda torch, grad, shape: grad.sum_to_size(shape),
)


register(GATHER, SOFTMAX, LOG_SOFTMAX, VAR, SUM_TO_SIZE)
